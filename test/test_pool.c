/* SPDX-License-Identifier: ISC */
/*
 * Socket tests of the pool.  main() moves the process into a private
 * network namespace (lo up), so every bind and every sysctl written here
 * stays inside it.  Each test gets a fixture that owns the configs, pools
 * and plain sockets it opens; the teardown closes what a failed test left
 * behind, empties ip_local_reserved_ports and puts ip_local_port_range and
 * RLIMIT_NOFILE back, so that one failure does not poison the next test.
 *
 * Tests that bind plain sockets use port ranges of their own (40000 and
 * up, below the default 49152-65535), so they never meet each other.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

/* Every host source switched off: the candidates are exactly the range. */
#define ALL_OFF		(PORTPOOL_NO_KERNEL_RESERVED | \
			 PORTPOOL_NO_WELL_KNOWN | PORTPOOL_NO_ETC_SERVICES)
/* Only the kernel's reserved ports on: the sysctl decides alone. */
#define KERNEL_ONLY	(PORTPOOL_NO_WELL_KNOWN | PORTPOOL_NO_ETC_SERVICES)

/* Enough descriptors for a pool of 10,000 plus what the tests add. */
#define NOFILE_NEEDED	16384u

#define FX_SLOTS	16

struct fx {
	struct portpool_config *cfg[FX_SLOTS];
	struct portpool *pool[FX_SLOTS];
	int fd[FX_SLOTS];
	void *mem[FX_SLOTS];
};

struct member {
	int fd;
	uint16_t port;
};

struct portset {
	uint64_t w[65536 / 64];
};

static bool have_netns;
static char saved_port_range[64];
static struct rlimit saved_nofile;

/* ------------------------------------------------------------------ */
/* Small sets of ports. */

static void ps_clear(struct portset *s)
{
	memset(s, 0, sizeof(*s));
}

static void ps_add(struct portset *s, unsigned int port)
{
	s->w[port >> 6] |= UINT64_C(1) << (port & 63);
}

static void ps_del(struct portset *s, unsigned int port)
{
	s->w[port >> 6] &= ~(UINT64_C(1) << (port & 63));
}

static bool ps_has(const struct portset *s, unsigned int port)
{
	return (s->w[port >> 6] >> (port & 63)) & 1;
}

/* ------------------------------------------------------------------ */
/* The fixture: everything a test opens, closed by the teardown. */

static void check_slot(int i)
{
	if (i == FX_SLOTS)
		fail_msg("test fixture: more than %d objects open", FX_SLOTS);
}

static void *fx_alloc(struct fx *fx, size_t size)
{
	int i = 0;

	while (i < FX_SLOTS && fx->mem[i])
		i++;
	check_slot(i);
	fx->mem[i] = calloc(1, size);
	assert_non_null(fx->mem[i]);
	return fx->mem[i];
}

/* A config of `size` members (0: default) on [first, last] (0: default). */
static struct portpool_config *fx_cfg(struct fx *fx, unsigned int size,
				      unsigned int first, unsigned int last,
				      unsigned int flags)
{
	struct portpool_config *cfg;
	int i = 0;

	while (i < FX_SLOTS && fx->cfg[i])
		i++;
	check_slot(i);
	cfg = portpool_config_new();
	assert_non_null(cfg);
	fx->cfg[i] = cfg;
	if (size)
		assert_int_equal(portpool_config_set_size(cfg, size), 0);
	if (first)
		assert_int_equal(portpool_config_set_range(cfg, first, last),
				 0);
	assert_int_equal(portpool_config_set_flags(cfg, flags), 0);
	return cfg;
}

static struct portpool *fx_open(struct fx *fx,
				const struct portpool_config *cfg)
{
	struct portpool *pool;
	int i = 0;

	while (i < FX_SLOTS && fx->pool[i])
		i++;
	check_slot(i);
	errno = 0;
	pool = portpool_open(cfg);
	if (!pool)
		fail_msg("portpool_open: errno %d: %s", errno,
			 portpool_error());
	fx->pool[i] = pool;
	return pool;
}

static void fx_close(struct fx *fx, struct portpool *pool)
{
	for (int i = 0; i < FX_SLOTS; i++) {
		if (fx->pool[i] == pool) {
			portpool_close(pool);
			fx->pool[i] = NULL;
			return;
		}
	}
	fail_msg("fx_close: pool %p is not open", (void *)pool);
}

/*
 * A plain UDP socket (no SO_REUSE*) bound to `port` of `address` (NULL:
 * the wildcard of `family`).  The descriptor, or -1 with errno.
 */
static int plain_bind(int family, const char *address, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, err;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		if (address)
			assert_int_equal(inet_pton(AF_INET6, address,
						   &sin6->sin6_addr), 1);
		len = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		if (address)
			assert_int_equal(inet_pton(AF_INET, address,
						   &sin->sin_addr), 1);
		len = sizeof(*sin);
	}
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	if (family == AF_INET6) {
		int on = 1;

		assert_int_equal(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
					    &on, sizeof(on)), 0);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) == 0)
		return fd;
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* 0 if a plain IPv4 wildcard socket can bind `port` now, else errno. */
static int bind_errno(uint16_t port)
{
	int fd = plain_bind(AF_INET, NULL, port);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* A plain IPv4 wildcard socket on `port`, held until fx_unbind/teardown. */
static int fx_bind(struct fx *fx, uint16_t port)
{
	int fd = plain_bind(AF_INET, NULL, port);

	if (fd < 0)
		fail_msg("plain bind to port %u: %s", port, strerror(errno));
	for (int i = 0; i < FX_SLOTS; i++) {
		if (fx->fd[i] < 0) {
			fx->fd[i] = fd;
			return fd;
		}
	}
	close(fd);
	fail_msg("test fixture: more than %d plain sockets", FX_SLOTS);
	return -1;
}

static void fx_unbind(struct fx *fx, int fd)
{
	for (int i = 0; i < FX_SLOTS; i++) {
		if (fx->fd[i] == fd) {
			close(fd);
			fx->fd[i] = -1;
			return;
		}
	}
	fail_msg("fx_unbind: descriptor %d is not held", fd);
}

/* ------------------------------------------------------------------ */
/* Setup and teardown. */

static void read_sysctl(const char *name, char *buf, size_t size)
{
	char path[128];
	ssize_t got;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	got = read(fd, buf, size - 1);
	close(fd);
	if (got < 0)
		fail_msg("read %s: %s", path, strerror(errno));
	buf[got] = '\0';
}

/*
 * Empty ip_local_reserved_ports.  pp_test_sysctl(name, "") writes zero
 * bytes, which the kernel ignores: the old list would stay.  A lone
 * newline is an empty list to the kernel.
 */
static void clear_reserved(void)
{
	char now[64];

	pp_test_sysctl("ip_local_reserved_ports", "\n");
	read_sysctl("ip_local_reserved_ports", now, sizeof(now));
	if (strcmp(now, "\n") != 0 && now[0] != '\0')
		fail_msg("ip_local_reserved_ports is still \"%s\"", now);
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	for (int i = 0; i < FX_SLOTS; i++)
		fx->fd[i] = -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	int rc = 0;

	for (int i = 0; i < FX_SLOTS; i++) {
		portpool_close(fx->pool[i]);
		portpool_config_free(fx->cfg[i]);
		if (fx->fd[i] >= 0)
			close(fx->fd[i]);
		free(fx->mem[i]);
	}
	free(fx);
	if (setrlimit(RLIMIT_NOFILE, &saved_nofile) != 0)
		rc = -1;
	/* Never write a sysctl outside the private namespace. */
	if (have_netns) {
		clear_reserved();
		pp_test_sysctl("ip_local_port_range", saved_port_range);
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* Checks shared by the tests. */

static uint16_t sock_port(int fd, int *family)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		fail_msg("getsockname(%d): %s", fd, strerror(errno));
	if (family)
		*family = ss.ss_family;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	assert_int_equal(ss.ss_family, AF_INET);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static int sockopt_int(int fd, int level, int name)
{
	socklen_t len = sizeof(int);
	int value = -1;

	assert_int_equal(getsockopt(fd, level, name, &value, &len), 0);
	assert_int_equal(len, sizeof(int));
	return value;
}

static void expect_range(const struct portpool_config *cfg,
			 unsigned int first, unsigned int last)
{
	uint16_t f = 0, l = 0;

	assert_int_equal(portpool_effective_range(cfg, &f, &l), 0);
	assert_int_equal(f, first);
	assert_int_equal(l, last);
}

static void error_mentions(const char *what)
{
	const char *msg = portpool_error();

	if (!strstr(msg, what))
		fail_msg("portpool_error() \"%s\" does not mention \"%s\"",
			 msg, what);
}

/*
 * The invariants of every pool: `size` members, distinct ports inside
 * the effective range, each socket bound to the port the pool reports,
 * and (when ask is true) no port excluded by cfg.  `held` (may be NULL)
 * receives the set of member ports.
 */
static void check_pool(const struct portpool *pool,
		       const struct portpool_config *cfg, size_t size,
		       bool ask, struct portset *held)
{
	static struct portset seen;
	uint16_t first, last;

	assert_int_equal(portpool_effective_range(cfg, &first, &last), 0);
	assert_int_equal(portpool_size(pool), size);
	ps_clear(&seen);
	for (size_t i = 0; i < size; i++) {
		int fd = portpool_fd(pool, i);
		uint16_t port = portpool_port(pool, i);

		assert_true(fd >= 0);
		assert_in_range(port, first, last);
		if (ps_has(&seen, port))
			fail_msg("port %u is held by two members", port);
		ps_add(&seen, port);
		assert_int_equal(sock_port(fd, NULL), port);
		if (ask)
			assert_int_equal(portpool_is_excluded(cfg, port), 0);
	}
	if (held)
		*held = seen;
}

static struct member *fx_snapshot(struct fx *fx, const struct portpool *pool)
{
	size_t n = portpool_size(pool);
	struct member *m = fx_alloc(fx, (n ? n : 1) * sizeof(*m));

	for (size_t i = 0; i < n; i++) {
		m[i].fd = portpool_fd(pool, i);
		m[i].port = portpool_port(pool, i);
	}
	return m;
}

static void expect_unchanged(const struct portpool *pool,
			     const struct member *m, size_t n)
{
	assert_int_equal(portpool_size(pool), n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(portpool_fd(pool, i), m[i].fd);
		assert_int_equal(portpool_port(pool, i), m[i].port);
		assert_int_equal(sock_port(m[i].fd, NULL), m[i].port);
	}
}

static bool pool_holds(const struct portpool *pool, uint16_t port)
{
	for (size_t i = 0; i < portpool_size(pool); i++)
		if (portpool_port(pool, i) == port)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* 1. KB 956188: MaxUserPort 5000, a pool of 2,500, then IPsec on 4500. */

#define KB_RUNS 100

/*
 * Open a pool, bind a plain socket to UDP 4500 on 0.0.0.0 beside it,
 * close both.  Returns the bind's errno (0: it worked); *held says
 * whether a member sat on 4500.
 */
static int kb_run(struct fx *fx, const struct portpool_config *cfg,
		  bool *held)
{
	struct portpool *pool = fx_open(fx, cfg);
	int err;

	assert_int_equal(portpool_size(pool), PORTPOOL_DEFAULT_SIZE);
	for (size_t i = 0; i < PORTPOOL_DEFAULT_SIZE; i++)
		assert_in_range(portpool_port(pool, i), 1024, 5000);
	*held = pool_holds(pool, 4500);
	err = bind_errno(4500);
	/* The check below is only worth something if these agree. */
	assert_int_equal(err, *held ? EADDRINUSE : 0);
	fx_close(fx, pool);
	return err;
}

static void test_kb_maxuserport_ipsec(void **state)
{
	struct fx *fx = *state;
	struct portpool_config *cfg;
	unsigned int failures, held_runs;
	bool held;

	pp_test_require_netns();

	/* Default settings: the well-known table keeps 4500 out. */
	cfg = fx_cfg(fx, 0, 0, 0, 0);
	assert_int_equal(portpool_config_set_max_user_port(cfg, 5000), 0);
	expect_range(cfg, 1024, 5000);
	assert_int_equal(portpool_is_excluded(cfg, 4500), 1);
	failures = 0;
	for (int run = 0; run < KB_RUNS; run++)
		failures += kb_run(fx, cfg, &held) != 0;
	assert_int_equal(failures, 0);

	/* The KB workaround: ReservedPorts "4500-4500", host tables off. */
	cfg = fx_cfg(fx, 0, 0, 0, KERNEL_ONLY);
	assert_int_equal(portpool_config_set_max_user_port(cfg, 5000), 0);
	assert_int_equal(portpool_config_reserve_list(cfg, "4500-4500"), 0);
	assert_int_equal(portpool_is_excluded(cfg, 4500), 1);
	assert_int_equal(portpool_is_excluded(cfg, 4499), 0);
	/* 1024-5000 is 3,977 ports; the kernel list is empty here. */
	assert_int_equal(portpool_available(cfg), 3977 - 1);
	failures = 0;
	for (int run = 0; run < KB_RUNS; run++)
		failures += kb_run(fx, cfg, &held) != 0;
	assert_int_equal(failures, 0);

	/*
	 * Control: nothing excludes 4500, so a pool of 2,500 of the 3,977
	 * holds it with probability 2500/3977 = 0.63 and the plain bind
	 * fails.  Never in 100 runs has probability 0.37^100 < 1e-43: this
	 * is what the two loops above would see if the exclusion broke.
	 */
	cfg = fx_cfg(fx, 0, 0, 0, ALL_OFF);
	assert_int_equal(portpool_config_set_max_user_port(cfg, 5000), 0);
	assert_int_equal(portpool_is_excluded(cfg, 4500), 0);
	assert_int_equal(portpool_available(cfg), 3977);
	failures = held_runs = 0;
	for (int run = 0; run < KB_RUNS; run++) {
		failures += kb_run(fx, cfg, &held) != 0;
		held_runs += held;
	}
	assert_int_equal(failures, held_runs);
	assert_true(held_runs >= 1);
	/* Mean 62.9, sd 4.8: outside 35-90 is a 1e-8 event, or a bias. */
	assert_in_range(held_runs, 35, 90);
}

/* ------------------------------------------------------------------ */
/* 2. The kernel's ip_local_reserved_ports, at open and at refresh. */

#define KR_SET		"50000-50999,60000"
#define KR_BLOCK_FIRST	55000u
#define KR_BLOCK_LAST	55099u

static bool in_kr_set(unsigned int port)
{
	return (port >= 50000 && port <= 50999) || port == 60000;
}

static bool in_kr_block(unsigned int port)
{
	return port >= KR_BLOCK_FIRST && port <= KR_BLOCK_LAST;
}

static void test_kernel_reserved_ports(void **state)
{
	struct fx *fx = *state;
	struct portpool_config *cfg, *nokernel;
	struct portpool *pool;
	struct member *before;
	size_t k, n = 10000, expect_moved = 0, in_block = 0;
	long overlap = 0, fds;
	char list[128];
	uint16_t p;

	pp_test_require_netns();
	pp_test_sysctl("ip_local_reserved_ports", KR_SET);
	cfg = fx_cfg(fx, (unsigned int)n, 49152, 65535, 0);
	nokernel = fx_cfg(fx, (unsigned int)n, 49152, 65535,
			  PORTPOOL_NO_KERNEL_RESERVED);

	/* The config sees the set: exactly 1,001 ports fewer. */
	for (unsigned int port = 50000; port <= 50999; port++) {
		assert_int_equal(portpool_is_excluded(cfg, (uint16_t)port), 1);
		overlap += portpool_is_excluded(nokernel, (uint16_t)port);
	}
	assert_int_equal(portpool_is_excluded(cfg, 60000), 1);
	overlap += portpool_is_excluded(nokernel, 60000);
	assert_int_equal(portpool_is_excluded(cfg, 49999), 0);
	assert_int_equal(portpool_is_excluded(cfg, 51000), 0);
	assert_int_equal(portpool_is_excluded(cfg, 60001), 0);
	assert_int_equal(portpool_available(nokernel) - portpool_available(cfg),
			 1001 - overlap);

	/* A pool of 10,000 of ~15,400 candidates: none reserved. */
	pool = fx_open(fx, cfg);
	check_pool(pool, cfg, n, false, NULL);
	for (size_t i = 0; i < n; i++) {
		p = portpool_port(pool, i);
		if (in_kr_set(p))
			fail_msg("member %zu holds reserved port %u", i, p);
		in_block += in_kr_block(p);
	}

	/*
	 * The administrator now reserves the port of member k and a block
	 * of 100 ports (which ~65 members sit in).  refresh must move
	 * exactly those members and nothing else.
	 */
	for (k = n / 3; k < n && in_kr_block(portpool_port(pool, k)); k++)
		;
	assert_true(k < n);
	p = portpool_port(pool, k);
	assert_true(in_block > 0);
	expect_moved = in_block + 1;
	snprintf(list, sizeof(list), KR_SET ",%u-%u,%u", KR_BLOCK_FIRST,
		 KR_BLOCK_LAST, p);
	pp_test_sysctl("ip_local_reserved_ports", list);
	assert_int_equal(portpool_is_excluded(cfg, p), 1);
	assert_int_equal(portpool_is_excluded(cfg, KR_BLOCK_FIRST), 1);

	before = fx_snapshot(fx, pool);
	fds = pp_test_count_fds();
	assert_int_equal(portpool_refresh(pool), expect_moved);
	assert_int_equal(pp_test_count_fds(), fds);
	check_pool(pool, cfg, n, false, NULL);
	for (size_t i = 0; i < n; i++) {
		uint16_t now = portpool_port(pool, i);

		assert_false(in_kr_set(now));
		assert_false(in_kr_block(now));
		assert_int_not_equal(now, p);
		if (before[i].port == p || in_kr_block(before[i].port)) {
			assert_int_not_equal(now, before[i].port);
			/* The old socket is closed: its port is free. */
			assert_int_equal(bind_errno(before[i].port), 0);
		} else {
			assert_int_equal(portpool_fd(pool, i), before[i].fd);
			assert_int_equal(now, before[i].port);
		}
	}
	/* Moved members landed on candidates, never on a reserved port. */
	for (size_t i = 0; i < n; i++)
		if (portpool_port(pool, i) != before[i].port)
			assert_int_equal(portpool_is_excluded(cfg,
					 portpool_port(pool, i)), 0);
	assert_int_equal(bind_errno(p), 0);
	/* Nothing left to move. */
	assert_int_equal(portpool_refresh(pool), 0);

	/* One more reserved member port: exactly that member moves. */
	before = fx_snapshot(fx, pool);
	k = (k + n / 2) % n;
	snprintf(list, sizeof(list), KR_SET ",%u-%u,%u,%u", KR_BLOCK_FIRST,
		 KR_BLOCK_LAST, p, before[k].port);
	pp_test_sysctl("ip_local_reserved_ports", list);
	assert_int_equal(portpool_refresh(pool), 1);
	assert_int_not_equal(portpool_port(pool, k), before[k].port);
	assert_int_equal(portpool_is_excluded(cfg, portpool_port(pool, k)), 0);
	assert_int_equal(bind_errno(before[k].port), 0);
	before[k].fd = portpool_fd(pool, k);
	before[k].port = portpool_port(pool, k);
	expect_unchanged(pool, before, n);
	check_pool(pool, cfg, n, false, NULL);
	fx_close(fx, pool);
}

/* ------------------------------------------------------------------ */
/* 3. Exhaustion: too few candidates, or too many busy. */

static void expect_ports(const struct portpool *pool,
			 const struct portset *want, size_t n)
{
	struct portset held;

	assert_int_equal(portpool_size(pool), n);
	ps_clear(&held);
	for (size_t i = 0; i < n; i++) {
		uint16_t port = portpool_port(pool, i);

		if (!ps_has(want, port))
			fail_msg("member %zu holds unexpected port %u", i,
				 port);
		assert_false(ps_has(&held, port));
		ps_add(&held, port);
	}
}

static void test_exhaustion(void **state)
{
	struct fx *fx = *state;
	struct portpool_config *cfg;
	struct portpool *pool;
	struct portset want;
	int busy[3];
	long fds;

	pp_test_require_netns();

	/* 40000-40007, every host source off: exactly 8 candidates. */
	cfg = fx_cfg(fx, 8, 40000, 40007, ALL_OFF);
	assert_int_equal(portpool_available(cfg), 8);
	pool = fx_open(fx, cfg);
	check_pool(pool, cfg, 8, true, NULL);
	ps_clear(&want);
	for (unsigned int port = 40000; port <= 40007; port++)
		ps_add(&want, port);
	expect_ports(pool, &want, 8);
	fx_close(fx, pool);

	assert_int_equal(portpool_config_set_size(cfg, 9), 0);
	fds = pp_test_count_fds();
	errno = 0;
	assert_null(portpool_open(cfg));
	assert_int_equal(errno, EADDRNOTAVAIL);
	assert_int_equal(pp_test_count_fds(), fds);
	error_mentions("9");
	error_mentions("8");
	error_mentions("40000-40007");

	/* Known exclusions: 4496-4503 less IPsec NAT-T 4500 is 7 ports. */
	cfg = fx_cfg(fx, 7, 4496, 4503,
		     PORTPOOL_NO_KERNEL_RESERVED | PORTPOOL_NO_ETC_SERVICES);
	assert_int_equal(portpool_available(cfg), 7);
	pool = fx_open(fx, cfg);
	ps_clear(&want);
	for (unsigned int port = 4496; port <= 4503; port++)
		if (port != 4500)
			ps_add(&want, port);
	expect_ports(pool, &want, 7);
	fx_close(fx, pool);
	assert_int_equal(portpool_config_set_size(cfg, 8), 0);
	fds = pp_test_count_fds();
	errno = 0;
	assert_null(portpool_open(cfg));
	assert_int_equal(errno, EADDRNOTAVAIL);
	assert_int_equal(pp_test_count_fds(), fds);

	/* Busy ports: 3 of 40010-40017 held by plain sockets. */
	busy[0] = fx_bind(fx, 40011);
	busy[1] = fx_bind(fx, 40014);
	busy[2] = fx_bind(fx, 40016);
	cfg = fx_cfg(fx, 5, 40010, 40017, ALL_OFF);
	pool = fx_open(fx, cfg);
	check_pool(pool, cfg, 5, true, NULL);
	ps_clear(&want);
	for (unsigned int port = 40010; port <= 40017; port++)
		if (port != 40011 && port != 40014 && port != 40016)
			ps_add(&want, port);
	expect_ports(pool, &want, 5);
	fx_close(fx, pool);

	assert_int_equal(portpool_config_set_size(cfg, 6), 0);
	fds = pp_test_count_fds();
	errno = 0;
	assert_null(portpool_open(cfg));
	assert_int_equal(errno, EADDRNOTAVAIL);
	assert_int_equal(pp_test_count_fds(), fds);
	error_mentions("6");
	error_mentions("3");
	error_mentions("40010-40017");
	/* The failed open closed its sockets: the 5 ports are free. */
	for (unsigned int port = 40010; port <= 40017; port++)
		if (ps_has(&want, port))
			assert_int_equal(bind_errno((uint16_t)port), 0);
	for (int i = 0; i < 3; i++)
		fx_unbind(fx, busy[i]);
	/* Busy no more: now a pool of 6 fits. */
	pool = fx_open(fx, cfg);
	check_pool(pool, cfg, 6, true, NULL);
	fx_close(fx, pool);
}

/* ------------------------------------------------------------------ */
/* 4. What every member socket is. */

static void check_socket(int fd, int family)
{
	int got_family = -1, fl;

	assert_int_equal(sockopt_int(fd, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
	assert_int_equal(sockopt_int(fd, SOL_SOCKET, SO_DOMAIN), family);
	assert_int_equal(sockopt_int(fd, SOL_SOCKET, SO_PROTOCOL),
			 IPPROTO_UDP);
	assert_int_equal(sockopt_int(fd, SOL_SOCKET, SO_REUSEADDR), 0);
	assert_int_equal(sockopt_int(fd, SOL_SOCKET, SO_REUSEPORT), 0);
	fl = fcntl(fd, F_GETFL);
	assert_true(fl >= 0);
	assert_true(fl & O_NONBLOCK);
	fl = fcntl(fd, F_GETFD);
	assert_true(fl >= 0);
	assert_true(fl & FD_CLOEXEC);
	(void)sock_port(fd, &got_family);
	assert_int_equal(got_family, family);
	if (family == AF_INET6)
		assert_int_equal(sockopt_int(fd, IPPROTO_IPV6, IPV6_V6ONLY),
				 1);
}

static void test_member_sockets_ipv4(void **state)
{
	struct fx *fx = *state;
	struct portpool_config *cfg;
	struct portpool *pool;
	size_t n = 1000;
	uint16_t first, last;

	pp_test_require_netns();
	pp_test_sysctl("ip_local_reserved_ports", "50000-50999");
	cfg = fx_cfg(fx, (unsigned int)n, 49152, 65535, 0);
	assert_int_equal(portpool_effective_range(cfg, &first, &last), 0);
	assert_int_equal(first, 49152);
	assert_int_equal(last, 65535);
	pool = fx_open(fx, cfg);
	/* Distinct, in range, not excluded, getsockname == port. */
	check_pool(pool, cfg, n, true, NULL);
	for (size_t i = 0; i < n; i++) {
		struct sockaddr_in sin;
		socklen_t len = sizeof(sin);
		int fd = portpool_fd(pool, i);

		check_socket(fd, AF_INET);
		assert_int_equal(getsockname(fd, (struct sockaddr *)&sin,
					     &len), 0);
		assert_int_equal(ntohl(sin.sin_addr.s_addr), INADDR_ANY);
	}
	/* Accessors refuse what is not a member. */
	assert_failed_with(portpool_fd(pool, n), EINVAL);
	assert_int_equal(portpool_port(pool, n), 0);
	assert_int_equal(portpool_size(NULL), 0);
	fx_close(fx, pool);
}

static void test_member_sockets_ipv6(void **state)
{
	struct fx *fx = *state;
	struct portpool_config *cfg;
	struct portpool *pool;
	size_t n = 200;
	int fd;

	pp_test_require_netns();
	cfg = fx_cfg(fx, (unsigned int)n, 49152, 65535, 0);
	assert_int_equal(portpool_config_set_family(cfg, AF_INET6), 0);
	pool = fx_open(fx, cfg);
	check_pool(pool, cfg, n, true, NULL);
	for (size_t i = 0; i < n; i++) {
		struct sockaddr_in6 sin6;
		socklen_t len = sizeof(sin6);

		fd = portpool_fd(pool, i);
		check_socket(fd, AF_INET6);
		assert_int_equal(getsockname(fd, (struct sockaddr *)&sin6,
					     &len), 0);
		assert_true(IN6_IS_ADDR_UNSPECIFIED(&sin6.sin6_addr));
	}
	/* IPV6_V6ONLY: the IPv4 port of a member stays free for others. */
	assert_int_equal(bind_errno(portpool_port(pool, 0)), 0);
	/* ...while its IPv6 port is taken. */
	fd = plain_bind(AF_INET6, NULL, portpool_port(pool, 0));
	assert_int_equal(fd, -1);
	assert_int_equal(errno, EADDRINUSE);
	fx_close(fx, pool);
}

static void expect_bound_address(const struct portpool *pool, int family,
				 const char *text)
{
	for (size_t i = 0; i < portpool_size(pool); i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		char got[INET6_ADDRSTRLEN];
		const void *addr;
		int fd = portpool_fd(pool, i);

		check_socket(fd, family);
		assert_int_equal(getsockname(fd, (struct sockaddr *)&ss,
					     &len), 0);
		assert_int_equal(ss.ss_family, family);
		if (family == AF_INET6)
			addr = &((struct sockaddr_in6 *)&ss)->sin6_addr;
		else
			addr = &((struct sockaddr_in *)&ss)->sin_addr;
		assert_non_null(inet_ntop(family, addr, got, sizeof(got)));
		assert_string_equal(got, text);
	}
}

static void test_member_address(void **state)
{
	struct fx *fx = *state;
	struct portpool_config *cfg;
	struct portpool *pool;
	long fds;

	pp_test_require_netns();

	cfg = fx_cfg(fx, 50, 49152, 65535, 0);
	assert_int_equal(portpool_config_set_address(cfg, "127.0.0.1"), 0);
	pool = fx_open(fx, cfg);
	check_pool(pool, cfg, 50, true, NULL);
	expect_bound_address(pool, AF_INET, "127.0.0.1");
	fx_close(fx, pool);

	cfg = fx_cfg(fx, 50, 49152, 65535, 0);
	assert_int_equal(portpool_config_set_address(cfg, "::1"), 0);
	pool = fx_open(fx, cfg);
	check_pool(pool, cfg, 50, true, NULL);
	expect_bound_address(pool, AF_INET6, "::1");
	fx_close(fx, pool);

	/* Documentation addresses are on no interface of the namespace. */
	cfg = fx_cfg(fx, 50, 49152, 65535, 0);
	assert_int_equal(portpool_config_set_address(cfg, "192.0.2.1"), 0);
	fds = pp_test_count_fds();
	errno = 0;
	assert_null(portpool_open(cfg));
	assert_int_equal(errno, EADDRNOTAVAIL);
	assert_int_equal(pp_test_count_fds(), fds);
	error_mentions("192.0.2.1");

	cfg = fx_cfg(fx, 50, 49152, 65535, 0);
	assert_int_equal(portpool_config_set_address(cfg, "2001:db8::1"), 0);
	fds = pp_test_count_fds();
	errno = 0;
	assert_null(portpool_open(cfg));
	assert_int_equal(errno, EADDRNOTAVAIL);
	assert_int_equal(pp_test_count_fds(), fds);
	error_mentions("2001:db8::1");
}

/* ------------------------------------------------------------------ */
/* 5. rotate. */

static void test_rotate(void **state)
{
	struct fx *fx = *state;
	struct portpool_config *cfg;
	struct portpool *pool;
	struct member *m;
	struct portset held;
	size_t n = 1000;
	long fds;
	int busy;

	pp_test_require_netns();
	pp_test_sysctl("ip_local_reserved_ports", "50000-50999");
	cfg = fx_cfg(fx, (unsigned int)n, 49152, 65535, 0);
	pool = fx_open(fx, cfg);
	check_pool(pool, cfg, n, true, &held);
	m = fx_snapshot(fx, pool);
	fds = pp_test_count_fds();
	for (size_t r = 0; r < 200; r++) {
		size_t i = (r * 7) % n;
		uint16_t old = m[i].port, now;

		assert_int_equal(portpool_rotate(pool, i), 0);
		now = portpool_port(pool, i);
		assert_int_not_equal(now, old);
		/* Not a port another member holds. */
		if (ps_has(&held, now))
			fail_msg("rotate %zu: member %zu moved to %u, held by "
				 "another member", r, i, now);
		assert_int_equal(portpool_is_excluded(cfg, now), 0);
		assert_false(now >= 50000 && now <= 50999);
		assert_int_equal(sock_port(portpool_fd(pool, i), NULL), now);
		/* The old socket is closed: a plain socket can bind it. */
		assert_int_equal(bind_errno(old), 0);
		ps_del(&held, old);
		ps_add(&held, now);
		m[i].fd = portpool_fd(pool, i);
		m[i].port = now;
		/* Nobody else moved. */
		expect_unchanged(pool, m, n);
	}
	assert_int_equal(pp_test_count_fds(), fds);
	check_pool(pool, cfg, n, false, NULL);

	assert_failed_with(portpool_rotate(pool, n), EINVAL);
	assert_failed_with(portpool_rotate(pool, (size_t)-1), EINVAL);
	assert_failed_with(portpool_rotate(NULL, 0), EINVAL);
	expect_unchanged(pool, m, n);
	fx_close(fx, pool);

	/* Every candidate held: nowhere to go, nothing changes. */
	cfg = fx_cfg(fx, 8, 40100, 40107, ALL_OFF);
	pool = fx_open(fx, cfg);
	m = fx_snapshot(fx, pool);
	fds = pp_test_count_fds();
	assert_failed_with(portpool_rotate(pool, 3), EADDRNOTAVAIL);
	assert_int_equal(pp_test_count_fds(), fds);
	expect_unchanged(pool, m, 8);
	fx_close(fx, pool);

	/*
	 * 9 candidates for 8 members: a rotate must take the one free
	 * port, and a second rotate must give the first port back.
	 */
	cfg = fx_cfg(fx, 8, 40110, 40118, ALL_OFF);
	pool = fx_open(fx, cfg);
	check_pool(pool, cfg, 8, true, &held);
	{
		uint16_t spare = 0, orig = portpool_port(pool, 5);

		for (unsigned int p = 40110; p <= 40118; p++)
			if (!ps_has(&held, p))
				spare = (uint16_t)p;
		assert_int_not_equal(spare, 0);
		assert_int_equal(portpool_rotate(pool, 5), 0);
		assert_int_equal(portpool_port(pool, 5), spare);
		assert_int_equal(portpool_rotate(pool, 5), 0);
		assert_int_equal(portpool_port(pool, 5), orig);

		/* The spare busy elsewhere: rotate fails, changes nothing. */
		busy = fx_bind(fx, spare);
		m = fx_snapshot(fx, pool);
		fds = pp_test_count_fds();
		assert_failed_with(portpool_rotate(pool, 2), EADDRNOTAVAIL);
		assert_int_equal(pp_test_count_fds(), fds);
		expect_unchanged(pool, m, 8);
		/* A busy port is skipped, not dropped: free again, usable. */
		fx_unbind(fx, busy);
		assert_int_equal(portpool_rotate(pool, 2), 0);
		assert_int_equal(portpool_port(pool, 2), spare);
	}
	check_pool(pool, cfg, 8, true, NULL);
	fx_close(fx, pool);

	/*
	 * A port busy while the pool opened is skipped, yet stays a
	 * candidate: once its owner lets go, rotate can take it.  The open
	 * meets the busy port unless it draws it last (1 time in 9), so a
	 * pool that dropped busy ports passes 8 rounds with p < 3e-8.
	 */
	cfg = fx_cfg(fx, 8, 40120, 40128, ALL_OFF);
	for (int round = 0; round < 8; round++) {
		busy = fx_bind(fx, 40124);
		pool = fx_open(fx, cfg);
		assert_false(pool_holds(pool, 40124));
		fx_unbind(fx, busy);
		assert_int_equal(portpool_rotate(pool, 0), 0);
		assert_int_equal(portpool_port(pool, 0), 40124);
		check_pool(pool, cfg, 8, true, NULL);
		fx_close(fx, pool);
	}
}

/* ------------------------------------------------------------------ */
/* 6. release_port. */

static void test_release_port(void **state)
{
	struct fx *fx = *state;
	struct portpool_config *cfg;
	struct portpool *pool;
	struct portset held;
	struct member *m;
	uint16_t p, q = 0;
	size_t n = 50;
	long fds;
	int busy;

	pp_test_require_netns();
	/* 100 candidates, 50 members. */
	cfg = fx_cfg(fx, (unsigned int)n, 40200, 40299, ALL_OFF);
	pool = fx_open(fx, cfg);
	check_pool(pool, cfg, n, true, &held);
	m = fx_snapshot(fx, pool);
	p = m[3].port;

	fds = pp_test_count_fds();
	assert_int_equal(portpool_release_port(pool, p), 1);
	assert_int_equal(pp_test_count_fds(), fds);
	assert_int_not_equal(portpool_port(pool, 3), p);
	assert_false(pool_holds(pool, p));
	assert_int_equal(sock_port(portpool_fd(pool, 3), NULL),
			 portpool_port(pool, 3));
	m[3].fd = portpool_fd(pool, 3);
	m[3].port = portpool_port(pool, 3);
	expect_unchanged(pool, m, n);
	check_pool(pool, cfg, n, true, NULL);
	/* Given back: another program can bind it. */
	assert_int_equal(bind_errno(p), 0);

	/*
	 * A port nobody holds: 0, and it is never taken either.  Chosen
	 * now, after member 3 moved (it may have moved onto any free one).
	 */
	for (unsigned int port = 40200; port <= 40299 && !q; port++)
		if (port != p && !pool_holds(pool, port))
			q = (uint16_t)port;
	assert_int_not_equal(q, 0);
	assert_int_equal(portpool_release_port(pool, q), 0);
	expect_unchanged(pool, m, n);
	/* Outside the range: 0 as well. */
	assert_int_equal(portpool_release_port(pool, 1000), 0);

	/* refresh keeps both given up; nothing needs to move. */
	assert_int_equal(portpool_refresh(pool), 0);
	expect_unchanged(pool, m, n);
	/*
	 * 2,000 rotates over 51 free candidates: a pool that forgot
	 * either port would land on one with probability 1 - (49/51)^2000.
	 */
	for (size_t r = 0; r < 2000; r++) {
		size_t i = r % n;
		uint16_t now;

		assert_int_equal(portpool_rotate(pool, i), 0);
		now = portpool_port(pool, i);
		if (now == p || now == q)
			fail_msg("rotate %zu put member %zu on released port "
				 "%u", r, i, now);
	}
	check_pool(pool, cfg, n, true, NULL);
	assert_int_equal(pp_test_count_fds(), fds);

	assert_failed_with(portpool_release_port(pool, 0), EINVAL);
	assert_failed_with(portpool_release_port(NULL, 4500), EINVAL);
	fx_close(fx, pool);

	/*
	 * A release that cannot move the member (the only free candidate
	 * is busy) fails and changes nothing, the reservation included.
	 */
	cfg = fx_cfg(fx, 8, 40300, 40308, ALL_OFF);
	pool = fx_open(fx, cfg);
	check_pool(pool, cfg, 8, true, &held);
	q = 0;
	for (unsigned int port = 40300; port <= 40308; port++)
		if (!ps_has(&held, port))
			q = (uint16_t)port;
	busy = fx_bind(fx, q);
	m = fx_snapshot(fx, pool);
	p = m[0].port;
	fds = pp_test_count_fds();
	assert_failed_with(portpool_release_port(pool, p), EADDRNOTAVAIL);
	assert_int_equal(pp_test_count_fds(), fds);
	expect_unchanged(pool, m, 8);
	fx_unbind(fx, busy);
	/* Were p still reserved, refresh would move member 0 off it. */
	assert_int_equal(portpool_refresh(pool), 0);
	expect_unchanged(pool, m, 8);
	/* Now it can move, onto the one free port. */
	assert_int_equal(portpool_release_port(pool, p), 1);
	assert_int_equal(portpool_port(pool, 0), q);
	assert_int_equal(bind_errno(p), 0);
	fx_close(fx, pool);
}

/* ------------------------------------------------------------------ */
/* 7. refresh is all or nothing. */

static void test_refresh_all_or_nothing(void **state)
{
	struct fx *fx = *state;
	struct portpool_config *cfg;
	struct portpool *pool;
	struct portset held, spare;
	struct member *m;
	char list[64];
	long fds;

	pp_test_require_netns();
	/* 8 candidates, 6 members: 2 spare ports. */
	cfg = fx_cfg(fx, 6, 40400, 40407, KERNEL_ONLY);
	pool = fx_open(fx, cfg);
	check_pool(pool, cfg, 6, true, &held);
	ps_clear(&spare);
	for (unsigned int port = 40400; port <= 40407; port++)
		if (!ps_has(&held, port))
			ps_add(&spare, port);
	m = fx_snapshot(fx, pool);

	/* Three members must move, two ports to go to: nothing moves. */
	snprintf(list, sizeof(list), "%u,%u,%u", m[0].port, m[1].port,
		 m[2].port);
	pp_test_sysctl("ip_local_reserved_ports", list);
	fds = pp_test_count_fds();
	assert_failed_with(portpool_refresh(pool), EADDRNOTAVAIL);
	error_mentions("3");
	assert_int_equal(pp_test_count_fds(), fds);
	expect_unchanged(pool, m, 6);
	/* The two sockets bound for the move were closed again. */
	for (unsigned int port = 40400; port <= 40407; port++)
		if (ps_has(&spare, port))
			assert_int_equal(bind_errno((uint16_t)port), 0);
	/* The config does see the three reservations. */
	assert_int_equal(portpool_available(cfg), 5);

	/* Two to move, two spare: both move, onto exactly those two. */
	snprintf(list, sizeof(list), "%u,%u", m[0].port, m[1].port);
	pp_test_sysctl("ip_local_reserved_ports", list);
	assert_int_equal(portpool_refresh(pool), 2);
	assert_int_equal(pp_test_count_fds(), fds);
	assert_true(ps_has(&spare, portpool_port(pool, 0)));
	assert_true(ps_has(&spare, portpool_port(pool, 1)));
	assert_int_not_equal(portpool_port(pool, 0), portpool_port(pool, 1));
	for (size_t i = 2; i < 6; i++) {
		assert_int_equal(portpool_fd(pool, i), m[i].fd);
		assert_int_equal(portpool_port(pool, i), m[i].port);
	}
	check_pool(pool, cfg, 6, true, NULL);
	assert_int_equal(bind_errno(m[0].port), 0);
	assert_int_equal(bind_errno(m[1].port), 0);
	assert_int_equal(portpool_refresh(pool), 0);
	fx_close(fx, pool);
}

/*
 * A pool as large as its candidates cannot give a port back: release,
 * refresh and rotate fail with EADDRNOTAVAIL, the port stays held, and
 * the sentence names that port, how many candidates are free and what
 * would help.
 */
static void test_full_pool_gives_nothing_back(void **state)
{
	struct fx *fx = *state;
	struct portpool_config *cfg;
	struct portpool *pool;
	struct member *m;
	char want[320], list[16];
	uint16_t p;

	pp_test_require_netns();
	cfg = fx_cfg(fx, 9, 40500, 40508, KERNEL_ONLY);
	pp_test_sysctl("ip_local_reserved_ports", "");
	pool = fx_open(fx, cfg);
	check_pool(pool, cfg, 9, true, NULL);
	m = fx_snapshot(fx, pool);
	p = m[4].port;

	assert_failed_with(portpool_release_port(pool, p), EADDRNOTAVAIL);
	snprintf(want, sizeof(want), "cannot release port %u: 0 of 9 "
		 "candidates in 40500-40508 are free (the pool holds 9, 0 "
		 "found busy): port %u stays held; make the pool smaller or "
		 "the range larger", p, p);
	assert_string_equal(portpool_error(), want);
	expect_unchanged(pool, m, 9);
	assert_int_equal(bind_errno(p), EADDRINUSE);

	assert_failed_with(portpool_rotate(pool, 4), EADDRNOTAVAIL);
	snprintf(want, sizeof(want), "cannot rotate member 4: 0 of 9 "
		 "candidates in 40500-40508 are free (the pool holds 9, 0 "
		 "found busy): port %u stays held; make the pool smaller or "
		 "the range larger", p);
	assert_string_equal(portpool_error(), want);
	expect_unchanged(pool, m, 9);

	/* The host reserves a held port: refresh has nowhere to move it. */
	snprintf(list, sizeof(list), "%u", p);
	pp_test_sysctl("ip_local_reserved_ports", list);
	assert_failed_with(portpool_refresh(pool), EADDRNOTAVAIL);
	snprintf(want, sizeof(want), "refresh must move 1 member but found "
		 "a free candidate port for only 0: 0 of 8 candidates in "
		 "40500-40508 are free (0 found busy): the pool is unchanged, "
		 "port %u stays held; make the pool smaller or the range "
		 "larger", p);
	assert_string_equal(portpool_error(), want);
	expect_unchanged(pool, m, 9);
	assert_int_equal(bind_errno(p), EADDRINUSE);

	/* Two reserved: the first is named, the other counted. */
	snprintf(list, sizeof(list), "%u,%u", m[2].port, p);
	pp_test_sysctl("ip_local_reserved_ports", list);
	assert_failed_with(portpool_refresh(pool), EADDRNOTAVAIL);
	snprintf(want, sizeof(want), "port %u and 1 more stay held",
		 m[2].port);
	error_mentions(want);
	error_mentions("0 of 7 candidates");
	expect_unchanged(pool, m, 9);
	pp_test_sysctl("ip_local_reserved_ports", "");
	fx_close(fx, pool);
}

/* ------------------------------------------------------------------ */
/* 8. pick. */

#define PICKS 100000

static void test_pick(void **state)
{
	struct fx *fx = *state;
	struct portpool_config *cfg;
	struct portpool *pool;
	long count[10] = { 0 };
	double chi2 = 0;

	pp_test_require_netns();
	cfg = fx_cfg(fx, 10, 40500, 40599, ALL_OFF);
	pool = fx_open(fx, cfg);
	for (int i = 0; i < PICKS; i++) {
		int index = portpool_pick(pool);

		if (index < 0 || index > 9)
			fail_msg("pick %d returned %d", i, index);
		count[index]++;
	}
	for (int i = 0; i < 10; i++) {
		double d = (double)count[i] - PICKS / 10.0;

		/* sd 95: 1,000 off is more than 10 sd. */
		assert_in_range(count[i], 9000, 11000);
		chi2 += d * d / (PICKS / 10.0);
	}
	/* 9 degrees of freedom: P(chi2 > 45) is about 1e-6. */
	if (chi2 > 45.0)
		fail_msg("pick is not uniform: chi-square %.1f", chi2);
	assert_failed_with(portpool_pick(NULL), EINVAL);
	fx_close(fx, pool);
}

/* ------------------------------------------------------------------ */
/* 9. Range sources. */

static void test_range_sources(void **state)
{
	struct fx *fx = *state;
	struct portpool_config *cfg;
	struct portpool *pool;
	struct member *m;
	size_t must_move = 0;

	pp_test_require_netns();
	pp_test_sysctl("ip_local_port_range", "40000 40099");
	cfg = fx_cfg(fx, 50, 0, 0, 0);
	/* Defaults: maxuserport, not set. */
	expect_range(cfg, PORTPOOL_DYNAMIC_FIRST, PORTPOOL_DYNAMIC_LAST);
	expect_range(NULL, PORTPOOL_DYNAMIC_FIRST, PORTPOOL_DYNAMIC_LAST);
	assert_int_equal(portpool_config_use_system_range(cfg), 0);
	expect_range(cfg, 40000, 40099);
	assert_int_equal(portpool_is_excluded(cfg, 39999), 1);
	assert_int_equal(portpool_is_excluded(cfg, 40100), 1);
	pool = fx_open(fx, cfg);
	check_pool(pool, cfg, 50, true, NULL);

	/* The sysctl is read afresh; refresh follows a changed range. */
	pp_test_sysctl("ip_local_port_range", "40050 40149");
	expect_range(cfg, 40050, 40149);
	m = fx_snapshot(fx, pool);
	for (size_t i = 0; i < 50; i++)
		must_move += m[i].port < 40050;
	assert_int_equal(portpool_refresh(pool), must_move);
	check_pool(pool, cfg, 50, true, NULL);
	for (size_t i = 0; i < 50; i++) {
		if (m[i].port < 40050)
			continue;
		assert_int_equal(portpool_fd(pool, i), m[i].fd);
		assert_int_equal(portpool_port(pool, i), m[i].port);
	}
	fx_close(fx, pool);

	/* Whichever source was set last decides. */
	cfg = fx_cfg(fx, 0, 0, 0, 0);
	assert_int_equal(portpool_config_set_range(cfg, 30000, 30010), 0);
	expect_range(cfg, 30000, 30010);
	assert_int_equal(portpool_config_use_system_range(cfg), 0);
	expect_range(cfg, 40050, 40149);
	assert_int_equal(portpool_config_set_max_user_port(cfg, 5000), 0);
	expect_range(cfg, 1024, 5000);
	assert_int_equal(portpool_config_set_range(cfg, 1000, 2000), 0);
	expect_range(cfg, 1000, 2000);
	assert_int_equal(portpool_config_use_system_range(cfg), 0);
	expect_range(cfg, 40050, 40149);
	assert_int_equal(portpool_config_set_max_user_port(cfg, 6000), 0);
	expect_range(cfg, 1024, 6000);
	/* A refused setter changes nothing. */
	assert_failed_with(portpool_config_set_range(cfg, 2000, 1000), EINVAL);
	assert_failed_with(portpool_config_set_max_user_port(cfg, 4999),
			   ERANGE);
	assert_failed_with(portpool_config_set_range(cfg, 0, 10), ERANGE);
	expect_range(cfg, 1024, 6000);
	/* MaxUserPort 0 is "not set": back to 49152-65535. */
	assert_int_equal(portpool_config_set_max_user_port(cfg, 0), 0);
	expect_range(cfg, PORTPOOL_DYNAMIC_FIRST, PORTPOOL_DYNAMIC_LAST);
}

/* ------------------------------------------------------------------ */
/* 10. RLIMIT_NOFILE, checked before anything is bound. */

static void lower_nofile(rlim_t soft)
{
	struct rlimit lim = saved_nofile;

	lim.rlim_cur = soft;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
}

static void test_nofile_limit(void **state)
{
	struct fx *fx = *state;
	struct portpool_config *cfg;
	struct portpool *pool;
	struct member *m;
	char list[256];
	size_t len = 0;
	long fds;

	pp_test_require_netns();
	cfg = fx_cfg(fx, 100, 49152, 65535, PORTPOOL_NO_RAISE_NOFILE);
	fds = pp_test_count_fds();
	lower_nofile((rlim_t)fds + 50);
	errno = 0;
	assert_null(portpool_open(cfg));
	assert_int_equal(errno, EMFILE);
	error_mentions("RLIMIT_NOFILE");
	error_mentions("100");
	assert_int_equal(pp_test_count_fds(), fds);

	/* With room for 100 more it opens: the check is not too strict. */
	lower_nofile((rlim_t)fds + 100);
	pool = fx_open(fx, cfg);
	/* The checks below read host files: give them descriptors. */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved_nofile), 0);
	assert_int_equal(pp_test_count_fds(), fds + 100);
	check_pool(pool, cfg, 100, false, NULL);
	fx_close(fx, pool);

	/* refresh checks too: 10 members to move, room for 5. */
	cfg = fx_cfg(fx, 20, 40600, 40699,
		     KERNEL_ONLY | PORTPOOL_NO_RAISE_NOFILE);
	pool = fx_open(fx, cfg);
	m = fx_snapshot(fx, pool);
	for (size_t i = 0; i < 10; i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%u",
					len ? "," : "", m[i].port);
	pp_test_sysctl("ip_local_reserved_ports", list);
	fds = pp_test_count_fds();
	lower_nofile((rlim_t)fds + 5);
	assert_failed_with(portpool_refresh(pool), EMFILE);
	error_mentions("RLIMIT_NOFILE");
	assert_int_equal(pp_test_count_fds(), fds);
	expect_unchanged(pool, m, 20);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved_nofile), 0);
	assert_int_equal(portpool_refresh(pool), 10);
	assert_int_equal(pp_test_count_fds(), fds);
	check_pool(pool, cfg, 20, true, NULL);
	fx_close(fx, pool);
}

/* ------------------------------------------------------------------ */

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_kb_maxuserport_ipsec),
		T(test_kernel_reserved_ports),
		T(test_exhaustion),
		T(test_member_sockets_ipv4),
		T(test_member_sockets_ipv6),
		T(test_member_address),
		T(test_rotate),
		T(test_release_port),
		T(test_refresh_all_or_nothing),
		T(test_full_pool_gives_nothing_back),
		T(test_pick),
		T(test_range_sources),
		T(test_nofile_limit),
	};
	const char *why;

	/*
	 * The host's policy file (portpool.conf) could reserve ports or set
	 * the range and size; an empty one keeps these tests about the
	 * sources they set up themselves.
	 */
	if (setenv("PORTPOOL_CONF", pp_test_fixture("pool-policy-empty.conf"),
		   1) != 0)
		return 1;
	if (pp_test_enter_netns(&why) == 0) {
		have_netns = true;
		/* This namespace's own range, put back after each test. */
		read_sysctl("ip_local_port_range", saved_port_range,
			    sizeof(saved_port_range));
	} else {
		print_message("no network namespace: %s\n", why);
	}
	/* Room for a pool of 10,000; as root the hard limit may rise. */
	if (getrlimit(RLIMIT_NOFILE, &saved_nofile) == 0 &&
	    saved_nofile.rlim_cur != RLIM_INFINITY &&
	    saved_nofile.rlim_cur < NOFILE_NEEDED) {
		struct rlimit lim = saved_nofile;

		lim.rlim_cur = NOFILE_NEEDED;
		if (lim.rlim_max != RLIM_INFINITY &&
		    lim.rlim_max < NOFILE_NEEDED)
			lim.rlim_max = NOFILE_NEEDED;
		if (setrlimit(RLIMIT_NOFILE, &lim) == 0)
			saved_nofile = lim;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
