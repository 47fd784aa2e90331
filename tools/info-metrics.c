/* SPDX-License-Identifier: ISC */
/*
 * --metrics: the census and the audit's counts in Prometheus' text
 * exposition format 0.0.4, for node_exporter's textfile collector.
 * Everything is read before the first line is printed, so that a
 * failure leaves no half-written file for the collector to read.
 *
 * Names follow Prometheus' practice: the portpool_ prefix, the unit
 * last (ports, sockets), no _total (these are gauges: each run
 * counts afresh), one HELP and one TYPE line per family.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "info.h"

static void family(const char *name, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void gauge(const char *name, const char *help, uint64_t value)
{
	family(name, help);
	printf("%s %" PRIu64 "\n", name, value);
}

int metrics_run(const struct portpool_config *cfg)
{
	struct portpool_census census;
	struct audit_counts *a = malloc(sizeof(*a));
	const struct portpool_census *c = &census;

	if (!a) {
		fprintf(stderr, "portpool-info: out of memory\n");
		return INFO_FAILED;
	}
	if (portpool_census(cfg, &census, sizeof(census)) < 0) {
		fprintf(stderr, "portpool-info: %s\n", portpool_error());
		free(a);
		return INFO_FAILED;
	}
	if (audit_count(cfg, a) < 0) {
		free(a);
		return INFO_FAILED;
	}

	family("portpool_build_info",
	       "The libportpool version portpool-info runs with.");
	printf("portpool_build_info{version=\"%s\"} 1\n", portpool_version());
	gauge("portpool_range_first_port",
	      "First port of the effective range.", c->first);
	gauge("portpool_range_last_port",
	      "Last port of the effective range.", c->last);
	gauge("portpool_range_ports", "Ports in the effective range.",
	      c->range_ports);
	gauge("portpool_candidate_ports",
	      "Ports of the range no exclusion source removes.",
	      c->candidates);
	gauge("portpool_range_excluded_ports",
	      "Ports of the range some exclusion source removes.",
	      c->excluded);
	family("portpool_excluded_ports",
	       "Ports of the range each exclusion source removes "
	       "(a port may count under several).");
	for (int s = PORTPOOL_SOURCE_CALLER; s < PORTPOOL_SOURCE_COUNT; s++)
		printf("portpool_excluded_ports{source=\"%s\"} %" PRIu64 "\n",
		       portpool_source_token(s), c->removed[s]);
	gauge("portpool_weak",
	      "1 when the candidates are fewer than 13788 (porttest's GREAT "
	      "needs them), else 0.", (uint64_t)(c->weak != 0));
	/* In bits, but promtool's lint takes _bits for a unit of size. */
	family("portpool_fresh_port_entropy",
	       "Bits of a fresh port: log2 of the candidate ports.");
	printf("portpool_fresh_port_entropy %.4f\n", c->fresh_bits);
	gauge("portpool_pool_size_sockets",
	      "The pool size portpool_open() would use.", c->size);
	gauge("portpool_etc_services_skipped_lines",
	      "Malformed lines of /etc/services the library skipped.",
	      c->services_skipped);
	gauge("portpool_audit_checked_sockets",
	      "Bound UDP and listening TCP sockets of this network "
	      "namespace.", a->checked);
	gauge("portpool_candidate_udp_sockets",
	      "UDP sockets bound on candidate ports, socket pools' included.",
	      a->udp_candidate);
	gauge("portpool_at_risk_sockets",
	      "Bound UDP and listening TCP sockets on candidate ports, "
	      "outside socket pools (portpool-info --audit).", a->at_risk);
	gauge("portpool_socket_pools",
	      "Processes taken for socket pools that hold candidate ports.",
	      a->pools);
	gauge("portpool_socket_pool_member_sockets",
	      "Socket pools' UDP sockets on candidate ports.", a->pooled);
	free(a);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "portpool-info: cannot write the metrics\n");
		return INFO_FAILED;
	}
	return INFO_OK;
}
