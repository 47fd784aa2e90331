/* SPDX-License-Identifier: ISC */
/* The pool's insides, shared by pool.c and refresh.c. */
#ifndef PORTPOOL_POOL_H
#define PORTPOOL_POOL_H

#include "internal.h"

struct pp_member {
	int fd;
	uint16_t port;
};

struct portpool {
	struct portpool_config cfg;	/* a private copy, for refresh */
	struct pp_rng *rng;
	struct pp_candidates cand;
	struct pp_bitmap free;		/* candidates no member holds */
	unsigned long nfree;
	size_t size;
	struct pp_member *member;
	struct portpool_stats stats;	/* the counters; the rest is derived */
	struct pp_nofile_undo nofile;	/* a raise to take back on failure */
	/* The address every member binds to, built once at open: a bind
	 * only writes its port into it. */
	struct pp_member_addr addr;
	/* portpool_moved(): size slots; a pool has at most 65,535 members,
	 * so 16 bits each keep the per-member memory low. */
	uint16_t *moved;
	size_t nmoved;
};

/*
 * A set of ports to draw from: a working copy of some candidate set less
 * what is held or found busy; every port in it lies in [first, last].
 */
struct pp_draw_set {
	struct pp_bitmap *free;
	unsigned long *nfree;
	uint16_t first;
	uint16_t last;
};

int pp_pool_draw(struct portpool *pool, const struct pp_draw_set *set,
		 uint16_t *port);
struct pp_draw_set pp_pool_free_set(struct portpool *pool);
unsigned long pp_pool_free_of(const struct portpool *pool,
			      const struct pp_bitmap *cand,
			      struct pp_bitmap *free);
void pp_pool_rebuild_free(struct portpool *pool);
int pp_pool_bind_one(struct portpool *pool, const struct pp_draw_set *set,
		     struct pp_member *fresh, unsigned long *busy);
void pp_pool_close_fds(struct pp_member *member, size_t n);
int pp_pool_check_index(const struct portpool *pool, size_t index,
			const char *fn);

#endif /* PORTPOOL_POOL_H */
