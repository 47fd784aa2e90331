/* SPDX-License-Identifier: ISC */
/*
 * portpool-info's parts, one concern per file:
 *   portpool-info.c  options, the census, --port, --open
 *   info-ports.c     port bitmaps: lists in and out, the candidate map
 *   info-sockets.c   the sockets of this network namespace and their
 *                    processes (sock_diag netlink, /proc/PID/fd)
 *   info-who.c       --who and --audit
 *   info-emit.c      --emit DAEMON
 *   info-metrics.c   --metrics, Prometheus' text format
 *   info-svg.c       --svg FILE, a picture of the 65,536 ports
 */
#ifndef PORTPOOL_INFO_H
#define PORTPOOL_INFO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <portpool.h>

#include "out.h"		/* json_string(), text_string(): any bytes */

#define INFO_NAME "portpool-info"

/* Exit statuses, as the man page gives them. */
#define INFO_OK		0
#define INFO_FAILED	1	/* --audit: something is at risk */
#define INFO_USAGE	2
#define INFO_CANNOT	3	/* --audit could not look */

__attribute__((format(printf, 1, 2), noreturn))
void info_die_usage(const char *fmt, ...);
/* A value from the command line as a die_usage() line quotes it: escaped
 * (text_escape()), at most 64 bytes of it; one static buffer. */
const char *info_shown(const char *s);


/* ---- info-ports.c ---- */
#define PORT_WORDS (65536 / 64)
struct portmap {
	uint64_t w[PORT_WORDS];
};

static inline int portmap_has(const struct portmap *m, unsigned port)
{
	return (int)((m->w[port / 64] >> (port % 64)) & 1);
}

static inline void portmap_set(struct portmap *m, unsigned port)
{
	m->w[port / 64] |= (uint64_t)1 << (port % 64);
}

void portmap_set_span(struct portmap *m, unsigned first, unsigned last);
void portmap_clear_span(struct portmap *m, unsigned first, unsigned last);
/* Set every port of "4500,8080-8090" (commas or spaces); -1 if bad. */
int portmap_add_list(struct portmap *m, const char *list);
/* The ports of m, as "4500,8080-8090"; malloc'd, NULL when out of
 * memory.  sep separates items (","), dash joins a span ("-"). */
char *portmap_format(const struct portmap *m, const char *sep,
		     const char *dash);
/* How many spans m holds. */
size_t portmap_spans(const struct portmap *m);
/* The ports a source keeps out of cfg's effective range; -1 with
 * portpool_error() set. */
int source_map(const struct portpool_config *cfg, enum portpool_source src,
	       struct portmap *m);
/* Every candidate of cfg, read once; -1 with portpool_error() set. */
int candidate_map(const struct portpool_config *cfg, struct portmap *m);

/* ---- info-sockets.c ---- */
struct info_sock {
	uint8_t proto;		/* IPPROTO_UDP or IPPROTO_TCP */
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t state;		/* the kernel's TCP_* state */
	uint16_t port;		/* local port */
	uint16_t peer_port;	/* 0: not connected */
	uint8_t addr[16];	/* local address, network order */
	uint32_t inode;		/* 0: no socket file (TIME_WAIT) */
	uint32_t uid;
	pid_t pid;		/* 0: no process of ours holds it */
	unsigned users;		/* how many processes hold it */
};

struct info_socks {
	struct info_sock *v;
	size_t n, cap;
};

/* Append this network namespace's sockets of proto and family whose
 * state is in states (bits 1 << TCP_*), local port port (0: any).
 * -1 with errno set and a message in *why. */
int socks_dump(struct info_socks *s, int proto, int family, uint32_t states,
	       unsigned port, const char **why);
/* Find the processes holding them (pid, users) through /proc; returns
 * how many were found, -1 if /proc cannot be read. */
long socks_owners(struct info_socks *s);
/* How many of s the process pid holds (s's pid and users are reset). */
long socks_of_pid(struct info_socks *s, pid_t pid);
/* A process's command name into buf ("?" when gone). */
void proc_comm(pid_t pid, char *buf, size_t size);
/* Whether pid has libportpool.so mapped: 1 yes, 0 no, -1 unknown. */
int proc_maps_libportpool(pid_t pid);
/* "0.0.0.0", "[::1]" */
void sock_address(const struct info_sock *k, char *buf, size_t size);
const char *sock_proto(const struct info_sock *k);
const char *sock_state(const struct info_sock *k);
void socks_free(struct info_socks *s);

/* ---- info-who.c ---- */
#define WHO_UDP 1
#define WHO_TCP 2
/* Print the holders of port (a JSON array with json); -1 on failure,
 * with the reason printed. */
int who_print(unsigned port, int protos, int json, const char *indent);
/* --audit: 0 nothing at risk, 1 something is, -1 could not look. */
int audit_run(const struct portpool_config *cfg, int json);
/* What --audit counts, for --metrics and --svg. */
struct audit_counts {
	size_t checked;		/* bound UDP and listening TCP sockets */
	size_t udp_candidate;	/* UDP sockets bound on candidate ports */
	size_t at_risk;		/* sockets on candidate ports, no pool's */
	size_t pools;		/* socket pools holding candidate ports */
	size_t pooled;		/* their sockets on candidate ports */
	struct portmap risk;	/* the ports of at_risk */
	struct portmap pool;	/* the ports of pooled */
};
/* 0, or -1 with the reason printed. */
int audit_count(const struct portpool_config *cfg, struct audit_counts *c);

/* ---- info-emit.c ---- */
/* --emit DAEMON: 0 printed, 1 could not, 2 unknown daemon. */
int emit_run(struct portpool_config *cfg, const char *daemon);

/* ---- info-metrics.c ---- */
/* --metrics: 0 printed, 1 could not (nothing printed). */
int metrics_run(const struct portpool_config *cfg);

/* ---- info-svg.c ---- */
/* --svg FILE ("-": stdout): 0 written, 1 could not (FILE untouched). */
int svg_run(const struct portpool_config *cfg, const char *file);

#endif /* PORTPOOL_INFO_H */
