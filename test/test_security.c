/* SPDX-License-Identifier: ISC */
/*
 * Properties an attacker would go after: the randomness (uniform, no
 * bias, not replayed across fork), descriptors that do not leak into
 * exec'd programs, and the SAD DNS defence on every member.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pool.h"
#include "util.h"

/* Strict enough to catch a biased generator, loose enough never to flake. */
#define ALPHA 1e-6
#define DRAWS 1000000

static struct portpool_config *small_config(unsigned first, unsigned last,
					    unsigned size)
{
	struct portpool_config *cfg = portpool_config_new();

	assert_non_null(cfg);
	assert_int_equal(portpool_config_set_range(cfg, first, last), 0);
	assert_int_equal(portpool_config_set_size(cfg, size), 0);
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_HOST_SOURCES), 0);
	return cfg;
}

static void pmtu_discovery_omitted(void **state)
{
	static const struct {
		int family, level, name, omit;
	} fam[] = {
		{ AF_INET, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_OMIT },
		{ AF_INET6, IPPROTO_IPV6, IPV6_MTU_DISCOVER,
		  IPV6_PMTUDISC_OMIT },
	};

	(void)state;
	pp_test_require_netns();
	for (size_t f = 0; f < 2; f++) {
		for (int off = 0; off < 2; off++) {
			struct portpool_config *cfg = small_config(44000,
								   44099, 20);
			struct portpool *pool;

			assert_int_equal(portpool_config_set_family(cfg,
				fam[f].family), 0);
			assert_int_equal(portpool_config_set_flags(cfg,
				PORTPOOL_NO_HOST_SOURCES |
				(off ? PORTPOOL_NO_PMTUDISC_OMIT : 0)), 0);
			pool = portpool_open(cfg);
			assert_non_null(pool);
			for (size_t i = 0; i < portpool_size(pool); i++) {
				int v = -1;
				socklen_t len = sizeof(v);

				assert_int_equal(getsockopt(portpool_fd(pool,
					i), fam[f].level, fam[f].name, &v,
					&len), 0);
				if (off)
					assert_int_not_equal(v, fam[f].omit);
				else
					assert_int_equal(v, fam[f].omit);
			}
			/* a rotated member is defended too */
			assert_int_equal(portpool_rotate(pool, 0), 0);
			portpool_close(pool);
			portpool_config_free(cfg);
		}
	}
}

/* Both sides of a fork draw from the generator: never the same values. */
static void fork_does_not_replay(void **state)
{
	struct pp_rng *rng = pp_rng_new();
	uint32_t mine[8], theirs[8];
	int fds[2], status;
	pid_t pid;

	(void)state;
	assert_non_null(rng);
	/* fill the buffer before the fork: the child must not reuse it */
	assert_int_equal(pp_rng_uniform(rng, 1000, &mine[0]), 0);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint32_t out[8];

		for (int i = 0; i < 8; i++)
			if (pp_rng_uniform(rng, 65536, &out[i]) < 0)
				_exit(1);
		_exit(write(fds[1], out, sizeof(out)) == sizeof(out) ? 0 : 1);
	}
	for (int i = 0; i < 8; i++)
		assert_int_equal(pp_rng_uniform(rng, 65536, &mine[i]), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(read(fds[0], theirs, sizeof(theirs)),
			 (ssize_t)sizeof(theirs));
	close(fds[0]);
	close(fds[1]);
	assert_memory_not_equal(mine, theirs, sizeof(mine));
	pp_rng_free(rng);
}

/* Same, through the API: parent and child rotate to different ports. */
static void fork_rotates_apart(void **state)
{
	struct portpool_config *cfg = small_config(45000, 45999, 4);
	struct portpool *pool;
	int fds[2], status;
	uint16_t child_ports[8], ports[8];
	pid_t pid;

	(void)state;
	pp_test_require_netns();
	pool = portpool_open(cfg);
	assert_non_null(pool);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int ok = 1;

		for (int i = 0; i < 8 && ok; i++) {
			ok = portpool_rotate(pool, 0) == 0;
			child_ports[i] = portpool_port(pool, 0);
		}
		ok = ok && write(fds[1], child_ports, sizeof(child_ports)) ==
			   sizeof(child_ports);
		/* the child's copy is its own to free (valgrind checks) */
		portpool_close(pool);
		portpool_config_free(cfg);
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the child's sockets are closed now: the parent may take them */
	for (int i = 0; i < 8; i++) {
		assert_int_equal(portpool_rotate(pool, 0), 0);
		ports[i] = portpool_port(pool, 0);
	}
	assert_int_equal(read(fds[0], child_ports, sizeof(child_ports)),
			 (ssize_t)sizeof(child_ports));
	close(fds[0]);
	close(fds[1]);
	assert_memory_not_equal(ports, child_ports, sizeof(ports));
	portpool_close(pool);
	portpool_config_free(cfg);
}

/*
 * dnsmasq's TCP children close their copies of the members: the child's
 * portpool_close() closes the child's descriptors only, and the parent's
 * members stay bound, receive and rotate.
 */
static void fork_child_close_leaves_parent(void **state)
{
	struct portpool_config *cfg = small_config(45000, 45999, 16);
	struct sockaddr_in to = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct pollfd pfd = { .events = POLLIN };
	struct portpool *pool;
	uint16_t before[16];
	int status, fd;
	pid_t pid;

	(void)state;
	pp_test_require_netns();
	pool = portpool_open(cfg);
	assert_non_null(pool);
	assert_int_equal(portpool_size(pool), 16);
	for (size_t i = 0; i < 16; i++)
		before[i] = portpool_port(pool, i);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fds[16];

		for (size_t i = 0; i < 16; i++)
			fds[i] = portpool_fd(pool, i);
		portpool_close(pool);
		portpool_config_free(cfg);
		/* the child's copies are gone */
		for (size_t i = 0; i < 16; i++)
			if (fcntl(fds[i], F_GETFD) != -1 || errno != EBADF)
				_exit(1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	for (size_t i = 0; i < 16; i++) {
		struct sockaddr_in mine;
		socklen_t len = sizeof(mine);
		char buf[8];

		assert_int_equal(portpool_port(pool, i), before[i]);
		assert_int_equal(getsockname(portpool_fd(pool, i),
			(struct sockaddr *)&mine, &len), 0);
		assert_int_equal(ntohs(mine.sin_port), before[i]);
		/* still bound and still receiving */
		to.sin_port = htons(before[i]);
		assert_int_equal(sendto(fd, "ping", 4, 0,
			(struct sockaddr *)&to, sizeof(to)), 4);
		pfd.fd = portpool_fd(pool, i);
		assert_int_equal(poll(&pfd, 1, 2000), 1);
		assert_int_equal(recv(pfd.fd, buf, sizeof(buf), 0), 4);
		assert_memory_equal(buf, "ping", 4);
	}
	close(fd);
	assert_int_equal(portpool_rotate(pool, 0), 0);
	portpool_close(pool);
	portpool_config_free(cfg);
}

static void exec_inherits_nothing(void **state)
{
	struct portpool_config *cfg = small_config(46000, 46999, 200);
	struct portpool *pool;
	char line[64] = "";
	FILE *p;
	long before, inherited;

	(void)state;
	pp_test_require_netns();
	/* what a program exec'd from here has open, without a pool */
	p = popen("ls /proc/self/fd | wc -l", "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	pclose(p);
	before = atol(line);
	pool = portpool_open(cfg);
	assert_non_null(pool);
	p = popen("ls /proc/self/fd | wc -l", "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	pclose(p);
	inherited = atol(line);
	assert_int_equal(inherited, before);
	portpool_close(pool);
	portpool_config_free(cfg);
}

/* Upper tail of chi-square with k degrees of freedom: Wilson-Hilferty. */
static double chi2_critical(double k, double alpha)
{
	/* z for one-sided alpha = 1e-6 */
	double z = alpha <= 1e-6 ? 4.7534 : 3.0902;
	double t = 2.0 / (9.0 * k);

	return k * pow(1.0 - t + z * sqrt(t), 3);
}

static void uniform_draws_chi_square(void **state)
{
	/* 40000-49999: 10,000 values, not a power of two */
	static unsigned long bucket[64], value[10000];
	struct pp_rng *rng = pp_rng_new();
	double chi2 = 0, chi2_values = 0;
	uint32_t v;

	(void)state;
	memset(bucket, 0, sizeof(bucket));
	memset(value, 0, sizeof(value));
	for (int i = 0; i < DRAWS; i++) {
		assert_int_equal(pp_rng_uniform(rng, 10000, &v), 0);
		assert_true(v < 10000);
		bucket[v * 64 / 10000]++;
		value[v]++;
	}
	/*
	 * Per value too: without rejection, 16-bit draws would give some
	 * values 7 preimages and others 6, a bias the 64 buckets average
	 * away but 10,000 cells of 100 expected each do not.
	 */
	for (unsigned i = 0; i < 10000; i++) {
		double d = (double)value[i] - DRAWS / 10000.0;

		chi2_values += d * d / (DRAWS / 10000.0);
	}
	if (chi2_values > chi2_critical(9999, ALPHA))
		fail_msg("chi-square %.0f over 9999 values exceeds %.0f",
			 chi2_values, chi2_critical(9999, ALPHA));
	/* bounds are counts of ports: at most 65,536 */
	assert_int_equal(pp_rng_uniform(rng, 65537, &v), -1);
	assert_int_equal(errno, EINVAL);
	for (unsigned b = 0; b < 64; b++) {
		/* bucket b holds the values v with v * 64 / 10000 == b */
		unsigned lo = (b * 10000 + 63) / 64;
		unsigned hi = ((b + 1) * 10000 + 63) / 64;
		double expect = (double)DRAWS * (hi - lo) / 10000.0;
		double d = (double)bucket[b] - expect;

		chi2 += d * d / expect;
	}
	if (chi2 > chi2_critical(63, ALPHA))
		fail_msg("chi-square %.1f over 63 df exceeds %.1f", chi2,
			 chi2_critical(63, ALPHA));
	pp_rng_free(rng);
}

/*
 * One draw from a set of `nfree` ports in 40000-41023, many times over,
 * the set restored after each: every free port must come up as often as
 * the others.  A dense set is served by rejection, a sparse one by rank
 * selection, one in between by both.  Half the ports are packed at the
 * start and half spread out, so that a draw that favoured ports after a
 * gap (as port 0's scan does) or low ranks would show.
 */
static void draw_regime(unsigned nfree)
{
	enum { FIRST = 40000, SPAN = 1024, PER_PORT = 200 };
	static unsigned long seen[SPAN];
	struct portpool pool;
	struct pp_bitmap free;
	unsigned long left = nfree, draws = (unsigned long)PER_PORT * nfree;
	struct pp_draw_set set = { &free, &left, FIRST, FIRST + SPAN - 1 };
	unsigned packed = nfree / 2, spread = nfree - packed;
	double chi2 = 0;
	uint16_t port;

	memset(&pool, 0, sizeof(pool));
	pool.rng = pp_rng_new();
	assert_non_null(pool.rng);
	memset(seen, 0, sizeof(seen));
	pp_bitmap_zero(&free);
	for (unsigned k = 0; k < packed; k++)
		pp_bitmap_set(&free, FIRST + k);
	for (unsigned k = 1; k <= spread; k++)
		pp_bitmap_set(&free, FIRST + SPAN - k * (SPAN - packed) /
				     spread);
	assert_int_equal(pp_bitmap_count(&free), nfree);
	for (unsigned long i = 0; i < draws; i++) {
		assert_int_equal(pp_pool_draw(&pool, &set, &port), 0);
		assert_false(pp_bitmap_test(&free, port));
		assert_int_equal(left, nfree - 1);
		assert_true(port >= FIRST && port < FIRST + SPAN);
		seen[port - FIRST]++;
		pp_bitmap_set(&free, port);
		left++;
	}
	for (unsigned p = 0; p < SPAN; p++) {
		double d = (double)seen[p] - PER_PORT;

		if (pp_bitmap_test(&free, FIRST + p))
			chi2 += d * d / PER_PORT;
		else
			assert_int_equal(seen[p], 0);
	}
	if (chi2 > chi2_critical(nfree - 1, ALPHA))
		fail_msg("%u free of %u: chi-square %.1f exceeds %.1f", nfree,
			 SPAN, chi2, chi2_critical(nfree - 1, ALPHA));
	/* without replacement: the set empties, each port once */
	memset(seen, 0, sizeof(seen));
	for (unsigned k = 0; k < nfree; k++) {
		assert_int_equal(pp_pool_draw(&pool, &set, &port), 0);
		assert_int_equal(seen[port - FIRST]++, 0);
	}
	assert_int_equal(left, 0);
	assert_int_equal(pp_pool_draw(&pool, &set, &port), 1);
	pp_rng_free(pool.rng);
}

static void draws_uniform_dense_and_sparse(void **state)
{
	(void)state;
	draw_regime(1000);	/* rejection */
	draw_regime(100);	/* rejection, now and then rank */
	draw_regime(40);	/* rank selection */
}

/* SP 800-22 monobit and runs tests, on the bits of 16-bit draws. */
static void monobit_and_runs(void **state)
{
	struct pp_rng *rng = pp_rng_new();
	const double n = (double)DRAWS * 16;
	unsigned long ones = 0, runs = 1;
	int prev = -1;
	double s_obs, p, pi, v;

	(void)state;
	for (int i = 0; i < DRAWS; i++) {
		uint32_t x;

		assert_int_equal(pp_rng_uniform(rng, 65536, &x), 0);
		for (int b = 0; b < 16; b++) {
			int bit = (x >> b) & 1;

			ones += (unsigned long)bit;
			if (prev >= 0 && bit != prev)
				runs++;
			prev = bit;
		}
	}
	s_obs = fabs(2.0 * (double)ones - n) / sqrt(n);
	p = erfc(s_obs / sqrt(2.0));
	if (p < ALPHA)
		fail_msg("monobit: p = %g", p);
	pi = (double)ones / n;
	v = (double)runs;
	p = erfc(fabs(v - 2.0 * n * pi * (1 - pi)) /
		 (2.0 * sqrt(2.0 * n) * pi * (1 - pi)));
	if (p < ALPHA)
		fail_msg("runs: p = %g (%lu runs)", p, runs);
	pp_rng_free(rng);
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * porttest's measure: the standard deviation of 26 fresh ports.  Single
 * trials fall below the GREAT line about 5% of the time, so the median of
 * 1,000 trials is held to 3% of the uniform value 16384/sqrt(12).
 */
static void porttest_spread(void **state)
{
	static double sd[1000];
	const double uniform = 16384.0 / sqrt(12.0);
	struct portpool_config *cfg = small_config(49152, 65535, 26);

	(void)state;
	pp_test_require_netns();
	for (int t = 0; t < 1000; t++) {
		struct portpool *pool = portpool_open(cfg);
		double sum = 0, sumsq = 0, mean;

		assert_non_null(pool);
		for (size_t i = 0; i < 26; i++) {
			double port = portpool_port(pool, i);

			sum += port;
			sumsq += port * port;
		}
		mean = sum / 26;
		sd[t] = sqrt((sumsq - 26 * mean * mean) / 25);
		portpool_close(pool);
	}
	qsort(sd, 1000, sizeof(sd[0]), compare_double);
	if (fabs((sd[499] + sd[500]) / 2 - uniform) > 0.03 * uniform)
		fail_msg("median std dev %.0f, uniform %.0f",
			 (sd[499] + sd[500]) / 2, uniform);
	portpool_config_free(cfg);
}

static void every_candidate_reachable(void **state)
{
	struct portpool_config *cfg = small_config(47000, 47011, 1);
	struct portpool *pool;
	unsigned seen = 0;

	(void)state;
	pp_test_require_netns();
	assert_int_equal(portpool_config_reserve(cfg, 47005, 47005), 0);
	pool = portpool_open(cfg);
	assert_non_null(pool);
	for (int i = 0; i < 600; i++) {
		unsigned port = portpool_port(pool, 0);

		assert_int_not_equal(port, 47005);
		seen |= 1u << (port - 47000);
		assert_int_equal(portpool_rotate(pool, 0), 0);
	}
	/* all 12 but the reserved one */
	assert_int_equal(seen, 0xfffu & ~(1u << 5));
	portpool_close(pool);
	portpool_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pmtu_discovery_omitted),
		cmocka_unit_test(fork_does_not_replay),
		cmocka_unit_test(fork_rotates_apart),
		cmocka_unit_test(fork_child_close_leaves_parent),
		cmocka_unit_test(exec_inherits_nothing),
		cmocka_unit_test(uniform_draws_chi_square),
		cmocka_unit_test(draws_uniform_dense_and_sparse),
		cmocka_unit_test(monobit_and_runs),
		cmocka_unit_test(porttest_spread),
		cmocka_unit_test(every_candidate_reachable),
	};

	pp_test_isolate();
	return cmocka_run_group_tests_name("security", tests, NULL, NULL);
}
