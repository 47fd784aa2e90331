/* SPDX-License-Identifier: ISC */
/*
 * portpool-info: what libportpool would do on this host, and why.  The
 * administrator's view; also a small example of the whole API.
 *
 * Build: cc portpool-info.c $(pkg-config --cflags --libs libportpool) -lm
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

#include <portpool.h>

static const char usage[] =
"usage: portpool-info [options]\n"
"Show the effective range, every exclusion source and the candidates.\n"
"  --port N             say why port N is or is not a candidate\n"
"  --open N             bind a pool of N (0: the configured size),\n"
"                       raising the soft descriptor limit if needed,\n"
"                       and grade its ports\n"
"  --hold               with --open: keep the pool until SIGINT/SIGTERM;\n"
"                       SIGHUP refreshes it and prints the moves\n"
"  --max-user-port N    range [1024, N] (5000-65534; 0: not set)\n"
"  --range A-B|system   an explicit range, or the kernel's\n"
"  --reserve LIST       reserve ports, e.g. 4500-4500 or 8080,9148-9150\n"
"  --size N             pool size (1-65535)\n"
"  --family 4|6         address family (default 4)\n"
"  --address ADDR       numeric address to bind (default: wildcard)\n"
"  --policy FILE        read FILE instead of /etc/portpool.conf\n"
"  --no-kernel-reserved, --no-well-known, --no-etc-services\n"
"                       switch a host exclusion source off\n"
"  --json               one JSON object instead of text\n"
"  --help               this text\n"
"Exit status: 0 success, 1 the library failed, 2 bad options.\n";

__attribute__((format(printf, 1, 2), noreturn))
static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "portpool-info: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see --help)\n");
	exit(2);
}

static unsigned long number(const char *opt, const char *arg)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || n > 65535)
		die_usage("%s: \"%s\" is not a number from 0 to 65535", opt,
			  arg);
	return n;
}

/* A setter's refusal is the user's error: its sentence, one line. */
static void check(int rc, const char *opt)
{
	if (rc < 0) {
		fprintf(stderr, "portpool-info: %s: %s\n", opt,
			portpool_error());
		exit(2);
	}
}

static void set_range(struct portpool_config *cfg, const char *arg)
{
	unsigned long first;
	char *end;

	if (strcmp(arg, "system") == 0) {
		check(portpool_config_use_system_range(cfg), "--range");
		return;
	}
	errno = 0;
	first = strtoul(arg, &end, 10);
	if (errno || end == arg || *end != '-' || arg[0] == '-')
		die_usage("--range: \"%s\" is not A-B or system", arg);
	check(portpool_config_set_range(cfg, (unsigned)first,
		(unsigned)number("--range", end + 1)), "--range");
}

/* porttest's grades, from the standard deviation of the ports used. */
static const char *grade(double stddev)
{
	return stddev >= 3980 ? "GREAT" : stddev >= 296 ? "GOOD" : "POOR";
}

/* The ports a source removes from the range, as "4500,8080-8090". */
static char *source_ranges(const struct portpool_config *cfg, int source)
{
	int len = portpool_source_ranges(cfg, source, NULL, 0);
	char *list = len < 0 ? NULL : malloc((size_t)len + 1);

	if (!list || portpool_source_ranges(cfg, source, list,
					    (size_t)len + 1) < 0) {
		fprintf(stderr, "portpool-info: %s\n", len < 0 ?
			portpool_error() : "out of memory");
		exit(1);
	}
	return list;
}

static void print_census(const struct portpool_config *cfg,
			 const struct portpool_census *c, int json)
{
	if (json) {
		printf("{\"range\":{\"first\":%u,\"last\":%u,\"source\":\"%s\","
		       "\"ports\":%" PRIu64 "},\"excluded\":{\"total\":%"
		       PRIu64, c->first, c->last, c->range_token,
		       c->range_ports, c->excluded);
		for (int s = PORTPOOL_SOURCE_CALLER; s < PORTPOOL_SOURCE_COUNT;
		     s++) {
			char *list = source_ranges(cfg, s);

			printf(",\"%s\":{\"ports\":%" PRIu64 ",\"ranges\":"
			       "\"%s\"}", portpool_source_token(s),
			       c->removed[s], list);
			free(list);
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
		char *list = source_ranges(cfg, s);

		/* A long list is cut: --json has it whole. */
		printf("  %-31s %5" PRIu64 "  %.40s%s\n",
		       portpool_source_name(s),
		       c->removed[s], list[0] ? list : "-",
		       strlen(list) > 40 ? "..." : "");
		free(list);
	}
	printf("candidates:       %" PRIu64 " (%.2f bits per fresh port%s)\n",
	       c->candidates, floor(c->fresh_bits * 100) / 100,
	       c->weak ? "; weak: under 13788 candidates, porttest's GREAT" :
	       "");
	printf("pool size:        %u (%.2f bits per pick)\n", c->size,
	       floor(c->pick_bits * 100) / 100);
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
		return 1;
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
	return 0;
}

static int open_pool(struct portpool_config *cfg, unsigned size, int json,
		     int keep)
{
	struct portpool *pool;
	double sum = 0, sumsq = 0, mean, stddev;
	uint16_t lo = 65535, hi = 0;
	size_t n;
	int rc = 0;

	if (size)
		check(portpool_config_set_size(cfg, size), "--open");
	pool = portpool_open(cfg);
	if (!pool) {
		fprintf(stderr, "portpool-info: cannot open the pool: %s\n",
			portpool_error());
		return 1;
	}
	n = portpool_size(pool);
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
		       "\"highest\":%u,\"stddev\":%.0f,\"grade\":\"%s\"}}\n",
		       n, lo, hi, stddev, grade(stddev));
	} else {
		printf("pool:             %zu distinct ports bound, %u-%u\n", n,
		       lo, hi);
		printf("port spread:      std dev %.0f: %s (porttest grades: "
		       "GREAT >= 3980, GOOD >= 296)\n", stddev, grade(stddev));
		printf("first members:   ");
		for (size_t i = 0; i < n && i < 8; i++)
			printf(" %u", portpool_port(pool, i));
		printf("\n");
	}
	fflush(stdout);
	if (keep)
		rc = hold(pool);
	portpool_close(pool);
	return rc;
}

int main(int argc, char **argv)
{
	enum { O_PORT = 256, O_OPEN, O_HOLD, O_MUP, O_RANGE, O_RESERVE,
	       O_SIZE, O_FAMILY, O_ADDRESS, O_POLICY, O_NOKERN, O_NOWK,
	       O_NOSERV, O_JSON, O_HELP };
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
		{ NULL, 0, NULL, 0 },
	};
	struct portpool_config *cfg = portpool_config_new();
	struct portpool_census census;
	unsigned int flags = 0;
	long port = -1, open_size = -1;
	int json = 0, keep = 0, opt;

	if (!cfg) {
		fprintf(stderr, "portpool-info: %s\n", portpool_error());
		return 1;
	}
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case O_PORT:
			port = (long)number("--port", optarg);
			break;
		case O_OPEN:
			open_size = (long)number("--open", optarg);
			break;
		case O_HOLD:
			keep = 1;
			break;
		case O_MUP:
			check(portpool_config_set_max_user_port(cfg,
				(unsigned)number("--max-user-port", optarg)),
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
				(unsigned)number("--size", optarg)), "--size");
			break;
		case O_FAMILY:
			if (strcmp(optarg, "4") && strcmp(optarg, "6"))
				die_usage("--family: \"%s\" is not 4 or 6",
					  optarg);
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
			return 0;
		default:
			die_usage("bad option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument \"%s\"", argv[optind]);
	if (keep && open_size < 0)
		die_usage("%s needs --open", "--hold");
	/* A pool of 2,500 needs more than the usual soft limit of 1,024. */
	if (open_size >= 0)
		flags |= PORTPOOL_RAISE_NOFILE;
	check(portpool_config_set_flags(cfg, flags), "flags");

	if (portpool_census(cfg, &census, sizeof(census)) < 0) {
		fprintf(stderr, "portpool-info: %s\n", portpool_error());
		return 1;
	}
	print_census(cfg, &census, json);
	if (port >= 0) {
		struct portpool_explanation why;

		if (portpool_explain(cfg, (uint16_t)port, &why, sizeof(why)) < 0) {
			fprintf(stderr, "portpool-info: %s\n",
				portpool_error());
			return 1;
		}
		if (json)
			printf(",\"port\":{\"port\":%ld,\"candidate\":%s,"
			       "\"sources\":%u,\"why\":\"%s\"}", port,
			       why.sources ? "false" : "true", why.sources,
			       why.text);
		else
			printf("%s\n", why.text);
	}
	if (open_size >= 0)
		return open_pool(cfg, (unsigned)open_size, json, keep);
	if (json)
		printf("}\n");
	portpool_config_free(cfg);
	return 0;
}
