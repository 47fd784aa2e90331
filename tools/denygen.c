// SPDX-License-Identifier: ISC
/*
 * Generations of the deny set: see denygen.h.
 *
 * A reader counts itself in on the set it loaded, then checks that the
 * set is still the published one; if not, it counts itself out and
 * tries again.  A writer takes a buffer only when it is not published
 * and counts no reader.  Both sides use sequentially consistent
 * operations, so of a reader counting itself in on a buffer and a
 * writer checking that buffer's count, at least one sees the other: a
 * reader that got in before the check stops the writer, and one that
 * got in after finds the buffer unpublished and leaves it before
 * reading a bit.  A buffer filled and published again is whole when a
 * reader sees it published.  So no reader ever reads a buffer while it
 * is zeroed or half filled, however long it stalls.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "denygen.h"

struct deny_gen {
	uint64_t map[DENY_WORDS];
	atomic_uint readers;
	struct deny_gen *next;		/* every buffer made: the writer's */
};

static _Atomic(struct deny_gen *) published;
static struct deny_gen *all;		/* touched by the writer only */

void (*deny_gen_load_hook)(const struct deny_gen *gen);

const struct deny_gen *deny_gen_get(void)
{
	for (;;) {
		struct deny_gen *gen = atomic_load(&published);

		if (!gen)
			return NULL;
		/* NULL but in test_hostlist, which stalls a reader here. */
		if (deny_gen_load_hook)
			deny_gen_load_hook(gen);
		atomic_fetch_add(&gen->readers, 1);
		if (atomic_load(&published) == gen)
			return gen;
		atomic_fetch_sub(&gen->readers, 1);
	}
}

void deny_gen_put(const struct deny_gen *gen)
{
	if (gen)
		atomic_fetch_sub(&((struct deny_gen *)gen)->readers, 1);
}

const uint64_t *deny_gen_map(const struct deny_gen *gen)
{
	return gen->map;
}

/* A buffer neither published nor held; a new one when every one is. */
static struct deny_gen *spare(void)
{
	struct deny_gen *cur = atomic_load(&published);

	for (struct deny_gen *gen = all; gen; gen = gen->next)
		if (gen != cur && atomic_load(&gen->readers) == 0)
			return gen;
	{
		struct deny_gen *gen = calloc(1, sizeof(*gen));

		if (!gen)
			return NULL;
		atomic_init(&gen->readers, 0);
		gen->next = all;
		all = gen;
		return gen;
	}
}

int deny_gen_update(int (*fill)(uint64_t *map, void *arg), void *arg)
{
	struct deny_gen *gen = spare();
	int rc;

	if (!gen) {
		errno = ENOMEM;
		return -1;
	}
	rc = fill(gen->map, arg);
	if (rc >= 0)
		atomic_store(&published, gen);
	return rc;
}
