/* SPDX-License-Identifier: ISC */
/*
 * Internal interfaces of libportpool.  Nothing here is exported: the
 * version script keeps every symbol but the portpool_* API local.  The
 * tests link the static library and use these directly.
 */
#ifndef PORTPOOL_INTERNAL_H
#define PORTPOOL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "portpool.h"
#include "symbols.h"

#define PP_EXPORT __attribute__((visibility("default")))
#define PP_PRINTF(f, a) __attribute__((format(printf, f, a)))

#define PP_NPORTS 65536u

/* error.c: the failure sentence and errno, set together. */
int pp_fail(int err, const char *fmt, ...) PP_PRINTF(2, 3);
/* Same sentence as pp_fail(), but for functions that return a pointer. */
void *pp_fail_null(int err, const char *fmt, ...) PP_PRINTF(2, 3);
/*
 * abi.c: copy a result into a caller's struct of `size` bytes; `min` is
 * the struct's size in 1.0, from PP_SIZE_1_0(type, the last 1.0 field).
 * When fields are appended later, the last 1.0 field stays named here.
 */
int pp_result_copy(void *dst, size_t size, const void *src, size_t ours,
		   size_t min, const char *fn);
#define PP_SIZE_1_0(type, last)						\
	((offsetof(type, last) + sizeof(((type *)0)->last) +		\
	  _Alignof(type) - 1) / _Alignof(type) * _Alignof(type))
#define PP_STATS_SIZE_1_0	PP_SIZE_1_0(struct portpool_stats, releases)
#define PP_CENSUS_SIZE_1_0	PP_SIZE_1_0(struct portpool_census,	\
					    services_skipped)
#define PP_EXPLANATION_SIZE_1_0	PP_SIZE_1_0(struct portpool_explanation, \
					    text)

/* "12,345": numbers in sentences are grouped as admins read them. */
const char *pp_grouped(unsigned long n, char buf[static 32]);
/*
 * Input echoed into a sentence, as one line of printable text: \n, \t,
 * \r, \\ and \" as in C, every other control byte (and each byte of
 * invalid UTF-8, C1 controls, U+2028 and U+2029) as \xHH; valid UTF-8
 * text is kept.  A cut ends in "..." at a whole escape.  Returns the
 * length written; out is always terminated (size > 0).
 */
size_t pp_escape(const char *in, size_t len, char *out, size_t size);
/* pp_escape() of a C string, returning buf, for use in a format. */
const char *pp_esc(const char *s, char *buf, size_t size);
#define PP_ESC(s, buf) pp_esc((s), (buf), sizeof(buf))

/*
 * portlist.c: a set of ports as sorted, disjoint, non-adjacent spans.
 * Sources of exclusions are small lists of spans; this keeps a config
 * tiny and makes "which source excludes port P" a binary search.
 */
struct pp_span {
	uint16_t first;
	uint16_t last;
};

struct pp_portlist {
	struct pp_span *span;
	size_t n;
	size_t cap;
};

void pp_portlist_free(struct pp_portlist *list);
int pp_portlist_add(struct pp_portlist *list, unsigned first, unsigned last);
int pp_portlist_merge(struct pp_portlist *dst, const struct pp_portlist *src);
/*
 * Building a list from many spans in any order: append each (the list is
 * then unsorted), and normalize once, n log n.  pp_portlist_add() keeps
 * the list sorted at every step, which is linear per insertion.
 */
int pp_portlist_append(struct pp_portlist *list, unsigned first,
		       unsigned last);
void pp_portlist_normalize(struct pp_portlist *list);
int pp_portlist_copy(struct pp_portlist *dst, const struct pp_portlist *src);
bool pp_portlist_contains(const struct pp_portlist *list, unsigned port);
unsigned long pp_portlist_count(const struct pp_portlist *list);
/* How many ports of [first, last] a list holds. */
unsigned long pp_portlist_count_within(const struct pp_portlist *list,
				       unsigned first, unsigned last);
size_t pp_portlist_format(const struct pp_portlist *list, unsigned first,
			  unsigned last, char *buf, size_t size);

/*
 * parse.c: the reservation list grammar (portpool_config_reserve(3))
 * and the /proc range file.  On a syntax error *bad_offset is the byte
 * offset of the problem and *why says what is wrong; errno is EINVAL.
 * Nothing is added to out unless the whole text is valid.
 */
struct pp_parse_error {
	size_t offset;
	const char *why;
};

int pp_parse_port_list(const char *text, size_t len, bool allow_zero,
		       struct pp_portlist *out, struct pp_parse_error *err);
int pp_parse_port_range(const char *text, size_t len, uint16_t *first,
			uint16_t *last, struct pp_parse_error *err);

/* hostfile.c: reading the host's small text files, at most max bytes. */
#define PP_HOSTFILE_MAX (1u << 20)
/*
 * The largest text the kernel prints for ip_local_reserved_ports: two
 * ports in every three (0-1,3-4,...,65535) is 254,738 bytes with its
 * newline, longer than the longest list of separate ports (every other
 * port from 0, 191,053 bytes; from 1025, 189,048).  Its reader's buffer
 * is a little larger; the kernel allocates what a read() asks for, so
 * not much larger.
 */
#define PP_RESERVED_TEXT_MAX ((size_t)256 * 1024)
/* ip_local_port_range: "%u\t%u\n", at most 12 bytes. */
#define PP_RANGE_TEXT_MAX ((size_t)4096)
/*
 * 0 and *text (NUL-terminated, no NUL inside, caller frees) or NULL if
 * ENOENT; -1 else, a NUL byte in the file included.
 */
int pp_read_hostfile(const char *path, size_t max, char **text,
		     size_t *len);
/*
 * The same with flags.  Every file is opened so that it cannot block and
 * refused unless it is a regular file; PP_READ_STRICT_OWNER also refuses
 * (EPERM) a file owned by anyone but root or the effective user, or
 * writable by group or others.
 */
#define PP_READ_STRICT_OWNER 1u
int pp_read_file(const char *path, size_t max, unsigned flags, char **text,
		 size_t *len);

/* bitmap.c: one bit per port, for the candidate and free sets. */
struct pp_bitmap {
	uint64_t w[PP_NPORTS / 64];
};

static inline bool pp_bitmap_test(const struct pp_bitmap *b, unsigned port)
{
	return (b->w[port >> 6] >> (port & 63)) & 1;
}

static inline void pp_bitmap_set(struct pp_bitmap *b, unsigned port)
{
	b->w[port >> 6] |= UINT64_C(1) << (port & 63);
}

static inline void pp_bitmap_clear(struct pp_bitmap *b, unsigned port)
{
	b->w[port >> 6] &= ~(UINT64_C(1) << (port & 63));
}

void pp_bitmap_zero(struct pp_bitmap *b);
void pp_bitmap_fill(struct pp_bitmap *b, unsigned first, unsigned last);
void pp_bitmap_remove_list(struct pp_bitmap *b, const struct pp_portlist *l);
unsigned long pp_bitmap_count(const struct pp_bitmap *b);
/* The rank-th set bit (0-based) at or after first; rank < count. */
unsigned pp_bitmap_select(const struct pp_bitmap *b, unsigned first,
			  unsigned long rank);

/*
 * random.c: buffered kernel CSPRNG, wiped on fork, no modulo bias.  The
 * buffer is visible here so that the common draw, two buffered bytes
 * that need no rejection, inlines into portpool_pick().
 */
#define PP_RNG_MAP_BYTES 4096u	/* mmap rounds it to whole pages */

struct pp_rng {
	size_t avail;		/* unread bytes at the end of buf; 0 = empty */
	bool unbuffered;
	unsigned char buf[];
};

#define PP_RNG_BUF_BYTES (PP_RNG_MAP_BYTES - offsetof(struct pp_rng, buf))

struct pp_rng *pp_rng_new(void);
void pp_rng_free(struct pp_rng *rng);
int pp_rng_uniform_slow(struct pp_rng *rng, uint32_t bound, uint32_t *out);

/*
 * A uniform value in [0, bound), 1 <= bound <= 65536 (every bound here is
 * a count of ports or members); -1 with errno on failure.
 *
 * Lemire's multiply-and-reject on 16-bit words: the high half of x *
 * bound is uniform once the few x whose low half falls below 2^16 mod
 * bound are rejected.  Sixteen bits a draw, not 32, because the kernel
 * source costs about 10 ns per 4 bytes: it is most of a pick.  A low half
 * of at least bound can never be rejected, so that case is taken here;
 * every other one, and an empty (or fork-wiped) buffer, goes to the full
 * algorithm, which reads the same x again.
 */
static inline int pp_rng_uniform(struct pp_rng *rng, uint32_t bound,
				 uint32_t *out)
{
	if (rng->avail >= sizeof(uint16_t)) {
		unsigned char *next = &rng->buf[PP_RNG_BUF_BYTES - rng->avail];
		uint32_t m;
		uint16_t x;

		memcpy(&x, next, sizeof(x));
		m = (uint32_t)x * bound;
		if ((m & 0xffff) >= bound) {
			memset(next, 0, sizeof(x));
			rng->avail -= sizeof(x);
			*out = m >> 16;
			return 0;
		}
	}
	return pp_rng_uniform_slow(rng, bound, out);
}

/* Host file locations; the tests point these at fixtures. */
enum pp_hostpath {
	PP_PATH_PORT_RANGE,
	PP_PATH_RESERVED_PORTS,
	PP_PATH_SERVICES,
	PP_PATH_COUNT
};

extern const char *pp_default_path[PP_PATH_COUNT];

/* config.c */
enum pp_range_source {
	PP_RANGE_UNSET,		/* the default: maxuserport, unset */
	PP_RANGE_MAXUSERPORT,
	PP_RANGE_SYSTEM,
	PP_RANGE_EXPLICIT,
};

struct portpool_config {
	unsigned int size;
	enum pp_range_source range_source;
	unsigned int max_user_port;	/* with PP_RANGE_MAXUSERPORT */
	uint16_t range_first;		/* with PP_RANGE_EXPLICIT */
	uint16_t range_last;
	int family;
	bool has_address;
	struct sockaddr_storage address; /* port 0; used when has_address */
	socklen_t address_len;
	char address_text[64];		/* as the caller wrote it */
	unsigned int flags;
	bool size_set;			/* else the policy's, else default */
	struct pp_portlist reserved;	/* the caller's reservations */
	char *policy_path;		/* the program's file, absolute */
	const char *path[PP_PATH_COUNT];
	portpool_socket_hook hook;	/* NULL: none */
	void *hook_arg;
	/*
	 * portpool_config_reserve() appends a span that does not go last,
	 * so that calls in any order cost n log n in all: reserved is then
	 * unsorted until normalized, by its next reader on its own copy or
	 * here once the list has doubled since reserved_settled spans.
	 */
	bool reserved_unsorted;
	size_t reserved_settled;
};

void pp_config_init(struct portpool_config *cfg);
const struct portpool_config *
pp_config_or_defaults(const struct portpool_config *cfg,
		      struct portpool_config *defaults);
int pp_config_copy(struct portpool_config *dst,
		   const struct portpool_config *src);
void pp_config_release(struct portpool_config *cfg);

/*
 * policy.c: the host policy file, portpool.conf(5).  Its reservations
 * keep the line that made them, so "why is P excluded" can point there.
 */
#define PP_POLICY_MAX_BYTES ((size_t)64 * 1024)

/* The directory of portpool.conf and portpool.conf.d: the sysconfdir. */
extern const char *pp_policy_dir;

struct pp_policy_entry {
	uint16_t first;
	uint16_t last;
	unsigned line;
	const char *file;			/* one of files[] */
};

/*
 * Every layer read, merged: the host's file, its drop-ins and the
 * program's file.  A scalar key holds the value of the last file that
 * set it, with that file's name and line.
 */
struct pp_policy {
	const char *path;			/* the last file found */
	bool found;				/* any file at all */
	enum pp_range_source range_source;	/* UNSET: no range key */
	uint16_t range_first, range_last;
	unsigned range_line;
	unsigned max_user_port, max_user_port_line;
	unsigned pool_size, pool_size_line;
	struct pp_portlist reserved;
	struct pp_policy_entry *entry;		/* in reading order */
	size_t nentry;
	char **files;				/* owned copies of the paths */
	size_t nfiles;
};

/* text: len bytes and a NUL, none inside (pp_read_hostfile refuses one). */
int pp_policy_parse(const char *path, char *text, size_t len,
		    struct pp_policy *policy);
/* Every layer of cfg's policy: the host's and the program's file. */
int pp_policy_load(const struct portpool_config *cfg,
		   struct pp_policy *policy);
/* One file alone.  A missing file is an empty policy: policy->found. */
int pp_policy_read(const char *path, struct pp_policy *policy);
/* One more layer onto a policy. */
int pp_policy_add_file(struct pp_policy *policy, const char *path);
void pp_policy_free(struct pp_policy *policy);

/*
 * range.c: the effective range of a config: the program's range source
 * if it set one, else the policy file's, else [49152, 65535].
 */
int pp_range_resolve(const struct portpool_config *cfg,
		     const struct pp_policy *policy, uint16_t *first,
		     uint16_t *last);
const char *pp_range_source_name(const struct portpool_config *cfg,
				 const struct pp_policy *policy);
const char *pp_range_token(const struct portpool_config *cfg,
			   const struct pp_policy *policy);
int pp_system_range(const char *path, uint16_t *first, uint16_t *last);

/*
 * exclusions.c: every source of excluded ports, loaded from a config and
 * the host, and the candidate set they leave in the effective range.
 */
struct pp_exclusions {
	struct pp_policy policy;	/* its reserved list is src[POLICY] */
	/* by enum portpool_source; the RANGE slot stays empty */
	struct pp_portlist src[PORTPOOL_SOURCE_COUNT];
	unsigned long services_skipped;	/* malformed /etc/services lines */
};

int pp_exclusions_load(const struct portpool_config *cfg,
		       struct pp_exclusions *ex);
/* Both the exclusions and the effective range; nothing held on failure. */
int pp_sources_load(const struct portpool_config *cfg,
		    struct pp_exclusions *ex, uint16_t *first, uint16_t *last);
void pp_exclusions_free(struct pp_exclusions *ex);
int pp_read_reserved_ports(const char *path, struct pp_portlist *out);
/* With name_port, the first udp service name on that port goes to name. */
int pp_read_services(const char *path, struct pp_portlist *out,
		     unsigned name_port, char *name, size_t name_size);
/*
 * The same, counting in *skipped (if not NULL) the malformed lines it
 * skipped, as getservent() skips them.  The name is escaped.
 */
int pp_read_services_counted(const char *path, struct pp_portlist *out,
			     unsigned name_port, char *name, size_t name_size,
			     unsigned long *skipped);

struct pp_candidates {
	uint16_t first;
	uint16_t last;
	unsigned long count;		/* candidates in [first, last] */
	unsigned long excluded;		/* ports of the range excluded */
	unsigned long removed[PORTPOOL_SOURCE_COUNT]; /* by each source */
	const char *range_source;	/* "maxuserport", "system", ... */
	const char *range_token;	/* "default", "maxuserport", ... */
	bool range_from_policy;		/* the policy file chose the range */
	unsigned size;			/* program's, policy's or 2500 */
	unsigned long services_skipped;	/* malformed /etc/services lines */
	struct pp_bitmap set;
};

int pp_candidates_build(const struct portpool_config *cfg,
			struct pp_candidates *cand);

/* wellknown.c: the built-in table of UDP service ports. */
struct pp_well_known {
	uint16_t first;
	uint16_t last;
	const char *name;
};

extern const struct pp_well_known pp_well_known[];
extern const size_t pp_well_known_count;

/*
 * member.c: member sockets; the per-member system calls are inline in
 * member.h.  pp_member_bind() returns 0, 1 when the port is busy
 * (EADDRINUSE: callers skip it, so no sentence is written), or -1; the
 * socket stays the caller's to use or close.
 */
struct pp_member_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};
void pp_member_addr(const struct portpool_config *cfg,
		    struct pp_member_addr *addr);
/* Descriptors open in this process now, or -1 if it cannot be told. */
long pp_open_descriptors(void);
#define PP_NOFILE_HEADROOM 64u
/* What a call's raise of the soft RLIMIT_NOFILE did, to take it back. */
struct pp_nofile_undo {
	unsigned long before;
	unsigned long raised_to;	/* 0: nothing raised */
};
unsigned long pp_nofile_room(unsigned long needed, bool raise,
			     unsigned long *open_out, unsigned long *limit_out,
			     struct pp_nofile_undo *undo);
int pp_check_nofile(unsigned long needed, bool raise, const char *what,
		    struct pp_nofile_undo *undo);
void pp_nofile_restore(const struct pp_nofile_undo *undo);
void pp_close_keep_errno(int fd);

#endif /* PORTPOOL_INTERNAL_H */
