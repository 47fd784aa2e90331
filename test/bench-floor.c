/* SPDX-License-Identifier: ISC */
/*
 * bench-floor: portpool_open() against a bare loop of the same system
 * calls, measured from outside the bench, the simplest way there is.  One
 * process in a private network namespace (lo up, ip_local_port_range
 * 49152 65535, PORTPOOL_CONF naming a missing file), REPS repetitions:
 * lib first in even ones, floor first in odd ones, and the median of the
 * per-repetition ratios.
 *
 *   lib   = portpool_open(NULL): 2,500 members, timed around the call
 *   floor = 2,500 x socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK |
 *           SOCK_CLOEXEC) + setsockopt(IP_MTU_DISCOVER, IP_PMTUDISC_OMIT)
 *           + bind() to the next port of a fresh shuffle of 49152-65535
 *           drawn before the clock starts
 *
 * Closes happen outside the clock.  Options, each one the hypothesis of
 * why another floor was slower:
 *   -r REPS      repetitions (31)
 *   -n N         members (2500)
 *   -s MS        sleep MS after each close (0): RCU frees of the closes
 *   -d           leave the floor's sockets open while the next one runs
 *   -g           grow the descriptor table first (dup2 to a high number)
 *   -c           check each call inside the loop, as the bench's floor does
 *   -F           floor against floor only (the noise of the method)
 *   -m           after each close, wait for an RCU grace period (membarrier
 *                MEMBARRIER_CMD_GLOBAL), then for -s MS
 *   -R           one shuffle per repetition, not per open: a floor binds
 *                the ports the previous open of the repetition bound
 *   -t           time on the thread's CPU clock, not the wall clock: what
 *                other processes take of the CPU then does not count
 * Not a test and not part of make check: make bench builds it, as
 * build/test/bench-floor; run it as root.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "portpool.h"
#include "floor.h"

#define MAX_REPS 1001

static void die(const char *what)
{
	fprintf(stderr, "bench-floor: %s: %s\n", what, strerror(errno));
	exit(2);
}

static clockid_t clock_id = CLOCK_MONOTONIC;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(clock_id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static uint32_t rnd32(void)
{
	static uint32_t buf[1024];
	static size_t pos = 1024;

	if (pos == 1024) {
		if (getrandom(buf, sizeof(buf), 0) != sizeof(buf))
			die("getrandom");
		pos = 0;
	}
	return buf[pos++];
}

static void shuffle(uint16_t *v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		uint32_t r, min = -(uint32_t)i % (uint32_t)i;
		size_t j;
		uint16_t t;

		do
			r = rnd32();
		while (r < min);
		j = r % i;
		t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

/* The bench's namespace (floor.h), with the default pool's range. */
static void setup_netns(void)
{
	const char *step;
	int fd;

	if (floor_netns(&step) < 0)
		die(step);
	fd = open("/proc/sys/net/ipv4/ip_local_port_range", O_WRONLY);
	if (fd < 0 || write(fd, "49152 65535", 11) != 11)
		die("ip_local_port_range");
	close(fd);
}

static bool checked;

/*
 * The bare loop: the calls and nothing else; how many failed is counted
 * (an add, no branch) and looked at after the clock stops.  Not inlined,
 * so that a profile tells it from main().
 */
__attribute__((noinline))
static unsigned floor_open(int *fds, size_t n, const uint16_t *ports)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int omit = IP_PMTUDISC_OMIT;
	unsigned failed = 0;

	for (size_t i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK |
				SOCK_CLOEXEC, 0);

		if (checked && fd < 0)
			die("socket");
		if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &omit,
			       sizeof(omit)) < 0 && checked)
			die("setsockopt");
		sin.sin_port = htons(ports[i]);
		failed += bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0;
		if (checked && failed)
			die("bind");
		fds[i] = fd;
	}
	return failed;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-floor [-dgcFmRt] [-r reps] [-n members] "
		"[-s settle_ms]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static double tl[MAX_REPS], tf[MAX_REPS], ratio[MAX_REPS];
	static uint16_t ports[16384];
	int reps = 31, settle_ms = 0, opt;
	size_t n = 2500;
	bool deferred = false, same_ports = false, grace = false;
	bool grow = false, floors = false;
	struct portpool_config *cfg = NULL;
	struct portpool *pool = NULL;
	int *fds, *pending = NULL;
	unsigned failed = 0;

	while ((opt = getopt(argc, argv, "r:n:s:dgcFmRt")) != -1) {
		switch (opt) {
		case 'r':
			reps = atoi(optarg);
			break;
		case 'n':
			n = (size_t)atol(optarg);
			break;
		case 's':
			settle_ms = atoi(optarg);
			break;
		case 'd':
			deferred = true;
			break;
		case 'g':
			grow = true;
			break;
		case 'c':
			checked = true;
			break;
		case 'F':
			floors = true;
			break;
		case 'm':
			grace = true;
			break;
		case 'R':
			same_ports = true;
			break;
		case 't':
			clock_id = CLOCK_THREAD_CPUTIME_ID;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || reps < 1 || reps > MAX_REPS || n < 1 ||
	    n > 16384)
		usage();
	setup_netns();
	setenv("PORTPOOL_CONF", "/nonexistent/portpool.conf", 1);
	/* portpool_open(NULL) as a daemon calls it, unless -n says more */
	if (n != PORTPOOL_DEFAULT_SIZE) {
		cfg = portpool_config_new();
		if (!cfg || portpool_config_set_size(cfg, (unsigned)n) < 0) {
			fprintf(stderr, "bench-floor: %s\n", portpool_error());
			return 2;
		}
	}
	fds = calloc(2 * n, sizeof(*fds));
	if (!fds)
		die("calloc");
	if (grow) {
		if (dup2(0, 8191) < 0)
			die("dup2");
		close(8191);
	}
	for (size_t i = 0; i < 16384; i++)
		ports[i] = (uint16_t)(49152 + i);
	for (int r = 0; r < reps; r++) {
		for (int k = 0; k < 2; k++) {
			bool lib = (k == 0) == (r % 2 == 0);
			uint64_t t0;
			double t;

			if (k == 0 || !same_ports)
				shuffle(ports, 16384);
			t0 = now_ns();
			if (lib && !floors)
				pool = portpool_open(cfg);
			else
				failed = floor_open(fds + k * n, n, ports);
			t = (double)(now_ns() - t0);
			if (failed) {
				fprintf(stderr, "bench-floor: %u of the floor's "
					"%zu binds failed (ulimit -n too low?)"
					"\n", failed, n);
				return 2;
			}
			if (lib && !floors && !pool) {
				fprintf(stderr, "bench-floor: %s\n",
					portpool_error());
				return 2;
			}
			*(lib ? &tl[r] : &tf[r]) = t;
			if (pending)
				for (size_t i = 0; i < n; i++)
					close(pending[i]);
			pending = NULL;
			if (lib && !floors) {
				portpool_close(pool);
			} else if (deferred) {
				pending = fds + k * n;
			} else {
				for (size_t i = 0; i < n; i++)
					close(fds[k * n + i]);
			}
			if (grace && syscall(SYS_membarrier,
					     MEMBARRIER_CMD_GLOBAL, 0, 0) < 0)
				die("membarrier");
			if (settle_ms) {
				struct timespec ts = { settle_ms / 1000,
					(settle_ms % 1000) * 1000000L };

				nanosleep(&ts, NULL);
			}
		}
		ratio[r] = tl[r] / tf[r];
	}
	printf("%s%s %zu members, %d reps: %s %.3f ms, floor %.3f ms, "
	       "%s/floor %.3f\n", floors ? "floor/floor" : "lib/floor",
	       clock_id == CLOCK_MONOTONIC ? "" : " (CPU time)", n,
	       reps, floors ? "floor" : "lib", median(tl, reps) / 1e6,
	       median(tf, reps) / 1e6, floors ? "floor" : "lib",
	       median(ratio, reps));
	return 0;
}
