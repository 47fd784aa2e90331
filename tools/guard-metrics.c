/* SPDX-License-Identifier: ISC */
/*
 * portpool-guard status --metrics: the deny set's size, where the
 * programs are attached and the binds refused per port, in Prometheus'
 * text exposition format 0.0.4, for node_exporter's textfile collector
 * (portpool-metrics.service writes it there).  The refusals are counters
 * (_total): the BPF map only grows, and starts again from 0 when the
 * guard is loaded afresh, which Prometheus reads as a counter reset.
 * Only ports with a refusal get a series, so that the output stays as
 * small as what happened.
 */
#include <inttypes.h>

#include "denyset.h"
#include "guard-metrics.h"

static void family(FILE *out, const char *name, const char *type,
		   const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int guard_metrics(FILE *out, const struct guard_metrics *m)
{
	uint64_t ports = 0, total = 0;

	for (size_t w = 0; w < DENY_WORDS; w++)
		ports += (uint64_t)__builtin_popcountll(m->deny[w]);
	family(out, "portpool_guard_loaded", "gauge",
	       "1: the guard's programs and maps are pinned.");
	fprintf(out, "portpool_guard_loaded 1\n");
	family(out, "portpool_guard_deny_ports", "gauge",
	       "Ports in the guard's deny set.");
	fprintf(out, "portpool_guard_deny_ports %" PRIu64 "\n", ports);
	family(out, "portpool_guard_attached_cgroups", "gauge",
	       "Cgroups the guard's program is attached to, per hook.");
	fprintf(out, "portpool_guard_attached_cgroups{hook=\"bind4\"} %zu\n"
		"portpool_guard_attached_cgroups{hook=\"bind6\"} %zu\n",
		m->attached_bind4, m->attached_bind6);
	family(out, "portpool_guard_binds_refused_total", "counter",
	       "Explicit UDP binds the guard refused, per port.");
	for (unsigned p = 0; p < 65536; p++) {
		if (!m->refused[p])
			continue;
		total += m->refused[p];
		fprintf(out, "portpool_guard_binds_refused_total{port=\"%u\"} "
			"%llu\n", p, (unsigned long long)m->refused[p]);
	}
	/* A family with no series yet still says it exists: the sum is
	 * there from the start, at 0. */
	family(out, "portpool_guard_binds_refused_all_total", "counter",
	       "Explicit UDP binds the guard refused, all ports.");
	fprintf(out, "portpool_guard_binds_refused_all_total %" PRIu64 "\n",
		total);
	return fflush(out) != 0 || ferror(out) ? -1 : 0;
}
