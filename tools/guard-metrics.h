/* SPDX-License-Identifier: ISC */
/*
 * portpool-guard status --metrics: what the guard knows, in Prometheus'
 * text format.  The caller reads the pinned maps; guard-metrics.c only
 * prints, so that what the guard learns later (owners, namespaces) is a
 * field added here and a few lines there.
 */
#ifndef PORTPOOL_GUARD_METRICS_H
#define PORTPOOL_GUARD_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/types.h>

struct guard_metrics {
	const uint64_t *deny;	/* the deny set: DENY_WORDS words */
	/* 65536 counters, the pinned map's values: binds refused */
	const __u64 *refused;
	size_t attached_bind4;	/* cgroups with the bind4 program */
	size_t attached_bind6;	/* cgroups with the bind6 program */
};

/* Print m to out: 0, or -1 if out could not be written. */
int guard_metrics(FILE *out, const struct guard_metrics *m);

#endif
