/* SPDX-License-Identifier: ISC */
/*
 * Moving members: rotate one, give one port back, or move every member
 * the host's sources now exclude.  A new socket is always bound before
 * the old one is closed, and a failure leaves the pool as it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pool.h"

/*
 * The sentence for a move with nowhere to go; `verb` and `what` name the
 * move ("rotate member", 3) and `port` is the one that stays held.  A
 * pool as large as its candidates can never give a port back: say so,
 * and what would help.  Formatted only on failure: rotate is hot.
 */
static int no_free_port(const struct portpool *pool, const char *verb,
			unsigned long what, uint16_t port, unsigned long busy)
{
	char a[32], b[32], c[32], d[32];

	return pp_fail(EADDRNOTAVAIL, "cannot %s %lu: %s of %s candidates "
		       "in %u-%u %s free (the pool holds %s, %s found busy): "
		       "port %u stays held; make the pool smaller or the "
		       "range larger", verb, what, pp_grouped(pool->nfree, a),
		       pp_grouped(pool->cand.count, b), pool->cand.first,
		       pool->cand.last, pool->nfree == 1 ? "is" : "are",
		       pp_grouped(pool->size, c), pp_grouped(busy, d), port);
}

/*
 * Move member `index` to a random free candidate.  The old port goes
 * back to the free set unless it is being given up for good.
 */
static int move_member(struct portpool *pool, size_t index, bool keep_old,
		       const char *verb, unsigned long what)
{
	struct pp_member fresh, *m = &pool->member[index];
	struct pp_draw_set set = pp_pool_free_set(pool);
	unsigned long busy = 0;
	int rc, err;

	rc = pp_pool_bind_one(pool, &set, &fresh, &busy);
	if (rc == 0) {
		close(m->fd);
		if (keep_old) {
			pp_bitmap_set(&pool->free, m->port);
			pool->nfree++;
		}
		*m = fresh;
		if (busy)
			pp_pool_rebuild_free(pool);
		pool->moved[0] = (uint16_t)index;
		pool->nmoved = 1;
		return 0;
	}
	err = errno;
	pp_pool_rebuild_free(pool);
	errno = err;
	if (rc > 0)
		return no_free_port(pool, verb, what, m->port, busy);
	return -1;
}

PP_EXPORT int portpool_rotate(struct portpool *pool, size_t index)
{
	if (pp_pool_check_index(pool, index, "portpool_rotate") < 0)
		return -1;
	if (move_member(pool, index, true, "rotate member", index) < 0)
		return -1;
	pool->stats.rotations++;
	return 0;
}

PP_EXPORT int portpool_release_port(struct portpool *pool, uint16_t port)
{
	struct pp_portlist saved;
	size_t holder;

	if (!pool)
		return pp_fail(EINVAL, "portpool_release_port: the pool is "
			       "NULL");
	if (port == 0)
		return pp_fail(EINVAL, "portpool_release_port: port 0 is not "
			       "a port (1-65535)");
	if (pp_portlist_copy(&saved, &pool->cfg.reserved) < 0)
		return -1;
	if (pp_portlist_add(&pool->cfg.reserved, port, port) < 0) {
		pp_portlist_free(&saved);
		return -1;
	}
	for (holder = 0; holder < pool->size; holder++)
		if (pool->member[holder].port == port)
			break;
	if (holder < pool->size) {
		if (move_member(pool, holder, false, "release port",
				port) < 0) {
			int err = errno;

			pp_portlist_free(&pool->cfg.reserved);
			pool->cfg.reserved = saved;
			errno = err;
			return -1;
		}
	}
	pp_portlist_free(&saved);
	if (holder == pool->size)
		pool->nmoved = 0;	/* a success that moved nobody */
	pool->stats.releases++;
	if (pp_bitmap_test(&pool->cand.set, port)) {
		pp_bitmap_clear(&pool->cand.set, port);
		pool->cand.count--;
		pool->cand.excluded++;
	}
	if (pp_bitmap_test(&pool->free, port)) {
		pp_bitmap_clear(&pool->free, port);
		pool->nfree--;
	}
	return holder < pool->size;
}

/* Everything refresh builds before it may touch the pool. */
struct refresh_work {
	struct pp_candidates cand;
	struct pp_bitmap free;
	unsigned long nfree;
	size_t nmove;
	size_t *index;			/* which members move */
	struct pp_member *fresh;	/* their new sockets */
	size_t bound;
	struct pp_nofile_undo nofile;	/* a raise to take back on failure */
};

static void refresh_work_free(struct refresh_work *w)
{
	pp_pool_close_fds(w->fresh, w->bound);
	free(w->index);
	free(w->fresh);
	free(w);
}

static int refresh_bind(struct portpool *pool, struct refresh_work *w)
{
	char a[32], b[32], c[32], d[32], e[32], f[32], more[48] = "";
	unsigned long busy = 0, nfree;
	/* Draw over the new range: the old one may not even overlap it. */
	struct pp_draw_set set = { &w->free, &w->nfree, w->cand.first,
				   w->cand.last };

	nfree = w->nfree = pp_pool_free_of(pool, &w->cand.set, &w->free);
	if (pp_check_nofile(w->nmove,
			    !(pool->cfg.flags & PORTPOOL_NO_RAISE_NOFILE),
			    "refresh moving members", &w->nofile) < 0)
		return -1;
	while (w->bound < w->nmove) {
		int rc = pp_pool_bind_one(pool, &set, &w->fresh[w->bound],
					  &busy);

		if (rc < 0)
			return -1;
		if (rc == 0) {
			w->bound++;
			continue;
		}
		/* Name the first port that stays held: a caller that just
		 * reserved it looks for it. */
		if (w->nmove > 1)
			snprintf(more, sizeof(more), " and %s more",
				 pp_grouped(w->nmove - 1, f));
		return pp_fail(EADDRNOTAVAIL, "refresh must move %s member%s "
			       "but found a free candidate port for only %s: "
			       "%s of %s candidates in %u-%u %s free (%s found "
			       "busy): the pool is unchanged, port %u%s stay%s "
			       "held; make the pool smaller or the range "
			       "larger",
			       pp_grouped(w->nmove, a),
			       w->nmove == 1 ? "" : "s",
			       pp_grouped(w->bound, b), pp_grouped(nfree, c),
			       pp_grouped(w->cand.count, d), w->cand.first,
			       w->cand.last, nfree == 1 ? "is" : "are",
			       pp_grouped(busy, e),
			       pool->member[w->index[0]].port, more,
			       w->nmove == 1 ? "s" : "");
	}
	return 0;
}

PP_EXPORT int portpool_refresh(struct portpool *pool)
{
	struct refresh_work *w;
	size_t moved;

	if (!pool)
		return pp_fail(EINVAL, "portpool_refresh: the pool is NULL");
	w = calloc(1, sizeof(*w));
	if (!w)
		return pp_fail(ENOMEM, "out of memory for a refresh");
	if (pp_candidates_build(&pool->cfg, &w->cand) < 0)
		goto fail;
	for (size_t i = 0; i < pool->size; i++)
		if (!pp_bitmap_test(&w->cand.set, pool->member[i].port))
			w->nmove++;
	if (w->nmove) {
		w->index = malloc(w->nmove * sizeof(*w->index));
		w->fresh = malloc(w->nmove * sizeof(*w->fresh));
		if (!w->index || !w->fresh) {
			pp_fail(ENOMEM, "out of memory to move %zu members",
				w->nmove);
			goto fail;
		}
		for (size_t i = 0, n = 0; i < pool->size; i++)
			if (!pp_bitmap_test(&w->cand.set,
					    pool->member[i].port))
				w->index[n++] = i;
		if (refresh_bind(pool, w) < 0)
			goto fail;
	}
	/* Every new socket is bound: now the pool may change. */
	for (size_t n = 0; n < w->nmove; n++) {
		struct pp_member *m = &pool->member[w->index[n]];

		close(m->fd);
		*m = w->fresh[n];
		pool->moved[n] = (uint16_t)w->index[n];	/* ascending */
	}
	pool->nmoved = w->nmove;
	pool->cand = w->cand;
	pp_pool_rebuild_free(pool);
	moved = w->nmove;
	pool->stats.refreshes++;
	pool->stats.refresh_moves += moved;
	w->bound = 0;	/* the pool owns them now */
	refresh_work_free(w);
	return (int)moved;
fail:
	pp_nofile_restore(&w->nofile);
	refresh_work_free(w);
	return -1;
}

/*
 * The members the last successful move replaced.  Returns how many there
 * are even when `max` is smaller, so that a caller can size its array;
 * a failed call left the list as it was, like everything else.
 */
PP_EXPORT size_t portpool_moved(const struct portpool *pool, size_t *index,
				size_t max)
{
	size_t n;

	if (!pool) {
		pp_fail(EINVAL, "portpool_moved: the pool is NULL");
		return 0;
	}
	if (!index)
		max = 0;
	n = pool->nmoved < max ? pool->nmoved : max;
	for (size_t i = 0; i < n; i++)
		index[i] = pool->moved[i];
	return pool->nmoved;
}
