/* SPDX-License-Identifier: ISC */
/*
 * The 1.0 additions: the socket hook, portpool_moved(), results sized by
 * the caller, bulk maps, the version and the default RLIMIT_NOFILE raise.
 * main() moves the process into a private network namespace, so every
 * bind and sysctl here stays inside it.  Ports 41000-41999 are this
 * file's own.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

#define KERNEL_ONLY	(PORTPOOL_NO_WELL_KNOWN | PORTPOOL_NO_ETC_SERVICES)
#define ALL_OFF		PORTPOOL_NO_HOST_SOURCES

/* The DSCP the hook puts on every member: AF41, as a resolver might. */
#define HOOK_TOS	0x88

struct hook_state {
	int calls;
	int fail_at;		/* fail the call with this number; 0: never */
	int fail_errno;
	int bad;		/* calls seeing a bound or unhardened socket */
};

static uint16_t sock_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		fail_msg("getsockname(%d): %s", fd, strerror(errno));
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static int tos_of(int fd, int family)
{
	socklen_t len = sizeof(int);
	int value = -1;

	if (family == AF_INET6)
		assert_int_equal(getsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS,
					    &value, &len), 0);
	else
		assert_int_equal(getsockopt(fd, IPPROTO_IP, IP_TOS, &value,
					    &len), 0);
	return value;
}

/* An int socket option's value, -1 if it cannot be read. */
static int opt_of(int fd, int level, int name)
{
	socklen_t len = sizeof(int);
	int value = -1;

	if (getsockopt(fd, level, name, &value, &len) != 0)
		return -1;
	return value;
}

/*
 * Sets the DSCP; checks it runs before bind() (port 0) and after the
 * library's own options, exactly those portpool_config_set_socket_hook(3)
 * lists: non-blocking, close-on-exec, IPV6_V6ONLY in an IPv6 pool, PMTU
 * discovery OMIT; no SO_REUSEADDR or SO_REUSEPORT.
 */
static int hook(int fd, int family, void *arg)
{
	struct hook_state *st = arg;
	int tos = HOOK_TOS, pmtu = -1;
	socklen_t len = sizeof(pmtu);

	st->calls++;
	if (sock_port(fd) != 0)
		st->bad++;
	if (!(fcntl(fd, F_GETFL) & O_NONBLOCK) ||
	    !(fcntl(fd, F_GETFD) & FD_CLOEXEC))
		st->bad++;
	if (family == AF_INET6 &&
	    opt_of(fd, IPPROTO_IPV6, IPV6_V6ONLY) != 1)
		st->bad++;
	if (opt_of(fd, SOL_SOCKET, SO_REUSEADDR) != 0 ||
	    opt_of(fd, SOL_SOCKET, SO_REUSEPORT) != 0)
		st->bad++;
	if (getsockopt(fd, family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
		       family == AF_INET6 ? IPV6_MTU_DISCOVER :
		       IP_MTU_DISCOVER, &pmtu, &len) != 0 ||
	    pmtu != IP_PMTUDISC_OMIT)
		st->bad++;
	if (st->fail_at && st->calls == st->fail_at) {
		errno = st->fail_errno;
		return -1;
	}
	if (family == AF_INET6)
		return setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos,
				  sizeof(tos));
	return setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
}

static struct portpool_config *make_cfg(unsigned size, unsigned first,
					unsigned last, unsigned flags,
					int family, struct hook_state *st)
{
	struct portpool_config *cfg = portpool_config_new();

	assert_non_null(cfg);
	assert_int_equal(portpool_config_set_size(cfg, size), 0);
	assert_int_equal(portpool_config_set_range(cfg, first, last), 0);
	assert_int_equal(portpool_config_set_flags(cfg, flags), 0);
	assert_int_equal(portpool_config_set_family(cfg, family), 0);
	if (st)
		assert_int_equal(portpool_config_set_socket_hook(cfg, hook,
								 st), 0);
	return cfg;
}

static void expect_tos(const struct portpool *pool, int family, int tos)
{
	for (size_t i = 0; i < portpool_size(pool); i++)
		assert_int_equal(tos_of(portpool_fd(pool, i), family), tos);
}

struct snap {
	int fd[64];
	uint16_t port[64];
	size_t n;
};

static void snap(const struct portpool *pool, struct snap *s)
{
	s->n = portpool_size(pool);
	assert_true(s->n <= 64);
	for (size_t i = 0; i < s->n; i++) {
		s->fd[i] = portpool_fd(pool, i);
		s->port[i] = portpool_port(pool, i);
	}
}

static void expect_same(const struct portpool *pool, const struct snap *s)
{
	assert_int_equal(portpool_size(pool), s->n);
	for (size_t i = 0; i < s->n; i++) {
		assert_int_equal(portpool_fd(pool, i), s->fd[i]);
		assert_int_equal(portpool_port(pool, i), s->port[i]);
		assert_int_equal(sock_port(s->fd[i]), s->port[i]);
	}
}

/* The indexes whose fd or port differ between a snapshot and the pool. */
static size_t changed(const struct portpool *pool, const struct snap *s,
		      size_t *index)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		if (portpool_fd(pool, i) != s->fd[i] ||
		    portpool_port(pool, i) != s->port[i])
			index[n++] = i;
	return n;
}

static void expect_moved(const struct portpool *pool, const struct snap *s)
{
	size_t want[64], got[64], n;

	n = changed(pool, s, want);
	memset(got, 0xff, sizeof(got));
	assert_int_equal(portpool_moved(pool, got, 64), n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(got[i], want[i]);
	/* Nothing written past what there is. */
	assert_int_equal(got[n], (size_t)-1);
}

/* ------------------------------------------------------------------ */
/* The socket hook. */

static void hook_every_move(int family)
{
	struct hook_state st = { 0 };
	struct portpool_config *cfg;
	struct portpool *pool;
	char list[64];

	cfg = make_cfg(10, 41000, 41031, KERNEL_ONLY, family, &st);
	pool = portpool_open(cfg);
	assert_non_null(pool);
	assert_int_equal(st.calls, 10);
	expect_tos(pool, family, HOOK_TOS);

	assert_int_equal(portpool_rotate(pool, 3), 0);
	assert_int_equal(st.calls, 11);
	assert_int_equal(portpool_release_port(pool, portpool_port(pool, 5)),
			 1);
	assert_int_equal(st.calls, 12);
	snprintf(list, sizeof(list), "%u,%u", portpool_port(pool, 1),
		 portpool_port(pool, 8));
	pp_test_sysctl("ip_local_reserved_ports", list);
	assert_int_equal(portpool_refresh(pool), 2);
	assert_int_equal(st.calls, 14);
	/* Every member, old and moved, carries what the hook set. */
	expect_tos(pool, family, HOOK_TOS);
	assert_int_equal(st.bad, 0);
	portpool_close(pool);
	pp_test_sysctl("ip_local_reserved_ports", "\n");

	/* Negative control: without the hook the option is the default. */
	assert_int_equal(portpool_config_set_socket_hook(cfg, NULL, &st), 0);
	pool = portpool_open(cfg);
	assert_non_null(pool);
	assert_int_equal(st.calls, 14);
	expect_tos(pool, family, 0);
	portpool_close(pool);
	portpool_config_free(cfg);
}

static void test_hook_every_move_ipv4(void **state)
{
	(void)state;
	pp_test_require_netns();
	hook_every_move(AF_INET);
}

static void test_hook_every_move_ipv6(void **state)
{
	(void)state;
	pp_test_require_netns();
	hook_every_move(AF_INET6);
}

/* A hook failing at the k-th socket of open: open fails, leaks nothing. */
static void test_hook_fails_open(void **state)
{
	struct hook_state st = { 0 };
	struct portpool_config *cfg;
	long fds;

	(void)state;
	pp_test_require_netns();
	cfg = make_cfg(8, 41100, 41131, ALL_OFF, AF_INET, &st);
	fds = pp_test_count_fds();
	for (int k = 1; k <= 8; k++) {
		st = (struct hook_state){ .fail_at = k, .fail_errno = EPERM };
		errno = 0;
		assert_null(portpool_open(cfg));
		assert_int_equal(errno, EPERM);
		assert_non_null(strstr(portpool_error(), "socket hook"));
		assert_int_equal(st.calls, k);
		assert_int_equal(pp_test_count_fds(), fds);
	}
	/* -1 without errno is still a failure, with an errno. */
	st = (struct hook_state){ .fail_at = 2, .fail_errno = 0 };
	errno = 0;
	assert_null(portpool_open(cfg));
	assert_int_equal(errno, ECANCELED);
	assert_int_equal(pp_test_count_fds(), fds);
	portpool_config_free(cfg);
}

/* A failing hook in rotate, release and refresh changes nothing. */
static void test_hook_fails_moves(void **state)
{
	struct hook_state st = { 0 };
	struct portpool_config *cfg;
	struct portpool *pool;
	struct snap s;
	size_t idx[64];
	char list[64];
	uint16_t port;
	long fds;

	(void)state;
	pp_test_require_netns();
	cfg = make_cfg(6, 41200, 41215, KERNEL_ONLY, AF_INET, &st);
	pool = portpool_open(cfg);
	assert_non_null(pool);
	assert_int_equal(portpool_rotate(pool, 2), 0);
	assert_int_equal(portpool_moved(pool, idx, 64), 1);
	assert_int_equal(idx[0], 2);
	snap(pool, &s);
	fds = pp_test_count_fds();

	st.fail_at = st.calls + 1;
	st.fail_errno = EACCES;
	assert_failed_with(portpool_rotate(pool, 4), EACCES);
	expect_same(pool, &s);
	assert_int_equal(pp_test_count_fds(), fds);

	port = s.port[0];
	st.fail_at = st.calls + 1;
	assert_failed_with(portpool_release_port(pool, port), EACCES);
	expect_same(pool, &s);
	assert_int_equal(pp_test_count_fds(), fds);
	/*
	 * The refused release must not leave the port reserved in the
	 * pool's own config (the caller's cannot change): the refresh
	 * below would then move its holder too, 4 members and not 3.
	 */

	snprintf(list, sizeof(list), "%u,%u,%u", s.port[1], s.port[3],
		 s.port[5]);
	pp_test_sysctl("ip_local_reserved_ports", list);
	/* The second of three new sockets fails: none of them stays. */
	st.fail_at = st.calls + 2;
	assert_failed_with(portpool_refresh(pool), EACCES);
	expect_same(pool, &s);
	assert_int_equal(pp_test_count_fds(), fds);
	/* The failures left the last success's answer alone. */
	assert_int_equal(portpool_moved(pool, idx, 64), 1);
	assert_int_equal(idx[0], 2);

	st.fail_at = 0;
	assert_int_equal(portpool_refresh(pool), 3);
	expect_moved(pool, &s);
	assert_int_equal(pp_test_count_fds(), fds);
	pp_test_sysctl("ip_local_reserved_ports", "\n");
	portpool_close(pool);
	portpool_config_free(cfg);
}

static void test_hook_bad_args(void **state)
{
	(void)state;
	assert_failed_with(portpool_config_set_socket_hook(NULL, hook, NULL),
			   EINVAL);
}

/* ------------------------------------------------------------------ */
/* portpool_moved(). */

static void test_moved(void **state)
{
	struct portpool_config *cfg;
	struct portpool *pool;
	struct snap s;
	size_t idx[64], one;
	char list[128];
	size_t len = 0;

	(void)state;
	pp_test_require_netns();
	cfg = make_cfg(20, 41300, 41363, KERNEL_ONLY, AF_INET, NULL);
	pool = portpool_open(cfg);
	assert_non_null(pool);
	/* Nothing moved yet. */
	assert_int_equal(portpool_moved(pool, idx, 64), 0);

	snap(pool, &s);
	assert_int_equal(portpool_rotate(pool, 7), 0);
	expect_moved(pool, &s);
	assert_int_equal(portpool_moved(pool, idx, 64), 1);
	assert_int_equal(idx[0], 7);

	snap(pool, &s);
	assert_int_equal(portpool_release_port(pool, s.port[12]), 1);
	expect_moved(pool, &s);
	assert_int_equal(portpool_moved(pool, idx, 64), 1);
	assert_int_equal(idx[0], 12);

	/* A release nobody held moved nobody. */
	assert_int_equal(portpool_release_port(pool, 41299), 0);
	assert_int_equal(portpool_moved(pool, idx, 64), 0);

	/* Refresh: members 17, 2, 9 and 11 (given out of order) move. */
	snap(pool, &s);
	len = (size_t)snprintf(list, sizeof(list), "%u,%u,%u,%u",
			       s.port[17], s.port[2], s.port[9], s.port[11]);
	assert_true(len < sizeof(list));
	pp_test_sysctl("ip_local_reserved_ports", list);
	assert_int_equal(portpool_refresh(pool), 4);
	expect_moved(pool, &s);
	assert_int_equal(portpool_moved(pool, idx, 64), 4);
	assert_int_equal(idx[0], 2);
	assert_int_equal(idx[1], 9);
	assert_int_equal(idx[2], 11);
	assert_int_equal(idx[3], 17);
	/* A short array gets the first ones; the count is still all. */
	one = 99;
	assert_int_equal(portpool_moved(pool, &one, 1), 4);
	assert_int_equal(one, 2);
	assert_int_equal(portpool_moved(pool, NULL, 0), 4);
	assert_int_equal(portpool_moved(pool, NULL, 5), 4);

	/* A refresh that moves nobody: the list is empty. */
	assert_int_equal(portpool_refresh(pool), 0);
	assert_int_equal(portpool_moved(pool, idx, 64), 0);
	pp_test_sysctl("ip_local_reserved_ports", "\n");

	errno = 0;
	assert_int_equal(portpool_moved(NULL, idx, 64), 0);
	assert_int_equal(errno, EINVAL);
	portpool_close(pool);
	portpool_config_free(cfg);
}


/* ------------------------------------------------------------------ */
/* Results sized by the caller. */

/*
 * A caller built against a newer header passes a bigger struct: what
 * this library knows is filled, the rest zeroed.  One built against
 * the same header gets exactly the struct.  Below the 1.0 size: EINVAL,
 * nothing written.
 */
#define TAIL 64

struct grown_census {
	struct portpool_census c;
	unsigned char more[TAIL];
};

struct grown_stats {
	struct portpool_stats s;
	unsigned char more[TAIL];
};

struct grown_why {
	struct portpool_explanation e;
	unsigned char more[TAIL];
};

static void expect_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			fail_msg("byte %zu past the struct is 0x%02x", i,
				 p[i]);
}

static void expect_fill(const void *p, size_t n, unsigned char byte)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != byte)
			fail_msg("byte %zu was written (0x%02x)", i, b[i]);
}

static void test_sizes_are_1_0(void **state)
{
	(void)state;
	/* The minimum each call accepts is today's struct: no slack. */
	assert_int_equal(PP_STATS_SIZE_1_0, sizeof(struct portpool_stats));
	assert_int_equal(PP_CENSUS_SIZE_1_0, sizeof(struct portpool_census));
	assert_int_equal(PP_EXPLANATION_SIZE_1_0,
			 sizeof(struct portpool_explanation));
}

static void test_census_sized(void **state)
{
	struct portpool_config *cfg;
	struct grown_census g;
	struct portpool_census c;

	(void)state;
	cfg = make_cfg(100, 41000, 41999, ALL_OFF, AF_INET, NULL);
	assert_int_equal(portpool_config_reserve(cfg, 41500, 41509), 0);

	memset(&g, 0xa5, sizeof(g));
	assert_int_equal(portpool_census(cfg, &g.c, sizeof(g)), 0);
	assert_int_equal(g.c.candidates, 990);
	assert_int_equal(g.c.removed[PORTPOOL_SOURCE_CALLER], 10);
	/* Slots for sources not known yet are 0, not left as they were. */
	for (int s = PORTPOOL_SOURCE_COUNT; s < PORTPOOL_CENSUS_SOURCES; s++)
		assert_int_equal(g.c.removed[s], 0);
	expect_zero(g.more, TAIL);
	assert_string_equal(g.c.range_token, "explicit");
	assert_int_equal(g.c.range_from_policy, 0);

	memset(&c, 0x5a, sizeof(c));
	assert_int_equal(portpool_census(cfg, &c, sizeof(c)), 0);
	assert_int_equal(memcmp(&c, &g.c, sizeof(c)), 0);

	memset(&g, 0xa5, sizeof(g));
	assert_failed_with(portpool_census(cfg, &g.c, sizeof(c) - 1), EINVAL);
	assert_non_null(strstr(portpool_error(), "too small"));
	expect_fill(&g, sizeof(g), 0xa5);
	assert_failed_with(portpool_census(cfg, &g.c, 0), EINVAL);
	expect_fill(&g, sizeof(g), 0xa5);
	assert_failed_with(portpool_census(cfg, NULL, sizeof(c)), EINVAL);
	portpool_config_free(cfg);
}

static void test_explain_sized(void **state)
{
	struct portpool_config *cfg;
	struct grown_why g;
	struct portpool_explanation e;

	(void)state;
	cfg = make_cfg(100, 41000, 41999, ALL_OFF, AF_INET, NULL);
	assert_int_equal(portpool_config_reserve(cfg, 41500, 41500), 0);
	memset(&g, 0xa5, sizeof(g));
	assert_int_equal(portpool_explain(cfg, 41500, &g.e, sizeof(g)), 0);
	assert_int_equal(g.e.port, 41500);
	assert_int_equal(g.e.sources, 1u << PORTPOOL_SOURCE_CALLER);
	assert_non_null(strstr(g.e.text, "reserved by the program"));
	expect_zero(g.more, TAIL);
	memset(&e, 0, sizeof(e));
	assert_int_equal(portpool_explain(cfg, 41500, &e, sizeof(e)), 0);
	assert_int_equal(memcmp(&e, &g.e, sizeof(e)), 0);
	memset(&g, 0xa5, sizeof(g));
	assert_failed_with(portpool_explain(cfg, 41500, &g.e, sizeof(e) - 1),
			   EINVAL);
	expect_fill(&g, sizeof(g), 0xa5);
	portpool_config_free(cfg);
}

static void test_stats_sized(void **state)
{
	struct portpool_config *cfg;
	struct portpool *pool;
	struct grown_stats g;
	struct portpool_stats st;

	(void)state;
	pp_test_require_netns();
	cfg = make_cfg(10, 41000, 41099, ALL_OFF, AF_INET, NULL);
	pool = portpool_open(cfg);
	assert_non_null(pool);
	assert_int_equal(portpool_rotate(pool, 0), 0);
	memset(&g, 0xa5, sizeof(g));
	assert_int_equal(portpool_stats(pool, &g.s, sizeof(g)), 0);
	assert_int_equal(g.s.size, 10);
	assert_int_equal(g.s.candidates, 100);
	assert_int_equal(g.s.free, 90);
	assert_int_equal(g.s.rotations, 1);
	assert_int_equal(g.s.refreshes, 0);
	expect_zero(g.more, TAIL);
	memset(&st, 0, sizeof(st));
	assert_int_equal(portpool_stats(pool, &st, sizeof(st)), 0);
	assert_int_equal(memcmp(&st, &g.s, sizeof(st)), 0);
	memset(&g, 0xa5, sizeof(g));
	assert_failed_with(portpool_stats(pool, &g.s, sizeof(st) - 1),
			   EINVAL);
	expect_fill(&g, sizeof(g), 0xa5);
	/* Counters are 64 bits wide on every host, i386 and armhf too. */
	assert_int_equal(sizeof(st.bind_attempts), 8);
	assert_int_equal(sizeof(st.releases), 8);
	portpool_close(pool);
	portpool_config_free(cfg);
}

/* ------------------------------------------------------------------ */
/* Tokens, the weak threshold, the version. */

static void test_tokens(void **state)
{
	static const char *const want[PORTPOOL_SOURCE_COUNT] = {
		[PORTPOOL_SOURCE_RANGE] = "range",
		[PORTPOOL_SOURCE_CALLER] = "caller",
		[PORTPOOL_SOURCE_KERNEL] = "kernel",
		[PORTPOOL_SOURCE_POLICY] = "policy",
		[PORTPOOL_SOURCE_WELL_KNOWN] = "well-known",
		[PORTPOOL_SOURCE_ETC_SERVICES] = "services",
	};
	struct portpool_config *cfg;
	struct portpool_census c;

	(void)state;
	for (int s = 0; s < PORTPOOL_SOURCE_COUNT; s++)
		assert_string_equal(portpool_source_token(s), want[s]);
	errno = 0;
	assert_null(portpool_source_token(PORTPOOL_SOURCE_COUNT));
	assert_int_equal(errno, EINVAL);
	assert_null(portpool_source_token((enum portpool_source)-1));

	cfg = portpool_config_new();
	assert_non_null(cfg);
	assert_int_equal(portpool_census(cfg, &c, sizeof(c)), 0);
	assert_string_equal(c.range_token, "default");
	assert_int_equal(portpool_config_set_max_user_port(cfg, 5000), 0);
	assert_int_equal(portpool_census(cfg, &c, sizeof(c)), 0);
	assert_string_equal(c.range_token, "maxuserport");
	assert_int_equal(portpool_config_set_range(cfg, 2000, 3000), 0);
	assert_int_equal(portpool_census(cfg, &c, sizeof(c)), 0);
	assert_string_equal(c.range_token, "explicit");
	assert_int_equal(portpool_config_use_system_range(cfg), 0);
	assert_int_equal(portpool_census(cfg, &c, sizeof(c)), 0);
	assert_string_equal(c.range_token, "system");
	assert_int_equal(c.range_from_policy, 0);
	portpool_config_free(cfg);

	/* A range the policy file chose: the same token, and the flag. */
	{
		char path[] = "/tmp/portpool-abi-policy-XXXXXX";
		static const char text[] = "range = 40000-40999\n";
		int fd = mkstemp(path);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, text, sizeof(text) - 1),
				 sizeof(text) - 1);
		close(fd);
		cfg = portpool_config_new();
		assert_non_null(cfg);
		assert_int_equal(portpool_config_set_policy_file(cfg, path), 0);
		assert_int_equal(portpool_census(cfg, &c, sizeof(c)), 0);
		unlink(path);
		assert_string_equal(c.range_token, "explicit");
		assert_int_equal(c.range_from_policy, 1);
		assert_int_equal(c.first, 40000);
		portpool_config_free(cfg);
	}
}

static int weak_of(unsigned first, unsigned last, const char *reserve)
{
	struct portpool_config *cfg;
	struct portpool_census c;

	cfg = make_cfg(100, first, last, ALL_OFF, AF_INET, NULL);
	if (reserve)
		assert_int_equal(portpool_config_reserve_list(cfg, reserve),
				 0);
	assert_int_equal(portpool_census(cfg, &c, sizeof(c)), 0);
	portpool_config_free(cfg);
	return c.weak;
}

static void test_weak_threshold(void **state)
{
	(void)state;
	/* The default range less WireGuard's 51820: 16,383, not weak. */
	assert_int_equal(weak_of(49152, 65535, "51820"), 0);
	/* 13,788 candidates is porttest's GREAT; one fewer is weak. */
	assert_int_equal(weak_of(40000, 40000 + 13788 - 1, NULL), 0);
	assert_int_equal(weak_of(40000, 40000 + 13788 - 1, "45000"), 1);
	assert_int_equal(weak_of(40000, 40000 + 13787 - 1, NULL), 1);
}

static void test_version(void **state)
{
	char want[32];

	(void)state;
	snprintf(want, sizeof(want), "%d.%d.%d", PORTPOOL_VERSION_MAJOR,
		 PORTPOOL_VERSION_MINOR, PORTPOOL_VERSION_PATCH);
	assert_string_equal(portpool_version(), want);
	assert_int_equal(PORTPOOL_VERSION_MAJOR, 1);
}


/* ------------------------------------------------------------------ */
/* RLIMIT_NOFILE: raised by default, as far as needed, undone on failure. */

static struct rlimit saved_nofile;

static rlim_t soft_limit(void)
{
	struct rlimit lim;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &lim), 0);
	return lim.rlim_cur;
}

static void set_soft(rlim_t soft)
{
	struct rlimit lim = saved_nofile;

	lim.rlim_cur = soft;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
}

static void test_nofile_default_raise(void **state)
{
	struct hook_state st = { 0 };
	struct portpool_config *cfg;
	struct portpool *pool;
	long fds;

	(void)state;
	pp_test_require_netns();
	if (saved_nofile.rlim_max != RLIM_INFINITY &&
	    saved_nofile.rlim_max < 4096)
		fail_msg("hard RLIMIT_NOFILE %lu is too low for this test",
			 (unsigned long)saved_nofile.rlim_max);
	cfg = make_cfg(300, 41000, 41999, ALL_OFF, AF_INET, NULL);
	fds = pp_test_count_fds();
	set_soft((rlim_t)fds + 50);
	pool = portpool_open(cfg);
	if (!pool)
		fail_msg("open with the soft limit low: %s", portpool_error());
	/* Raised, but only as far as the pool and 64 spare need. */
	assert_int_equal(soft_limit(), fds + 300 + 64);
	assert_int_equal(pp_test_count_fds(), fds + 300);
	portpool_close(pool);

	/* A failed open puts the limit back. */
	set_soft((rlim_t)fds + 50);
	assert_int_equal(portpool_config_set_socket_hook(cfg, hook, &st), 0);
	st.fail_at = 200;
	st.fail_errno = EPERM;
	assert_null(portpool_open(cfg));
	assert_int_equal(soft_limit(), fds + 50);
	assert_int_equal(pp_test_count_fds(), fds);
	assert_int_equal(portpool_config_set_socket_hook(cfg, NULL, NULL), 0);

	/* The opt-out: EMFILE up front, the limit untouched. */
	assert_int_equal(portpool_config_set_flags(cfg, ALL_OFF |
		PORTPOOL_NO_RAISE_NOFILE), 0);
	assert_failed_with((portpool_open(cfg) ? 0 : -1), EMFILE);
	assert_non_null(strstr(portpool_error(), "RLIMIT_NOFILE"));
	assert_int_equal(soft_limit(), fds + 50);

	/* 0.1's flag is still accepted and changes nothing. */
	assert_int_equal(portpool_config_set_flags(cfg, ALL_OFF |
		PORTPOOL_RAISE_NOFILE), 0);
	pool = portpool_open(cfg);
	assert_non_null(pool);
	assert_int_equal(soft_limit(), fds + 300 + 64);
	portpool_close(pool);
	set_soft(saved_nofile.rlim_cur);
	portpool_config_free(cfg);
}

/*
 * In a child with /proc hidden under an empty tmpfs (its own mount
 * namespace, so the host never sees it): exit 0 when the default raise
 * still happens, with the same headroom, and the opt-out still fails
 * up front; a small number for each check that did not hold.
 */
static int nofile_without_proc(void)
{
	struct portpool_config *cfg;
	struct portpool *pool;
	long fds = 0;
	int rc = 0;

	if (unshare(CLONE_NEWNS) != 0 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("none", "/proc", "tmpfs", 0, NULL) != 0)
		return 10;
	if (access("/proc/self/fd", F_OK) == 0)
		return 11;
	/* What the library can count: the descriptors below the limit. */
	for (int fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			fds++;
	for (int fd = (int)fds + 20; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			fds--;
	cfg = portpool_config_new();
	if (!cfg || portpool_config_set_size(cfg, 200) != 0 ||
	    portpool_config_set_range(cfg, 41000, 41999) != 0 ||
	    portpool_config_set_flags(cfg, ALL_OFF) != 0)
		return 12;
	set_soft((rlim_t)fds + 20);
	pool = portpool_open(cfg);
	if (!pool) {
		fprintf(stderr, "without /proc: %s\n", portpool_error());
		rc = 13;
	} else if (soft_limit() != (rlim_t)fds + 200 + 64) {
		fprintf(stderr, "without /proc: soft limit %lu, want %ld\n",
			(unsigned long)soft_limit(), fds + 264);
		rc = 14;
	}
	portpool_close(pool);
	set_soft((rlim_t)fds + 20);
	if (portpool_config_set_flags(cfg, ALL_OFF |
				      PORTPOOL_NO_RAISE_NOFILE) != 0)
		return 15;
	errno = 0;
	pool = portpool_open(cfg);
	if (pool || errno != EMFILE || soft_limit() != (rlim_t)fds + 20)
		rc = rc ? rc : 16;
	portpool_close(pool);
	portpool_config_free(cfg);
	return rc;
}

static void test_nofile_without_proc(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	pp_test_require_netns();
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(nofile_without_proc());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 10)
		fail_msg("no private mount namespace to hide /proc in");
	assert_int_equal(WEXITSTATUS(status), 0);
}


/* ------------------------------------------------------------------ */
/* Bulk maps against the one-port answers. */

static bool bit(const uint64_t *map, unsigned p)
{
	return (map[p / 64] >> (p % 64)) & 1;
}

static bool checked_port(unsigned p)
{
	return (p >= 40900 && p <= 43100) || p % 97 == 0 || p == 1 ||
	       p > 65533 || (p >= 3999 && p <= 4002);
}

static void test_maps(void **state)
{
	static uint64_t cand[PORTPOOL_MAP_WORDS], src[PORTPOOL_SOURCE_COUNT]
		[PORTPOOL_MAP_WORDS], keep[PORTPOOL_MAP_WORDS];
	struct portpool_config *cfg;
	struct portpool_explanation why;
	int n, total = 0;

	(void)state;
	pp_test_require_netns();
	/* Every source has something in 41000-42999. */
	cfg = make_cfg(100, 41000, 42999, 0, AF_INET, NULL);
	assert_int_equal(portpool_config_reserve_list(cfg,
		"41000-41009,42500,60000"), 0);
	pp_test_sysctl("ip_local_reserved_ports", "41005-41020,42998");
	assert_int_equal(portpool_config_set_policy_file(cfg,
		pp_test_fixture("policy-reserve-only.conf")), 0);

	n = portpool_candidate_map(cfg, cand);
	assert_int_equal(n, portpool_available(cfg));
	for (int s = 0; s < PORTPOOL_SOURCE_COUNT; s++) {
		int k = portpool_source_map(cfg, s, src[s]);

		assert_true(k >= 0);
		if (s == PORTPOOL_SOURCE_RANGE)
			assert_int_equal(k, 65536 - 2000);
		total += k;
	}
	assert_true(total > 65536 - 2000);
	for (unsigned p = 0; p < 65536; p++) {
		unsigned sources = 0;
		bool any = false;

		for (int s = 0; s < PORTPOOL_SOURCE_COUNT; s++)
			if (bit(src[s], p)) {
				sources |= 1u << s;
				any = true;
			}
		/* A candidate is exactly a port no source names. */
		assert_int_equal(bit(cand, p), !any);
		if (!checked_port(p))
			continue;
		assert_int_equal(portpool_is_excluded(cfg, (uint16_t)p),
				 !bit(cand, p));
		assert_int_equal(portpool_explain(cfg, (uint16_t)p, &why,
						  sizeof(why)), 0);
		if (why.sources != sources)
			fail_msg("port %u: explain says sources 0x%x, the "
				 "maps 0x%x", p, why.sources, sources);
	}
	/* The caller's and the kernel's, as set above. */
	assert_true(bit(src[PORTPOOL_SOURCE_CALLER], 60000));
	assert_true(bit(src[PORTPOOL_SOURCE_KERNEL], 42998));
	assert_false(bit(src[PORTPOOL_SOURCE_KERNEL], 42997));
	assert_true(bit(src[PORTPOOL_SOURCE_POLICY], 4001));
	assert_false(bit(src[PORTPOOL_SOURCE_POLICY], 4002));

	/* A failure writes nothing. */
	memset(keep, 0x5a, sizeof(keep));
	memcpy(cand, keep, sizeof(keep));
	/* A NUL byte in /etc/services: refused, as every host file. */
	cfg->path[PP_PATH_SERVICES] = pp_test_fixture("services-nul");
	assert_failed_with(portpool_candidate_map(cfg, cand), EINVAL);
	assert_memory_equal(cand, keep, sizeof(keep));
	assert_failed_with(portpool_source_map(cfg, PORTPOOL_SOURCE_CALLER,
					       cand), EINVAL);
	assert_memory_equal(cand, keep, sizeof(keep));
	assert_failed_with(portpool_source_map(cfg, PORTPOOL_SOURCE_COUNT,
					       cand), EINVAL);
	assert_failed_with(portpool_candidate_map(cfg, NULL), EINVAL);
	pp_test_sysctl("ip_local_reserved_ports", "\n");
	portpool_config_free(cfg);
}

/* Spans that start and end inside words, cover whole words, or one bit. */
static void test_map_edges(void **state)
{
	static uint64_t map[PORTPOOL_MAP_WORDS];
	struct portpool_config *cfg;

	(void)state;
	cfg = make_cfg(1, 1, 65535, ALL_OFF, AF_INET, NULL);
	assert_int_equal(portpool_config_reserve_list(cfg,
		"63,64,127-129,200-400,65535"), 0);
	assert_int_equal(portpool_source_map(cfg, PORTPOOL_SOURCE_CALLER,
					     map), 1 + 1 + 3 + 201 + 1);
	for (unsigned p = 0; p < 65536; p++) {
		bool want = p == 63 || p == 64 || (p >= 127 && p <= 129) ||
			    (p >= 200 && p <= 400) || p == 65535;

		if (bit(map, p) != want)
			fail_msg("port %u: bit %d", p, bit(map, p));
	}
	assert_int_equal(portpool_candidate_map(cfg, map), 65535 - 207);
	assert_false(bit(map, 0));
	assert_true(bit(map, 1));
	assert_false(bit(map, 65535));
	assert_true(bit(map, 65534));
	assert_int_equal(portpool_source_map(cfg, PORTPOOL_SOURCE_RANGE,
					     map), 1);
	assert_true(bit(map, 0));
	portpool_config_free(cfg);
}

/* ------------------------------------------------------------------ */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hook_every_move_ipv4),
		cmocka_unit_test(test_hook_every_move_ipv6),
		cmocka_unit_test(test_hook_fails_open),
		cmocka_unit_test(test_hook_fails_moves),
		cmocka_unit_test(test_hook_bad_args),
		cmocka_unit_test(test_moved),
		cmocka_unit_test(test_sizes_are_1_0),
		cmocka_unit_test(test_census_sized),
		cmocka_unit_test(test_explain_sized),
		cmocka_unit_test(test_stats_sized),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_weak_threshold),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_nofile_default_raise),
		cmocka_unit_test(test_maps),
		cmocka_unit_test(test_map_edges),
		cmocka_unit_test(test_nofile_without_proc),
	};

	pp_test_isolate();
	if (getrlimit(RLIMIT_NOFILE, &saved_nofile) != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
