/* SPDX-License-Identifier: ISC */
/*
 * The configuration API: every setter's accepted and refused values, the
 * effective range and its sources, and the candidate questions answered
 * without binding (host files pointed at fixtures).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util.h"

/* A config whose host sources are fixtures, not this machine's files. */
static struct portpool_config *fixture_config(const char *range,
					      const char *reserved,
					      const char *services)
{
	struct portpool_config *cfg = portpool_config_new();

	assert_non_null(cfg);
	cfg->path[PP_PATH_PORT_RANGE] = strdup(pp_test_fixture(range));
	cfg->path[PP_PATH_RESERVED_PORTS] = strdup(pp_test_fixture(reserved));
	cfg->path[PP_PATH_SERVICES] = strdup(pp_test_fixture(services));
	return cfg;
}

static void fixture_config_free(struct portpool_config *cfg)
{
	for (int i = 0; i < PP_PATH_COUNT; i++)
		free((void *)cfg->path[i]);
	portpool_config_free(cfg);
}

/* A refused call must not change the config: compare before and after. */
static void assert_unchanged(const struct portpool_config *a,
			     const struct portpool_config *b)
{
	assert_int_equal(a->size, b->size);
	assert_int_equal(a->range_source, b->range_source);
	assert_int_equal(a->max_user_port, b->max_user_port);
	assert_int_equal(a->range_first, b->range_first);
	assert_int_equal(a->range_last, b->range_last);
	assert_int_equal(a->family, b->family);
	assert_int_equal(a->has_address, b->has_address);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->reserved.n, b->reserved.n);
	assert_memory_equal(a->reserved.span, b->reserved.span,
			    a->reserved.n * sizeof(*a->reserved.span));
}

static void check_refused(struct portpool_config *cfg, int rc, int expect,
			  const struct portpool_config *before,
			  const char *needle)
{
	assert_int_equal(rc, -1);
	assert_int_equal(errno, expect);
	assert_non_null(strstr(portpool_error(), needle));
	assert_unchanged(cfg, before);
}

#define REFUSED(cfg, call, err, needle)                                       \
	do {                                                                  \
		struct portpool_config before_;                               \
		int rc_;                                                      \
		assert_int_equal(pp_config_copy(&before_, (cfg)), 0);         \
		errno = 0;                                                    \
		rc_ = (call);                                                 \
		check_refused((cfg), rc_, (err), &before_, (needle));         \
		pp_config_release(&before_);                                  \
	} while (0)

static void defaults(void **state)
{
	struct portpool_config *cfg = portpool_config_new();
	uint16_t first = 0, last = 0;

	(void)state;
	assert_non_null(cfg);
	assert_int_equal(cfg->size, 2500);
	assert_int_equal(cfg->family, AF_INET);
	assert_false(cfg->has_address);
	assert_int_equal(cfg->flags, 0);
	assert_int_equal(portpool_effective_range(cfg, &first, &last), 0);
	assert_int_equal(first, 49152);
	assert_int_equal(last, 65535);
	assert_int_equal(portpool_effective_range(NULL, &first, &last), 0);
	assert_int_equal(first, 49152);
	assert_int_equal(last, 65535);
	portpool_config_free(cfg);
	portpool_config_free(NULL);
}

static void bad_setter_inputs(void **state)
{
	struct portpool_config *cfg = portpool_config_new();

	(void)state;
	assert_int_equal(portpool_config_reserve(cfg, 7000, 7010), 0);
	REFUSED(cfg, portpool_config_set_size(cfg, 0), ERANGE, "pool size 0");
	REFUSED(cfg, portpool_config_set_size(cfg, 65536), ERANGE, "1-65535");
	REFUSED(cfg, portpool_config_set_max_user_port(cfg, 4999), ERANGE,
		"MaxUserPort 4999");
	REFUSED(cfg, portpool_config_set_max_user_port(cfg, 65535), ERANGE,
		"5000-65534");
	REFUSED(cfg, portpool_config_set_range(cfg, 0, 10), ERANGE, "0-10");
	REFUSED(cfg, portpool_config_set_range(cfg, 10, 65536), ERANGE,
		"1-65535");
	REFUSED(cfg, portpool_config_set_range(cfg, 9, 3), EINVAL, "9-3");
	REFUSED(cfg, portpool_config_reserve(cfg, 0, 0), ERANGE, "0-0");
	REFUSED(cfg, portpool_config_reserve(cfg, 70000, 70001), ERANGE,
		"1-65535");
	REFUSED(cfg, portpool_config_reserve(cfg, 9, 3), EINVAL, "9-3");
	REFUSED(cfg, portpool_config_set_family(cfg, AF_UNIX), EINVAL,
		"AF_INET6");
	REFUSED(cfg, portpool_config_set_family(cfg, -1), EINVAL, "-1");
	REFUSED(cfg, portpool_config_set_address(cfg, "localhost"), EINVAL,
		"\"localhost\"");
	REFUSED(cfg, portpool_config_set_address(cfg, "1.2.3.256"), EINVAL,
		"1.2.3.256");
	REFUSED(cfg, portpool_config_set_address(cfg, "::ffff:127.0.0.1"),
		EINVAL, "IPv4-mapped");
	REFUSED(cfg, portpool_config_set_address(cfg, "fe80::1"), EINVAL,
		"link-local");
	REFUSED(cfg, portpool_config_set_flags(cfg, 0x80000000u), EINVAL,
		"0x80000000");
	REFUSED(cfg, portpool_config_reserve_list(cfg, NULL), EINVAL, "NULL");
	assert_int_equal(portpool_config_set_address(cfg, "127.0.0.1"), 0);
	REFUSED(cfg, portpool_config_set_family(cfg, AF_INET6), EINVAL,
		"127.0.0.1");
	/* a NULL config is an error, not a crash */
	assert_failed_with(portpool_config_set_size(NULL, 10), EINVAL);
	assert_failed_with(portpool_config_reserve_list(NULL, "1"), EINVAL);
	assert_failed_with(portpool_config_set_flags(NULL, 0), EINVAL);
	portpool_config_free(cfg);
}

static void bad_reserve_lists(void **state)
{
	static const struct {
		const char *list;
		const char *sentence;
	} bad[] = {
		{ "4500-45x0", "reserve list \"4500-45x0\": bad port number "
			       "at offset 5" },
		{ "0", "offset 0" },
		{ "65536", "above 65535 at offset 0" },
		{ "5-", "missing port number after '-' at offset 2" },
		{ "9-3", "reversed range" },
		{ "0x1194", "bad port number at offset 0" },
		{ "-5", "expected a port number at offset 0" },
		{ "4500 - 4600", "at offset 5" },
		{ "junk", "at offset 0" },
		{ "500,4500,junk", "at offset 9" },
	};
	struct portpool_config *cfg = portpool_config_new();

	(void)state;
	assert_int_equal(portpool_config_reserve_list(cfg, "4500-4500"), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		REFUSED(cfg, portpool_config_reserve_list(cfg, bad[i].list),
			EINVAL, bad[i].sentence);
	assert_int_equal(cfg->reserved.n, 1);
	portpool_config_free(cfg);
}

static void range_sources(void **state)
{
	struct portpool_config *cfg = fixture_config("range-tab",
						     "reserved-empty",
						     "services-good");
	uint16_t first, last;

	(void)state;
	assert_int_equal(portpool_config_set_max_user_port(cfg, 5000), 0);
	assert_int_equal(portpool_effective_range(cfg, &first, &last), 0);
	assert_int_equal(first, 1024);
	assert_int_equal(last, 5000);
	assert_int_equal(portpool_config_use_system_range(cfg), 0);
	assert_int_equal(portpool_effective_range(cfg, &first, &last), 0);
	assert_int_equal(first, 32768);
	assert_int_equal(last, 60999);
	assert_int_equal(portpool_config_set_range(cfg, 2000, 2999), 0);
	assert_int_equal(portpool_effective_range(cfg, &first, &last), 0);
	assert_int_equal(first, 2000);
	assert_int_equal(last, 2999);
	assert_int_equal(portpool_config_set_max_user_port(cfg, 65534), 0);
	assert_int_equal(portpool_effective_range(cfg, &first, &last), 0);
	assert_int_equal(first, 1024);
	assert_int_equal(last, 65534);
	/* 0 removes the program's setting: back to the default */
	assert_int_equal(portpool_config_set_max_user_port(cfg, 0), 0);
	assert_int_equal(portpool_effective_range(cfg, &first, &last), 0);
	assert_int_equal(first, 49152);
	assert_int_equal(last, 65535);
	assert_failed_with(portpool_effective_range(cfg, NULL, &last),
			   EINVAL);
	/* an unreadable system range fails the call, with the file named */
	free((void *)cfg->path[PP_PATH_PORT_RANGE]);
	cfg->path[PP_PATH_PORT_RANGE] = strdup(pp_test_fixture("range-hex"));
	assert_int_equal(portpool_config_use_system_range(cfg), 0);
	first = last = 7;
	assert_failed_with(portpool_effective_range(cfg, &first, &last),
			   EINVAL);
	assert_int_equal(first, 7);
	assert_non_null(strstr(portpool_error(), "range-hex"));
	assert_failed_with(portpool_available(cfg), EINVAL);
	assert_failed_with(portpool_is_excluded(cfg, 40000), EINVAL);
	fixture_config_free(cfg);
}

static void exclusion_sources(void **state)
{
	struct portpool_config *cfg = fixture_config("range-tab",
						     "reserved-linux",
						     "services-good");

	(void)state;
	assert_int_equal(portpool_config_set_max_user_port(cfg, 5000), 0);
	assert_int_equal(portpool_is_excluded(cfg, 4500), 1);	/* both */
	assert_int_equal(portpool_is_excluded(cfg, 4501), 0);
	assert_int_equal(portpool_is_excluded(cfg, 1023), 1);	/* range */
	assert_int_equal(portpool_is_excluded(cfg, 5001), 1);
	assert_int_equal(portpool_is_excluded(cfg, 0), 1);
	assert_int_equal(portpool_is_excluded(cfg, 3478), 1);	/* table */
	assert_int_equal(portpool_config_reserve_list(cfg, "4501"), 0);
	assert_int_equal(portpool_is_excluded(cfg, 4501), 1);	/* caller */

	/* the kernel list only counts where the range reaches it */
	assert_int_equal(portpool_config_set_range(cfg, 8000, 9999), 0);
	assert_int_equal(portpool_is_excluded(cfg, 8080), 1);
	assert_int_equal(portpool_is_excluded(cfg, 9150), 1);
	assert_int_equal(portpool_is_excluded(cfg, 9151), 0);
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_KERNEL_RESERVED), 0);
	assert_int_equal(portpool_is_excluded(cfg, 8080), 0);

	/* each flag removes exactly its source */
	assert_int_equal(portpool_config_set_range(cfg, 26000, 26000), 0);
	assert_int_equal(portpool_config_set_flags(cfg, 0), 0);
	assert_int_equal(portpool_is_excluded(cfg, 26000), 1);	/* services */
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_ETC_SERVICES), 0);
	assert_int_equal(portpool_is_excluded(cfg, 26000), 0);
	assert_int_equal(portpool_config_set_range(cfg, 51820, 51820), 0);
	assert_int_equal(portpool_is_excluded(cfg, 51820), 1);	/* table */
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_WELL_KNOWN), 0);
	assert_int_equal(portpool_is_excluded(cfg, 51820), 0);
	/* no flag removes the caller's own reservations */
	assert_int_equal(portpool_config_reserve(cfg, 51820, 51820), 0);
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_HOST_SOURCES), 0);
	assert_int_equal(portpool_is_excluded(cfg, 51820), 1);
	fixture_config_free(cfg);
}

static void candidate_counts(void **state)
{
	struct portpool_config *cfg = fixture_config("range-tab",
						     "reserved-linux",
						     "services-good");

	(void)state;
	/* 1024-5000 is 3,977 ports */
	assert_int_equal(portpool_config_set_max_user_port(cfg, 5000), 0);
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_HOST_SOURCES), 0);
	assert_int_equal(portpool_available(cfg), 3977);
	assert_int_equal(portpool_config_reserve_list(cfg, "4500-4500"), 0);
	assert_int_equal(portpool_available(cfg), 3976);
	/* the services fixture adds 1194, 1701 in range (4500 is counted) */
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_KERNEL_RESERVED | PORTPOOL_NO_WELL_KNOWN), 0);
	assert_int_equal(portpool_available(cfg), 3974);
	/* reservations outside the range remove nothing */
	assert_int_equal(portpool_config_reserve(cfg, 6000, 60000), 0);
	assert_int_equal(portpool_available(cfg), 3974);
	/* the whole range reserved: no candidate */
	assert_int_equal(portpool_config_reserve(cfg, 1, 65535), 0);
	assert_int_equal(portpool_available(cfg), 0);
	/* default config on this machine: a number, not an error */
	assert_true(portpool_available(NULL) > 0);
	fixture_config_free(cfg);
}

static void missing_host_files(void **state)
{
	struct portpool_config *cfg = fixture_config("no-such-file",
						     "no-such-file",
						     "no-such-file");

	(void)state;
	/* missing exclusion files are empty sources */
	assert_int_equal(portpool_config_set_range(cfg, 26000, 26009), 0);
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_WELL_KNOWN), 0);
	assert_int_equal(portpool_available(cfg), 10);
	/* but the system range cannot be missing */
	assert_int_equal(portpool_config_use_system_range(cfg), 0);
	assert_failed_with(portpool_available(cfg), ENOENT);
	fixture_config_free(cfg);
}

static void malformed_host_files(void **state)
{
	struct portpool_config *cfg = fixture_config("range-tab",
						     "reserved-bad",
						     "services-bad-port");

	(void)state;
	assert_failed_with(portpool_available(cfg), EINVAL);
	assert_non_null(strstr(portpool_error(), "reserved-bad"));
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_KERNEL_RESERVED), 0);
	/* /etc/services is not ours: its bad line is skipped, counted */
	assert_int_equal(portpool_is_excluded(cfg, 50000), 0);
	assert_int_equal(portpool_is_excluded(cfg, 500), 1);
	{
		struct portpool_census census;

		assert_int_equal(portpool_census(cfg, &census,
						 sizeof(census)), 0);
		assert_int_equal(census.services_skipped, 1);
	}
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_KERNEL_RESERVED | PORTPOOL_NO_ETC_SERVICES), 0);
	assert_int_equal(portpool_is_excluded(cfg, 50000), 0);
	fixture_config_free(cfg);
}

/*
 * Text after a NUL byte would be lost to the parsers, and the
 * reservations in it with it: each host file refuses one, naming the line.
 */
static void nul_bytes_refused(void **state)
{
	struct portpool_config *cfg = fixture_config("range-nul",
						     "reserved-nul",
						     "services-nul");

	(void)state;
	assert_failed_with(portpool_available(cfg), EINVAL);
	assert_non_null(strstr(portpool_error(),
			       "reserved-nul:1: a NUL byte (at byte 6)"));
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_KERNEL_RESERVED), 0);
	assert_failed_with(portpool_is_excluded(cfg, 40005), EINVAL);
	assert_non_null(strstr(portpool_error(), "services-nul:1: a NUL"));
	assert_int_equal(portpool_config_set_flags(cfg,
		PORTPOOL_NO_HOST_SOURCES), 0);
	assert_int_equal(portpool_config_use_system_range(cfg), 0);
	assert_failed_with(portpool_available(cfg), EINVAL);
	assert_non_null(strstr(portpool_error(), "range-nul:1: a NUL"));
	fixture_config_free(cfg);
}

static void addresses(void **state)
{
	struct portpool_config *cfg = portpool_config_new();

	(void)state;
	assert_int_equal(portpool_config_set_address(cfg, "::1"), 0);
	assert_int_equal(cfg->family, AF_INET6);
	assert_int_equal(portpool_config_set_family(cfg, AF_INET6), 0);
	assert_int_equal(portpool_config_set_address(cfg, "192.0.2.7"), 0);
	assert_int_equal(cfg->family, AF_INET);
	assert_int_equal(portpool_config_set_address(cfg, NULL), 0);
	assert_false(cfg->has_address);
	assert_int_equal(portpool_config_set_family(cfg, AF_INET6), 0);
	assert_int_equal(portpool_config_set_address(cfg, ""), 0);
	assert_int_equal(cfg->family, AF_INET6);
	portpool_config_free(cfg);
}

static void error_sentence_sticks(void **state)
{
	struct portpool_config *cfg;

	(void)state;
	assert_failed_with(portpool_config_set_size(NULL, 1), EINVAL);
	assert_non_null(strstr(portpool_error(), "portpool_config_set_size"));
	/* a success does not clear it, like errno */
	cfg = portpool_config_new();
	assert_non_null(cfg);
	assert_non_null(strstr(portpool_error(), "portpool_config_set_size"));
	portpool_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(bad_setter_inputs),
		cmocka_unit_test(bad_reserve_lists),
		cmocka_unit_test(range_sources),
		cmocka_unit_test(exclusion_sources),
		cmocka_unit_test(candidate_counts),
		cmocka_unit_test(missing_host_files),
		cmocka_unit_test(malformed_host_files),
		cmocka_unit_test(nul_bytes_refused),
		cmocka_unit_test(addresses),
		cmocka_unit_test(error_sentence_sticks),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
