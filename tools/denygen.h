/* SPDX-License-Identifier: ISC */
/*
 * The published deny set of libportpool-preload.so, swapped safely
 * whatever the timing: a reader holds the set it reads, and a writer
 * fills only a buffer that no reader holds and that is not published.
 * Buffers are reused once free and never freed: there are as many as
 * readers ever stalled at once, plus one.
 */
#ifndef PORTPOOL_DENYGEN_H
#define PORTPOOL_DENYGEN_H

#include <stdint.h>

#include "denyset.h"

struct deny_gen;

/* The published set, held until deny_gen_put(); NULL before the first. */
const struct deny_gen *deny_gen_get(void);
void deny_gen_put(const struct deny_gen *gen);
const uint64_t *deny_gen_map(const struct deny_gen *gen);

/*
 * Fill a free buffer with fill(map, arg) and, when that returns >= 0,
 * publish it; returns what fill returned, or -1 (ENOMEM) with no buffer.
 * One writer at a time: the caller serialises them.
 */
int deny_gen_update(int (*fill)(uint64_t *map, void *arg), void *arg);

/*
 * For tests only: when set, deny_gen_get() calls it with the set it has
 * loaded and not yet counted itself in on, the point where a reload can
 * unpublish and refill that set.  Hidden, so never exported by the shim;
 * NULL otherwise, costing one well-predicted branch per get.
 */
extern void (*deny_gen_load_hook)(const struct deny_gen *gen)
	__attribute__((visibility("hidden")));

#endif
