/* SPDX-License-Identifier: ISC */
/*
 * Pure logic, no sockets: the reservation list grammar, port lists, the
 * bitmap, and the host file parsers on fixtures.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "util.h"

/* Parse `text` into a fresh list; returns the list's spans as "a-b,c". */
static const char *parsed(const char *text, int expect_rc)
{
	static char out[512];
	struct pp_portlist list = { 0 };
	struct pp_parse_error err = { 0 };
	size_t used = 0;
	int rc;

	rc = pp_parse_port_list(text, strlen(text), false, &list, &err);
	assert_int_equal(rc, expect_rc);
	out[0] = '\0';
	for (size_t i = 0; i < list.n; i++) {
		const struct pp_span *s = &list.span[i];

		if (s->first == s->last)
			used += (size_t)snprintf(out + used, sizeof(out) - used,
						 "%s%u", i ? "," : "",
						 s->first);
		else
			used += (size_t)snprintf(out + used, sizeof(out) - used,
						 "%s%u-%u", i ? "," : "",
						 s->first, s->last);
	}
	pp_portlist_free(&list);
	return out;
}

static void accepted_forms(void **state)
{
	(void)state;
	assert_string_equal(parsed("4500", 0), "4500");
	assert_string_equal(parsed("4500-4500", 0), "4500");
	assert_string_equal(parsed("8080,9148-9150", 0), "8080,9148-9150");
	assert_string_equal(parsed("", 0), "");
	assert_string_equal(parsed(" \t\r\n", 0), "");
	assert_string_equal(parsed("1 65535", 0), "1,65535");
	assert_string_equal(parsed("500\t4500\r\n1194,1701", 0),
			    "500,1194,1701,4500");
	assert_string_equal(parsed("1-65535", 0), "1-65535");
	assert_string_equal(parsed("007", 0), "7");
	assert_string_equal(parsed(",4500,", 0), "4500");
}

static void merging(void **state)
{
	(void)state;
	/* overlapping, adjacent, contained, out of order */
	assert_string_equal(parsed("10-20 15-25", 0), "10-25");
	assert_string_equal(parsed("10-20,21-30", 0), "10-30");
	assert_string_equal(parsed("10-30,12-13", 0), "10-30");
	assert_string_equal(parsed("40 30 20 10", 0), "10,20,30,40");
	assert_string_equal(parsed("5,7,6", 0), "5-7");
	assert_string_equal(parsed("1-3,7-9,4-6", 0), "1-9");
	assert_string_equal(parsed("100,1-65535", 0), "1-65535");
}

static void check_rejected(const char *text, size_t offset)
{
	struct pp_portlist list = { 0 };
	struct pp_parse_error err = { 0 };

	assert_int_equal(pp_portlist_add(&list, 7, 7), 0);
	errno = 0;
	assert_int_equal(pp_parse_port_list(text, strlen(text), false, &list,
					    &err), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(err.offset, offset);
	assert_non_null(err.why);
	/* rejected whole: what was there is untouched, nothing added */
	assert_int_equal(list.n, 1);
	assert_int_equal(list.span[0].first, 7);
	assert_int_equal(list.span[0].last, 7);
	pp_portlist_free(&list);
}

static void rejected_forms(void **state)
{
	(void)state;
	check_rejected("0", 0);
	check_rejected("65536", 0);
	check_rejected("5-", 2);
	check_rejected("9-3", 0);
	check_rejected("0x1194", 0);
	check_rejected("-5", 0);
	check_rejected("4500 - 4600", 5);
	check_rejected("4500-45x0", 5);
	check_rejected("junk", 0);
	check_rejected("80,443,junk", 7);
	check_rejected("1-2-3", 3);
	check_rejected("99999999999999999999", 0);
	check_rejected("4500;4501", 0);
	check_rejected("+80", 0);
	check_rejected("80 0", 3);
}

static void portlist_queries(void **state)
{
	struct pp_portlist list = { 0 }, copy;

	(void)state;
	assert_int_equal(pp_portlist_add(&list, 100, 199), 0);
	assert_int_equal(pp_portlist_add(&list, 300, 300), 0);
	assert_int_equal(pp_portlist_add(&list, 1, 1), 0);
	assert_int_equal(pp_portlist_count(&list), 102);
	assert_true(pp_portlist_contains(&list, 1));
	assert_true(pp_portlist_contains(&list, 100));
	assert_true(pp_portlist_contains(&list, 199));
	assert_true(pp_portlist_contains(&list, 300));
	assert_false(pp_portlist_contains(&list, 2));
	assert_false(pp_portlist_contains(&list, 99));
	assert_false(pp_portlist_contains(&list, 200));
	assert_false(pp_portlist_contains(&list, 65535));
	assert_int_equal(pp_portlist_copy(&copy, &list), 0);
	assert_int_equal(pp_portlist_add(&list, 200, 299), 0);
	assert_int_equal(list.n, 2);	/* 1 and 100-300 */
	assert_int_equal(copy.n, 3);	/* the copy is its own */
	assert_int_equal(pp_portlist_merge(&copy, &list), 0);
	assert_int_equal(pp_portlist_count(&copy), 202);
	pp_portlist_free(&list);
	pp_portlist_free(&copy);
}

static void bitmap_ops(void **state)
{
	static struct pp_bitmap b;
	struct pp_portlist holes = { 0 };

	(void)state;
	pp_bitmap_zero(&b);
	assert_int_equal(pp_bitmap_count(&b), 0);
	pp_bitmap_fill(&b, 1, 65535);
	assert_int_equal(pp_bitmap_count(&b), 65535);
	assert_false(pp_bitmap_test(&b, 0));
	assert_true(pp_bitmap_test(&b, 65535));
	pp_bitmap_zero(&b);
	pp_bitmap_fill(&b, 60, 200);
	assert_int_equal(pp_bitmap_count(&b), 141);
	assert_false(pp_bitmap_test(&b, 59));
	assert_true(pp_bitmap_test(&b, 60));
	assert_true(pp_bitmap_test(&b, 200));
	assert_false(pp_bitmap_test(&b, 201));
	assert_int_equal(pp_portlist_add(&holes, 64, 127), 0);
	assert_int_equal(pp_portlist_add(&holes, 199, 199), 0);
	pp_bitmap_remove_list(&b, &holes);
	assert_int_equal(pp_bitmap_count(&b), 141 - 64 - 1);
	/* select: the rank-th set bit, across the hole */
	assert_int_equal(pp_bitmap_select(&b, 60, 0), 60);
	assert_int_equal(pp_bitmap_select(&b, 60, 3), 63);
	assert_int_equal(pp_bitmap_select(&b, 60, 4), 128);
	assert_int_equal(pp_bitmap_select(&b, 0, 4), 128);
	assert_int_equal(pp_bitmap_select(&b, 60, 75), 200);
	pp_portlist_free(&holes);
}

static void range_file(const char *fixture, int rc, unsigned first,
		       unsigned last)
{
	uint16_t lo = 0, hi = 0;

	errno = 0;
	assert_int_equal(pp_system_range(pp_test_fixture(fixture), &lo, &hi),
			 rc);
	if (rc == 0) {
		assert_int_equal(lo, first);
		assert_int_equal(hi, last);
	} else {
		assert_int_equal(errno, EINVAL);
		assert_non_null(strstr(portpool_error(), fixture));
	}
}

static void range_files(void **state)
{
	(void)state;
	range_file("range-tab", 0, 32768, 60999);
	range_file("range-spaces", 0, 1024, 5000);
	range_file("range-reversed", -1, 0, 0);
	range_file("range-one", -1, 0, 0);
	range_file("range-three", -1, 0, 0);
	range_file("range-hex", -1, 0, 0);
	errno = 0;
	assert_int_equal(pp_system_range(pp_test_fixture("no-such-file"),
					 &(uint16_t){ 0 }, &(uint16_t){ 0 }),
			 -1);
	assert_int_equal(errno, ENOENT);
}

static void reserved_files(void **state)
{
	struct pp_portlist list = { 0 };

	(void)state;
	assert_int_equal(pp_read_reserved_ports(
		pp_test_fixture("reserved-linux"), &list), 0);
	assert_int_equal(pp_portlist_count(&list), 4);
	assert_true(pp_portlist_contains(&list, 8080));
	assert_true(pp_portlist_contains(&list, 9149));
	pp_portlist_free(&list);
	assert_int_equal(pp_read_reserved_ports(
		pp_test_fixture("reserved-empty"), &list), 0);
	assert_int_equal(list.n, 0);
	/* a missing file is an empty source */
	assert_int_equal(pp_read_reserved_ports(
		pp_test_fixture("no-such-file"), &list), 0);
	assert_int_equal(list.n, 0);
	/* the kernel accepts 0 in its list, so we read it */
	assert_int_equal(pp_read_reserved_ports(
		pp_test_fixture("reserved-zero"), &list), 0);
	assert_true(pp_portlist_contains(&list, 4500));
	pp_portlist_free(&list);
	errno = 0;
	assert_int_equal(pp_read_reserved_ports(
		pp_test_fixture("reserved-bad"), &list), -1);
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(portpool_error(), "offset 5"));
	assert_int_equal(list.n, 0);
	/* a directory cannot be read: the read error is passed through */
	errno = 0;
	assert_int_equal(pp_read_reserved_ports(pp_test_fixture(""), &list),
			 -1);
	assert_int_equal(errno, EISDIR);
}

static void services_files(void **state)
{
	struct pp_portlist list = { 0 };
	char name[16] = "";

	(void)state;
	assert_int_equal(pp_read_services(pp_test_fixture("services-good"),
					  &list, 4500, name, sizeof(name)), 0);
	assert_string_equal(name, "ipsec-nat-t");
	assert_int_equal(pp_portlist_count(&list), 6);
	assert_true(pp_portlist_contains(&list, 53));
	assert_true(pp_portlist_contains(&list, 500));
	assert_true(pp_portlist_contains(&list, 4500));
	assert_true(pp_portlist_contains(&list, 1194));
	assert_true(pp_portlist_contains(&list, 1701));
	assert_true(pp_portlist_contains(&list, 26000));
	assert_false(pp_portlist_contains(&list, 3306));	/* tcp only */
	assert_false(pp_portlist_contains(&list, 1));
	pp_portlist_free(&list);
	name[0] = '\0';
	assert_int_equal(pp_read_services(pp_test_fixture("services-crlf"),
					  &list, 500, name, sizeof(name)), 0);
	assert_string_equal(name, "isakmp");
	assert_int_equal(pp_portlist_count(&list), 2);
	pp_portlist_free(&list);

	/*
	 * Not the library's file: a malformed line is skipped and counted,
	 * as getservent() skips it, and every good line still counts.
	 */
	{
		unsigned long skipped = 99;

		assert_int_equal(pp_read_services_counted(
			pp_test_fixture("services-bad-port"), &list, 0, NULL,
			0, &skipped), 0);
		assert_int_equal(skipped, 1);
		assert_int_equal(pp_portlist_count(&list), 1);
		assert_true(pp_portlist_contains(&list, 500));
		pp_portlist_free(&list);
		skipped = 99;
		assert_int_equal(pp_read_services_counted(
			pp_test_fixture("services-no-port"), &list, 0, NULL,
			0, &skipped), 0);
		assert_int_equal(skipped, 1);
		assert_true(pp_portlist_contains(&list, 500));
		pp_portlist_free(&list);
		skipped = 99;
		assert_int_equal(pp_read_services_counted(
			pp_test_fixture("services-good"), &list, 0, NULL, 0,
			&skipped), 0);
		assert_int_equal(skipped, 0);
		pp_portlist_free(&list);
	}
	/* a port above 65535 is a malformed line too */
	assert_int_equal(pp_read_services(
		pp_test_fixture("services-too-big"), &list, 0, NULL, 0), 0);
	assert_int_equal(list.n, 0);
}

static void well_known_table(void **state)
{
	struct pp_portlist list = { 0 };
	static const unsigned required[] = {
		500, 4500, 51820, 1194, 1701, 4791, 4789, 8472, 6081, 11211,
		5353,
	};

	(void)state;
	for (size_t i = 0; i < pp_well_known_count; i++) {
		assert_true(pp_well_known[i].first >= 1);
		assert_true(pp_well_known[i].first <= pp_well_known[i].last);
		assert_non_null(pp_well_known[i].name);
		assert_int_equal(pp_portlist_add(&list, pp_well_known[i].first,
						 pp_well_known[i].last), 0);
	}
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		assert_true(pp_portlist_contains(&list, required[i]));
	pp_portlist_free(&list);
}

static void grouped_numbers(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(pp_grouped(0, buf), "0");
	assert_string_equal(pp_grouped(999, buf), "999");
	assert_string_equal(pp_grouped(1000, buf), "1,000");
	assert_string_equal(pp_grouped(1977, buf), "1,977");
	assert_string_equal(pp_grouped(65535, buf), "65,535");
	assert_string_equal(pp_grouped(1234567, buf), "1,234,567");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepted_forms),
		cmocka_unit_test(merging),
		cmocka_unit_test(rejected_forms),
		cmocka_unit_test(portlist_queries),
		cmocka_unit_test(bitmap_ops),
		cmocka_unit_test(range_files),
		cmocka_unit_test(reserved_files),
		cmocka_unit_test(services_files),
		cmocka_unit_test(well_known_table),
		cmocka_unit_test(grouped_numbers),
	};

	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
