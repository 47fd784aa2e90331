/* SPDX-License-Identifier: ISC */
/*
 * The host policy file, introspection and graceful limits.  Pure parts
 * use fixtures through PORTPOOL_CONF; the pool parts run in a private
 * network namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

static void use_policy(const char *fixture)
{
	assert_int_equal(setenv("PORTPOOL_CONF", pp_test_fixture(fixture), 1),
			 0);
}

static int reset_policy(void **state)
{
	(void)state;
	use_policy("no-such-file");
	return 0;
}

static void every_key(void **state)
{
	struct portpool_config *cfg = portpool_config_new();
	struct portpool_census census;

	(void)state;
	use_policy("policy-good.conf");
	pp_test_range_is(cfg, 1024, 5000);
	pp_test_range_is(NULL, 1024, 5000);
	assert_int_equal(portpool_is_excluded(cfg, 4500), 1);
	assert_int_equal(portpool_is_excluded(cfg, 3000), 1);
	assert_int_equal(portpool_is_excluded(cfg, 3150), 1);
	assert_int_equal(portpool_is_excluded(cfg, 3200), 1);
	assert_int_equal(portpool_is_excluded(cfg, 3201), 0);
	assert_int_equal(portpool_census(cfg, &census, sizeof(census)), 0);
	assert_int_equal(census.size, 1200);
	assert_int_equal(census.removed[PORTPOOL_SOURCE_POLICY], 103);
	assert_string_equal(census.range_source, "maxuserport (policy file)");

	use_policy("policy-crlf.conf");
	pp_test_range_is(cfg, 1024, 6000);
	assert_int_equal(portpool_is_excluded(cfg, 1500), 1);
	assert_int_equal(portpool_census(cfg, &census, sizeof(census)), 0);
	assert_int_equal(census.size, 10);

	use_policy("policy-range.conf");
	pp_test_range_is(cfg, 20000, 20999);
	assert_int_equal(portpool_is_excluded(cfg, 20500), 1);
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_HOST_SOURCES), 0);
	assert_int_equal(portpool_available(cfg), 999);
	portpool_config_free(cfg);
}

static void program_beats_file(void **state)
{
	struct portpool_config *cfg = portpool_config_new();
	struct portpool_census census;

	(void)state;
	use_policy("policy-good.conf");
	assert_int_equal(portpool_config_set_range(cfg, 30000, 30099), 0);
	pp_test_range_is(cfg, 30000, 30099);
	assert_int_equal(portpool_config_use_system_range(cfg), 0);
	assert_int_equal(portpool_census(cfg, &census, sizeof(census)), 0);
	assert_string_equal(census.range_source, "system");
	assert_int_equal(portpool_config_set_max_user_port(cfg, 8000), 0);
	pp_test_range_is(cfg, 1024, 8000);
	/* 0 removes the program's setting: the file's applies again */
	assert_int_equal(portpool_config_set_max_user_port(cfg, 0), 0);
	pp_test_range_is(cfg, 1024, 5000);
	assert_int_equal(portpool_config_set_size(cfg, 77), 0);
	assert_int_equal(portpool_census(cfg, &census, sizeof(census)), 0);
	assert_int_equal(census.size, 77);
	/* the file's reservations survive every flag and setting */
	assert_int_equal(portpool_config_set_flags(cfg, PORTPOOL_FLAGS_ALL),
			 0);
	assert_int_equal(portpool_config_set_range(cfg, 4500, 4501), 0);
	assert_int_equal(portpool_is_excluded(cfg, 4500), 1);
	assert_int_equal(portpool_available(cfg), 1);
	portpool_config_free(cfg);
}

/* A bad file fails the call with EINVAL and says file:line: what. */
static void bad_file(const char *fixture, const char *line,
		     const char *what)
{
	uint16_t first = 1, last = 1;
	char where[256];

	use_policy(fixture);
	assert_failed_with(portpool_available(NULL), EINVAL);
	snprintf(where, sizeof(where), "%s:%s:", fixture, line);
	if (!strstr(portpool_error(), where) ||
	    !strstr(portpool_error(), what))
		fail_msg("%s: \"%s\" lacks \"%s\" or \"%s\"", fixture,
			 portpool_error(), where, what);
	assert_failed_with(portpool_effective_range(NULL, &first, &last),
			   EINVAL);
	assert_int_equal(first, 1);
	assert_failed_with(portpool_is_excluded(NULL, 50000), EINVAL);
	errno = 0;
	assert_null(portpool_open(NULL));
	assert_int_equal(errno, EINVAL);
}

static void bad_files(void **state)
{
	(void)state;
	bad_file("policy-no-value.conf", "1", "reserved_ports has no value");
	bad_file("policy-65536.conf", "2", "65536 is out of range");
	bad_file("policy-reversed.conf", "1", "9000-8000");
	bad_file("policy-duplicate.conf", "2", "set twice, first on line 1");
	bad_file("policy-unknown.conf", "2",
		 "unknown key \"socket_pool_size\"");
	bad_file("policy-bad-list.conf", "1", "offset 5");
	bad_file("policy-no-equals.conf", "1", "key = value");
	bad_file("policy-size-zero.conf", "1", "pool_size");
	bad_file("policy-bad-range.conf", "1", "1-2-3");
	bad_file("policy-range-cr.conf", "1", "range");
	/* would otherwise hide line 1 and cut line 2 short */
	bad_file("policy-nul.conf", "1", "a NUL byte (at byte 0)");
}

static void huge_line_refused(void **state)
{
	char path[] = "/tmp/portpool-test-XXXXXX";
	static char line[1 << 20];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	memset(line, '1', sizeof(line));
	memcpy(line, "reserved_ports = ", 17);
	assert_int_equal(write(fd, line, sizeof(line)), (ssize_t)sizeof(line));
	close(fd);
	assert_int_equal(setenv("PORTPOOL_CONF", path, 1), 0);
	assert_failed_with(portpool_available(NULL), EINVAL);
	assert_non_null(strstr(portpool_error(), path));
	assert_non_null(strstr(portpool_error(), "larger than"));
	unlink(path);

	/* 64 KiB of short lines is read; one byte more is refused */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	for (size_t i = 0; i < 65536; i += 2)
		assert_int_equal(write(fd, "#\n", 2), 2);
	close(fd);
	assert_int_equal(portpool_available(NULL) > 0, 1);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "\n", 1), 1);
	close(fd);
	assert_failed_with(portpool_available(NULL), EINVAL);
	assert_non_null(strstr(portpool_error(), "larger than 65536"));
	unlink(path);

	/* one line over the line limit in a small file */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, line, 5000), 5000);
	close(fd);
	assert_failed_with(portpool_available(NULL), EINVAL);
	assert_non_null(strstr(portpool_error(), ":1: line is longer"));
	unlink(path);
}

static void unreadable_and_missing(void **state)
{
	struct portpool_config *cfg = portpool_config_new();

	(void)state;
	/* a directory is refused before it is read */
	assert_int_equal(setenv("PORTPOOL_CONF", "/", 1), 0);
	assert_failed_with(portpool_available(cfg), EISDIR);
	assert_non_null(strstr(portpool_error(),
			       "/ is a directory, not a regular file"));
	/* a missing file is no policy */
	use_policy("no-such-file");
	pp_test_range_is(cfg, 49152, 65535);
	/* the API call reads the file at once and remembers it */
	assert_failed_with(portpool_config_set_policy_file(cfg,
		pp_test_fixture("policy-duplicate.conf")), EINVAL);
	assert_non_null(strstr(portpool_error(), "policy-duplicate.conf:2:"));
	assert_null(cfg->policy_path);
	assert_failed_with(portpool_config_set_policy_file(cfg,
		pp_test_fixture("no-such-file")), ENOENT);
	assert_int_equal(portpool_config_set_policy_file(cfg,
		pp_test_fixture("policy-range.conf")), 0);
	pp_test_range_is(cfg, 20000, 20999);
	/* and it wins over $PORTPOOL_CONF */
	use_policy("policy-good.conf");
	pp_test_range_is(cfg, 20000, 20999);
	assert_int_equal(portpool_config_set_policy_file(cfg, NULL), 0);
	pp_test_range_is(cfg, 1024, 5000);
	portpool_config_free(cfg);
}

/* Host files from fixtures (pp_test_fixture's buffer is reused: copy). */
static char services_path[4096], reserved_path[4096];

static void use_fixture_hosts(struct portpool_config *cfg)
{
	snprintf(services_path, sizeof(services_path), "%s",
		 pp_test_fixture("services-good"));
	snprintf(reserved_path, sizeof(reserved_path), "%s",
		 pp_test_fixture("reserved-linux"));
	cfg->path[PP_PATH_SERVICES] = services_path;
	cfg->path[PP_PATH_RESERVED_PORTS] = reserved_path;
}

static void explain_port(void **state)
{
	struct portpool_config *cfg = portpool_config_new();
	struct portpool_explanation why;

	(void)state;
	use_policy("policy-good.conf");
	use_fixture_hosts(cfg);
	assert_int_equal(portpool_explain(cfg, 4500, &why, sizeof(why)), 0);
	assert_int_equal(why.sources,
			 1u << PORTPOOL_SOURCE_POLICY |
			 1u << PORTPOOL_SOURCE_WELL_KNOWN |
			 1u << PORTPOOL_SOURCE_ETC_SERVICES);
	assert_int_equal(why.policy_line, 3);
	assert_string_equal(why.service, "IPsec NAT-T");
	assert_non_null(strstr(why.text, "policy-good.conf:3"));
	assert_non_null(strstr(why.text, "IPsec NAT-T"));

	assert_int_equal(portpool_explain(cfg, 3150, &why, sizeof(why)), 0);
	assert_int_equal(why.policy_line, 4);
	assert_int_equal(portpool_explain(cfg, 3200, &why, sizeof(why)), 0);
	assert_int_equal(why.policy_line, 5);

	assert_int_equal(portpool_explain(cfg, 4501, &why, sizeof(why)), 0);
	assert_int_equal(why.sources, 0);
	assert_non_null(strstr(why.text, "is a candidate"));

	assert_int_equal(portpool_explain(cfg, 9149, &why, sizeof(why)), 0);
	assert_int_equal(why.sources, 1u << PORTPOOL_SOURCE_RANGE |
				      1u << PORTPOOL_SOURCE_KERNEL);
	assert_non_null(strstr(why.text, "1024-5000"));

	assert_int_equal(portpool_config_reserve(cfg, 26000, 26000), 0);
	assert_int_equal(portpool_config_set_range(cfg, 25000, 27000), 0);
	assert_int_equal(portpool_explain(cfg, 26000, &why, sizeof(why)), 0);
	assert_int_equal(why.sources, 1u << PORTPOOL_SOURCE_CALLER |
				      1u << PORTPOOL_SOURCE_ETC_SERVICES);
	assert_string_equal(why.service, "quake-ctf");
	assert_failed_with(portpool_explain(cfg, 1, NULL,
			   sizeof(struct portpool_explanation)), EINVAL);
	assert_string_equal(portpool_source_name(PORTPOOL_SOURCE_KERNEL),
			    "kernel ip_local_reserved_ports");
	assert_string_equal(portpool_source_name(PORTPOOL_SOURCE_COUNT),
			    "unknown source");
	portpool_config_free(cfg);
}

static void census_counts(void **state)
{
	struct portpool_config *cfg = portpool_config_new();
	struct portpool_census c;

	(void)state;
	use_fixture_hosts(cfg);
	assert_int_equal(portpool_config_set_range(cfg, 8000, 9999), 0);
	assert_int_equal(portpool_config_reserve_list(cfg, "8080 9000-9009"),
			 0);
	assert_int_equal(portpool_census(cfg, &c, sizeof(c)), 0);
	assert_int_equal(c.first, 8000);
	assert_int_equal(c.last, 9999);
	assert_string_equal(c.range_source, "explicit");
	assert_int_equal(c.range_ports, 2000);
	assert_int_equal(c.removed[PORTPOOL_SOURCE_CALLER], 11);
	assert_int_equal(c.removed[PORTPOOL_SOURCE_KERNEL], 4);
	assert_int_equal(c.removed[PORTPOOL_SOURCE_WELL_KNOWN], 2);
	assert_int_equal(c.removed[PORTPOOL_SOURCE_ETC_SERVICES], 0);
	/* 8080 counts under caller and kernel, excluded once; 8472, 9993 */
	assert_int_equal(c.excluded, 11 + 3 + 2);
	assert_int_equal(c.candidates, 2000 - 16);
	assert_int_equal(c.size, 2500);
	assert_true(fabs(c.fresh_bits - log2(1984)) < 1e-9);
	assert_true(fabs(c.pick_bits - log2(2500)) < 1e-9);
	assert_int_equal(c.weak, 1);
	/* the ranges behind the counts, in the reservation list form */
	{
		static const char *const want[PORTPOOL_SOURCE_COUNT] = {
			[PORTPOOL_SOURCE_RANGE] = "8000-9999",
			[PORTPOOL_SOURCE_CALLER] = "8080,9000-9009",
			[PORTPOOL_SOURCE_KERNEL] = "8080,9148-9150",
			[PORTPOOL_SOURCE_POLICY] = "",
			[PORTPOOL_SOURCE_WELL_KNOWN] = "8472,9993",
			[PORTPOOL_SOURCE_ETC_SERVICES] = "",
		};
		char buf[64];

		for (int s = 0; s < PORTPOOL_SOURCE_COUNT; s++) {
			assert_int_equal(portpool_source_ranges(cfg, s, buf,
				sizeof(buf)), (int)strlen(want[s]));
			assert_string_equal(buf, want[s]);
		}
		/* snprintf style: the whole length, a cut, terminated */
		assert_int_equal(portpool_source_ranges(cfg,
			PORTPOOL_SOURCE_CALLER, buf, 5), 14);
		assert_string_equal(buf, "8080");
		assert_int_equal(portpool_source_ranges(cfg,
			PORTPOOL_SOURCE_CALLER, NULL, 0), 14);
		assert_failed_with(portpool_source_ranges(cfg,
			PORTPOOL_SOURCE_COUNT, buf, sizeof(buf)), EINVAL);
	}
	assert_int_equal(portpool_config_set_range(cfg, 40000, 59999), 0);
	assert_int_equal(portpool_census(cfg, &c, sizeof(c)), 0);
	/* 20,000 less Tailscale 41641 and WireGuard 51820 */
	assert_int_equal(c.weak, 0);
	assert_int_equal(c.candidates, 19998);
	portpool_config_free(cfg);
}

/* --- pools, in the private namespace ------------------------------- */

static char policy_path[] = "/tmp/portpool-policy-XXXXXX";

static void write_policy(const char *text)
{
	FILE *f = fopen(policy_path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(setenv("PORTPOOL_CONF", policy_path, 1), 0);
}

static bool pool_holds(const struct portpool *pool, unsigned port)
{
	for (size_t i = 0; i < portpool_size(pool); i++)
		if (portpool_port(pool, i) == port)
			return true;
	return false;
}

static void policy_pool(void **state)
{
	struct portpool_config *cfg = portpool_config_new();
	struct portpool *pool;
	int fds[64], port[64];
	char text[128];
	unsigned held;
	long before;

	(void)state;
	pp_test_require_netns();
	/* 100 ports, the file reserves 30 of them: pool of 70 is all */
	write_policy("range = 41000-41099\nreserved_ports = 41000-41029\n");
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_HOST_SOURCES), 0);
	assert_int_equal(portpool_config_set_size(cfg, 60), 0);
	pool = portpool_open(cfg);
	assert_non_null(pool);
	for (size_t i = 0; i < portpool_size(pool); i++)
		assert_true(portpool_port(pool, i) >= 41030);

	/* the admin adds a held port to the file; refresh gives it back */
	held = portpool_port(pool, 7);
	snprintf(text, sizeof(text), "range = 41000-41099\nreserved_ports = "
		 "41000-41029\nreserved_ports = %u\n", held);
	write_policy(text);
	assert_int_equal(portpool_refresh(pool), 1);
	assert_false(pool_holds(pool, held));
	assert_int_equal(portpool_size(pool), 60);

	/* a malformed edit: refresh fails, every member stays */
	for (size_t i = 0; i < 60 && i < 64; i++) {
		fds[i] = portpool_fd(pool, i);
		port[i] = portpool_port(pool, i);
	}
	write_policy("range = 41000-41099\nreserved_ports = 41000-41O29\n");
	before = pp_test_count_fds();
	assert_failed_with(portpool_refresh(pool), EINVAL);
	assert_non_null(strstr(portpool_error(), ":2:"));
	assert_int_equal(pp_test_count_fds(), before);
	for (size_t i = 0; i < 60; i++) {
		assert_int_equal(portpool_fd(pool, i), fds[i]);
		assert_int_equal(portpool_port(pool, i), port[i]);
	}
	portpool_close(pool);
	portpool_config_free(cfg);
	unlink(policy_path);
}

static void partial_and_nofile(void **state)
{
	struct portpool_config *cfg = portpool_config_new();
	struct portpool_stats st;
	struct portpool *pool;
	struct rlimit saved, low;
	long before;

	(void)state;
	pp_test_require_netns();
	assert_int_equal(portpool_config_set_range(cfg, 42000, 42009), 0);
	assert_int_equal(portpool_config_set_size(cfg, 50), 0);
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_HOST_SOURCES | PORTPOOL_OPEN_PARTIAL |
		PORTPOOL_NO_RAISE_NOFILE), 0);
	pool = portpool_open(cfg);
	assert_non_null(pool);
	assert_int_equal(portpool_size(pool), 10);
	assert_int_equal(portpool_stats(pool, &st, sizeof(st)), 0);
	assert_int_equal(st.size, 10);
	assert_int_equal(st.candidates, 10);
	assert_int_equal(st.free, 0);
	assert_int_equal(st.bind_attempts, 10);
	assert_int_equal(st.busy_skipped, 0);
	portpool_close(pool);

	/* descriptors: up front, the sentence names both numbers */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	before = pp_test_count_fds();
	low = saved;
	low.rlim_cur = (rlim_t)before + 5;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_HOST_SOURCES | PORTPOOL_NO_RAISE_NOFILE), 0);
	assert_int_equal(portpool_config_set_size(cfg, 8), 0);
	errno = 0;
	assert_null(portpool_open(cfg));
	assert_int_equal(errno, EMFILE);
	assert_non_null(strstr(portpool_error(), "RLIMIT_NOFILE"));
	assert_int_equal(pp_test_count_fds(), before);
	/* partial: as many as fit, leaving half of a small room (5 - 2) */
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_HOST_SOURCES | PORTPOOL_OPEN_PARTIAL |
		PORTPOOL_NO_RAISE_NOFILE), 0);
	pool = portpool_open(cfg);
	assert_non_null(pool);
	assert_int_equal(portpool_size(pool), 3);
	assert_int_equal(pp_test_count_fds(), before + 3);
	/* which is what a rotation needs */
	assert_int_equal(portpool_rotate(pool, 0), 0);
	portpool_close(pool);
	/* by default the soft limit goes up toward the hard one */
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_HOST_SOURCES), 0);
	pool = portpool_open(cfg);
	assert_non_null(pool);
	assert_int_equal(portpool_size(pool), 8);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &low), 0);
	assert_true(low.rlim_cur >= (rlim_t)before + 8);
	portpool_close(pool);
	/* a raise for a call that then fails is taken back */
	low.rlim_cur = (rlim_t)before + 5;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	assert_int_equal(portpool_config_set_address(cfg, "192.0.2.1"), 0);
	errno = 0;
	assert_null(portpool_open(cfg));
	assert_int_equal(errno, EADDRNOTAVAIL);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &low), 0);
	assert_int_equal(low.rlim_cur, (rlim_t)before + 5);
	assert_int_equal(portpool_config_set_address(cfg, NULL), 0);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
	portpool_config_free(cfg);
}

static void stats_count(void **state)
{
	struct portpool_config *cfg = portpool_config_new();
	struct portpool_stats st;
	struct portpool *pool;

	(void)state;
	pp_test_require_netns();
	assert_int_equal(portpool_config_set_range(cfg, 43000, 43099), 0);
	assert_int_equal(portpool_config_set_size(cfg, 20), 0);
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_HOST_SOURCES), 0);
	pool = portpool_open(cfg);
	assert_non_null(pool);
	for (int i = 0; i < 5; i++)
		assert_int_equal(portpool_rotate(pool, (size_t)i), 0);
	assert_int_equal(portpool_release_port(pool, portpool_port(pool, 3)),
			 1);
	assert_int_equal(portpool_refresh(pool), 0);
	assert_int_equal(portpool_stats(pool, &st, sizeof(st)), 0);
	assert_int_equal(st.size, 20);
	assert_int_equal(st.rotations, 5);
	assert_int_equal(st.releases, 1);
	assert_int_equal(st.refreshes, 1);
	assert_int_equal(st.refresh_moves, 0);
	assert_int_equal(st.bind_attempts, 20 + 5 + 1);
	assert_int_equal(st.candidates, 99);
	assert_int_equal(st.free, 99 - 20);
	assert_true(fabs(st.pick_bits - log2(20)) < 1e-9);
	assert_failed_with(portpool_stats(pool, NULL,
			   sizeof(struct portpool_stats)), EINVAL);
	portpool_close(pool);
	portpool_config_free(cfg);
}

/* Refresh draws over the new range, wherever it moved (a past bug). */
static void refresh_follows_range(void **state)
{
	static const char *const ranges[] = {
		"30000 30099", "30050 30149", "20000 20009", "40000 40099",
	};
	struct portpool_config *cfg = portpool_config_new();
	struct portpool *pool;

	(void)state;
	pp_test_require_netns();
	pp_test_sysctl("ip_local_port_range", "40000 40099");
	assert_int_equal(portpool_config_use_system_range(cfg), 0);
	assert_int_equal(portpool_config_set_size(cfg, 10), 0);
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_HOST_SOURCES), 0);
	pool = portpool_open(cfg);
	assert_non_null(pool);
	for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
		unsigned first, last;

		assert_int_equal(sscanf(ranges[r], "%u %u", &first, &last), 2);
		pp_test_sysctl("ip_local_port_range", ranges[r]);
		assert_true(portpool_refresh(pool) >= 0);
		for (size_t i = 0; i < 10; i++) {
			assert_true(portpool_port(pool, i) >= first);
			assert_true(portpool_port(pool, i) <= last);
		}
	}
	portpool_close(pool);
	pp_test_sysctl("ip_local_port_range", "32768 60999");
	portpool_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(every_key, reset_policy),
		cmocka_unit_test_setup(program_beats_file, reset_policy),
		cmocka_unit_test_setup(bad_files, reset_policy),
		cmocka_unit_test_setup(huge_line_refused, reset_policy),
		cmocka_unit_test_setup(unreadable_and_missing, reset_policy),
		cmocka_unit_test_setup(explain_port, reset_policy),
		cmocka_unit_test_setup(census_counts, reset_policy),
		cmocka_unit_test_setup(policy_pool, reset_policy),
		cmocka_unit_test_setup(partial_and_nofile, reset_policy),
		cmocka_unit_test_setup(stats_count, reset_policy),
		cmocka_unit_test_setup(refresh_follows_range, reset_policy),
	};
	int fd, rc;

	pp_test_enter_netns(NULL);
	fd = mkstemp(policy_path);
	if (fd >= 0)
		close(fd);
	rc = cmocka_run_group_tests_name("policy", tests, NULL, NULL);
	/* A test that skipped or failed never reached its own unlink. */
	unlink(policy_path);
	return rc;
}
