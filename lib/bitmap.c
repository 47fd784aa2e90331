/* SPDX-License-Identifier: ISC */
/* One bit per port: 8 KiB that answer "is P free" in one load. */
#include <string.h>

#include "internal.h"

void pp_bitmap_zero(struct pp_bitmap *b)
{
	memset(b, 0, sizeof(*b));
}

void pp_bitmap_fill(struct pp_bitmap *b, unsigned first, unsigned last)
{
	/* Whole words at once: a whole-range fill is 1,024 stores. */
	while (first <= last && (first & 63)) {
		pp_bitmap_set(b, first);
		first++;
	}
	while (first + 63 <= last) {
		b->w[first >> 6] = ~UINT64_C(0);
		first += 64;
	}
	while (first <= last) {
		pp_bitmap_set(b, first);
		first++;
	}
}

void pp_bitmap_remove_list(struct pp_bitmap *b, const struct pp_portlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		for (unsigned p = l->span[i].first; p <= l->span[i].last; p++)
			pp_bitmap_clear(b, p);
}

unsigned long pp_bitmap_count(const struct pp_bitmap *b)
{
	unsigned long n = 0;

	for (size_t i = 0; i < PP_NPORTS / 64; i++)
		n += (unsigned long)__builtin_popcountll(b->w[i]);
	return n;
}

unsigned pp_bitmap_select(const struct pp_bitmap *b, unsigned first,
			  unsigned long rank)
{
	size_t i = first >> 6;
	uint64_t word = b->w[i] & (~UINT64_C(0) << (first & 63));

	for (;;) {
		unsigned long ones = (unsigned long)__builtin_popcountll(word);

		if (rank < ones)
			break;
		rank -= ones;
		word = b->w[++i];
	}
	while (rank--)
		word &= word - 1;
	return (unsigned)(i * 64 + (size_t)__builtin_ctzll(word));
}
