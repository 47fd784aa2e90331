/* SPDX-License-Identifier: ISC */
/*
 * The 1.0 additions: the socket hook, portpool_moved(), results sized by
 * the caller, bulk maps, the version and the default RLIMIT_NOFILE raise.
 * main() moves the process into a private network namespace, so every
 * bind and sysctl here stays inside it.  Ports 41000-41999 are this
 * file's own.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

#define KERNEL_ONLY	(PORTPOOL_NO_WELL_KNOWN | PORTPOOL_NO_ETC_SERVICES)
#define ALL_OFF		PORTPOOL_NO_HOST_SOURCES

/* The DSCP the hook puts on every member: AF41, as a resolver might. */
#define HOOK_TOS	0x88

struct hook_state {
	int calls;
	int fail_at;		/* fail the call with this number; 0: never */
	int fail_errno;
	int bad;		/* calls that saw a bound or unhardened socket */
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

/*
 * Sets the DSCP; checks it runs before bind() (port 0) and after the
 * library's own option (PMTU discovery already OMIT).
 */
static int hook(int fd, int family, void *arg)
{
	struct hook_state *st = arg;
	int tos = HOOK_TOS, pmtu = -1;
	socklen_t len = sizeof(pmtu);

	st->calls++;
	if (sock_port(fd) != 0)
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
	/* Still a candidate: the refused release reserved nothing. */
	assert_int_equal(portpool_is_excluded(cfg, port), 0);

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hook_every_move_ipv4),
		cmocka_unit_test(test_hook_every_move_ipv6),
		cmocka_unit_test(test_hook_fails_open),
		cmocka_unit_test(test_hook_fails_moves),
		cmocka_unit_test(test_hook_bad_args),
		cmocka_unit_test(test_moved),
	};

	pp_test_isolate();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
