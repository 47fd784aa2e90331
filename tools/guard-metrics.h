/* SPDX-License-Identifier: ISC */
/*
 * portpool-guard status --metrics: what the guard knows, in Prometheus'
 * text format.  The caller reads the pinned maps; guard-metrics.c only
 * prints, so that what the guard learns later is a field added here and
 * a few lines there.
 */
#ifndef PORTPOOL_GUARD_METRICS_H
#define PORTPOOL_GUARD_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/types.h>

#include "guard.h"

/* One registration: an owner's cgroup and port, and its binds. */
struct guard_owner_metric {
	__u64 cgroup;		/* the cgroup id */
	__u32 port;
	__u64 allowed;		/* binds of the port it was allowed */
	const char *path;	/* NULL: the cgroup is gone */
};

struct guard_metrics {
	const uint64_t *deny;	/* this namespace's deny set: DENY_WORDS */
	/* 65536 counters each, per port: binds refused (the pinned map's
	 * values) and binds of denied ports allowed to owners */
	const __u64 *refused;
	const __u64 *allowed;
	size_t attached_bind4;	/* cgroups with the bind4 program */
	size_t attached_bind6;	/* cgroups with the bind6 program */
	const struct ns_info *ns;	/* NS_SLOTS slots, the used ones */
	const struct guard_owner_metric *owners;
	size_t nowners;
};

/* Print m to out: 0, or -1 if out could not be written. */
int guard_metrics(FILE *out, const struct guard_metrics *m);

#endif
