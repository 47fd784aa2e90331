/* SPDX-License-Identifier: ISC */
/*
 * The kernel's ip_local_reserved_ports read and written whole, in a
 * private network namespace:
 *   - the library reads a list of 3,000 ports (18,000 bytes) and one of
 *     every other port from 1025 (32,256 ports, 189,048 bytes) exactly,
 *     and the longest lists the kernel prints: of separate ports
 *     (191,053 bytes) and of pairs (0-1,3-4,...: 254,738 bytes);
 *   - format_ranges: the longest text of any map (254,737 bytes) fits
 *     RANGES_MAX, and a byte less fails whole;
 *   - kernlist_merge (portpool-guard sync --kernel) leaves the union and
 *     nothing else, and on a write failed on purpose (pwrite wrapped)
 *     the list as it was; with a policy the library refuses, nothing;
 *   - deny_inputs_digest follows the ports of the list;
 *   - deny_set_fill_each: a malformed policy leaves the kernel's list
 *     enforced and is named;
 *   - denygen: a reader stalled between loading the set and reading it
 *     sees the whole set it loaded, however many reloads pass meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portpool.h"
#include "util.h"
#include "../tools/denygen.h"
#include "../tools/denyset.h"
#include "../tools/kernlist.h"
#include "../tools/ranges.h"

#define LIST KERNLIST_PATH
#define MAPSIZE (DENY_WORDS * sizeof(uint64_t))

/* ---- the kernel's list, as the kernel takes it ---- */

static void set_bit(uint64_t *map, unsigned p)
{
	map[p >> 6] |= 1ULL << (p & 63);
}

static int count(const uint64_t *map)
{
	int n = 0;

	for (size_t w = 0; w < DENY_WORDS; w++)
		n += __builtin_popcountll(map[w]);
	return n;
}

/* The ports first, first + step, ... up to last. */
static void every(uint64_t *map, unsigned first, unsigned last,
		  unsigned step)
{
	for (unsigned p = first; p <= last; p += step)
		set_bit(map, p);
}

/* An empty port map, which the caller frees. */
static uint64_t *new_map(void)
{
	uint64_t *map = calloc(DENY_WORDS, sizeof(*map));

	assert_non_null(map);
	return map;
}

/* The list most tests start from: 3,000 ports, 20001, 20003, ... 25999
 * (18,000 bytes of text, more than the kernel takes in one piece). */
static void add_3000(uint64_t *map)
{
	every(map, 20001, 25999, 2);
}

/* ---- a host policy of the test's own ---- */

struct policy {
	char dir[sizeof("/tmp/pp-hostlist-XXXXXX")];
	char path[64];
};

/* The policy file holds text, in a directory of its own made at the
 * first call; PORTPOOL_CONF names it until policy_remove(). */
static void policy_write(struct policy *pol, const char *text)
{
	FILE *f;

	if (!pol->path[0]) {
		memcpy(pol->dir, "/tmp/pp-hostlist-XXXXXX", sizeof(pol->dir));
		assert_non_null(mkdtemp(pol->dir));
		snprintf(pol->path, sizeof(pol->path), "%s/portpool.conf",
			 pol->dir);
	}
	f = fopen(pol->path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	setenv("PORTPOOL_CONF", pol->path, 1);
}

/* Back to no policy, as pp_test_isolate() left it. */
static void policy_remove(struct policy *pol)
{
	setenv("PORTPOOL_CONF", "/nonexistent/portpool.conf", 1);
	unlink(pol->path);
	rmdir(pol->dir);
}

/*
 * Write map as the kernel's list, going on where each write() stopped
 * (the kernel takes a page at a time), and check the text it prints.
 */
static void kernel_set(const uint64_t *map)
{
	char *text = malloc(KERNLIST_TEXT_MAX), *back = malloc(256 * 1024);
	int len = kernlist_format(map, text, KERNLIST_TEXT_MAX);
	int fd = open(LIST, O_WRONLY | O_CLOEXEC);
	size_t done = 0;
	ssize_t n;

	assert_non_null(text);
	assert_non_null(back);
	assert_true(len > 0);
	assert_true(fd >= 0);
	while (done < (size_t)len) {
		n = write(fd, text + done, (size_t)len - done);
		assert_true(n > 0);
		done += (size_t)n;
	}
	close(fd);
	fd = open(LIST, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, back, 256 * 1024);
	close(fd);
	assert_int_equal(n, (ssize_t)len);
	assert_memory_equal(back, text, len);
	free(text);
	free(back);
}

static void kernel_is(const uint64_t *want)
{
	uint64_t *got = new_map();

	assert_int_equal(kernlist_read(got), 0);
	assert_int_equal(count(got), count(want));
	assert_memory_equal(got, want, MAPSIZE);
	/* and the shim's reader, which reads no policy */
	memset(got, 0xff, MAPSIZE);
	assert_int_equal(deny_kernel_alone(got), 0);
	assert_memory_equal(got, want, MAPSIZE);
	free(got);
}

/* ---- pwrite, failed on purpose ---- */

static int pwrite_calls;
static int pwrite_fail_at;	/* this call fails (1: the first); 0: none */
static int pwrite_errno;

ssize_t __real_pwrite64(int fd, const void *buf, size_t len, off_t off);
ssize_t __wrap_pwrite64(int fd, const void *buf, size_t len, off_t off);
ssize_t __real_pwrite(int fd, const void *buf, size_t len, off_t off);
ssize_t __wrap_pwrite(int fd, const void *buf, size_t len, off_t off);

ssize_t __wrap_pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	if (++pwrite_calls == pwrite_fail_at) {
		errno = pwrite_errno;
		return -1;
	}
	return __real_pwrite64(fd, buf, len, off);
}

ssize_t __wrap_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	if (++pwrite_calls == pwrite_fail_at) {
		errno = pwrite_errno;
		return -1;
	}
	return __real_pwrite(fd, buf, len, off);
}

static int setup(void **state)
{
	(void)state;
	pwrite_calls = 0;
	pwrite_fail_at = 0;
	return 0;
}

static int teardown(void **state)
{
	static const uint64_t none[DENY_WORDS];

	(void)state;
	pwrite_fail_at = 0;
	kernel_set(none);
	return 0;
}

/* The library's answers over the whole port space, kernel list only. */
static void library_agrees(const uint64_t *want)
{
	struct portpool_config *cfg = portpool_config_new();
	uint64_t *map = new_map();
	struct portpool_census census;
	int n = count(want) - (int)(want[0] & 1);

	assert_non_null(cfg);
	assert_int_equal(portpool_config_set_flags(cfg, PORTPOOL_NO_WELL_KNOWN
						   | PORTPOOL_NO_ETC_SERVICES),
			 0);
	assert_int_equal(portpool_config_set_range(cfg, 1, 65535), 0);
	assert_int_equal(portpool_source_map(cfg, PORTPOOL_SOURCE_KERNEL, map),
			 count(want));
	assert_memory_equal(map, want, MAPSIZE);
	assert_int_equal(portpool_candidate_map(cfg, map), 65535 - n);
	for (unsigned p = 1; p < 65536; p++)
		if (deny_has(map, p) == deny_has(want, p))
			fail_msg("port %u: candidate map %d, kernel list %d",
				 p, deny_has(map, p), deny_has(want, p));
	assert_int_equal(portpool_census(cfg, &census, sizeof(census)), 0);
	assert_int_equal(census.removed[PORTPOOL_SOURCE_KERNEL], n);
	assert_int_equal(census.candidates, 65535 - n);
	/* The last entries, those past any first piece of the text. */
	for (unsigned p = 65500; p < 65536; p++)
		assert_int_equal(portpool_is_excluded(cfg, (uint16_t)p),
				 deny_has(want, p));
	free(map);
	portpool_config_free(cfg);
}

/*
 * The ports of want as the kernel's list: ports ports in text_len bytes
 * of text, which the kernel prints back as written; both readers read
 * it, and the library's every answer agrees.
 */
static void library_reads_map(uint64_t *want, int ports, int text_len)
{
	char *text = malloc(KERNLIST_TEXT_MAX);

	assert_non_null(text);
	assert_int_equal(count(want), ports);
	assert_int_equal(kernlist_format(want, text, KERNLIST_TEXT_MAX),
			 text_len);
	kernel_set(want);
	kernel_is(want);
	library_agrees(want);
	free(text);
	free(want);
}

/* The ports first, first + step, ... last, as library_reads_map. */
static void library_reads(unsigned first, unsigned last, unsigned step,
			  int ports, int text_len)
{
	uint64_t *want = new_map();

	every(want, first, last, step);
	library_reads_map(want, ports, text_len);
}

static void library_reads_3000_ports(void **state)
{
	(void)state;
	library_reads(20001, 25999, 2, 3000, 18000);
}

static void library_reads_every_other_port(void **state)
{
	(void)state;
	library_reads(1025, 65535, 2, 32256, 189048);
}

/* The largest text of separate ports: 0,2,...,65534. */
static void library_reads_separate_ports(void **state)
{
	(void)state;
	library_reads(0, 65534, 2, 32768, 191053);
}

/*
 * The largest text the kernel prints: two ports in every three
 * (0-1,3-4,...,65535), 254,738 bytes with its newline, longer than any list of separate
 * ports; a reader sized for those refused it.
 */
static void library_reads_the_largest_text(void **state)
{
	uint64_t *want = new_map();

	(void)state;
	every(want, 0, 65535, 3);
	every(want, 1, 65535, 3);
	library_reads_map(want, 43691, 254738);
}

/*
 * The longest text of any map, a port in three with the next
 * ("0-1,3-4,...,65532-65533,65535"), fits RANGES_MAX exactly; a byte
 * less fails whole (ERANGE, "") rather than give a shorter list.
 */
static void format_fits_or_fails(void **state)
{
	uint64_t *map = new_map();
	char *text = malloc(KERNLIST_TEXT_MAX);
	static const char tail[] = ",65529-65530,65532-65533,65535";

	(void)state;
	assert_non_null(text);
	every(map, 0, 65535, 3);
	every(map, 1, 65535, 3);
	assert_int_equal(format_ranges(map, text, RANGES_MAX), 254737);
	assert_int_equal(strncmp(text, "0-1,3-4,6-7,", 12), 0);
	assert_string_equal(text + 254737 - strlen(tail), tail);
	errno = 0;
	assert_int_equal(format_ranges(map, text, RANGES_MAX - 1), -1);
	assert_int_equal(errno, ERANGE);
	assert_string_equal(text, "");
	/* the kernel's text: the same and a newline */
	assert_int_equal(kernlist_format(map, text, KERNLIST_TEXT_MAX),
			 254738);
	assert_int_equal(text[254737], '\n');
	assert_int_equal(kernlist_format(map, text, KERNLIST_TEXT_MAX - 1),
			 -1);
	assert_int_equal(errno, ERANGE);
	/* none: "" and the "\n" that empties the kernel's list */
	memset(map, 0, MAPSIZE);
	assert_int_equal(format_ranges(map, text, 1), 0);
	assert_string_equal(text, "");
	assert_int_equal(kernlist_format(map, text, 2), 1);
	assert_string_equal(text, "\n");
	free(text);
	free(map);
}

/* ---- sync --kernel ---- */

static void merge_leaves_the_union(void **state)
{
	uint64_t *kernel = new_map(), *policy = new_map(), *want = new_map();

	(void)state;
	/* 4500 in the kernel, a 200-port policy */
	set_bit(kernel, 4500);
	every(policy, 30001, 30399, 2);
	kernel_set(kernel);
	assert_int_equal(kernlist_merge(policy), 200);
	memcpy(want, kernel, MAPSIZE);
	every(want, 30001, 30399, 2);
	kernel_is(want);
	/* again: nothing to add, nothing written */
	pwrite_calls = 0;
	assert_int_equal(kernlist_merge(policy), 0);
	assert_int_equal(pwrite_calls, 0);
	kernel_is(want);
	/* 3,000 ports in the kernel, the policy overlapping some */
	memset(kernel, 0, MAPSIZE);
	add_3000(kernel);
	kernel_set(kernel);
	every(policy, 25001, 25100, 1);
	memcpy(want, kernel, MAPSIZE);
	for (size_t w = 0; w < DENY_WORDS; w++)
		want[w] |= policy[w];
	assert_int_equal(kernlist_merge(policy),
			 count(want) - count(kernel));
	kernel_is(want);
	free(kernel);
	free(policy);
	free(want);
}

/* A write failed after the kernel took a first piece, or at once. */
static void merge_failure_restores(void **state)
{
	uint64_t *kernel = new_map(), *policy = new_map();
	static const int at[] = { 1, 2, 5 };

	(void)state;
	add_3000(kernel);
	set_bit(kernel, 4500);
	every(policy, 30001, 40000, 3);
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		kernel_set(kernel);
		pwrite_calls = 0;
		pwrite_fail_at = at[i];
		pwrite_errno = ENOSPC;
		errno = 0;
		assert_int_equal(kernlist_merge(policy), -1);
		assert_int_equal(errno, ENOSPC);
		assert_true(pwrite_calls > at[i]);	/* it wrote back */
		assert_non_null(strstr(kernlist_error(), "as before"));
		kernel_is(kernel);
	}
	free(kernel);
	free(policy);
}

/* A policy the library refuses: nothing is written, and the line says
 * why (the file and its line). */
static void merge_with_a_bad_policy_writes_nothing(void **state)
{
	struct policy pol = { "", "" };
	uint64_t *kernel = new_map(), *policy = new_map();

	(void)state;
	add_3000(kernel);
	kernel_set(kernel);
	every(policy, 30001, 30399, 2);
	policy_write(&pol, "reserved_ports = 4500\nnot a setting\n");
	pwrite_calls = 0;
	assert_int_equal(kernlist_merge(policy), -1);
	assert_int_equal(pwrite_calls, 0);
	assert_non_null(strstr(kernlist_error(), "portpool.conf:2"));
	policy_remove(&pol);
	kernel_is(kernel);
	free(kernel);
	free(policy);
}

/*
 * The digest follows the ports of the list: one port more, or one moved
 * past the first page of its text, changes it; the same list again gives
 * the same digest.  The shim's reader sees a change while the library
 * refuses the policy.
 */
static void digest_follows_the_list(void **state)
{
	struct policy pol = { "", "" };
	uint64_t *kernel = new_map();
	uint64_t d1, d2, d3, s1, s2;

	(void)state;
	add_3000(kernel);
	kernel_set(kernel);
	d1 = deny_inputs_digest(kernlist_read);
	s1 = deny_inputs_digest(deny_kernel_alone);
	assert_true(d1 == deny_inputs_digest(kernlist_read));
	set_bit(kernel, 65000);
	kernel_set(kernel);
	d2 = deny_inputs_digest(kernlist_read);
	assert_true(d2 != d1);
	assert_true(deny_inputs_digest(deny_kernel_alone) != s1);
	kernel[65000 >> 6] = 0;
	set_bit(kernel, 65001);
	kernel_set(kernel);
	d3 = deny_inputs_digest(kernlist_read);
	assert_true(d3 != d1 && d3 != d2);
	kernel[65001 >> 6] = 0;
	kernel_set(kernel);
	assert_true(deny_inputs_digest(kernlist_read) == d1);
	assert_true(deny_inputs_digest(deny_kernel_alone) == s1);
	/* a policy the library refuses */
	policy_write(&pol, "not a setting\n");
	s1 = deny_inputs_digest(deny_kernel_alone);
	set_bit(kernel, 4500);
	kernel_set(kernel);
	s2 = deny_inputs_digest(deny_kernel_alone);
	assert_true(s2 != s1);
	policy_remove(&pol);
	free(kernel);
}

/* ---- the shim's sources ---- */

static void bad_policy_keeps_the_kernel(void **state)
{
	struct policy pol = { "", "" };
	uint64_t *kernel = new_map(), *map = new_map();
	char why[512];

	(void)state;
	add_3000(kernel);
	kernel_set(kernel);
	policy_write(&pol, "reserved_ports = 4500\nthis line is not a "
		     "setting\n");
	assert_int_equal(deny_set_fill(DENY_DEFAULT_SOURCES, NULL, map), -1);
	assert_int_equal(deny_set_fill_each(DENY_DEFAULT_SOURCES, NULL, map,
					    why, sizeof(why)), 3000);
	assert_memory_equal(map, kernel, MAPSIZE);
	assert_non_null(strstr(why, portpool_source_name(
		PORTPOOL_SOURCE_POLICY)));
	assert_non_null(strstr(why, "portpool.conf:2"));
	assert_null(strstr(why, "kernel"));
	/* and a good policy: every source, nothing named */
	policy_write(&pol, "reserved_ports = 4500\n");
	set_bit(kernel, 4500);
	assert_int_equal(deny_set_fill_each(DENY_DEFAULT_SOURCES, NULL, map,
					    why, sizeof(why)), 3001);
	assert_memory_equal(map, kernel, MAPSIZE);
	assert_string_equal(why, "");
	policy_remove(&pol);
	free(kernel);
	free(map);
}

/* ---- a stalled reader ---- */

static pthread_mutex_t stall_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stall_cond = PTHREAD_COND_INITIALIZER;
static int stall_step;	/* 1: stalled; 2: it goes on; 3: it has read */

static int fill_port(uint64_t *map, void *arg)
{
	memset(map, 0, MAPSIZE);
	set_bit(map, (unsigned)(uintptr_t)arg);
	return 1;
}

static int fill_fails(uint64_t *map, void *arg)
{
	(void)arg;
	memset(map, 0, MAPSIZE);
	return -1;
}

static void step_to(int step)
{
	pthread_mutex_lock(&stall_lock);
	stall_step = step;
	pthread_cond_broadcast(&stall_cond);
	pthread_mutex_unlock(&stall_lock);
}

static void wait_step(int step)
{
	pthread_mutex_lock(&stall_lock);
	while (stall_step < step)
		pthread_cond_wait(&stall_cond, &stall_lock);
	pthread_mutex_unlock(&stall_lock);
}

/*
 * The reader stalls inside deny_gen_get(), after loading the published
 * set and before counting itself in on it: the one point where a reload
 * can take that set for refilling.  Only its first load stalls.
 */
static const struct deny_gen *stalled_on;

static void stall_after_load(const struct deny_gen *gen)
{
	if (stalled_on)
		return;
	stalled_on = gen;
	step_to(1);
	wait_step(2);
}

/* The reader: gets the set (stalling on the way), then reads all of it. */
static void *stalled_reader(void *arg)
{
	const struct deny_gen *gen = deny_gen_get();
	int *seen = arg;

	seen[0] = gen ? count(deny_gen_map(gen)) : -1;
	seen[1] = gen ? deny_has(deny_gen_map(gen), (unsigned)seen[1]) : -1;
	step_to(3);
	deny_gen_put(gen);
	return NULL;
}

/*
 * Refills a buffer; the one the reader stalled on is zeroed, then the
 * reader goes on and reads while it is half made, then it gets its port.
 */
static int fill_under_reader(uint64_t *map, void *arg)
{
	memset(map, 0, MAPSIZE);
	if (map == deny_gen_map(stalled_on) && stall_step < 2) {
		step_to(2);
		wait_step(3);
	}
	set_bit(map, (unsigned)(uintptr_t)arg);
	return 1;
}

static void stalled_reader_sees_its_whole_set(void **state)
{
	const struct deny_gen *gen;
	pthread_t reader;
	uintptr_t p;
	int seen[2];

	(void)state;
	assert_int_equal(deny_gen_update(fill_port, (void *)5000), 1);
	stall_step = 0;
	stalled_on = NULL;
	deny_gen_load_hook = stall_after_load;
	assert_int_equal(pthread_create(&reader, NULL, stalled_reader, seen),
			 0);
	wait_step(1);
	/*
	 * Reloads while it stalls, each into some free buffer, until one
	 * refills the buffer the reader loaded: the reader then resumes in
	 * the middle of that fill.
	 */
	for (p = 6000; p < 6010 && stall_step < 2; p++) {
		seen[1] = (int)p - 1;	/* the published port, p > 6000 */
		assert_int_equal(deny_gen_update(fill_under_reader,
						 (void *)p), 1);
		gen = deny_gen_get();
		assert_non_null(gen);
		assert_true(deny_has(deny_gen_map(gen), (unsigned)p));
		assert_int_equal(count(deny_gen_map(gen)), 1);
		deny_gen_put(gen);
	}
	pthread_join(reader, NULL);
	deny_gen_load_hook = NULL;
	/* A refill of the reader's buffer came, past the first reload. */
	assert_int_equal(stall_step, 3);
	assert_true(p > 6001);
	/* It read a whole set: the one published while that fill ran. */
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[1], 1);
	/* A failed fill publishes nothing. */
	assert_int_equal(deny_gen_update(fill_fails, NULL), -1);
	gen = deny_gen_get();
	assert_true(deny_has(deny_gen_map(gen), (unsigned)p - 1));
	deny_gen_put(gen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(library_reads_3000_ports,
						setup, teardown),
		cmocka_unit_test_setup_teardown(library_reads_every_other_port,
						setup, teardown),
		cmocka_unit_test_setup_teardown(library_reads_separate_ports,
						setup, teardown),
		cmocka_unit_test_setup_teardown(library_reads_the_largest_text,
						setup, teardown),
		cmocka_unit_test(format_fits_or_fails),
		cmocka_unit_test_setup_teardown(merge_leaves_the_union, setup,
						teardown),
		cmocka_unit_test_setup_teardown(merge_failure_restores, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			merge_with_a_bad_policy_writes_nothing, setup,
			teardown),
		cmocka_unit_test_setup_teardown(digest_follows_the_list, setup,
						teardown),
		cmocka_unit_test_setup_teardown(bad_policy_keeps_the_kernel,
						setup, teardown),
		cmocka_unit_test(stalled_reader_sees_its_whole_set),
	};

	pp_test_isolate();
	pp_test_require_netns();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
