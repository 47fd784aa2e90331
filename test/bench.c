/* SPDX-License-Identifier: ISC */
/*
 * make bench: libportpool against the syscall floor, the kernel's own
 * port choice and the peers' strategies (re-implemented from their
 * documented behaviour: Unbound's shuffled draw, BIND's draw with
 * replacement, PowerDNS's eight random tries).  Each scenario
 * runs in a forked child inside its own network namespace with lo up;
 * every strategy of a scenario runs in that process, interleaved, for
 * BENCH_REPS repetitions (31; BENCH_QUICK=1: 5 and smaller N).  Medians
 * and the median of per-repetition ratios are reported, for the open
 * scenarios on the thread's CPU clock too; a bare loop of the floor's
 * calls checks that the floor is one.  BENCH_ONLY=a,b
 * runs only the scenarios named.  Not a test: a missed target is
 * reported, never an exit status; only a setup failure exits non-zero.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <math.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "portpool.h"
#include "floor.h"

#define MAX_REPS 1001

/* What the children hand back for the summary line: doubles only, since
 * main() starts every one at NAN. */
struct results {
	double open_default_ratio, open_kb_ratio, crowded_ratio, whole_ratio;
	double crowded_uniform_ratio, kernel_bits, lib_bits;
	double pick_ns, rotate_ratio, refresh_ms;
	double mem_fixed, mem_per_member;
	double noise;
	double audit_ratio;
	double guard_ratio, preload_ratio;
	double map_ratio;
	double bare_ratio;
};

static struct results *res;
static int reps = 31;
static bool quick;

__attribute__((noreturn, cold)) static void die(const char *what)
{
	fprintf(stderr, "bench: setup failure: %s: %s\n", what,
		strerror(errno));
	fflush(stdout);
	_exit(2);
}

__attribute__((noreturn, cold)) static void die_pp(const char *what)
{
	fprintf(stderr, "bench: setup failure: %s: %s\n", what,
		portpool_error());
	fflush(stdout);
	_exit(2);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/*
 * The thread's CPU time: what other processes take of the CPU meanwhile
 * (the machine is shared) does not count, while the kernel's work for
 * this thread, softirqs included, does.
 */
static uint64_t cpu_ns(void)
{
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double tmp[MAX_REPS];

	memcpy(tmp, v, (size_t)n * sizeof(*v));
	qsort(tmp, (size_t)n, sizeof(*tmp), cmp_double);
	return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

static double median_ratio(const double *a, const double *b, int n)
{
	double r[MAX_REPS];

	for (int i = 0; i < n; i++)
		r[i] = a[i] / b[i];
	return median(r, n);
}

/* The peers' RNG: buffered getrandom, rejection sampling, like ours. */
static uint32_t rbuf[1024];
static size_t rpos = 1024;

static uint32_t rnd32(void)
{
	if (rpos == 1024) {
		if (getrandom(rbuf, sizeof(rbuf), 0) != sizeof(rbuf))
			die("getrandom");
		rpos = 0;
	}
	return rbuf[rpos++];
}

static uint32_t rnd_uniform(uint32_t bound)
{
	uint32_t min = -bound % bound, r;

	do
		r = rnd32();
	while (r < min);
	return r % bound;
}

static void shuffle(uint16_t *v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = rnd_uniform((uint32_t)i);
		uint16_t t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

/* ---- the namespace ---- */

static void write_sysctl(const char *name, const char *value)
{
	char path[256];
	size_t len = strlen(value);
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	if (!len) {
		value = "\n";
		len = 1;
	}
	if (write(fd, value, len) != (ssize_t)len)
		die(path);
	close(fd);
}

static void enter_netns(void)
{
	const char *step;

	if (floor_netns(&step) < 0)
		die(step);
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("getrlimit");
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("setrlimit");
}

/* ---- the strategies: each binds n sockets into fds[] ---- */

struct counts {
	unsigned long attempts, failures;
};

static int udp_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	return fd;
}

/*
 * A socket as the library's defaults make one: with PMTU discovery
 * omitted (one setsockopt) where this version of the library does that.
 */
static int floor_socket(void)
{
	int fd = udp_socket();
#ifdef PORTPOOL_NO_PMTUDISC_OMIT
	int value = IP_PMTUDISC_OMIT;

	if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &value,
		       sizeof(value)) < 0 && errno != ENOPROTOOPT &&
	    errno != EINVAL)
		die("setsockopt IP_MTU_DISCOVER");
#endif
	return fd;
}

/* Whether a bare loop's bind failed: the run is then void. */
static bool bare_failed;

/* 0 bound, 1 busy; anything else is a setup failure. */
static int bind_port(int fd, unsigned port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
		return 0;
	if (errno == EADDRINUSE)
		return 1;
	die("bind");
	return -1;
}

/*
 * Closed UDP sockets are freed after an RCU grace period: let that work
 * run now, not on the next strategy's clock.
 */
static void settle(void)
{
	struct timespec ts = { 0, quick ? 2000000 : 8000000 };

	nanosleep(&ts, NULL);
}

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/*
 * The floor: socket + the setsockopt calls the library's defaults make +
 * bind to a pre-drawn list of distinct free ports, and nothing else in
 * the loop: the address is built once, and a failure, which ends the
 * run, is a branch not taken.  The bare loop below checks it.
 */
static void floor_open(int *fds, size_t n, const uint16_t *ports)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
#ifdef PORTPOOL_NO_PMTUDISC_OMIT
	int omit = IP_PMTUDISC_OMIT;
#endif

	for (size_t i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK |
				SOCK_CLOEXEC, 0);

		if (fd < 0)
			die("floor: socket");
#ifdef PORTPOOL_NO_PMTUDISC_OMIT
		if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &omit,
			       sizeof(omit)) < 0)
			die("floor: setsockopt IP_MTU_DISCOVER");
#endif
		sin.sin_port = htons(ports[i]);
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
			die("floor: bind to a pre-drawn free port");
		fds[i] = fd;
	}
}

/*
 * The bare loop: the floor's calls as a program outside the bench makes
 * them (test/bench-floor.c), nothing else inside the loop: no helper, no
 * check; a failure is found after the clock stops.  The floor must cost
 * what this costs, or it is not the floor.
 */
static void bare_open(int *fds, size_t n, const uint16_t *ports)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
#ifdef PORTPOOL_NO_PMTUDISC_OMIT
	int omit = IP_PMTUDISC_OMIT;
#endif
	unsigned failed = 0;

	for (size_t i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK |
				SOCK_CLOEXEC, 0);

#ifdef PORTPOOL_NO_PMTUDISC_OMIT
		setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &omit,
			   sizeof(omit));
#endif
		sin.sin_port = htons(ports[i]);
		failed |= (unsigned)bind(fd, (struct sockaddr *)&sin,
					 sizeof(sin));
		fds[i] = fd;
	}
	bare_failed |= failed != 0;
}

static void kernel_open(int *fds, size_t n, struct counts *c)
{
	for (size_t i = 0; i < n; i++) {
		fds[i] = udp_socket();
		c->attempts++;
		if (bind_port(fds[i], 0) != 0) {
			c->failures++;
			close(fds[i]);
			fds[i] = -1;
		}
	}
}

/*
 * Uniform draw over [first, last] with replacement, `tries` binds per
 * member on one socket; then port 0 (PowerDNS) or a failed member.
 */
static void retry_open(int *fds, size_t n, unsigned first, unsigned last,
		       int tries, bool then_kernel, struct counts *c)
{
	uint32_t span = last - first + 1;

	for (size_t i = 0; i < n; i++) {
		int t;

		fds[i] = udp_socket();
		for (t = 0; t < tries; t++) {
			c->attempts++;
			if (bind_port(fds[i], first + rnd_uniform(span)) == 0)
				break;
		}
		if (t < tries)
			continue;
		if (then_kernel) {
			c->attempts++;
			if (bind_port(fds[i], 0) == 0)
				continue;
		}
		c->failures++;
		close(fds[i]);
		fds[i] = -1;
	}
}

/* Unbound: shuffle the range, draw without replacement, skip busy ones. */
static void shuffle_open(int *fds, size_t n, unsigned first, unsigned last,
			 uint16_t *scratch, struct counts *c)
{
	size_t navail = last - first + 1, next = 0;

	for (size_t p = 0; p < navail; p++)
		scratch[p] = (uint16_t)(first + p);
	/* a swap-remove draw is a lazy Fisher-Yates: do it all up front */
	shuffle(scratch, navail);
	for (size_t i = 0; i < n; i++) {
		fds[i] = udp_socket();
		for (;;) {
			if (next == navail) {
				c->failures++;
				close(fds[i]);
				fds[i] = -1;
				break;
			}
			c->attempts++;
			if (bind_port(fds[i], scratch[next++]) == 0)
				break;
		}
	}
}

/*
 * The uniform floor: the system calls any implementation of the
 * library's contract (portpool(3): uniform, without replacement) must
 * make.  Each socket tries candidates in a uniformly random order drawn
 * beforehand (busy ports are learnt only from EADDRINUSE, as
 * nothing cheaper tells them), with the library's socket options.
 */
static void ufloor_open(int *fds, size_t n, const uint16_t *order,
			size_t navail, struct counts *c)
{
	size_t next = 0;

	for (size_t i = 0; i < n; i++) {
		fds[i] = floor_socket();
		for (;;) {
			if (next == navail)
				die("uniform floor: out of candidates");
			c->attempts++;
			if (bind_port(fds[i], order[next++]) == 0)
				break;
		}
	}
}

/*
 * The other way to learn which ports are busy: ask the kernel for every
 * UDP socket with a port in [first, last] (sock_diag, as ss(8) does; no
 * privilege needed), one family at a time, and mark their ports.
 */
static void diag_busy(int family, unsigned first, unsigned last,
		      uint64_t *busy)
{
	static char buf[32768] __attribute__((aligned(8)));
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
		struct nlattr bc_attr;
		struct inet_diag_bc_op bc[4];
	} msg;
	int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
			NETLINK_SOCK_DIAG);

	if (nl < 0)
		die("socket(NETLINK_SOCK_DIAG)");
	memset(&msg, 0, sizeof(msg));
	msg.nlh.nlmsg_len = sizeof(msg);
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	msg.req.sdiag_family = (uint8_t)family;
	msg.req.sdiag_protocol = IPPROTO_UDP;
	msg.req.idiag_states = ~0u;
	msg.bc_attr.nla_type = INET_DIAG_REQ_BYTECODE;
	msg.bc_attr.nla_len = sizeof(msg.bc_attr) + sizeof(msg.bc);
	/* sport >= first, else reject (jump past the end); sport <= last */
	msg.bc[0] = (struct inet_diag_bc_op){ INET_DIAG_BC_S_GE, 8, 20 };
	msg.bc[1] = (struct inet_diag_bc_op){ 0, 0, (uint16_t)first };
	msg.bc[2] = (struct inet_diag_bc_op){ INET_DIAG_BC_S_LE, 8, 12 };
	msg.bc[3] = (struct inet_diag_bc_op){ 0, 0, (uint16_t)last };
	if (send(nl, &msg, sizeof(msg), 0) != (ssize_t)sizeof(msg))
		die("sock_diag request");
	for (;;) {
		ssize_t len = recv(nl, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (len <= 0)
			die("sock_diag reply");
		for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			struct inet_diag_msg *m = NLMSG_DATA(h);
			unsigned port;

			if (h->nlmsg_type == NLMSG_DONE) {
				close(nl);
				return;
			}
			if (h->nlmsg_type == NLMSG_ERROR)
				die("sock_diag dump");
			port = ntohs(m->id.idiag_sport);
			busy[port / 64] |= UINT64_C(1) << (port % 64);
		}
	}
}

/*
 * Uniform as well, with the busy ports learnt up front from sock_diag:
 * the candidates in a random order, minus the busy ones.  A port taken
 * since the dump still fails its bind and is skipped.  (Every socket
 * counts as busy here, all being IPv4; a real implementation would also
 * have to work out which ones conflict: an IPv6-only socket does not.)
 */
static void diag_open(int *fds, size_t n, const uint16_t *order,
		      size_t navail, unsigned first, unsigned last,
		      struct counts *c)
{
	static uint64_t busy[65536 / 64];
	size_t next = 0;

	memset(busy, 0, sizeof(busy));
	diag_busy(AF_INET, first, last, busy);
	diag_busy(AF_INET6, first, last, busy);
	for (size_t i = 0; i < n; i++) {
		fds[i] = floor_socket();
		for (;;) {
			unsigned port;

			if (next == navail)
				die("sock_diag: out of candidates");
			port = order[next++];
			if (busy[port / 64] & UINT64_C(1) << (port % 64))
				continue;
			c->attempts++;
			if (bind_port(fds[i], port) == 0)
				break;
		}
	}
}

/* ---- open scenarios ---- */

enum strat { S_LIB, S_FLOOR, S_FLOOR2, S_BARE, S_UFLOOR, S_DIAG, S_KERNEL,
	     S_BIND, S_PDNS, S_DNSMASQ, S_UNBOUND, S_COUNT };

static const char *const strat_name[S_COUNT] = {
	"libportpool", "floor", "floor (again)", "bare loop", "uniform floor",
	"uniform+sock_diag", "kernel port 0", "BIND 6 tries",
	"PowerDNS 8+port 0", "dnsmasq 100 tries", "Unbound shuffle",
};

/*
 * crowded: lib against the cheapest uniform strategy.  A crowded open
 * makes one random draw per bind, as a rotation does, so it gets
 * rotate's margin over its floor.  The kernel's port 0 is shown beside
 * it as information only: it is faster because its choice is not
 * uniform (the bits line of the scenario shows it).
 */
#define CROWDED_UNIFORM_TARGET 1.20

struct open_case {
	const char *name;
	struct portpool_config *cfg;
	size_t n;
	unsigned first, last;		/* the range the peers draw from */
	double target;			/* lib/floor; 0 with vs_kernel */
	bool vs_kernel;			/* lib/kernel, information only */
	double *out;
	double *out_uniform;		/* lib/uniform floor, if wanted */
};

/*
 * Which ports of [first, last] the configuration leaves as candidates:
 * the range less every source's list, read with portpool_source_ranges()
 * (one call per source, where portpool_is_excluded() per port would read
 * the host files 16,384 times).
 */
static void candidate_map(const struct portpool_config *cfg, unsigned first,
			  unsigned last, bool *cand)
{
	static char list[65536 * 7];
	uint16_t lo, hi;

	if (portpool_effective_range(cfg, &lo, &hi) < 0)
		die_pp("portpool_effective_range");
	for (unsigned p = 0; p < 65536; p++)
		cand[p] = p >= first && p <= last && p >= lo && p <= hi;
	for (int src = 0; src < PORTPOOL_SOURCE_COUNT; src++) {
		char *next = list;

		if (src == PORTPOOL_SOURCE_RANGE)
			continue;
		if (portpool_source_ranges(cfg, (enum portpool_source)src,
					   list, sizeof(list)) < 0)
			die_pp("portpool_source_ranges");
		while (*next) {
			unsigned long a = strtoul(next, &next, 10), b = a;

			if (*next == '-')
				b = strtoul(next + 1, &next, 10);
			for (unsigned long p = a; p <= b && p < 65536; p++)
				cand[p] = false;
			next += *next == ',';
		}
	}
}

/*
 * The candidates in [first, last], busy or not (busy_map NULL), or only
 * those free now; in a random order.  Their count into *count.
 */
static uint16_t *predraw(const struct portpool_config *cfg, unsigned first,
			 unsigned last, const int *busy_map, size_t *count)
{
	static bool cand[65536];
	uint16_t *v = malloc(65536 * sizeof(*v));
	size_t k = 0;

	if (!v)
		die("malloc");
	candidate_map(cfg, first, last, cand);
	for (unsigned p = first; p <= last; p++)
		if (cand[p] && !(busy_map && busy_map[p]))
			v[k++] = (uint16_t)p;
	shuffle(v, k);
	*count = k;
	return v;
}

static void print_header(void)
{
	printf("%-13s %6s  %-18s %11s %9s %9s %9s %10s\n", "scenario", "N",
	       "strategy", "median_ms", "ratio", "cpu_ratio", "attempts",
	       "failures");
}

/*
 * Each floor gets its own fresh ports every repetition: the library
 * draws new ones every time, and a floor must not bind the ports another
 * strategy bound a moment ago in the same repetition.
 */
static uint16_t *floor_ports(const struct open_case *oc, const int *busy_map,
			     size_t *nfree)
{
	uint16_t *ports = predraw(oc->cfg, oc->first, oc->last, busy_map,
				  nfree);

	if (*nfree < oc->n)
		die("predraw: not enough free candidates");
	return ports;
}

static void run_open_case(struct open_case *oc, const int *busy_map)
{
	double t[S_COUNT][MAX_REPS], c[S_COUNT][MAX_REPS];
	struct counts cnt[S_COUNT];
	int *fds = malloc(oc->n * sizeof(*fds));
	uint16_t *scratch = malloc(65536 * sizeof(*scratch));
	uint16_t *ports[3], *cands;
	size_t nfree, ncands;
	double ratio, cratio, noise, bare, cbare;

	if (!fds || !scratch)
		die("malloc");
	memset(cnt, 0, sizeof(cnt));
	for (int i = 0; i < 3; i++)
		ports[i] = floor_ports(oc, busy_map, &nfree);
	cands = predraw(oc->cfg, oc->first, oc->last, NULL, &ncands);
	for (int r = 0; r < reps; r++) {
		uint16_t order[S_COUNT];

		for (int i = 0; i < 3; i++)
			shuffle(ports[i], nfree);
		shuffle(cands, ncands);

		/* a random order each repetition */
		for (int k = 0; k < S_COUNT; k++)
			order[k] = (uint16_t)k;
		shuffle(order, S_COUNT);
		for (int k = 0; k < S_COUNT; k++) {
			int s = order[k];
			struct portpool *pool = NULL;
			struct portpool_stats st;
			uint64_t c0 = cpu_ns(), t0 = now_ns();

			switch (s) {
			case S_LIB:
				pool = portpool_open(oc->cfg);
				break;
			case S_FLOOR:
			case S_FLOOR2:
				floor_open(fds, oc->n, ports[s - S_FLOOR]);
				break;
			case S_BARE:
				bare_open(fds, oc->n, ports[2]);
				break;
			case S_UFLOOR:
				ufloor_open(fds, oc->n, cands, ncands,
					    &cnt[s]);
				break;
			case S_DIAG:
				diag_open(fds, oc->n, cands, ncands,
					  oc->first, oc->last, &cnt[s]);
				break;
			case S_KERNEL:
				kernel_open(fds, oc->n, &cnt[s]);
				break;
			case S_BIND:
				retry_open(fds, oc->n, oc->first, oc->last, 6,
					   false, &cnt[s]);
				break;
			case S_PDNS:
				retry_open(fds, oc->n, oc->first, oc->last, 8,
					   true, &cnt[s]);
				break;
			case S_DNSMASQ:
				retry_open(fds, oc->n, oc->first, oc->last,
					   100, false, &cnt[s]);
				break;
			case S_UNBOUND:
				shuffle_open(fds, oc->n, oc->first, oc->last,
					     scratch, &cnt[s]);
				break;
			}
			t[s][r] = (double)(now_ns() - t0);
			c[s][r] = (double)(cpu_ns() - c0);
			if (s == S_LIB) {
				if (!pool)
					die_pp("portpool_open");
				portpool_stats(pool, &st, sizeof(st));
				cnt[s].attempts += st.bind_attempts;
				cnt[s].failures += oc->n - st.size;
				portpool_close(pool);
			} else {
				if (bare_failed) {
					errno = 0;
					die("bare loop: a socket, option or "
					    "bind failed");
				}
				close_all(fds, oc->n);
			}
			settle();
		}
	}
	for (int s = 0; s < S_COUNT; s++) {
		double rr = median_ratio(t[s], t[S_FLOOR], reps);

		printf("%-13s %6zu  %-18s %11.3f %9.3f %9.3f %9.0f %10.1f\n",
		       oc->name, oc->n, strat_name[s],
		       median(t[s], reps) / 1e6, rr,
		       median_ratio(c[s], c[S_FLOOR], reps),
		       (double)cnt[s].attempts / reps,
		       (double)cnt[s].failures / reps);
	}
	noise = median_ratio(t[S_FLOOR2], t[S_FLOOR], reps);
	bare = median_ratio(t[S_FLOOR], t[S_BARE], reps);
	cbare = median_ratio(c[S_FLOOR], c[S_BARE], reps);
	/*
	 * Whether the floor does more work than the bare loop: on the CPU
	 * clock, which the rest of a shared machine does not move (the
	 * wall-clock ratio is shown beside it).
	 */
	printf("%-13s %6zu  => floor/bare loop = %.3f (wall clock %.3f)  "
	       "target 0.97-1.03  %s\n", oc->name, oc->n, cbare, bare,
	       fabs(cbare - 1) <= 0.03 ? "PASS" : "MISS");
	ratio = median_ratio(t[S_LIB], oc->vs_kernel ? t[S_KERNEL] :
			     t[S_FLOOR], reps);
	cratio = median_ratio(c[S_LIB], oc->vs_kernel ? c[S_KERNEL] :
			      c[S_FLOOR], reps);
	if (oc->vs_kernel)
		printf("%-13s %6zu  => lib/kernel = %.3f (CPU time %.3f)  "
		       "(information: port 0 is not a uniform choice)   "
		       "(noise floor/floor = %.3f; attempts, failures per "
		       "rep)\n\n", oc->name, oc->n, ratio, cratio, noise);
	else
		printf("%-13s %6zu  => lib/floor = %.3f (CPU time %.3f)  "
		       "target <= %.2f  %s   (noise floor/floor = %.3f; "
		       "attempts, failures per rep)\n\n", oc->name, oc->n,
		       ratio, cratio, oc->target,
		       ratio <= oc->target ? "PASS" : "MISS", noise);
	*oc->out = ratio;
	if (oc->out_uniform) {
		/*
		 * The kernel line measures the library against a choice
		 * portpool(3) rules out (port 0 is not uniform).  Show what
		 * a uniform choice costs at best, and how the library does
		 * against that.
		 */
		printf("%-13s %6zu  => uniform floor/kernel = %.3f, "
		       "uniform+sock_diag/kernel = %.3f (the least a uniform "
		       "choice costs here)\n", oc->name, oc->n,
		       median_ratio(t[S_UFLOOR], t[S_KERNEL], reps),
		       median_ratio(t[S_DIAG], t[S_KERNEL], reps));
		ratio = median_ratio(t[S_LIB], t[S_UFLOOR], reps);
		printf("%-13s %6zu  => lib/uniform floor = %.3f (CPU time "
		       "%.3f)  target <= %.2f  %s\n\n", oc->name, oc->n,
		       ratio, median_ratio(c[S_LIB], c[S_UFLOOR], reps),
		       CROWDED_UNIFORM_TARGET,
		       ratio <= CROWDED_UNIFORM_TARGET ? "PASS" : "MISS");
		*oc->out_uniform = ratio;
	}
	if (oc->out == &res->open_default_ratio) {
		res->noise = noise;
		res->bare_ratio = cbare;
	}
	free(cands);
	for (int i = 0; i < 3; i++)
		free(ports[i]);
	free(scratch);
	free(fds);
}

static struct portpool_config *new_cfg(void)
{
	struct portpool_config *cfg = portpool_config_new();

	if (!cfg)
		die_pp("portpool_config_new");
	return cfg;
}

static void scen_open_default(void)
{
	struct portpool_config *cfg = new_cfg();
	struct open_case oc = { "open-default", cfg, quick ? 1000 : 2500,
				49152, 65535, 1.10, false,
				&res->open_default_ratio, NULL };

	write_sysctl("ip_local_port_range", "49152 65535");
	if (portpool_config_set_size(cfg, (unsigned)oc.n) < 0)
		die_pp("set_size");
	run_open_case(&oc, NULL);
	portpool_config_free(cfg);
}

static void scen_open_kb(void)
{
	struct portpool_config *cfg = new_cfg();
	struct open_case oc = { "open-kb", cfg, quick ? 1000 : 2500,
				1024, 5000, 1.15, false,
				&res->open_kb_ratio, NULL };

	write_sysctl("ip_local_port_range", "1024 5000");
	if (portpool_config_set_size(cfg, (unsigned)oc.n) < 0 ||
	    portpool_config_set_max_user_port(cfg, 5000) < 0)
		die_pp("config");
	run_open_case(&oc, NULL);
	portpool_config_free(cfg);
}

/* The port the kernel gives a socket bound to port 0; it is free again
 * on return (a UDP socket leaves the hash table when closed). */
static unsigned kernel_choice(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = udp_socket();

	if (bind_port(fd, 0) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) != 0)
		die("kernel choice");
	close(fd);
	return ntohs(sin.sin_port);
}

/*
 * How many bits a choice made k times is worth: the entropy of the ports
 * seen (plug-in estimate), and how much likelier than the average port
 * the likeliest one is (1 for a uniform choice, up to sampling noise).
 */
static double choice_bits(const unsigned *seen, unsigned k, double *skew)
{
	double bits = 0;
	unsigned max = 0, ports = 0;

	for (unsigned p = 0; p < 65536; p++) {
		double f = (double)seen[p] / k;

		if (!seen[p])
			continue;
		ports++;
		bits -= f * log2(f);
		if (seen[p] > max)
			max = seen[p];
	}
	*skew = (double)max * ports / k;
	return bits;
}

/*
 * What the kernel's speed buys: its port 0 scans up from a random start
 * and takes the first free port, so a port behind a long busy run is
 * chosen more often.  Sample both choices in this layout.
 */
static void crowded_bias(const int *busy_map)
{
	unsigned k = quick ? 4000 : 20000, *seen = calloc(65536, sizeof(*seen));
	struct portpool_config *one = new_cfg();
	struct portpool *pool;
	double kbits, lbits, kskew, lskew;
	unsigned nfree = 0;

	if (!seen)
		die("malloc");
	if (portpool_config_set_size(one, 1) < 0)
		die_pp("set_size");
	for (unsigned p = 49152; p <= 65535; p++)
		nfree += !busy_map[p];
	for (unsigned i = 0; i < k; i++)
		seen[kernel_choice()]++;
	kbits = choice_bits(seen, k, &kskew);
	memset(seen, 0, 65536 * sizeof(*seen));
	pool = portpool_open(one);
	if (!pool)
		die_pp("portpool_open");
	for (unsigned i = 0; i < k; i++) {
		if (portpool_rotate(pool, 0) < 0)
			die_pp("portpool_rotate");
		seen[portpool_port(pool, 0)]++;
	}
	lbits = choice_bits(seen, k, &lskew);
	portpool_close(pool);
	portpool_config_free(one);
	printf("crowded: %u choices of one port among %u free: kernel %.2f "
	       "bits, likeliest port %.1fx the average; libportpool %.2f "
	       "bits, %.1fx (log2 of the free ports: %.2f)\n\n", k, nfree,
	       kbits, kskew, lbits, lskew, log2(nfree));
	res->kernel_bits = kbits;
	res->lib_bits = lbits;
	free(seen);
}

static void scen_crowded(void)
{
	struct portpool_config *cfg = new_cfg();
	struct open_case oc = { "crowded", cfg, quick ? 200 : 500,
				49152, 65535, 0, true,
				&res->crowded_ratio,
				&res->crowded_uniform_ratio };
	size_t range = 65535 - 49152 + 1, nbusy = range * 95 / 100;
	uint16_t *all = malloc(range * sizeof(*all));
	int *busy_fd = malloc(nbusy * sizeof(*busy_fd));
	int *busy_map = calloc(65536, sizeof(*busy_map));

	if (!all || !busy_fd || !busy_map)
		die("malloc");
	raise_nofile();
	write_sysctl("ip_local_port_range", "49152 65535");
	for (size_t i = 0; i < range; i++)
		all[i] = (uint16_t)(49152 + i);
	shuffle(all, range);
	for (size_t i = 0; i < nbusy; i++) {
		busy_fd[i] = udp_socket();
		if (bind_port(busy_fd[i], all[i]) != 0)
			die("crowded: bind");
		busy_map[all[i]] = 1;
	}
	if (portpool_config_set_size(cfg, (unsigned)oc.n) < 0)
		die_pp("set_size");
	printf("crowded: %zu of %zu ports of 49152-65535 held by other "
	       "sockets\n", nbusy, range);
	run_open_case(&oc, busy_map);
	crowded_bias(busy_map);
	close_all(busy_fd, nbusy);
	portpool_config_free(cfg);
	free(busy_map);
	free(busy_fd);
	free(all);
}

static void scen_whole(void)
{
	struct portpool_config *cfg = new_cfg();
	struct open_case oc = { "whole-range", cfg, 0, 50000, 51999, 1.10,
				false, &res->whole_ratio, NULL };
	long n;

	if (portpool_config_set_range(cfg, 50000, 51999) < 0 ||
	    portpool_config_set_flags(cfg, PORTPOOL_NO_HOST_SOURCES) < 0)
		die_pp("config");
	n = portpool_available(cfg);
	if (n <= 0)
		die_pp("portpool_available");
	oc.n = (size_t)n;
	if (portpool_config_set_size(cfg, (unsigned)n) < 0)
		die_pp("set_size");
	write_sysctl("ip_local_port_range", "50000 51999");
	run_open_case(&oc, NULL);
	portpool_config_free(cfg);
}

/* ---- pick, rotate, refresh, memory ---- */

static struct portpool *open_pool(size_t n)
{
	struct portpool_config *cfg = new_cfg();
	struct portpool *pool;

	if (portpool_config_set_size(cfg, (unsigned)n) < 0)
		die_pp("set_size");
	pool = portpool_open(cfg);
	if (!pool)
		die_pp("portpool_open");
	portpool_config_free(cfg);
	return pool;
}

static void scen_pick(void)
{
	long calls = quick ? 1000000 : 10000000;
	struct portpool *pool = open_pool(2500);
	double t[MAX_REPS];
	int r_reps = quick ? 3 : 5;
	volatile int sink = 0;

	for (int r = 0; r < r_reps; r++) {
		uint64_t t0 = now_ns();

		for (long i = 0; i < calls; i++)
			sink += portpool_pick(pool);
		t[r] = (double)(now_ns() - t0) / (double)calls;
	}
	(void)sink;
	res->pick_ns = median(t, r_reps);
	printf("%-13s %6d  %ld portpool_pick per rep, %d reps: median "
	       "%.2f ns/call  target <= 20 ns  %s\n\n", "pick", 2500, calls,
	       r_reps, res->pick_ns, res->pick_ns <= 20 ? "PASS" : "MISS");
	portpool_close(pool);
}

static void scen_rotate(void)
{
	size_t n = 2500, ops = quick ? 1000 : 10000;
	int rot_reps = quick ? 5 : (reps < 15 ? reps : 15);
	double tl[MAX_REPS], tf[MAX_REPS];
	struct portpool_config *cfg = new_cfg();
	int *fds = malloc(n * sizeof(*fds));
	uint16_t *ports;
	size_t nports;

	if (!fds)
		die("malloc");
	ports = predraw(cfg, 49152, 65535, NULL, &nports);
	for (int r = 0; r < rot_reps; r++) {
		for (int k = 0; k < 2; k++) {
			uint64_t t0;

			if ((k + r) % 2 == 0) {
				struct portpool *pool = open_pool(n);

				t0 = now_ns();
				for (size_t i = 0; i < ops; i++)
					if (portpool_rotate(pool, i % n) < 0)
						die_pp("portpool_rotate");
				tl[r] = (double)(now_ns() - t0);
				portpool_close(pool);
				settle();
				continue;
			}
			/*
			 * The floor: the same 2,500 held, each op binds a
			 * new socket to a free port then closes the old one;
			 * the old port goes to the back of the free queue.
			 */
			floor_open(fds, n, ports);
			t0 = now_ns();
			{
				size_t head = n;

				for (size_t i = 0; i < ops; i++) {
					size_t j = i % n;
					int fd = floor_socket();
					uint16_t old = ports[j];

					if (bind_port(fd, ports[head]) != 0)
						die("rotate floor: busy");
					close(fds[j]);
					fds[j] = fd;
					ports[j] = ports[head];
					ports[head] = old;
					head = head + 1 < nports ? head + 1 : n;
				}
			}
			tf[r] = (double)(now_ns() - t0);
			close_all(fds, n);
			settle();
		}
	}
	res->rotate_ratio = median_ratio(tl, tf, rot_reps);
	printf("%-13s %6zu  %zu rotations per rep, %d reps: lib %.3f ms "
	       "(%.2f us/op), floor %.3f ms (%.2f us/op)\n", "rotate", n, ops,
	       rot_reps, median(tl, rot_reps) / 1e6,
	       median(tl, rot_reps) / 1e3 / (double)ops,
	       median(tf, rot_reps) / 1e6,
	       median(tf, rot_reps) / 1e3 / (double)ops);
	printf("%-13s %6zu  => lib/floor = %.3f  target <= 1.20  %s\n\n",
	       "rotate", n, res->rotate_ratio,
	       res->rotate_ratio <= 1.20 ? "PASS" : "MISS");
	portpool_config_free(cfg);
	free(ports);
	free(fds);
}

static void scen_refresh(void)
{
	size_t n = quick ? 1000 : 2500;
	double t[MAX_REPS];
	char buf[16];

	for (int r = 0; r < reps; r++) {
		struct portpool *pool = open_pool(n);
		uint16_t port = portpool_port(pool, rnd_uniform((uint32_t)n));
		uint64_t t0;
		int moved;

		settle();
		snprintf(buf, sizeof(buf), "%u", (unsigned)port);
		write_sysctl("ip_local_reserved_ports", buf);
		t0 = now_ns();
		moved = portpool_refresh(pool);
		t[r] = (double)(now_ns() - t0);
		if (moved != 1)
			die_pp("portpool_refresh did not move one member");
		write_sysctl("ip_local_reserved_ports", "");
		portpool_close(pool);
	}
	res->refresh_ms = median(t, reps) / 1e6;
	printf("%-13s %6zu  one port newly reserved, %d reps: median %.3f ms  "
	       "target <= 2 ms  %s\n\n", "refresh", n, reps, res->refresh_ms,
	       res->refresh_ms <= 2 ? "PASS" : "MISS");
}

/*
 * The candidate map for all 65,536 ports against one
 * portpool_is_excluded(): both read the same host files once, so the
 * map should cost little more than the files.  Interleaved, per-rep
 * ratios of the mean over a batch of calls each.
 */
static void scen_map(void)
{
	static uint64_t map[PORTPOOL_MAP_WORDS];
	struct portpool_config *cfg = new_cfg();
	int calls = quick ? 50 : 200;
	double tm[MAX_REPS], te[MAX_REPS];
	volatile long sink = 0;

	for (int r = 0; r < reps; r++) {
		for (int k = 0; k < 2; k++) {
			uint64_t t0 = now_ns();

			if ((k + r) % 2 == 0) {
				for (int i = 0; i < calls; i++)
					sink += portpool_candidate_map(cfg,
								       map);
				tm[r] = (double)(now_ns() - t0) / calls;
			} else {
				for (int i = 0; i < calls; i++)
					sink += portpool_is_excluded(cfg,
						(uint16_t)(49152 + i));
				te[r] = (double)(now_ns() - t0) / calls;
			}
		}
	}
	(void)sink;
	if (portpool_candidate_map(cfg, map) < 0)
		die_pp("portpool_candidate_map");
	res->map_ratio = median_ratio(tm, te, reps);
	printf("%-13s %6d  %d calls per rep, %d reps: candidate_map %.1f us, "
	       "is_excluded %.1f us\n", "map", 65536, calls, reps,
	       median(tm, reps) / 1e3, median(te, reps) / 1e3);
	printf("%-13s %6d  => map/is_excluded = %.3f  target <= 2.00  %s\n\n",
	       "map", 65536, res->map_ratio,
	       res->map_ratio <= 2.0 ? "PASS" : "MISS");
	portpool_config_free(cfg);
}

static double heap_held(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (double)mi.uordblks + (double)mi.hblkhd;
}

static double pool_heap(size_t n)
{
	struct portpool_config *cfg = new_cfg();
	struct portpool *pool;
	double before, after;

	if (portpool_config_set_size(cfg, (unsigned)n) < 0)
		die_pp("set_size");
	before = heap_held();
	pool = portpool_open(cfg);
	after = heap_held();
	if (!pool)
		die_pp("portpool_open");
	portpool_close(pool);
	portpool_config_free(cfg);
	return after - before;
}

static void scen_memory(void)
{
	size_t n1 = 100, n2 = 2500;
	double h1, h2, per, fixed;

	pool_heap(n1);			/* warm stdio and malloc up */
	h1 = pool_heap(n1);
	h2 = pool_heap(n2);
	per = (h2 - h1) / (double)(n2 - n1);
	fixed = h1 - per * (double)n1;
	res->mem_per_member = per;
	res->mem_fixed = fixed;
	printf("%-13s %6s  heap held by an open pool (mallinfo2): N=%zu %.0f B,"
	       " N=%zu %.0f B\n", "memory", "", n1, h1, n2, h2);
	printf("%-13s %6s  => fixed %.0f B + %.2f B/member (+ one mmap'd "
	       "4096 B random page, not heap)  target <= 32768 B + 16 "
	       "B/member  %s\n\n", "memory", "", fixed, per,
	       fixed <= 32768 && per <= 16 ? "PASS" : "MISS");
}

/* ---- audit: portpool-info --audit against ss -uanp ---- */

/* Run argv with stdout and stderr on /dev/null; its time in ns. */
static double run_timed(char *const argv[], int want)
{
	uint64_t t0 = now_ns();
	pid_t pid = fork();
	int status;

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != want) {
		errno = 0;
		fprintf(stderr, "bench: %s exited %d, not %d\n", argv[0],
			WIFEXITED(status) ? WEXITSTATUS(status) : -1, want);
		die(argv[0]);
	}
	return (double)(now_ns() - t0);
}

/* The holder: a child whose descriptors are n UDP sockets and nothing
 * else (a hard limit of exactly 20,000 leaves no room for stdio), bound
 * to first..first+n-1; it stops itself when they are all bound. */
static pid_t hold_sockets(unsigned n, unsigned first)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max < n)
			_exit(3);
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(4);
		/* Every descriptor, inherited ones too. */
		for (rlim_t fd = 0; fd < rl.rlim_max; fd++)
			close((int)fd);
		for (unsigned i = 0; i < n; i++) {
			struct sockaddr_in a = { .sin_family = AF_INET,
				.sin_port = htons((uint16_t)(first + i)) };
			int fd = socket(AF_INET, SOCK_DGRAM, 0);

			if (fd < 0 || bind(fd, (struct sockaddr *)&a,
					   sizeof(a)) < 0)
				_exit(5);
		}
		raise(SIGSTOP);
		_exit(0);
	}
	if (waitpid(pid, &status, WUNTRACED) < 0)
		die("waitpid");
	if (!WIFSTOPPED(status)) {
		errno = 0;
		fprintf(stderr, "bench: the socket holder exited %d (3: hard "
			"RLIMIT_NOFILE under %u)\n",
			WIFEXITED(status) ? WEXITSTATUS(status) : -1, n);
		die("holding the audit's sockets");
	}
	return pid;
}

/* 20,000 UDP sockets in one process, every port a candidate of the
 * audited range: the audit must find all of them and their process,
 * which it then takes for a socket pool (20,000 distinct ports), so
 * nothing is at risk and it exits 0. */
static void scen_audit(void)
{
	const unsigned n = quick ? 5000 : 20000, first = 30000;
	/* ss -uanp takes about 2 s here: 9 repetitions at most. */
	const int areps = reps < 9 ? reps : 9;
	char tool[4096], range[32];
	double ta[MAX_REPS], ts[MAX_REPS];
	ssize_t len = readlink("/proc/self/exe", tool, sizeof(tool) - 32);
	char *slash;
	pid_t holder;

	if (len < 0)
		die("readlink /proc/self/exe");
	tool[len] = '\0';
	/* build/test/bench -> build/tools/portpool-info */
	slash = strrchr(tool, '/');
	if (!slash)
		die("the bench's path");
	*slash = '\0';
	slash = strrchr(tool, '/');
	if (!slash)
		die("the bench's path");
	strcpy(slash, "/tools/portpool-info");
	if (access(tool, X_OK) < 0)
		die(tool);
	holder = hold_sockets(n, first);
	snprintf(range, sizeof(range), "%u-%u", first, first + n - 1);
	{
		char *audit[] = { tool, "--range", range, "--audit", NULL };
		char *ss[] = { "ss", "-uanp", NULL };

		for (int r = 0; r < areps; r++) {
			ts[r] = run_timed(ss, 0);
			ta[r] = run_timed(audit, 0);
		}
	}
	kill(holder, SIGKILL);
	waitpid(holder, NULL, 0);
	res->audit_ratio = median_ratio(ta, ts, areps);
	printf("%-13s %6u  UDP sockets in one process, %d reps: --audit "
	       "%.1f ms, ss -uanp %.1f ms: ratio %.3f  target <= 1.5  %s\n\n",
	       "audit", n, areps, median(ta, areps) / 1e6,
	       median(ts, areps) / 1e6, res->audit_ratio,
	       res->audit_ratio <= 1.5 ? "PASS" : "MISS");
}

/* ---- guard: portpool-guard and libportpool-preload.so on bind() ---- */

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);

/* socket + bind to a free explicit port + close, n times: ns per round.
 * The port moves over 40000-41023: now and then a port just closed is
 * still busy for an instant here (EADDRINUSE), which is counted, not
 * fatal. */
static unsigned long bind_busy;

static double bind_round(bind_fn bind_call, int n)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	uint64_t t0 = now_ns();

	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			die("guard bench: socket");
		a.sin_port = htons((uint16_t)(40000 + (i & 1023)));
		if (bind_call(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
			if (errno != EADDRINUSE)
				die("guard bench: bind");
			bind_busy++;
		}
		close(fd);
	}
	return (double)(now_ns() - t0) / n;
}

/* Run a program and wait: 0 iff it exited 0. */
static int run_quiet(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void join_cgroup(const char *dir)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || dprintf(fd, "%d\n", (int)getpid()) < 0)
		die(path);
	close(fd);
}

/* What scen_guard() made, undone whatever happened to the measuring. */
static char guard_tool[4200], guard_tmp[32], guard_pins[64];
static char guard_plain[4200], guard_guarded[4200];
static pid_t guard_ns_pid;	/* holds a second network namespace */

static void guard_cleanup(void)
{
	char *unload[] = { guard_tool, "--pin-dir", guard_pins, "unload",
			   NULL };

	run_quiet(unload);
	if (guard_ns_pid > 0) {
		kill(guard_ns_pid, SIGKILL);
		waitpid(guard_ns_pid, NULL, 0);
		guard_ns_pid = 0;
	}
	rmdir(guard_plain);
	rmdir(guard_guarded);
	umount(guard_tmp);
	rmdir(guard_tmp);
}

static void guard_die(const char *what)
{
	int saved = errno;

	guard_cleanup();
	errno = saved;
	die(what);
}

#define GUARD_SLICES 20

/* The measuring, in a child of its own: it moves between the cgroups,
 * and when it has exited they are empty and can go. */
static void guard_measure(const char *shim)
{
	static double gslice[MAX_REPS * GUARD_SLICES];
	static double pslice[MAX_REPS * GUARD_SLICES];
	double g[MAX_REPS], gb[MAX_REPS], p[MAX_REPS], pb[MAX_REPS];
	int n = quick ? 2000 : 10000, slice = n / GUARD_SLICES;
	size_t npairs;
	bind_fn shim_bind;
	void *dl;

	dl = dlopen(shim, RTLD_NOW | RTLD_LOCAL);
	shim_bind = dl ? (bind_fn)dlsym(dl, "bind") : NULL;
	if (!shim_bind)
		die("guard bench: dlopen the preload");
	/* socket() alone costs microseconds here and drifts with the
	 * machine's load: the two sides run in short adjacent slices, in
	 * ABBA order, and the ratio is the median over every slice pair,
	 * so that drift falls on both sides alike. */
	for (int r = -1; r < reps; r++) {	/* r = -1 warms up */
		double t[4] = { 0, 0, 0, 0 };

		for (int k = 0; k < GUARD_SLICES; k++) {
			int first = k & 1;	/* A B, then B A */
			double s[4];

			join_cgroup(first ? guard_plain : guard_guarded);
			s[first] = bind_round(bind, slice);
			join_cgroup(first ? guard_guarded : guard_plain);
			s[!first] = bind_round(bind, slice);
			s[2 + first] = bind_round(first ? bind : shim_bind,
						  slice);
			s[3 - first] = bind_round(first ? shim_bind : bind,
						  slice);
			for (int i = 0; i < 4; i++)
				t[i] += s[i] / GUARD_SLICES;
			if (r < 0)
				continue;
			gslice[r * GUARD_SLICES + k] = s[0] / s[1];
			pslice[r * GUARD_SLICES + k] = s[2] / s[3];
		}
		if (r < 0)
			continue;
		g[r] = t[0], gb[r] = t[1], p[r] = t[2], pb[r] = t[3];
	}
	npairs = (size_t)reps * GUARD_SLICES;
	qsort(gslice, npairs, sizeof(double), cmp_double);
	qsort(pslice, npairs, sizeof(double), cmp_double);
	res->guard_ratio = (gslice[(npairs - 1) / 2] + gslice[npairs / 2]) / 2;
	res->preload_ratio = (pslice[(npairs - 1) / 2] + pslice[npairs / 2]) /
			     2;
	printf("%-13s %6d  socket+bind+close: plain %.0f ns, guarded %.0f ns"
	       " (medians) => median slice ratio %.3f  target <= 1.05  %s\n",
	       "guard", n,
	       median(gb, reps), median(g, reps), res->guard_ratio,
	       res->guard_ratio <= 1.05 ? "PASS" : "MISS");
	printf("%-13s %6d  socket+bind+close: libc bind %.0f ns, preload bind "
	       "%.0f ns => median slice ratio %.3f  target <= 1.03  %s\n\n",
	       "guard", n, median(pb, reps), median(p, reps),
	       res->preload_ratio, res->preload_ratio <= 1.03 ? "PASS" :
	       "MISS");
	if (bind_busy)
		printf("%-13s %6s  (%lu binds found their port still busy)\n\n",
		       "guard", "", bind_busy);
	fflush(stdout);
}

/*
 * The guard: a child process moves between two child cgroups made here,
 * one with the guard's programs attached, every slice.  The preload: its
 * bind() called through dlopen, against the C library's, in the same
 * process: what LD_PRELOAD puts on a program's bind path.  Both bind an
 * explicit port that is not denied, the path every daemon bind takes.
 */
static void scen_guard(void)
{
	char build[4096], shim[4200], cgroot[4096] = "", dev[256], type[64];
	ssize_t len;
	FILE *f;
	pid_t pid;
	int status;

	len = readlink("/proc/self/exe", build, sizeof(build) - 1);
	if (len < 0)
		die("readlink /proc/self/exe");
	build[len] = '\0';
	*strrchr(build, '/') = '\0';	/* B/test */
	*strrchr(build, '/') = '\0';	/* B */
	snprintf(guard_tool, sizeof(guard_tool), "%s/tools/portpool-guard",
		 build);
	snprintf(shim, sizeof(shim), "%s/libportpool-preload.so", build);
	if (access(guard_tool, X_OK) != 0 || access(shim, R_OK) != 0) {
		printf("%-13s %6s  skipped: build the guard first (make guard)"
		       "\n\n", "guard", "");
		return;
	}
	f = fopen("/proc/mounts", "r");
	while (f && fscanf(f, "%255s %4095s %63s %*[^\n]", dev, cgroot,
			   type) == 3 && strcmp(type, "cgroup2"))
		;
	if (!f || strcmp(type, "cgroup2"))
		die("guard bench: no cgroup2 mount");
	fclose(f);
	snprintf(guard_tmp, sizeof(guard_tmp), "/tmp/ppbenchXXXXXX");
	if (!mkdtemp(guard_tmp))
		die("guard bench: mkdtemp");
	snprintf(guard_pins, sizeof(guard_pins), "%s/pins", guard_tmp);
	snprintf(guard_plain, sizeof(guard_plain), "%s/%s-plain", cgroot,
		 guard_tmp + 5);
	snprintf(guard_guarded, sizeof(guard_guarded), "%s/%s-guarded",
		 cgroot, guard_tmp + 5);
	if (mount("bpf", guard_tmp, "bpf", 0, NULL) != 0 ||
	    mkdir(guard_plain, 0755) || mkdir(guard_guarded, 0755))
		guard_die("guard bench: bpffs or cgroups");
	{
		char *load[] = { guard_tool, "--pin-dir", guard_pins, "load",
				 NULL };
		char *att[] = { guard_tool, "--pin-dir", guard_pins, "attach",
				guard_guarded, NULL };
		/* As a whole host has them: an owner, and a second network
		 * namespace, which a child holds. */
		char *own[] = { guard_tool, "--pin-dir", guard_pins, "own",
				"4500", guard_guarded, NULL };
		char nspath[64];
		char *ns[] = { guard_tool, "--pin-dir", guard_pins, "sync",
			       "--netns", nspath, NULL };
		int ready[2];
		char c;

		if (pipe(ready) != 0)
			guard_die("pipe");
		guard_ns_pid = fork();
		if (guard_ns_pid == 0) {
			if (unshare(CLONE_NEWNET) != 0 ||
			    write(ready[1], "x", 1) != 1)
				_exit(1);
			pause();
			_exit(0);
		}
		close(ready[1]);
		if (guard_ns_pid < 0 || read(ready[0], &c, 1) != 1)
			guard_die("guard bench: a second network namespace");
		close(ready[0]);
		snprintf(nspath, sizeof(nspath), "/proc/%d/ns/net",
			 (int)guard_ns_pid);
		if (run_quiet(load) || run_quiet(att) || run_quiet(own) ||
		    run_quiet(ns))
			guard_die("guard bench: portpool-guard load/attach/"
				  "own/sync --netns");
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		guard_die("fork");
	if (pid == 0) {
		guard_measure(shim);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		guard_die("waitpid");
	guard_cleanup();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench: the guard scenario failed\n");
		_exit(2);
	}
}

/* ---- driver ---- */

/* Whether the comma-separated list names the scenario. */
static bool listed(const char *list, const char *name)
{
	size_t len = strlen(name);

	for (;;) {
		if (strncmp(list, name, len) == 0 &&
		    (list[len] == ',' || !list[len]))
			return true;
		list = strchr(list, ',');
		if (!list)
			return false;
		list++;
	}
}

static void run_scenario(void (*fn)(void))
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		enter_netns();
		fn();
		fflush(stdout);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench: a scenario failed (status %d)\n",
			status);
		exit(2);
	}
}

static const struct scenario {
	const char *name;
	void (*fn)(void);
} scenarios[] = {
	{ "open-default", scen_open_default },
	{ "open-kb", scen_open_kb },
	{ "crowded", scen_crowded },
	{ "whole-range", scen_whole },
	{ "pick", scen_pick },
	{ "rotate", scen_rotate },
	{ "refresh", scen_refresh },
	{ "memory", scen_memory },
	{ "map", scen_map },
	{ "audit", scen_audit },
	{ "guard", scen_guard },
};

#define NSCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

/* BENCH_ONLY must name scenarios that exist, or a typo runs nothing. */
static int check_only(const char *only)
{
	char copy[256], *name, *save;

	snprintf(copy, sizeof(copy), "%s", only);
	for (name = strtok_r(copy, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < NSCENARIOS; i++)
			if (strcmp(name, scenarios[i].name) == 0)
				break;
		if (i == NSCENARIOS) {
			fprintf(stderr, "bench: BENCH_ONLY: no scenario "
				"\"%s\"; there are", name);
			for (i = 0; i < NSCENARIOS; i++)
				fprintf(stderr, " %s", scenarios[i].name);
			fprintf(stderr, "\n");
			return -1;
		}
	}
	return 0;
}

int main(void)
{
	const char *q = getenv("BENCH_QUICK"), *r = getenv("BENCH_REPS");
	const char *only = getenv("BENCH_ONLY");
	uint64_t t0 = now_ns();

	quick = q && *q && strcmp(q, "0") != 0;
	if (only && *only && check_only(only) < 0)
		return 2;
	reps = quick ? 5 : 31;
	if (r && *r) {
		reps = atoi(r);
		if (reps < 1 || reps > MAX_REPS) {
			fprintf(stderr, "bench: BENCH_REPS must be 1-%d\n",
				MAX_REPS);
			return 2;
		}
	}
	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		die("mmap");
	/* A scenario left out by BENCH_ONLY shows as nan, not as 0. */
	for (size_t i = 0; i < sizeof(*res) / sizeof(double); i++)
		((double *)res)[i] = NAN;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("floor = socket + %s + bind to pre-drawn free ports\n",
#ifdef PORTPOOL_NO_PMTUDISC_OMIT
	       "setsockopt(IP_MTU_DISCOVER, IP_PMTUDISC_OMIT)"
#else
	       "no setsockopt"
#endif
	       );
	printf("libportpool bench: %d reps%s; times are medians, ratios the "
	       "median of per-rep ratios to the floor\n\n", reps,
	       quick ? " (BENCH_QUICK)" : "");
	print_header();
	for (size_t i = 0; i < NSCENARIOS; i++)
		if (!only || !*only || listed(only, scenarios[i].name))
			run_scenario(scenarios[i].fn);
	printf("noise: floor vs identical floor (open-default) = %.3f "
	       "(median of per-rep ratios; 1.000 is no noise); floor vs bare "
	       "loop (CPU time) = %.3f\n", res->noise, res->bare_ratio);
	printf("total %.1f s\n", (double)(now_ns() - t0) / 1e9);
	printf("open_default_ratio=%.3f open_kb_ratio=%.3f crowded_ratio=%.3f "
	       "crowded_uniform_ratio=%.3f crowded_kernel_bits=%.2f "
	       "crowded_lib_bits=%.2f whole_ratio=%.3f pick_ns=%.2f "
	       "rotate_ratio=%.3f refresh_ms=%.3f mem_fixed_bytes=%.0f "
	       "mem_per_member_bytes=%.2f map_ratio=%.3f audit_ratio=%.3f "
	       "guard_ratio=%.3f preload_ratio=%.3f floor_bare_ratio=%.3f\n",
	       res->open_default_ratio,
	       res->open_kb_ratio, res->crowded_ratio,
	       res->crowded_uniform_ratio, res->kernel_bits, res->lib_bits,
	       res->whole_ratio, res->pick_ns, res->rotate_ratio,
	       res->refresh_ms, res->mem_fixed, res->mem_per_member,
	       res->map_ratio, res->audit_ratio, res->guard_ratio,
	       res->preload_ratio, res->bare_ratio);
	return 0;
}
