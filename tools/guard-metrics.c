/* SPDX-License-Identifier: ISC */
/*
 * portpool-guard status --metrics: the deny set's size, where the
 * programs are attached, the binds refused and allowed per port, per
 * network namespace and per owner, in Prometheus' text exposition format
 * 0.0.4, for node_exporter's textfile collector (portpool-metrics.service
 * writes it there).  The binds are counters (_total): the BPF maps only
 * grow, and start again from 0 when the guard is loaded afresh, which
 * Prometheus reads as a counter reset.  Only ports, namespaces and
 * owners the guard has get a series, so that the output stays as small
 * as what is there.  A label that is not known (the path of a namespace
 * a command gave by running in it, the path of a removed cgroup) is left
 * out, which Prometheus reads as empty.
 */
#include <inttypes.h>

#include "denyset.h"
#include "guard-metrics.h"
#include "out.h"

static void family(FILE *out, const char *name, const char *type,
		   const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{port="p"} count for each port with a count, then name_all the
 * sum, there from the start (a family with no series yet still says it
 * exists). */
static void per_port(FILE *out, const char *name, const char *all,
		     const char *what, const __u64 *count)
{
	char help[160];
	uint64_t total = 0;

	snprintf(help, sizeof(help), "Explicit UDP binds %s, per port.", what);
	family(out, name, "counter", help);
	for (unsigned p = 0; p < 65536; p++) {
		if (!count[p])
			continue;
		total += count[p];
		fprintf(out, "%s{port=\"%u\"} %llu\n", name, p,
			(unsigned long long)count[p]);
	}
	snprintf(help, sizeof(help), "Explicit UDP binds %s, all ports.",
		 what);
	family(out, all, "counter", help);
	fprintf(out, "%s %" PRIu64 "\n", all, total);
}

/* The labels of a namespace: its cookie, and its path when kept. */
static void ns_labels(FILE *out, const struct ns_info *ns)
{
	fprintf(out, "{netns=\"%llu\"", (unsigned long long)ns->cookie);
	if (ns->path[0]) {
		fputs(",path=", out);
		prom_label(out, ns->path);
	}
	putc('}', out);
}

static void per_ns(FILE *out, const struct ns_info *ns)
{
	static const struct {
		const char *name, *type, *help;
	} fam[3] = {
		{ "portpool_guard_netns_deny_ports", "gauge",
		  "Ports in the deny set of a network namespace (netns: its "
		  "cookie)." },
		{ "portpool_guard_netns_binds_refused_total", "counter",
		  "Explicit UDP binds the guard refused in a network "
		  "namespace." },
		{ "portpool_guard_netns_binds_allowed_total", "counter",
		  "Explicit UDP binds of denied ports allowed to owners in a "
		  "network namespace." },
	};

	for (int f = 0; f < 3; f++) {
		family(out, fam[f].name, fam[f].type, fam[f].help);
		for (int i = 0; i < NS_SLOTS; i++) {
			unsigned long long v = f == 0 ? ns[i].ports :
				f == 1 ? ns[i].refused : ns[i].allowed;

			if (!(ns[i].flags & NS_USED))
				continue;
			fputs(fam[f].name, out);
			ns_labels(out, &ns[i]);
			fprintf(out, " %llu\n", v);
		}
	}
}

static void per_owner(FILE *out, const struct guard_metrics *m)
{
	static const char name[] = "portpool_guard_owner_binds_allowed_total";

	family(out, name, "counter", "Explicit UDP binds of a denied port "
	       "allowed to its owner, per registration (cgroup: its path, "
	       "absent when removed).");
	for (size_t i = 0; i < m->nowners; i++) {
		const struct guard_owner_metric *o = &m->owners[i];

		fprintf(out, "%s{", name);
		if (o->path) {
			fputs("cgroup=", out);
			prom_label(out, o->path);
			putc(',', out);
		}
		fprintf(out, "cgroup_id=\"%llu\",port=\"%u\"} %llu\n",
			(unsigned long long)o->cgroup, o->port,
			(unsigned long long)o->allowed);
	}
}

int guard_metrics(FILE *out, const struct guard_metrics *m)
{
	uint64_t ports = 0;

	for (size_t w = 0; w < DENY_WORDS; w++)
		ports += (uint64_t)__builtin_popcountll(m->deny[w]);
	family(out, "portpool_guard_loaded", "gauge",
	       "1: the guard's programs and maps are pinned.");
	fprintf(out, "portpool_guard_loaded 1\n");
	family(out, "portpool_guard_deny_ports", "gauge",
	       "Ports in the deny set of the network namespace status ran "
	       "in.");
	fprintf(out, "portpool_guard_deny_ports %" PRIu64 "\n", ports);
	family(out, "portpool_guard_attached_cgroups", "gauge",
	       "Cgroups the guard's program is attached to, per hook.");
	fprintf(out, "portpool_guard_attached_cgroups{hook=\"bind4\"} %zu\n"
		"portpool_guard_attached_cgroups{hook=\"bind6\"} %zu\n",
		m->attached_bind4, m->attached_bind6);
	per_port(out, "portpool_guard_binds_refused_total",
		 "portpool_guard_binds_refused_all_total",
		 "the guard refused", m->refused);
	per_port(out, "portpool_guard_binds_allowed_total",
		 "portpool_guard_binds_allowed_all_total",
		 "of denied ports allowed to owners", m->allowed);
	per_ns(out, m->ns);
	per_owner(out, m);
	return fflush(out) != 0 || ferror(out) ? -1 : 0;
}
