/* SPDX-License-Identifier: ISC */
/*
 * Distinct pools used from distinct threads at once: open, pick, rotate,
 * refresh and close concurrently.  No race (CI runs this under
 * ThreadSanitizer), no port held by two pools, and each thread keeps its
 * own portpool_error() sentence.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portpool.h"
#include "util.h"

#define THREADS 4
#define MEMBERS 64
#define ROUNDS 300

static pthread_barrier_t barrier;
static struct portpool *pools[THREADS];

struct worker {
	int id;
	int failures;
	char sentence[128];
};

static void check_disjoint(void)
{
	static unsigned char owner[65536];

	memset(owner, 0, sizeof(owner));
	for (int t = 0; t < THREADS; t++)
		for (size_t i = 0; i < portpool_size(pools[t]); i++) {
			uint16_t port = portpool_port(pools[t], i);

			assert_int_equal(owner[port], 0);
			owner[port] = (unsigned char)(t + 1);
		}
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct portpool_config *cfg = portpool_config_new();
	char bad[32];

	portpool_config_set_range(cfg, 50000, 50999);
	portpool_config_set_size(cfg, MEMBERS);
	portpool_config_set_flags(cfg, PORTPOOL_NO_HOST_SOURCES);
	pools[w->id] = portpool_open(cfg);
	if (!pools[w->id])
		w->failures++;
	pthread_barrier_wait(&barrier);	/* main checks: disjoint */
	pthread_barrier_wait(&barrier);
	for (int r = 0; r < ROUNDS && pools[w->id]; r++) {
		int m = portpool_pick(pools[w->id]);

		if (m < 0 || m >= MEMBERS ||
		    portpool_rotate(pools[w->id], (size_t)m) < 0)
			w->failures++;
		if (r % 100 == 0 && portpool_refresh(pools[w->id]) < 0)
			w->failures++;
	}
	/* a failure of this thread's own, with its own number in it */
	snprintf(bad, sizeof(bad), "%d-x", 1000 + w->id);
	if (portpool_config_reserve_list(cfg, bad) != -1)
		w->failures++;
	pthread_barrier_wait(&barrier);	/* main checks: disjoint */
	pthread_barrier_wait(&barrier);
	snprintf(w->sentence, sizeof(w->sentence), "%s", portpool_error());
	portpool_close(pools[w->id]);
	portpool_config_free(cfg);
	return NULL;
}

static void distinct_pools_in_parallel(void **state)
{
	struct worker w[THREADS];
	pthread_t tid[THREADS];

	(void)state;
	pp_test_require_netns();
	assert_int_equal(pthread_barrier_init(&barrier, NULL, THREADS + 1), 0);
	for (int t = 0; t < THREADS; t++) {
		memset(&w[t], 0, sizeof(w[t]));
		w[t].id = t;
		assert_int_equal(pthread_create(&tid[t], NULL, work, &w[t]), 0);
	}
	pthread_barrier_wait(&barrier);
	check_disjoint();
	pthread_barrier_wait(&barrier);
	pthread_barrier_wait(&barrier);
	check_disjoint();
	pthread_barrier_wait(&barrier);
	for (int t = 0; t < THREADS; t++) {
		char mine[16];

		assert_int_equal(pthread_join(tid[t], NULL), 0);
		assert_int_equal(w[t].failures, 0);
		snprintf(mine, sizeof(mine), "\"%d-x\"", 1000 + t);
		assert_non_null(strstr(w[t].sentence, mine));
	}
	pthread_barrier_destroy(&barrier);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(distinct_pools_in_parallel),
	};

	pp_test_isolate();
	return cmocka_run_group_tests_name("threads", tests, NULL, NULL);
}
