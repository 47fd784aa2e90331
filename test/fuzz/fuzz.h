/* SPDX-License-Identifier: ISC */
/*
 * Shared by the libFuzzer targets: the entry point's prototype, the
 * invariant check and an independent model of the reservation list
 * grammar (portpool_config_reserve(3)), written from the grammar rather
 * than from lib/parse.c, so the targets can compare the two.
 */
#ifndef PORTPOOL_FUZZ_H
#define PORTPOOL_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The model's loops over all 65,536 ports teach the fuzzer nothing and,
 * traced, cost most of its time: leave them out of the coverage (and
 * out of line, or inlining brings the tracing back).
 */
#if defined(__clang__)
#define FUZZ_UNTRACED __attribute__((no_sanitize("coverage"), noinline))
#else
#define FUZZ_UNTRACED
#endif

/* An invariant broke: say which, then abort so both drivers see it. */
#define FUZZ_CHECK(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: invariant failed: %s\n", \
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

/* Sorted, disjoint, non-adjacent spans of real (or zero) ports. */
static inline void fuzz_check_portlist(const struct pp_portlist *l,
				       bool allow_zero)
{
	FUZZ_CHECK(l->n <= l->cap);
	FUZZ_CHECK(l->n == 0 || l->span);
	for (size_t i = 0; i < l->n; i++) {
		FUZZ_CHECK(l->span[i].first <= l->span[i].last);
		FUZZ_CHECK(allow_zero || l->span[i].first >= 1);
		if (i + 1 < l->n)
			FUZZ_CHECK((unsigned)l->span[i].last + 1u <
				   l->span[i + 1].first);
	}
}

/* One bit per port, as the model keeps sets. */
struct fuzz_ports {
	bool in[PP_NPORTS];
};

static inline bool fuzz_is_separator(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Digits [i, end) as a port, or -1 when none or above 65535. */
static inline long fuzz_number(const char *s, size_t i, size_t end)
{
	unsigned long v = 0;

	if (i == end)
		return -1;
	for (; i < end; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > 65535)
			return -1;
	}
	return (long)v;
}

/* Mark [a, b] in a set. */
FUZZ_UNTRACED
static inline void fuzz_mark(struct fuzz_ports *set, long a, long b)
{
	for (long p = a; p <= b; p++)
		set->in[p] = true;
}

/*
 * The model: tokens between separators, each "N" or "N-M" with decimal
 * ports (0 only with allow_zero) and N <= M.  Marks the ports in *set
 * and returns true if the whole text is valid; *set is then the union.
 */
static inline bool fuzz_model_list(const char *s, size_t len,
				   bool allow_zero, struct fuzz_ports *set)
{
	size_t i = 0;

	while (i < len) {
		size_t start, end, dash;
		long a, b;

		if (fuzz_is_separator(s[i])) {
			i++;
			continue;
		}
		start = i;
		while (i < len && !fuzz_is_separator(s[i]))
			i++;
		end = i;
		dash = start;
		while (dash < end && s[dash] != '-')
			dash++;
		if (dash == end) {
			a = b = fuzz_number(s, start, end);
		} else {
			a = fuzz_number(s, start, dash);
			b = fuzz_number(s, dash + 1, end);
		}
		if (a < 0 || b < 0 || b < a)
			return false;
		if (!allow_zero && a == 0)
			return false;
		fuzz_mark(set, a, b);
	}
	return true;
}

/* A list holds exactly the ports of a model set. */
FUZZ_UNTRACED
static inline bool fuzz_list_equals(const struct pp_portlist *l,
				    const struct fuzz_ports *set)
{
	size_t k = 0;
	bool in;

	for (unsigned p = 0; p < PP_NPORTS; p++) {
		while (k < l->n && l->span[k].last < p)
			k++;
		in = k < l->n && l->span[k].first <= p;
		if (in != set->in[p])
			return false;
	}
	return true;
}

#endif /* PORTPOOL_FUZZ_H */
