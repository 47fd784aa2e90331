/* SPDX-License-Identifier: ISC */
/*
 * portpool-info: what libportpool would do on this host, and why; who
 * holds a port; which services a pool could take a port from; the
 * settings that make daemons which do not link the library avoid the
 * host's exclusions.  The administrator's tool, see portpool-info(8).
 * This file: the options, the census, --port and --open.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "info.h"

static const char usage[] =
"usage: portpool-info [options]\n"
"Show the effective range, every exclusion source and the candidates.\n"
"  --port N             say why port N is or is not a candidate, and who\n"
"                       holds it\n"
"  --open N             bind a pool of N (0: the configured size),\n"
"                       raising the soft descriptor limit if needed,\n"
"                       and grade its ports\n"
"  --hold               with --open: keep the pool until SIGINT/SIGTERM;\n"
"                       SIGHUP refreshes it and prints the moves\n"
"  --who N              the sockets bound to port N and their processes\n"
"  --udp, --tcp         with --who or --port: only that protocol\n"
"  --audit              bound UDP and listening TCP sockets whose port is\n"
"                       a candidate, and the reserved_ports line that\n"
"                       protects them (exit 1 when there is one)\n"
"  --emit DAEMON        settings for unbound, bind, pdns-recursor,\n"
"                       dnsmasq, sysctl or systemd\n"
"  --metrics            the census and the audit's counts in Prometheus'\n"
"                       text format\n"
"  --svg FILE           a picture of the 65,536 ports (-: stdout)\n"
"  --max-user-port N    range [1024, N] (5000-65534; 0: not set)\n"
"  --range A-B|system   an explicit range, or the kernel's\n"
"  --reserve LIST       reserve ports, e.g. 4500-4500 or 8080,9148-9150\n"
"  --size N             pool size (1-65535)\n"
"  --family 4|6         address family (default 4)\n"
"  --address ADDR       numeric address to bind (default: wildcard)\n"
"  --policy FILE        also read FILE, after the host policy\n"
"  --no-kernel-reserved, --no-well-known, --no-etc-services\n"
"                       switch a host exclusion source off\n"
"  --json               one JSON object instead of text\n"
"  --help               this text\n"
"Exit status: 0 success, 1 the library failed (--audit: a port is at\n"
"risk), 2 bad options, 3 --audit could not look.\n";

void info_die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "portpool-info: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see --help)\n");
	exit(INFO_USAGE);
}

#define die_usage info_die_usage

const char *info_shown(const char *s)
{
	static char buf[TEXT_MAX(64)];

	return text_escape(s, buf, sizeof(buf));
}

/* A port number, 0-65535: strtoul alone would wrap 4294967297 to 1. */
static unsigned number(const char *opt, const char *arg)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] < '0' || arg[0] > '9' ||
	    n > 65535)
		die_usage("%s: \"%s\" is not a number from 0 to 65535", opt,
			  info_shown(arg));
	return (unsigned)n;
}

/* A setter's refusal is the user's error: its sentence, one line. */
static void check(int rc, const char *opt)
{
	if (rc < 0) {
		fprintf(stderr, "portpool-info: %s: %s\n", opt,
			portpool_error());
		exit(INFO_USAGE);
	}
}

static void set_range(struct portpool_config *cfg, const char *arg)
{
	const char *dash = strchr(arg, '-');
	char first[32];

	if (strcmp(arg, "system") == 0) {
		check(portpool_config_use_system_range(cfg), "--range");
		return;
	}
	/* Both ends through number(): each is checked whole. */
	if (!dash || dash == arg)
		die_usage("--range: \"%s\" is not A-B or system",
			  info_shown(arg));
	if ((size_t)(dash - arg) >= sizeof(first))
		die_usage("--range: \"%s\" does not start with a number from "
			  "0 to 65535", info_shown(arg));
	memcpy(first, arg, (size_t)(dash - arg));
	first[dash - arg] = '\0';
	check(portpool_config_set_range(cfg, number("--range", first),
		number("--range", dash + 1)), "--range");
}

/* Everything the census prints, read before anything is printed, so
 * that a failure leaves no half-written document. */
struct report {
	struct portpool_census census;
	char *lists[PORTPOOL_SOURCE_COUNT];
	int explain;
	struct portpool_explanation why;
};

/* The ports a source removes from the range, as "4500,8080-8090". */
static char *source_ranges(const struct portpool_config *cfg, int source)
{
	int len = portpool_source_ranges(cfg, source, NULL, 0);
	char *list = len < 0 ? NULL : malloc((size_t)len + 1);

	if (!list || portpool_source_ranges(cfg, source, list,
					    (size_t)len + 1) < 0) {
		fprintf(stderr, "portpool-info: %s\n", len < 0 ?
			portpool_error() : "out of memory");
		exit(INFO_FAILED);
	}
	return list;
}

static void read_report(const struct portpool_config *cfg, long port,
			struct report *r)
{
	memset(r, 0, sizeof(*r));
	if (portpool_census(cfg, &r->census, sizeof(r->census)) < 0) {
		fprintf(stderr, "portpool-info: %s\n", portpool_error());
		exit(INFO_FAILED);
	}
	for (int s = PORTPOOL_SOURCE_CALLER; s < PORTPOOL_SOURCE_COUNT; s++)
		r->lists[s] = source_ranges(cfg, s);
	if (port >= 0) {
		r->explain = 1;
		if (portpool_explain(cfg, (uint16_t)port, &r->why,
				     sizeof(r->why)) < 0) {
			fprintf(stderr, "portpool-info: %s\n",
				portpool_error());
			exit(INFO_FAILED);
		}
	}
}

static void free_report(struct report *r)
{
	for (int s = 0; s < PORTPOOL_SOURCE_COUNT; s++)
		free(r->lists[s]);
}

/* The census; JSON leaves the object open for what follows. */
static void print_census(const struct report *r, int json)
{
	const struct portpool_census *c = &r->census;

	if (json) {
		printf("{\"range\":{\"first\":%u,\"last\":%u,\"source\":",
		       c->first, c->last);
		json_string(stdout, c->range_token);
		printf(",\"ports\":%" PRIu64 "},\"excluded\":{\"total\":%"
		       PRIu64, c->range_ports, c->excluded);
		for (int s = PORTPOOL_SOURCE_CALLER; s < PORTPOOL_SOURCE_COUNT;
		     s++) {
			putchar(',');
			json_string(stdout, portpool_source_token(s));
			printf(":{\"ports\":%" PRIu64 ",\"ranges\":",
			       c->removed[s]);
			json_string(stdout, r->lists[s]);
			putchar('}');
		}
		printf("},\"candidates\":%" PRIu64 ",\"fresh_bits\":%.2f,"
		       "\"weak\":%s,\"size\":%u", c->candidates,
		       c->fresh_bits, c->weak ? "true" : "false", c->size);
		return;
	}
	printf("effective range:  %u-%u (%" PRIu64 " ports, range source "
	       "%s)\n",
	       c->first, c->last, c->range_ports, c->range_source);
	printf("excluded:         %" PRIu64 " of them, by source:\n",
	       c->excluded);
	for (int s = PORTPOOL_SOURCE_CALLER; s < PORTPOOL_SOURCE_COUNT; s++) {
		const char *list = r->lists[s];

		/* A long list is cut: --json has it whole. */
		printf("  %-31s %5" PRIu64 "  %.40s%s\n",
		       portpool_source_name(s),
		       c->removed[s], list[0] ? list : "-",
		       strlen(list) > 40 ? "..." : "");
	}
	printf("candidates:       %" PRIu64 " (%.2f bits per fresh port%s)\n",
	       c->candidates, floor(c->fresh_bits * 100) / 100,
	       c->weak ? "; weak: under 13788 candidates, porttest's GREAT" :
	       "");
	printf("pool size:        %u (%.2f bits per pick)\n", c->size,
	       floor(c->pick_bits * 100) / 100);
}

static int print_port(const struct report *r, int protos, int json)
{
	const struct portpool_explanation *why = &r->why;

	if (json) {
		printf(",\"port\":{\"port\":%u,\"candidate\":%s,"
		       "\"sources\":%u,\"why\":", why->port,
		       why->sources ? "false" : "true", why->sources);
		json_string(stdout, why->text);
		printf(",\"holders\":");
		if (who_print(why->port, protos, 1, "") < 0)
			printf("null");
		printf("}");
		return 0;
	}
	printf("%s\n", why->text);
	return who_print(why->port, protos, 0, "  ") < 0 ? -1 : 0;
}

static volatile sig_atomic_t got_hup, got_stop;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_stop = 1;
}

/* Hold the pool: SIGHUP refreshes it, SIGINT or SIGTERM ends. */
static int hold(struct portpool *pool)
{
	struct sigaction sa = { .sa_handler = on_signal };
	size_t n = portpool_size(pool);
	uint16_t *before = calloc(n, sizeof(*before));

	if (!before)
		return INFO_FAILED;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("holding %zu members; SIGHUP refreshes, SIGTERM ends\n", n);
	fflush(stdout);
	while (!got_stop) {
		int moved;

		pause();
		if (!got_hup)
			continue;
		got_hup = 0;
		for (size_t i = 0; i < n; i++)
			before[i] = portpool_port(pool, i);
		moved = portpool_refresh(pool);
		if (moved < 0) {
			printf("refresh failed, pool unchanged: %s\n",
			       portpool_error());
		} else {
			printf("refresh moved %d member(s)", moved);
			for (size_t i = 0; i < n; i++)
				if (portpool_port(pool, i) != before[i])
					printf(" %u->%u", before[i],
					       portpool_port(pool, i));
			printf("\n");
		}
		fflush(stdout);
	}
	free(before);
	return INFO_OK;
}

/* porttest's grades, from the standard deviation of the ports used. */
static const char *grade(double stddev)
{
	return stddev >= 3980 ? "GREAT" : stddev >= 296 ? "GOOD" : "POOR";
}

static void print_pool(const struct portpool *pool, int json)
{
	double sum = 0, sumsq = 0, mean, stddev;
	uint16_t lo = 65535, hi = 0;
	size_t n = portpool_size(pool);

	for (size_t i = 0; i < n; i++) {
		uint16_t port = portpool_port(pool, i);

		lo = port < lo ? port : lo;
		hi = port > hi ? port : hi;
		sum += port;
		sumsq += (double)port * port;
	}
	mean = sum / (double)n;
	stddev = sqrt(fmax(0, sumsq / (double)n - mean * mean));
	if (json) {
		printf(",\"pool\":{\"members\":%zu,\"lowest\":%u,"
		       "\"highest\":%u,\"stddev\":%.0f,\"grade\":\"%s\"}",
		       n, lo, hi, stddev, grade(stddev));
		return;
	}
	printf("pool:             %zu distinct ports bound, %u-%u\n", n, lo,
	       hi);
	printf("port spread:      std dev %.0f: %s (porttest grades: "
	       "GREAT >= 3980, GOOD >= 296)\n", stddev, grade(stddev));
	printf("first members:   ");
	for (size_t i = 0; i < n && i < 8; i++)
		printf(" %u", portpool_port(pool, i));
	printf("\n");
}

int main(int argc, char **argv)
{
	enum { O_PORT = 256, O_OPEN, O_HOLD, O_MUP, O_RANGE, O_RESERVE,
	       O_SIZE, O_FAMILY, O_ADDRESS, O_POLICY, O_NOKERN, O_NOWK,
	       O_NOSERV, O_JSON, O_HELP, O_WHO, O_UDP, O_TCP, O_AUDIT,
	       O_EMIT, O_METRICS, O_SVG };
	static const struct option options[] = {
		{ "port", required_argument, NULL, O_PORT },
		{ "open", required_argument, NULL, O_OPEN },
		{ "hold", no_argument, NULL, O_HOLD },
		{ "max-user-port", required_argument, NULL, O_MUP },
		{ "range", required_argument, NULL, O_RANGE },
		{ "reserve", required_argument, NULL, O_RESERVE },
		{ "size", required_argument, NULL, O_SIZE },
		{ "family", required_argument, NULL, O_FAMILY },
		{ "address", required_argument, NULL, O_ADDRESS },
		{ "policy", required_argument, NULL, O_POLICY },
		{ "no-kernel-reserved", no_argument, NULL, O_NOKERN },
		{ "no-well-known", no_argument, NULL, O_NOWK },
		{ "no-etc-services", no_argument, NULL, O_NOSERV },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, O_HELP },
		{ "who", required_argument, NULL, O_WHO },
		{ "udp", no_argument, NULL, O_UDP },
		{ "tcp", no_argument, NULL, O_TCP },
		{ "audit", no_argument, NULL, O_AUDIT },
		{ "emit", required_argument, NULL, O_EMIT },
		{ "metrics", no_argument, NULL, O_METRICS },
		{ "svg", required_argument, NULL, O_SVG },
		{ NULL, 0, NULL, 0 },
	};
	struct portpool_config *cfg = portpool_config_new();
	struct portpool *pool = NULL;
	struct report report;
	const char *emit = NULL, *svg = NULL;
	unsigned int flags = 0;
	long port = -1, open_size = -1, who = -1;
	int json = 0, keep = 0, audit = 0, protos = 0, metrics = 0, opt;
	int rc = INFO_OK;

	if (!cfg) {
		fprintf(stderr, "portpool-info: %s\n", portpool_error());
		return INFO_FAILED;
	}
	opterr = 0;
	/* The leading ':' tells a missing value ('.') from a bad option. */
	while ((opt = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		switch (opt) {
		case O_PORT:
			port = number("--port", optarg);
			break;
		case O_OPEN:
			open_size = number("--open", optarg);
			break;
		case O_HOLD:
			keep = 1;
			break;
		case O_WHO:
			who = number("--who", optarg);
			break;
		case O_UDP:
			protos |= WHO_UDP;
			break;
		case O_TCP:
			protos |= WHO_TCP;
			break;
		case O_AUDIT:
			audit = 1;
			break;
		case O_EMIT:
			emit = optarg;
			break;
		case O_METRICS:
			metrics = 1;
			break;
		case O_SVG:
			svg = optarg;
			break;
		case O_MUP:
			check(portpool_config_set_max_user_port(cfg,
				number("--max-user-port", optarg)),
			      "--max-user-port");
			break;
		case O_RANGE:
			set_range(cfg, optarg);
			break;
		case O_RESERVE:
			check(portpool_config_reserve_list(cfg, optarg),
			      "--reserve");
			break;
		case O_SIZE:
			check(portpool_config_set_size(cfg,
				number("--size", optarg)), "--size");
			break;
		case O_FAMILY:
			if (strcmp(optarg, "4") != 0 &&
			    strcmp(optarg, "6") != 0)
				die_usage("--family: \"%s\" is not 4 or 6",
					  info_shown(optarg));
			check(portpool_config_set_family(cfg, optarg[0] == '6' ?
				AF_INET6 : AF_INET), "--family");
			break;
		case O_ADDRESS:
			check(portpool_config_set_address(cfg, optarg),
			      "--address");
			break;
		case O_POLICY:
			check(portpool_config_set_policy_file(cfg, optarg),
			      "--policy");
			break;
		case O_NOKERN:
			flags |= PORTPOOL_NO_KERNEL_RESERVED;
			break;
		case O_NOWK:
			flags |= PORTPOOL_NO_WELL_KNOWN;
			break;
		case O_NOSERV:
			flags |= PORTPOOL_NO_ETC_SERVICES;
			break;
		case O_JSON:
			json = 1;
			break;
		case O_HELP:
			fputs(usage, stdout);
			return INFO_OK;
		case ':':
			die_usage("%s needs a value",
				  info_shown(argv[optind - 1]));
		default:
			/* In a cluster (-xy) argv[optind - 1] is not it. */
			if (optopt > 0 && optopt < 256) {
				char one[2] = { (char)optopt, '\0' };

				die_usage("bad option \"-%s\"",
					  info_shown(one));
			}
			die_usage("bad option \"%s\"",
				  info_shown(argv[optind - 1]));
		}
	}
	if (optind < argc)
		die_usage("unexpected argument \"%s\"",
			  info_shown(argv[optind]));
	if (keep && open_size < 0)
		die_usage("%s needs --open", "--hold");
	if ((who >= 0) + audit + (emit != NULL) + metrics + (svg != NULL) > 1)
		die_usage("--who, --audit, --emit, --metrics and --svg go one "
			  "at a time");
	if ((who >= 0 || audit || emit || metrics || svg) &&
	    (port >= 0 || open_size >= 0))
		die_usage("--port and --open do not go with --who, --audit, "
			  "--emit, --metrics or --svg");
	if (protos && who < 0 && port < 0)
		die_usage("--udp and --tcp go with --who or --port");
	if (emit && json)
		die_usage("--emit writes configuration text, not --json");
	if ((metrics || svg) && json)
		die_usage("%s has its own format, not --json",
			  metrics ? "--metrics" : "--svg");
	if (svg && !svg[0])
		die_usage("--svg needs a file name, or - for stdout");
	if (!protos)
		protos = WHO_UDP | WHO_TCP;
	check(portpool_config_set_flags(cfg, flags), "flags");
	/* The census shows the size --open will use. */
	if (open_size > 0)
		check(portpool_config_set_size(cfg, (unsigned)open_size),
		      "--open");

	if (who >= 0) {
		if (json)
			printf("{\"port\":%ld,\"holders\":", who);
		rc = who_print((unsigned)who, protos, json, "") < 0 ?
		     INFO_FAILED : INFO_OK;
		if (json)
			printf(rc ? "null}\n" : "}\n");
		portpool_config_free(cfg);
		return rc;
	}
	if (audit) {
		rc = audit_run(cfg, json);
		portpool_config_free(cfg);
		return rc < 0 ? INFO_CANNOT : rc;
	}
	if (emit) {
		rc = emit_run(cfg, emit);
		portpool_config_free(cfg);
		return rc;
	}
	if (metrics || svg) {
		rc = metrics ? metrics_run(cfg) : svg_run(cfg, svg);
		portpool_config_free(cfg);
		return rc;
	}

	read_report(cfg, port, &report);
	if (open_size >= 0) {
		pool = portpool_open(cfg);
		if (!pool) {
			fprintf(stderr, "portpool-info: cannot open the pool: "
				"%s\n", portpool_error());
			free_report(&report);
			portpool_config_free(cfg);
			return INFO_FAILED;
		}
	}
	print_census(&report, json);
	if (report.explain && print_port(&report, protos, json) < 0)
		rc = INFO_FAILED;
	if (pool)
		print_pool(pool, json);
	if (json)
		printf("}\n");
	fflush(stdout);
	if (pool && keep)
		rc = hold(pool);
	portpool_close(pool);
	free_report(&report);
	portpool_config_free(cfg);
	return rc;
}
