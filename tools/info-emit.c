/* SPDX-License-Identifier: ISC */
/*
 * --emit DAEMON: the settings that make a daemon which does not link
 * the library avoid the host's exclusions, from the library's own
 * sources.  The daemons choose explicit source ports and never read the
 * kernel's reserved list; these lines make them skip the ports instead
 * of having a bind fail.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "info.h"

#define RESERVED_FILE "/proc/sys/net/ipv4/ip_local_reserved_ports"
/* Outgoing ports below this are never drawn by these daemons. */
#define LOW 1024
/* systemd(5): SocketBindDeny= takes at most 128 rules. */
#define SYSTEMD_RULES 128

struct exclusions {
	uint16_t first, last;		/* the pool's effective range */
	struct portmap all;		/* every source, LOW-65535 */
	struct portmap reserved;	/* caller, kernel, policy only */
};

static int load(struct portpool_config *cfg, struct exclusions *x)
{
	struct portmap *src = malloc(sizeof(*src));
	int rc = -1;

	if (!src) {
		fprintf(stderr, "portpool-info: out of memory\n");
		return -1;
	}
	memset(x, 0, sizeof(*x));
	if (portpool_effective_range(cfg, &x->first, &x->last) < 0)
		goto fail;
	/* The sources over every port, not only the pool's range: the
	 * daemon's own range is its own. */
	if (portpool_config_set_range(cfg, LOW, 65535) < 0)
		goto fail;
	for (int s = PORTPOOL_SOURCE_CALLER; s < PORTPOOL_SOURCE_COUNT; s++) {
		if (source_map(cfg, s, src) < 0)
			goto fail;
		for (size_t i = 0; i < PORT_WORDS; i++) {
			x->all.w[i] |= src->w[i];
			if (s <= PORTPOOL_SOURCE_POLICY)
				x->reserved.w[i] |= src->w[i];
		}
	}
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "portpool-info: %s\n", portpool_error());
out:
	free(src);
	return rc;
}

static void header(const char *daemon, const struct portmap *m,
		   const char *sources)
{
	size_t n = 0;

	for (size_t i = 0; i < PORT_WORDS; i++)
		n += (size_t)__builtin_popcountll(m->w[i]);
	printf("# portpool-info --emit %s: %zu port%s in %zu range%s\n"
	       "# from %s\n", daemon, n, n == 1 ? "" : "s", portmap_spans(m),
	       portmap_spans(m) == 1 ? "" : "s", sources);
}

static const char all_sources[] = "the program, the kernel's list, the "
	"policy file, well-known services, /etc/services";
static const char reserved_sources[] = "the program, the kernel's list, "
	"the policy file";

/* Call out for each span of m, in order. */
static void each_span(const struct portmap *m,
		      void (*out)(unsigned, unsigned))
{
	unsigned p = 0;

	while (p <= 65535) {
		unsigned first;

		if (!portmap_has(m, p)) {
			p++;
			continue;
		}
		first = p;
		while (p <= 65535 && portmap_has(m, p))
			p++;
		out(first, p - 1);
	}
}

static void unbound_line(unsigned first, unsigned last)
{
	if (first == last)
		printf("\toutgoing-port-avoid: %u\n", first);
	else
		printf("\toutgoing-port-avoid: %u-%u\n", first, last);
}

static void bind_item(unsigned first, unsigned last)
{
	if (first == last)
		printf(" %u;", first);
	else
		printf(" range %u %u;", first, last);
}

static void systemd_line(unsigned first, unsigned last)
{
	if (first == last)
		printf("SocketBindDeny=udp:%u\n", first);
	else
		printf("SocketBindDeny=udp:%u-%u\n", first, last);
}

static int emit_unbound(const struct exclusions *x)
{
	header("unbound", &x->all, all_sources);
	printf("# unbound.conf: outgoing ports unbound never uses\n");
	printf("server:\n");
	each_span(&x->all, unbound_line);
	return 0;
}

static int emit_bind(const struct exclusions *x)
{
	header("bind", &x->all, all_sources);
	printf("# named.conf, inside options { }, for BIND 9.18 and 9.20.\n"
	       "# BIND 9.21 removed avoid-v4-udp-ports and "
	       "avoid-v6-udp-ports:\n"
	       "# there, keep the kernel's list (--emit sysctl) instead.\n");
	for (int v = 4; v <= 6; v += 2) {
		printf("\tavoid-v%d-udp-ports {", v);
		each_span(&x->all, bind_item);
		printf(" };\n");
	}
	return 0;
}

static int emit_pdns(const struct exclusions *x)
{
	int first = 1;

	header("pdns-recursor", &x->all, all_sources);
	printf("# recursor.conf: the pool's range, and each excluded port "
	       "in it\n# (udp-source-port-avoid takes single ports)\n");
	printf("udp-source-port-min=%u\nudp-source-port-max=%u\n", x->first,
	       x->last);
	printf("udp-source-port-avoid=");
	for (unsigned p = x->first; p <= x->last; p++) {
		if (!portmap_has(&x->all, p))
			continue;
		printf("%s%u", first ? "" : ",", p);
		first = 0;
	}
	printf("\n");
	return 0;
}

static int emit_dnsmasq(const struct exclusions *x)
{
	unsigned best = 0, best_len = 0, run = 0;

	/* The longest run of the range that no source touches. */
	for (unsigned p = x->first; p <= x->last; p++) {
		run = portmap_has(&x->all, p) ? 0 : run + 1;
		if (run > best_len) {
			best_len = run;
			best = p + 1 - run;
		}
	}
	header("dnsmasq", &x->all, all_sources);
	printf("# dnsmasq >= 2.85 without min-port and max-port binds port 0"
	       ":\n# the kernel chooses the source port and honours its\n"
	       "# net.ipv4.ip_local_reserved_ports.  Advice: remove min-port="
	       " and\n# max-port= from dnsmasq.conf and put the reservations"
	       " in the\n# kernel's list (portpool-info --emit sysctl).\n");
	if (!best_len) {
		printf("# No port of %u-%u is free of exclusions.\n", x->first,
		       x->last);
		return 0;
	}
	printf("# If a range is needed, the longest run of %u-%u without an"
	       "\n# excluded port (%u ports):\n", x->first, x->last,
	       best_len);
	printf("#min-port=%u\n#max-port=%u\n", best, best + best_len - 1);
	return 0;
}

/* The kernel's whole list, whatever the flags and the range, through the
 * library's reader (which takes the file whole, past any 1 KiB). */
static int kernel_list(struct portmap *m)
{
	struct portpool_config *cfg = portpool_config_new();
	int rc = -1;

	if (cfg && portpool_config_set_flags(cfg, PORTPOOL_NO_WELL_KNOWN |
					     PORTPOOL_NO_ETC_SERVICES) == 0)
		rc = portpool_source_map(cfg, PORTPOOL_SOURCE_KERNEL, m->w);
	portpool_config_free(cfg);
	return rc;
}

static int emit_sysctl(const struct exclusions *x)
{
	struct portmap *merged = malloc(sizeof(*merged));
	struct portmap *current = malloc(sizeof(*current));
	char *list;

	if (!merged || !current) {
		fprintf(stderr, "portpool-info: out of memory\n");
		free(merged);
		free(current);
		return INFO_FAILED;
	}
	*merged = x->reserved;
	if (kernel_list(current) < 0) {
		fprintf(stderr, "portpool-info: cannot read %s: %s\n",
			RESERVED_FILE, portpool_error());
		free(merged);
		free(current);
		return INFO_FAILED;
	}
	for (size_t w = 0; w < PORT_WORDS; w++)
		merged->w[w] |= current->w[w];
	free(current);
	list = portmap_format(merged, ",", "-");
	if (!list) {
		fprintf(stderr, "portpool-info: out of memory\n");
		free(merged);
		return INFO_FAILED;
	}
	header("sysctl", merged, "the kernel's current list, the program and "
	       "the policy file");
	printf("# e.g. /etc/sysctl.d/60-portpool.conf, then sysctl "
	       "--system\n");
	printf("net.ipv4.ip_local_reserved_ports = %s\n", list);
	free(list);
	free(merged);
	return 0;
}

static int emit_systemd(const struct exclusions *x)
{
	size_t rules = portmap_spans(&x->reserved);

	if (rules > SYSTEMD_RULES) {
		fprintf(stderr, "portpool-info: --emit systemd: %zu ranges, "
			"but SocketBindDeny= takes at most %d rules\n", rules,
			SYSTEMD_RULES);
		return INFO_FAILED;
	}
	header("systemd", &x->reserved, reserved_sources);
	printf("# A drop-in, e.g. /etc/systemd/system/UNIT.service.d/"
	       "portpool.conf (systemd >= 249).\n"
	       "# Caveat: SocketBindDeny= fails bind() with EPERM, not "
	       "EADDRINUSE.  On EPERM\n"
	       "# Unbound logs an error and spends a retry, and dnsmasq "
	       "answers some\n"
	       "# queries REFUSED; prefer the daemon's own setting "
	       "(--emit DAEMON).  At most\n"
	       "# %d rules; well-known and /etc/services ports are left "
	       "out.\n", SYSTEMD_RULES);
	printf("[Service]\n");
	each_span(&x->reserved, systemd_line);
	return 0;
}

int emit_run(struct portpool_config *cfg, const char *daemon)
{
	static const struct {
		const char *name;
		int (*fn)(const struct exclusions *);
	} daemons[] = {
		{ "unbound", emit_unbound },
		{ "bind", emit_bind },
		{ "pdns-recursor", emit_pdns },
		{ "dnsmasq", emit_dnsmasq },
		{ "sysctl", emit_sysctl },
		{ "systemd", emit_systemd },
	};
	struct exclusions *x;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++)
		if (strcmp(daemon, daemons[i].name) == 0)
			break;
	if (i == sizeof(daemons) / sizeof(daemons[0]))
		info_die_usage("--emit: \"%s\" is not unbound, bind, "
			       "pdns-recursor, dnsmasq, sysctl or systemd",
			       info_shown(daemon));
	x = malloc(sizeof(*x));
	if (!x) {
		fprintf(stderr, "portpool-info: out of memory\n");
		return INFO_FAILED;
	}
	rc = load(cfg, x) < 0 ? INFO_FAILED : daemons[i].fn(x);
	free(x);
	return rc;
}
