/* SPDX-License-Identifier: ISC */
/* Sets of ports as sorted, merged spans. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void pp_portlist_free(struct pp_portlist *list)
{
	free(list->span);
	list->span = NULL;
	list->n = list->cap = 0;
}

static int reserve_room(struct pp_portlist *list, size_t need)
{
	struct pp_span *grown;
	size_t cap;

	if (need <= list->cap)
		return 0;
	cap = list->cap ? list->cap * 2 : 8;
	while (cap < need)
		cap *= 2;
	grown = realloc(list->span, cap * sizeof(*grown));
	if (!grown) {
		pp_fail(ENOMEM, "out of memory for a list of %zu port ranges",
			need);
		return -1;
	}
	list->span = grown;
	list->cap = cap;
	return 0;
}

/*
 * Add [first, last] after every span of a sorted list whose first port is
 * at most first: it joins the last span if it overlaps or touches it.
 * The room must be there.  Writing behind the reading position is safe,
 * so normalizing works in place.
 */
static void append_span(struct pp_portlist *list, unsigned first,
			unsigned last)
{
	struct pp_span *tail = list->n ? &list->span[list->n - 1] : NULL;

	if (tail && first <= tail->last + 1u) {
		if (last > tail->last)
			tail->last = (uint16_t)last;
		return;
	}
	list->span[list->n].first = (uint16_t)first;
	list->span[list->n].last = (uint16_t)last;
	list->n++;
}

/*
 * Insert [first, last] keeping the spans sorted and disjoint: every span
 * that overlaps or touches the new one is swallowed by it.
 */
int pp_portlist_add(struct pp_portlist *list, unsigned first, unsigned last)
{
	size_t lo = 0, hi = list->n;

	/*
	 * The first span that touches or follows first, by binary search.
	 * Inserting before the end still moves the spans after it: input in
	 * any order is appended and normalized instead (portpool_config_
	 * reserve(), the parsers), so that it costs n log n.
	 */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (list->span[mid].last + 1u < first)
			lo = mid + 1;
		else
			hi = mid;
	}
	hi = lo;
	while (hi < list->n && list->span[hi].first <= last + 1u) {
		if (list->span[hi].first < first)
			first = list->span[hi].first;
		if (list->span[hi].last > last)
			last = list->span[hi].last;
		hi++;
	}
	if (hi == lo) {
		if (reserve_room(list, list->n + 1) < 0)
			return -1;
		if (lo < list->n)
			memmove(&list->span[lo + 1], &list->span[lo],
				(list->n - lo) * sizeof(*list->span));
		list->n++;
	} else if (hi > lo + 1) {
		memmove(&list->span[lo + 1], &list->span[hi],
			(list->n - hi) * sizeof(*list->span));
		list->n -= hi - lo - 1;
	}
	list->span[lo].first = (uint16_t)first;
	list->span[lo].last = (uint16_t)last;
	return 0;
}

/*
 * All or nothing: on failure dst is as it was.  One pass over both sorted
 * lists, so that merging is linear whatever their sizes.
 */
int pp_portlist_merge(struct pp_portlist *dst, const struct pp_portlist *src)
{
	struct pp_portlist work = { 0 };
	size_t i = 0, j = 0;

	if (!src->n)
		return 0;
	/* src->n > 0, so this allocates: work.span is never NULL after. */
	if (reserve_room(&work, dst->n + src->n) < 0 || !work.span)
		return -1;
	while (i < dst->n || j < src->n) {
		const struct pp_span *next;

		if (j == src->n ||
		    (i < dst->n && dst->span[i].first <= src->span[j].first))
			next = &dst->span[i++];
		else
			next = &src->span[j++];
		append_span(&work, next->first, next->last);
	}
	pp_portlist_free(dst);
	*dst = work;
	return 0;
}

int pp_portlist_append(struct pp_portlist *list, unsigned first,
		       unsigned last)
{
	if (reserve_room(list, list->n + 1) < 0)
		return -1;
	list->span[list->n].first = (uint16_t)first;
	list->span[list->n].last = (uint16_t)last;
	list->n++;
	return 0;
}

static int by_first(const void *a, const void *b)
{
	const struct pp_span *x = a, *y = b;

	return (int)x->first - (int)y->first;
}

void pp_portlist_normalize(struct pp_portlist *list)
{
	size_t n = list->n;

	if (!n)
		return;		/* span may be NULL: qsort must not see it */
	qsort(list->span, n, sizeof(*list->span), by_first);
	list->n = 0;
	for (size_t i = 0; i < n; i++)
		append_span(list, list->span[i].first, list->span[i].last);
}

int pp_portlist_copy(struct pp_portlist *dst, const struct pp_portlist *src)
{
	struct pp_portlist copy = { 0 };

	if (src->n) {
		if (reserve_room(&copy, src->n) < 0)
			return -1;
		memcpy(copy.span, src->span, src->n * sizeof(*copy.span));
	}
	copy.n = src->n;
	*dst = copy;
	return 0;
}

bool pp_portlist_contains(const struct pp_portlist *list, unsigned port)
{
	size_t lo = 0, hi = list->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (port < list->span[mid].first)
			hi = mid;
		else if (port > list->span[mid].last)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

unsigned long pp_portlist_count(const struct pp_portlist *list)
{
	unsigned long n = 0;

	for (size_t i = 0; i < list->n; i++)
		n += list->span[i].last - list->span[i].first + 1u;
	return n;
}

/* Clip a span to [first, last]; false if nothing is left. */
static bool clip(const struct pp_span *span, unsigned first, unsigned last,
		 unsigned *lo, unsigned *hi)
{
	*lo = span->first < first ? first : span->first;
	*hi = span->last > last ? last : span->last;
	return *lo <= *hi;
}

unsigned long pp_portlist_count_within(const struct pp_portlist *list,
				       unsigned first, unsigned last)
{
	unsigned long n = 0;
	unsigned lo, hi;

	for (size_t i = 0; i < list->n; i++)
		if (clip(&list->span[i], first, last, &lo, &hi))
			n += hi - lo + 1u;
	return n;
}

/* "4500,8080-8090" of the ports in [first, last], snprintf style. */
size_t pp_portlist_format(const struct pp_portlist *list, unsigned first,
			  unsigned last, char *buf, size_t size)
{
	size_t used = 0;
	unsigned lo, hi;

	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < list->n; i++) {
		char item[16];
		int n;

		if (!clip(&list->span[i], first, last, &lo, &hi))
			continue;
		n = lo == hi ?
		    snprintf(item, sizeof(item), "%s%u", used ? "," : "", lo) :
		    snprintf(item, sizeof(item), "%s%u-%u", used ? "," : "",
			     lo, hi);
		if (used < size)
			snprintf(buf + used, size - used, "%s", item);
		used += (size_t)n;
	}
	return used;
}
