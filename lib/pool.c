/* SPDX-License-Identifier: ISC */
/*
 * The pool: open, close, accessors and pick, and the two pieces every
 * bind shares: drawing a free port (pp_pool_draw) and binding a new
 * socket to one (pp_pool_bind_one).  Moving members (rotate, release,
 * refresh) lives in refresh.c.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "member.h"
#include "pool.h"

/*
 * A uniformly random port of the set, taken out of it.  While at least
 * one port in PP_DRAW_SPARSE is free, a draw over the whole range finds
 * one in a few tries of a few nanoseconds each; past that, or after an
 * unlucky run of misses, an exact rank selection (up to 1,024 popcounts,
 * microseconds) takes over.  Both paths are uniform over the free ports,
 * so their mix is too.  Returns 1 if no port is left.
 */
#define PP_DRAW_SPARSE	16
#define PP_DRAW_TRIES	64

int pp_pool_draw(struct portpool *pool, const struct pp_draw_set *set,
		 uint16_t *port)
{
	unsigned first = set->first;
	uint32_t span = (uint32_t)(set->last - first + 1u), r;
	unsigned p;

	if (*set->nfree == 0)
		return 1;
	for (int tries = 0; tries < PP_DRAW_TRIES &&
	     *set->nfree * PP_DRAW_SPARSE >= span; tries++) {
		if (pp_rng_uniform(pool->rng, span, &r) < 0)
			return -1;
		p = first + r;
		if (pp_bitmap_test(set->free, p))
			goto take;
	}
	if (pp_rng_uniform(pool->rng, (uint32_t)*set->nfree, &r) < 0)
		return -1;
	p = pp_bitmap_select(set->free, first, r);
take:
	pp_bitmap_clear(set->free, p);
	(*set->nfree)--;
	*port = (uint16_t)p;
	return 0;
}

/* The pool's own free set, to draw from. */
struct pp_draw_set pp_pool_free_set(struct portpool *pool)
{
	struct pp_draw_set set = { &pool->free, &pool->nfree,
				   pool->cand.first, pool->cand.last };

	return set;
}

/* The candidates no member holds: how many, into *free. */
unsigned long pp_pool_free_of(const struct portpool *pool,
			      const struct pp_bitmap *cand,
			      struct pp_bitmap *free)
{
	*free = *cand;
	for (size_t i = 0; i < pool->size; i++)
		pp_bitmap_clear(free, pool->member[i].port);
	return pp_bitmap_count(free);
}

/* After a move or a skip: busy ports come back, held ones stay out. */
void pp_pool_rebuild_free(struct portpool *pool)
{
	pool->nfree = pp_pool_free_of(pool, &pool->cand.set, &pool->free);
}

void pp_pool_close_fds(struct pp_member *member, size_t n)
{
	int err = errno;

	for (size_t i = 0; i < n; i++)
		close(member[i].fd);
	errno = err;
}

static struct portpool *open_fail(struct portpool *pool, size_t bound)
{
	int err = errno;

	pp_nofile_restore(&pool->nofile);
	if (pool->member)
		pp_pool_close_fds(pool->member, bound);
	free(pool->member);
	free(pool->moved);
	pp_rng_free(pool->rng);
	pp_config_release(&pool->cfg);
	free(pool);
	errno = err;
	return NULL;
}

/*
 * Bind one new socket to a port drawn from the set.  A busy port stays
 * out of the set (the caller rebuilds it when *busy says so) and the same
 * socket tries the next one.  Returns 1 when no free port is left.
 * Inline in an open's loop, for the reason member.h gives.
 */
static inline int bind_one(struct portpool *pool,
			   const struct pp_draw_set *set,
			   struct pp_member *fresh, unsigned long *busy)
{
	int fd, rc;

	if (*set->nfree == 0)
		return 1;
	if (pp_member_socket(&pool->cfg, &fd) < 0)
		return -1;
	for (;;) {
		rc = pp_pool_draw(pool, set, &fresh->port);
		if (rc != 0)
			break;
		pool->stats.bind_attempts++;
		rc = pp_member_bind(&pool->cfg, fd, &pool->addr, fresh->port);
		if (rc == 0) {
			fresh->fd = fd;
			return 0;
		}
		if (rc < 0)
			break;
		pool->stats.busy_skipped++;
		(*busy)++;
	}
	pp_close_keep_errno(fd);
	return rc;
}

int pp_pool_bind_one(struct portpool *pool, const struct pp_draw_set *set,
		     struct pp_member *fresh, unsigned long *busy)
{
	return bind_one(pool, set, fresh, busy);
}

/*
 * Bind members until the pool is full.  With PORTPOOL_OPEN_PARTIAL,
 * running out of free candidates ends the pool early instead of failing
 * it, as long as one member is bound.
 */
static int bind_members(struct portpool *pool, size_t *bound)
{
	char a[32], b[32], c[32], d[32];
	bool partial = pool->cfg.flags & PORTPOOL_OPEN_PARTIAL;
	struct pp_draw_set set = pp_pool_free_set(pool);
	unsigned long busy = 0;

	while (*bound < pool->size) {
		int rc = bind_one(pool, &set, &pool->member[*bound], &busy);

		/*
		 * Out of free ports, or of descriptors after all (no /proc to
		 * count them up front, or another thread took some): a
		 * partial pool ends with the members it has.
		 */
		if (rc != 0 && partial && *bound > 0 &&
		    (rc > 0 || errno == EMFILE || errno == ENFILE)) {
			pool->size = *bound;
			return 0;
		}
		if (rc < 0)
			return -1;
		if (rc > 0)
			return pp_fail(EADDRNOTAVAIL, "pool of %s: only %s of "
				       "%s candidate ports in %u-%u could be "
				       "bound; %s were busy",
				       pp_grouped(pool->size, a),
				       pp_grouped(*bound, b),
				       pp_grouped(pool->cand.count, c),
				       pool->cand.first, pool->cand.last,
				       pp_grouped(busy, d));
		(*bound)++;
	}
	return 0;
}

/*
 * How many members to open: the size asked for, or with
 * PORTPOOL_OPEN_PARTIAL as many as candidates and descriptors allow.
 * Either way the answer is known before anything is bound.
 */
static int fit_size(struct portpool *pool, size_t wanted)
{
	char a[32], b[32], c[32], d[32];
	unsigned int flags = pool->cfg.flags;
	unsigned long open_now = 0, limit = 0, room;

	pool->size = wanted;
	if (pool->cand.count < pool->size) {
		if ((flags & PORTPOOL_OPEN_PARTIAL) && pool->cand.count > 0)
			pool->size = pool->cand.count;
		else
			return pp_fail(EADDRNOTAVAIL, "pool of %s does not "
				       "fit: %s candidate ports in %u-%u after "
				       "%s exclusions", pp_grouped(wanted, a),
				       pp_grouped(pool->cand.count, b),
				       pool->cand.first, pool->cand.last,
				       pp_grouped(pool->cand.excluded, c));
	}
	room = pp_nofile_room(pool->size, !(flags & PORTPOOL_NO_RAISE_NOFILE),
			      &open_now, &limit, &pool->nofile);
	if (room >= pool->size)
		return 0;
	/*
	 * A partial pool leaves some descriptors to the rest of the
	 * program, and one to rotate with: 64, or half the room when
	 * that is less.
	 */
	if ((flags & PORTPOOL_OPEN_PARTIAL) && room > 0) {
		pool->size = room - (room / 2 < PP_NOFILE_HEADROOM ?
				     room / 2 : PP_NOFILE_HEADROOM);
		return 0;
	}
	return pp_fail(EMFILE, "pool of %s needs %s descriptors: %s are open "
		       "and RLIMIT_NOFILE is %s", pp_grouped(wanted, a),
		       pp_grouped(pool->size, b), pp_grouped(open_now, c),
		       pp_grouped(limit, d));
}

PP_EXPORT struct portpool *portpool_open(const struct portpool_config *cfg)
{
	struct portpool_config defaults;
	struct portpool *pool;
	size_t bound = 0;

	cfg = pp_config_or_defaults(cfg, &defaults);
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return pp_fail_null(ENOMEM, "out of memory for a pool");
	if (pp_config_copy(&pool->cfg, cfg) < 0) {
		free(pool);
		return NULL;
	}
	pp_member_addr(&pool->cfg, &pool->addr);
	if (pp_candidates_build(&pool->cfg, &pool->cand) < 0 ||
	    fit_size(pool, pool->cand.size) < 0)
		return open_fail(pool, 0);
	pool->member = calloc(pool->size, sizeof(*pool->member));
	/* Room for every index up front: a move cannot fail on memory. */
	pool->moved = calloc(pool->size, sizeof(*pool->moved));
	if (!pool->member || !pool->moved) {
		pp_fail(ENOMEM, "out of memory for a pool of %zu", pool->size);
		return open_fail(pool, 0);
	}
	pool->rng = pp_rng_new();
	if (!pool->rng)
		return open_fail(pool, 0);
	pool->free = pool->cand.set;
	pool->nfree = pool->cand.count;
	if (bind_members(pool, &bound) < 0)
		return open_fail(pool, bound);
	/*
	 * Every draw took its port out of the free set: without a busy
	 * one, what is left is exactly the candidates no member holds, and
	 * the rebuild (an 8 KiB copy and a count) can be spared.
	 */
	if (pool->stats.busy_skipped)
		pp_pool_rebuild_free(pool);
	return pool;
}

PP_EXPORT void portpool_close(struct portpool *pool)
{
	if (!pool)
		return;
	pp_pool_close_fds(pool->member, pool->size);
	free(pool->member);
	free(pool->moved);
	pp_rng_free(pool->rng);
	pp_config_release(&pool->cfg);
	free(pool);
}

PP_EXPORT size_t portpool_size(const struct portpool *pool)
{
	return pool ? pool->size : 0;
}

int pp_pool_check_index(const struct portpool *pool, size_t index,
			const char *fn)
{
	if (!pool)
		return pp_fail(EINVAL, "%s: the pool is NULL", fn);
	if (index >= pool->size)
		return pp_fail(EINVAL, "%s: member %zu does not exist: the "
			       "pool has members 0-%zu", fn, index,
			       pool->size - 1);
	return 0;
}

PP_EXPORT int portpool_fd(const struct portpool *pool, size_t index)
{
	if (pp_pool_check_index(pool, index, "portpool_fd") < 0)
		return -1;
	return pool->member[index].fd;
}

PP_EXPORT uint16_t portpool_port(const struct portpool *pool, size_t index)
{
	if (pp_pool_check_index(pool, index, "portpool_port") < 0)
		return 0;
	return pool->member[index].port;
}

PP_EXPORT int portpool_pick(struct portpool *pool)
{
	uint32_t index;

	if (!pool)
		return pp_fail(EINVAL, "portpool_pick: the pool is NULL");
	if (pp_rng_uniform(pool->rng, (uint32_t)pool->size, &index) < 0)
		return -1;
	return (int)index;
}

PP_EXPORT int portpool_stats(const struct portpool *pool,
			     struct portpool_stats *stats_out, size_t size)
{
	struct portpool_stats answer, *stats = &answer;

	if (!pool || !stats_out)
		return pp_fail(EINVAL, "portpool_stats: the %s is NULL",
			       pool ? "stats" : "pool");
	*stats = pool->stats;
	stats->size = pool->size;
	stats->candidates = pool->cand.count;
	stats->free = pool->nfree;
	stats->fresh_bits = pool->cand.count ?
			    log2((double)pool->cand.count) : 0;
	stats->pick_bits = log2((double)pool->size);
	return pp_result_copy(stats_out, size, stats, sizeof(*stats),
			      PP_STATS_SIZE_1_0, "portpool_stats");
}
