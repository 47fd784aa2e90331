/* SPDX-License-Identifier: ISC */
/*
 * Fault injection: the library's system calls are wrapped (-Wl,--wrap,
 * which works against the static library) and the k-th wrapped call is
 * failed, for every k, with each errno the call can really return.  A
 * failed operation must fail with that errno, say so in a sentence, leak
 * no descriptor and leave the pool exactly as it was; an operation that
 * succeeds despite the fault (a busy port skipped, a close error, an
 * option the kernel does not know) must leave a sound pool.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

enum wrapped {
	W_SOCKET = 1 << 0,
	W_BIND = 1 << 1,
	W_CLOSE = 1 << 2,
	W_SETSOCKOPT = 1 << 3,
	W_GETRANDOM = 1 << 4,
	W_OPEN = 1 << 5,
	W_READ = 1 << 6,
};

static struct {
	unsigned mask;		/* which calls count */
	int fail_at;		/* 1-based; 0: disarmed */
	int calls;
	int err;		/* errno to fail with; 0: a short read */
	bool fired;
} fault;

static void arm(unsigned mask, int k, int err)
{
	fault.mask = mask;
	fault.fail_at = k;
	fault.calls = 0;
	fault.err = err;
	fault.fired = false;
}

static void disarm(void)
{
	fault.fail_at = 0;
}

/* Run as the fault fires: what another thread might do at that moment. */
static void (*fault_hook)(void);

#define FAIL_ALL (-1)

static bool fail_now(unsigned which)
{
	if (!fault.fail_at || !(fault.mask & which))
		return false;
	if (++fault.calls != fault.fail_at && fault.fail_at != FAIL_ALL)
		return false;
	fault.fired = true;
	if (fault_hook)
		fault_hook();
	return true;
}

int __real_socket(int domain, int type, int protocol);
int __wrap_socket(int domain, int type, int protocol);
int __real_bind(int fd, const struct sockaddr *addr, socklen_t len);
int __wrap_bind(int fd, const struct sockaddr *addr, socklen_t len);
int __real_close(int fd);
int __wrap_close(int fd);
int __real_setsockopt(int fd, int level, int name, const void *value,
		      socklen_t len);
int __wrap_setsockopt(int fd, int level, int name, const void *value,
		      socklen_t len);
ssize_t __real_getrandom(void *buf, size_t len, unsigned flags);
ssize_t __wrap_getrandom(void *buf, size_t len, unsigned flags);
int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);
/* With _FILE_OFFSET_BITS=64 glibc's open() is open64(): wrap both. */
int __real_open64(const char *path, int flags, ...);
int __wrap_open64(const char *path, int flags, ...);
ssize_t __real_read(int fd, void *buf, size_t len);
ssize_t __wrap_read(int fd, void *buf, size_t len);

int __wrap_socket(int domain, int type, int protocol)
{
	if (fail_now(W_SOCKET)) {
		errno = fault.err;
		return -1;
	}
	return __real_socket(domain, type, protocol);
}

int __wrap_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (fail_now(W_BIND)) {
		errno = fault.err;
		return -1;
	}
	return __real_bind(fd, addr, len);
}

/* close() that fails has still closed the descriptor, as on Linux. */
int __wrap_close(int fd)
{
	int rc = __real_close(fd);

	if (fail_now(W_CLOSE)) {
		errno = fault.err;
		return -1;
	}
	return rc;
}

int __wrap_setsockopt(int fd, int level, int name, const void *value,
		      socklen_t len)
{
	if (fail_now(W_SETSOCKOPT)) {
		errno = fault.err;
		return -1;
	}
	return __real_setsockopt(fd, level, name, value, len);
}

ssize_t __wrap_getrandom(void *buf, size_t len, unsigned flags)
{
	if (fail_now(W_GETRANDOM)) {
		if (fault.err == 0)	/* a short read */
			return __real_getrandom(buf, len > 3 ? 3 : len, flags);
		errno = fault.err;
		return -1;
	}
	return __real_getrandom(buf, len, flags);
}

int __wrap_open(const char *path, int flags, ...)
{
	if (fail_now(W_OPEN)) {
		errno = fault.err;
		return -1;
	}
	return __real_open(path, flags);
}

int __wrap_open64(const char *path, int flags, ...)
{
	if (fail_now(W_OPEN)) {
		errno = fault.err;
		return -1;
	}
	return __real_open64(path, flags);
}

ssize_t __wrap_read(int fd, void *buf, size_t len)
{
	if (fail_now(W_READ)) {
		if (fault.err == 0)	/* a short read */
			return __real_read(fd, buf, len > 1 ? 1 : len);
		errno = fault.err;
		return -1;
	}
	return __real_read(fd, buf, len);
}

/* The faults to inject: which call, which errno, and may it succeed. */
struct fault_case {
	unsigned which;
	int err;
	bool may_succeed;	/* the library tolerates this fault */
};

static const struct fault_case cases[] = {
	{ W_SOCKET, EMFILE, false },
	{ W_SOCKET, ENFILE, false },
	{ W_SOCKET, ENOBUFS, false },
	{ W_SOCKET, ENOMEM, false },
	{ W_SOCKET, EACCES, false },
	{ W_BIND, EADDRINUSE, true },	/* busy: skipped */
	{ W_BIND, EACCES, false },
	{ W_BIND, EPERM, false },
	{ W_BIND, EINVAL, false },
	{ W_BIND, ENOMEM, false },
	{ W_CLOSE, EIO, true },		/* closed anyway */
	{ W_CLOSE, EINTR, true },
	{ W_SETSOCKOPT, ENOMEM, false },
	{ W_SETSOCKOPT, ENOPROTOOPT, true }, /* old kernel: no PMTU omit */
	{ W_GETRANDOM, EIO, false },
	{ W_GETRANDOM, ENOSYS, false },
	{ W_GETRANDOM, EINTR, true },	/* retried */
	{ W_GETRANDOM, 0, true },	/* short: read on */
	{ W_OPEN, EACCES, false },
	{ W_OPEN, EMFILE, false },
	{ W_OPEN, ENOENT, true },	/* a missing host file is empty */
	{ W_READ, EIO, false },
	{ W_READ, 0, true },		/* short: read on */
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))
#define POOL_SIZE 4

struct snapshot {
	int fd[POOL_SIZE];
	uint16_t port[POOL_SIZE];
};

static void take(const struct portpool *pool, struct snapshot *s)
{
	for (size_t i = 0; i < POOL_SIZE; i++) {
		s->fd[i] = portpool_fd(pool, i);
		s->port[i] = portpool_port(pool, i);
	}
}

/* Every member is a live socket bound where the pool says, all distinct. */
static void assert_sound(const struct portpool *pool)
{
	assert_int_equal(portpool_size(pool), POOL_SIZE);
	for (size_t i = 0; i < POOL_SIZE; i++) {
		struct sockaddr_in sin;
		socklen_t len = sizeof(sin);

		assert_int_equal(getsockname(portpool_fd(pool, i),
					     (struct sockaddr *)&sin, &len), 0);
		assert_int_equal(ntohs(sin.sin_port), portpool_port(pool, i));
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(portpool_port(pool, i),
					     portpool_port(pool, j));
	}
}

static struct portpool_config *sweep_config(void)
{
	struct portpool_config *cfg = portpool_config_new();

	assert_non_null(cfg);
	/* 16 ports, kernel source on (host files read), others off */
	assert_int_equal(portpool_config_set_range(cfg, 48000, 48015), 0);
	assert_int_equal(portpool_config_set_size(cfg, POOL_SIZE), 0);
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_WELL_KNOWN | PORTPOOL_NO_ETC_SERVICES), 0);
	return cfg;
}

enum op { OP_OPEN, OP_ROTATE, OP_REFRESH, OP_RELEASE };

static const char *const op_name[] = { "open", "rotate", "refresh",
				       "release" };

/* Prepare what the operation needs, unarmed: a pool and a reason to move. */
static struct portpool *prepare(enum op op, struct portpool_config *cfg)
{
	struct portpool *pool;
	char port[16];

	if (op == OP_OPEN)
		return NULL;
	pool = portpool_open(cfg);
	assert_non_null(pool);
	if (op == OP_REFRESH) {
		/* two movers: a fault on the second must undo the first */
		snprintf(port, sizeof(port), "%u,%u", portpool_port(pool, 0),
			 portpool_port(pool, 3));
		pp_test_sysctl("ip_local_reserved_ports", port);
	}
	return pool;
}

static int run(enum op op, struct portpool_config *cfg,
	       struct portpool **pool)
{
	switch (op) {
	case OP_OPEN:
		*pool = portpool_open(cfg);
		return *pool ? 0 : -1;
	case OP_ROTATE:
		return portpool_rotate(*pool, 1);
	case OP_REFRESH:
		return portpool_refresh(*pool);
	case OP_RELEASE:
		return portpool_release_port(*pool, portpool_port(*pool, 2));
	}
	return -1;
}

static void sweep(enum op op)
{
	struct portpool_config *cfg = sweep_config();
	unsigned long tried = 0;

	for (size_t c = 0; c < NCASES; c++) {
		const struct fault_case *fc = &cases[c];

		for (int k = 1;; k++) {
			struct portpool *pool = prepare(op, cfg);
			struct snapshot before, after;
			long fds;
			int rc;

			if (pool)
				take(pool, &before);
			fds = pp_test_count_fds();
			arm(fc->which, k, fc->err);
			errno = 0;
			rc = run(op, cfg, &pool);
			disarm();
			tried++;
			if (rc < 0) {
				int want = fc->err;

				/* every port busy ends as "not enough" */
				if (fc->which == W_BIND && want == EADDRINUSE)
					want = EADDRNOTAVAIL;
				if (!fault.fired || errno != want ||
				    fc->may_succeed)
					fail_msg("%s, call %d of mask %#x, "
						 "errno %d: failed with %d: %s",
						 op_name[op], k, fc->which,
						 fc->err, errno,
						 portpool_error());
				assert_true(strlen(portpool_error()) > 10);
				assert_int_equal(pp_test_count_fds(), fds);
				if (pool) {
					take(pool, &after);
					assert_memory_equal(&before, &after,
							    sizeof(before));
					assert_sound(pool);
				}
			} else {
				if (fault.fired && !fc->may_succeed)
					fail_msg("%s, call %d of mask %#x, "
						 "errno %d: succeeded",
						 op_name[op], k, fc->which,
						 fc->err);
				assert_sound(pool);
				if (op == OP_OPEN)
					fds += POOL_SIZE;
				assert_int_equal(pp_test_count_fds(), fds);
			}
			portpool_close(pool);
			if (op == OP_REFRESH)
				pp_test_sysctl("ip_local_reserved_ports", "\n");
			if (!fault.fired)
				break;	/* the operation ended before call k */
			assert_true(k < 1000);
		}
	}
	print_message("%s: %lu faulted runs\n", op_name[op], tried);
	portpool_config_free(cfg);
}

/* One test per operation: the operation comes in as the test's state. */
static void sweep_test(void **state)
{
	pp_test_require_netns();
	sweep(*(enum op *)*state);
}

/* Every bind busy: a clean EADDRNOTAVAIL after one try per port. */
static void every_port_busy(void **state)
{
	struct portpool_config *cfg = sweep_config();
	struct portpool *pool;
	struct snapshot before, after;
	long fds;

	(void)state;
	pp_test_require_netns();
	fds = pp_test_count_fds();
	arm(W_BIND, FAIL_ALL, EADDRINUSE);
	errno = 0;
	assert_null(portpool_open(cfg));
	disarm();
	assert_int_equal(errno, EADDRNOTAVAIL);
	assert_int_equal(fault.calls, 16);	/* each port once, no loop */
	assert_non_null(strstr(portpool_error(), "16 were busy"));
	assert_int_equal(pp_test_count_fds(), fds);

	pool = portpool_open(cfg);
	assert_non_null(pool);
	take(pool, &before);
	arm(W_BIND, FAIL_ALL, EADDRINUSE);
	assert_failed_with(portpool_rotate(pool, 0), EADDRNOTAVAIL);
	disarm();
	assert_int_equal(fault.calls, 16 - POOL_SIZE);
	take(pool, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	/* the busy ports were not lost: the next rotate finds one */
	assert_int_equal(portpool_rotate(pool, 0), 0);
	assert_sound(pool);
	portpool_close(pool);
	assert_int_equal(pp_test_count_fds(), fds);
	portpool_config_free(cfg);
}

/*
 * Descriptors that run out while binding, past the up-front check (no
 * /proc, or another thread): a partial pool keeps what it has.
 */
static void partial_when_descriptors_run_out(void **state)
{
	struct portpool_config *cfg = sweep_config();
	struct portpool *pool;
	long fds;

	(void)state;
	pp_test_require_netns();
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_WELL_KNOWN | PORTPOOL_NO_ETC_SERVICES |
		PORTPOOL_OPEN_PARTIAL), 0);
	fds = pp_test_count_fds();
	arm(W_SOCKET, 3, EMFILE);
	pool = portpool_open(cfg);
	disarm();
	assert_non_null(pool);
	assert_int_equal(portpool_size(pool), 2);
	assert_int_equal(pp_test_count_fds(), fds + 2);
	portpool_close(pool);
	/* the first socket already failing leaves nothing to keep */
	arm(W_SOCKET, 1, ENFILE);
	assert_null(portpool_open(cfg));
	disarm();
	assert_int_equal(errno, ENFILE);
	assert_int_equal(pp_test_count_fds(), fds);
	portpool_config_free(cfg);
}

static rlim_t other_soft;

static void other_thread_raises_nofile(void)
{
	struct rlimit lim;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &lim), 0);
	lim.rlim_cur = other_soft;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
}

static rlim_t soft_nofile(void)
{
	struct rlimit lim;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &lim), 0);
	return lim.rlim_cur;
}

/*
 * An open raises the soft limit by default; one that raised it and then
 * failed puts it back, unless it changed in between (the limit is the
 * process's: another thread may have raised it for a pool of its own).
 */
static void raise_taken_back_only_if_still_ours(void **state)
{
	struct portpool_config *cfg = sweep_config();
	struct rlimit saved, low;

	(void)state;
	pp_test_require_netns();
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_WELL_KNOWN | PORTPOOL_NO_ETC_SERVICES), 0);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	low = saved;
	low.rlim_cur = (rlim_t)pp_test_count_fds() + POOL_SIZE / 2;
	other_soft = low.rlim_cur + 500;
	assert_true(other_soft <= saved.rlim_max);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	arm(W_BIND, 2, EACCES);
	assert_null(portpool_open(cfg));
	disarm();
	assert_int_equal(errno, EACCES);
	assert_true(fault.fired);
	assert_int_equal(soft_nofile(), low.rlim_cur);
	/* raised by someone else while the open ran: left alone */
	fault_hook = other_thread_raises_nofile;
	arm(W_BIND, 2, EACCES);
	assert_null(portpool_open(cfg));
	disarm();
	fault_hook = NULL;
	assert_int_equal(errno, EACCES);
	assert_int_equal(soft_nofile(), other_soft);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
	portpool_config_free(cfg);
}

/* explain re-reads /etc/services for the name: a failure there too
 * leaves the caller's answer as it was. */
static void explain_all_or_nothing(void **state)
{
	struct portpool_config *cfg = portpool_config_new();
	struct portpool_explanation why, before;
	char services[4096];
	int opens;

	(void)state;
	snprintf(services, sizeof(services), "%s",
		 pp_test_fixture("services-good"));
	cfg->path[PP_PATH_SERVICES] = services;
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_KERNEL_RESERVED), 0);
	/* count the opens of a successful explain: the last is the re-read */
	arm(W_OPEN, 1000, EACCES);
	assert_int_equal(portpool_explain(cfg, 4500, &why, sizeof(why)), 0);
	opens = fault.calls;
	disarm();
	assert_string_equal(why.service, "IPsec NAT-T");
	memset(&why, 0xa5, sizeof(why));
	before = why;
	arm(W_OPEN, opens, EACCES);
	assert_failed_with(portpool_explain(cfg, 4500, &why, sizeof(why)),
			   EACCES);
	disarm();
	assert_true(fault.fired);
	assert_memory_equal(&why, &before, sizeof(why));
	portpool_config_free(cfg);
}

int main(void)
{
	static enum op ops[] = { OP_OPEN, OP_ROTATE, OP_REFRESH, OP_RELEASE };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate(sweep_test, &ops[OP_OPEN]),
		cmocka_unit_test_prestate(sweep_test, &ops[OP_ROTATE]),
		cmocka_unit_test_prestate(sweep_test, &ops[OP_REFRESH]),
		cmocka_unit_test_prestate(sweep_test, &ops[OP_RELEASE]),
		cmocka_unit_test(every_port_busy),
		cmocka_unit_test(partial_when_descriptors_run_out),
		cmocka_unit_test(explain_all_or_nothing),
		cmocka_unit_test(raise_taken_back_only_if_still_ours),
	};

	pp_test_isolate();
	return cmocka_run_group_tests_name("faults", tests, NULL, NULL);
}
