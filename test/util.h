/* SPDX-License-Identifier: ISC */
/* Helpers shared by the tests: network namespaces, sysctls, descriptors. */
#ifndef PORTPOOL_TEST_UTIL_H
#define PORTPOOL_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "portpool.h"

/*
 * Move this process into a fresh network namespace with lo up, so that
 * its sockets and sysctls never touch the host.  Call once, from main()
 * or a group setup.  0 on success, -1 (and a reason in *why) if not.
 */
int pp_test_enter_netns(const char **why);

/*
 * For a test program's main(): a private network namespace (if one can
 * be made) and no host policy file, so the host's /etc/portpool.conf
 * cannot change what the tests expect.
 */
void pp_test_isolate(void);

/*
 * In a test that needs the namespace: skip when there is none, or fail
 * when CI=true (a skipped test is a failure there).
 */
void pp_test_require_netns(void);

/*
 * For a test program that by nature needs real root (cgroup BPF, say):
 * unless it runs as root of the host's user namespace, print one line
 * "needs root: REASON" and exit 77, which test/run.sh counts apart from
 * passed and failed.  Call it from main() before pp_test_isolate().
 */
#define PP_TEST_NEEDS_ROOT 77
void pp_test_need_root(const char *reason);

/*
 * Whether the process was root of the host's user namespace before
 * pp_test_isolate() (which, for an ordinary user, makes it root of a
 * namespace of its own, where geteuid() says 0 but chown() to another
 * user fails).  For one test of a program that needs real root: skip it
 * with a line "needs root: REASON" and have main() return
 * PP_TEST_NEEDS_ROOT if all else passed.
 */
int pp_test_real_root(void);

/* Write a sysctl of this namespace: ("ip_local_reserved_ports", "4500"). */
void pp_test_sysctl(const char *name, const char *value);

/* How many descriptors this process has open. */
long pp_test_count_fds(void);

/* A path to a fixture file under test/fixtures. */
const char *pp_test_fixture(const char *name);

/* Asserts that cfg's effective range is [first, last]. */
void pp_test_range_is(const struct portpool_config *cfg, unsigned first,
		      unsigned last);

/* assert that a call failed with this errno and left a sentence. */
#define assert_failed_with(call, err)                                        \
	do {                                                                 \
		errno = 0;                                                   \
		assert_int_equal((call), -1);                                \
		assert_int_equal(errno, (err));                              \
		assert_true(portpool_error()[0] != '\0');                    \
	} while (0)

#endif
