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

#endif
