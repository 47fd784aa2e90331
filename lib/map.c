/* SPDX-License-Identifier: ISC */
/*
 * Bulk answers: the candidates, or one source's ports, for all 65,536
 * ports at once.  portpool_is_excluded() reads the host files for each
 * port it is asked about; a program checking thousands of ports (a
 * guard, a daemon with its own port choice, portpool-info) reads them
 * once here.  The map is written only after every file was read, so a
 * failure leaves the caller's map as it was.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

_Static_assert(PORTPOOL_MAP_WORDS * 64 == PP_NPORTS,
	       "one bit per port, bit p in word p / 64");

/* Set (or clear) the bits of [first, last], a word at a time. */
static void map_span(uint64_t *map, unsigned first, unsigned last, bool set)
{
	while (first <= last) {
		unsigned word = first >> 6, lo = first & 63;
		unsigned hi = (last >> 6) == word ? last & 63 : 63;
		uint64_t bits = (~UINT64_C(0) >> (63 - hi)) &
				(~UINT64_C(0) << lo);

		if (set)
			map[word] |= bits;
		else
			map[word] &= ~bits;
		first = word * 64 + hi + 1;
	}
}

static void map_list(uint64_t *map, const struct pp_portlist *list,
		     bool set)
{
	for (size_t i = 0; i < list->n; i++)
		map_span(map, list->span[i].first, list->span[i].last, set);
}

static int map_count(const uint64_t *map)
{
	int n = 0;

	for (size_t i = 0; i < PORTPOOL_MAP_WORDS; i++)
		n += __builtin_popcountll(map[i]);
	return n;
}

PP_EXPORT int portpool_candidate_map(const struct portpool_config *cfg,
				     uint64_t map[PORTPOOL_MAP_WORDS])
{
	struct portpool_config defaults;
	struct pp_exclusions ex;
	uint16_t first, last;

	if (!map)
		return pp_fail(EINVAL, "portpool_candidate_map: map is NULL");
	cfg = pp_config_or_defaults(cfg, &defaults);
	if (pp_sources_load(cfg, &ex, &first, &last) < 0)
		return -1;
	memset(map, 0, PORTPOOL_MAP_WORDS * sizeof(*map));
	map_span(map, first, last, true);
	for (int s = 0; s < PORTPOOL_SOURCE_COUNT; s++)
		map_list(map, &ex.src[s], false);
	pp_exclusions_free(&ex);
	return map_count(map);
}

PP_EXPORT int portpool_source_map(const struct portpool_config *cfg,
				  enum portpool_source source,
				  uint64_t map[PORTPOOL_MAP_WORDS])
{
	struct portpool_config defaults;
	struct pp_exclusions ex;
	/* Set on success; under LTO gcc cannot see it and warns. */
	uint16_t first = 0, last = 0;

	if ((unsigned)source >= PORTPOOL_SOURCE_COUNT)
		return pp_fail(EINVAL, "portpool_source_map: source %d is not "
			       "one of 0-%d", (int)source,
			       PORTPOOL_SOURCE_COUNT - 1);
	if (!map)
		return pp_fail(EINVAL, "portpool_source_map: map is NULL");
	cfg = pp_config_or_defaults(cfg, &defaults);
	if (pp_sources_load(cfg, &ex, &first, &last) < 0)
		return -1;
	memset(map, 0, PORTPOOL_MAP_WORDS * sizeof(*map));
	if (source == PORTPOOL_SOURCE_RANGE) {
		/* What the range keeps out: every port outside it, 0 too. */
		map_span(map, 0, PP_NPORTS - 1, true);
		map_span(map, first, last, false);
	} else {
		map_list(map, &ex.src[source], true);
	}
	pp_exclusions_free(&ex);
	return map_count(map);
}
