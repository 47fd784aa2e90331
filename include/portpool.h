/* SPDX-License-Identifier: ISC */
/*
 * libportpool: a pool of UDP sockets bound to random, distinct source
 * ports, chosen from the host's effective ephemeral range minus every port
 * that the host or the caller reserved.  See portpool(3).
 */
#ifndef PORTPOOL_H
#define PORTPOOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version this header belongs to; portpool_version() the loaded one. */
#define PORTPOOL_VERSION_MAJOR	1
#define PORTPOOL_VERSION_MINOR	0
#define PORTPOOL_VERSION_PATCH	0

/*
 * Flags for portpool_config_set_flags().  Each NO_* flag switches one
 * host exclusion source off; the caller's own reservations and the host
 * policy file can never be switched off.
 */
/* Do not read /proc/sys/net/ipv4/ip_local_reserved_ports. */
#define PORTPOOL_NO_KERNEL_RESERVED	0x0001u
/* Do not exclude the built-in table of well-known UDP service ports. */
#define PORTPOOL_NO_WELL_KNOWN		0x0002u
/* Do not exclude the udp entries of /etc/services. */
#define PORTPOOL_NO_ETC_SERVICES	0x0004u

/*
 * Members are made with IP_PMTUDISC_OMIT / IPV6_PMTUDISC_OMIT, so that a
 * forged ICMP "fragmentation needed" cannot shrink their path MTU (SAD
 * DNS, CVE-2020-25705 and its 2021 follow-up).  This flag leaves the
 * kernel's default instead.
 */
#define PORTPOOL_NO_PMTUDISC_OMIT	0x0008u

/* Every host source off: only the caller's and the policy's remain. */
#define PORTPOOL_NO_HOST_SOURCES	(PORTPOOL_NO_KERNEL_RESERVED | \
					 PORTPOOL_NO_WELL_KNOWN | \
					 PORTPOOL_NO_ETC_SERVICES)

/*
 * Limits: open as many members as fit (at least one) instead of failing
 * when candidates or descriptors are short; portpool_size() tells how
 * many were opened.
 */
#define PORTPOOL_OPEN_PARTIAL		0x0100u
/*
 * A pool that needs more descriptors than the soft RLIMIT_NOFILE allows
 * raises it toward the hard limit, as far as it needs and no further;
 * this flag leaves the limit alone.
 */
#define PORTPOOL_NO_RAISE_NOFILE	0x0400u
/* 0.1's way to ask for the raise, now the default: accepted, no effect. */
#define PORTPOOL_RAISE_NOFILE		0x0200u

/* Every flag this version knows; set_flags() refuses any other bit. */
#define PORTPOOL_FLAGS_ALL	(PORTPOOL_NO_HOST_SOURCES | \
				 PORTPOOL_NO_PMTUDISC_OMIT | \
				 PORTPOOL_OPEN_PARTIAL | \
				 PORTPOOL_RAISE_NOFILE | \
				 PORTPOOL_NO_RAISE_NOFILE)

/* Defaults, as a config from portpool_config_new() holds them. */
#define PORTPOOL_DEFAULT_SIZE		2500u
#define PORTPOOL_DYNAMIC_FIRST		49152u
#define PORTPOOL_DYNAMIC_LAST		65535u
#define PORTPOOL_MAX_USER_PORT_MIN	5000u
#define PORTPOOL_MAX_USER_PORT_MAX	65534u
/* With MaxUserPort set, the range is [1024, MaxUserPort]. */
#define PORTPOOL_MAX_USER_PORT_FIRST	1024u
/*
 * Fewer candidates than this are weak: 13,788 is the smallest uniform
 * range whose spread porttest (DNS-OARC) grades GREAT (std dev >= 3,980).
 */
#define PORTPOOL_WEAK_CANDIDATES	13788u

/* The sources that can keep a port out of a pool. */
enum portpool_source {
	PORTPOOL_SOURCE_RANGE,		/* outside the effective range */
	PORTPOOL_SOURCE_CALLER,		/* the program's reservations */
	PORTPOOL_SOURCE_KERNEL,		/* ip_local_reserved_ports */
	PORTPOOL_SOURCE_POLICY,		/* the host policy file */
	PORTPOOL_SOURCE_WELL_KNOWN,	/* the built-in service table */
	PORTPOOL_SOURCE_ETC_SERVICES,	/* udp entries of /etc/services */
	PORTPOOL_SOURCE_COUNT		/* the sources this header knows */
};

/*
 * Room for sources in census.removed[], indexed by enum portpool_source:
 * more than there are, so that a source added later fits without
 * changing the struct.  Slots past PORTPOOL_SOURCE_COUNT are 0.
 */
#define PORTPOOL_CENSUS_SOURCES		16

/* Why one port is or is not a candidate: see portpool_explain(3). */
struct portpool_explanation {
	uint16_t port;
	unsigned int sources;		/* bits 1u << PORTPOOL_SOURCE_* */
	unsigned int policy_line;	/* with POLICY: the line reserving it */
	char service[48];		/* with WELL_KNOWN or ETC_SERVICES */
	char text[512];			/* all of it, as one sentence */
};

/*
 * What a configuration leaves to draw from: see portpool_census(3).
 * The caller passes sizeof(struct portpool_census): see portpool(3) on
 * results that can grow.
 */
struct portpool_census {
	uint16_t first, last;		/* the effective range */
	char range_source[48];		/* e.g. "system (policy file)" */
	uint64_t range_ports;
	uint64_t candidates;
	uint64_t excluded;		/* range ports not candidates */
	/* range ports each source removes; a port may count under several */
	uint64_t removed[PORTPOOL_CENSUS_SOURCES];
	unsigned int size;		/* the pool size portpool_open() uses */
	double fresh_bits;		/* log2(candidates): a fresh draw */
	double pick_bits;		/* log2(size): picks, fixed pool */
	int weak;		/* candidates < PORTPOOL_WEAK_CANDIDATES */
	/* "default", "maxuserport", "system" or "explicit" */
	char range_token[16];
	int range_from_policy;		/* the host policy chose the range */
	uint64_t services_skipped;	/* malformed /etc/services lines */
};

/* An open pool's counters: see portpool_stats(3). */
struct portpool_stats {
	size_t size;
	uint64_t candidates;		/* at the last open or refresh */
	uint64_t free;			/* candidates no member holds */
	double fresh_bits;		/* log2(candidates) */
	double pick_bits;		/* log2(size) */
	uint64_t bind_attempts;
	uint64_t busy_skipped;		/* EADDRINUSE: skipped, not retried */
	uint64_t rotations;
	uint64_t refreshes;
	uint64_t refresh_moves;		/* members moved by refresh */
	uint64_t releases;		/* ports given back */
};

struct portpool_config;
struct portpool;

/* Configuration: build one, pass it to portpool_open(), free it. */
struct portpool_config *portpool_config_new(void);
void portpool_config_free(struct portpool_config *cfg);
int portpool_config_set_size(struct portpool_config *cfg, unsigned int size);
int portpool_config_set_max_user_port(struct portpool_config *cfg,
				      unsigned int port);
int portpool_config_set_range(struct portpool_config *cfg,
			      unsigned int first, unsigned int last);
int portpool_config_use_system_range(struct portpool_config *cfg);
int portpool_config_reserve(struct portpool_config *cfg,
			    unsigned int first, unsigned int last);
int portpool_config_reserve_list(struct portpool_config *cfg,
				 const char *list);
int portpool_config_set_family(struct portpool_config *cfg, int family);
int portpool_config_set_address(struct portpool_config *cfg,
				const char *numeric_address);
int portpool_config_set_flags(struct portpool_config *cfg,
			      unsigned int flags);
int portpool_config_set_policy_file(struct portpool_config *cfg,
				    const char *path);

/*
 * Called for every new member socket (open, rotate, refresh, release),
 * after the library's own options and before bind(): the place for
 * SO_RCVBUF, SO_MARK, SO_BINDTODEVICE, IP_RECVERR, DSCP.  0 goes on; -1
 * with errno set fails the whole call, which then changes nothing.  See
 * portpool_config_set_socket_hook(3).
 */
typedef int (*portpool_socket_hook)(int fd, int family, void *arg);
int portpool_config_set_socket_hook(struct portpool_config *cfg,
				    portpool_socket_hook hook, void *arg);

/* Questions answered without binding anything; cfg NULL means defaults. */
int portpool_effective_range(const struct portpool_config *cfg,
			     uint16_t *first, uint16_t *last);
int portpool_is_excluded(const struct portpool_config *cfg, uint16_t port);
long portpool_available(const struct portpool_config *cfg);
int portpool_explain(const struct portpool_config *cfg, uint16_t port,
		     struct portpool_explanation *why, size_t size);
int portpool_census(const struct portpool_config *cfg,
		    struct portpool_census *census, size_t size);
/*
 * Bulk answers, one host-file read for every port: bit p is bit (p % 64)
 * of map[p / 64].  Return the number of bits set, or -1.
 */
#define PORTPOOL_MAP_WORDS 1024
int portpool_candidate_map(const struct portpool_config *cfg,
			   uint64_t map[PORTPOOL_MAP_WORDS]);
int portpool_source_map(const struct portpool_config *cfg,
			enum portpool_source source,
			uint64_t map[PORTPOOL_MAP_WORDS]);
const char *portpool_source_name(enum portpool_source source);
/* "caller", "kernel", "policy", "well-known", "services", "range" */
const char *portpool_source_token(enum portpool_source source);
int portpool_source_ranges(const struct portpool_config *cfg,
			   enum portpool_source source, char *buf,
			   size_t size);

/* The pool. */
struct portpool *portpool_open(const struct portpool_config *cfg);
void portpool_close(struct portpool *pool);
size_t portpool_size(const struct portpool *pool);
int portpool_fd(const struct portpool *pool, size_t index);
uint16_t portpool_port(const struct portpool *pool, size_t index);
int portpool_pick(struct portpool *pool);
int portpool_rotate(struct portpool *pool, size_t index);
int portpool_refresh(struct portpool *pool);
int portpool_release_port(struct portpool *pool, uint16_t port);
/* The members the last successful rotate, refresh or release replaced. */
size_t portpool_moved(const struct portpool *pool, size_t *index,
		      size_t max);
int portpool_stats(const struct portpool *pool, struct portpool_stats *stats,
		   size_t size);

/* "1.0.0": the version of the library loaded at run time. */
const char *portpool_version(void);

/* This thread's last failure, as a sentence. */
const char *portpool_error(void);

#ifdef __cplusplus
}
#endif

#endif /* PORTPOOL_H */
