/* SPDX-License-Identifier: ISC */
/*
 * Differential: the input bytes choose a range source, a few caller
 * reservations and a reservation list; pp_candidates_build() must give
 * exactly the set a plain 65,536-entry array computes here: the ports of
 * the range that nothing reserved.  Host sources are off and the policy
 * file is a missing one, so the answer depends on the input alone.
 */
#include <errno.h>

#include "fuzz.h"

#define MISSING_POLICY "/nonexistent/portpool-fuzz/portpool.conf"

struct input {
	const uint8_t *p;
	size_t left;
};

static unsigned take8(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static unsigned take16(struct input *in)
{
	unsigned hi = take8(in);

	return hi << 8 | take8(in);
}

/* A port, now and then just outside 1-65535 to test the setters. */
static unsigned take_port(struct input *in, unsigned wild)
{
	unsigned port = take16(in);

	return (wild & 7) == 7 ? port + 65536 : port;
}

static struct fuzz_ports reserved, list;
static struct pp_candidates cand;
static char text[4096];

/* Ports of [first, last] that are candidates in the model, and not. */
FUZZ_UNTRACED
static void model_count(unsigned first, unsigned last, unsigned long *nfree,
			unsigned long *ntaken)
{
	*nfree = *ntaken = 0;
	for (unsigned p = first; p <= last; p++) {
		if (reserved.in[p])
			++*ntaken;
		else
			++*nfree;
	}
}

FUZZ_UNTRACED
static void model_merge(const struct fuzz_ports *more)
{
	for (unsigned p = 0; p < PP_NPORTS; p++)
		reserved.in[p] |= more->in[p];
}

/* The library's set is the model's, port by port. */
FUZZ_UNTRACED
static bool model_equals(const struct pp_bitmap *set, unsigned first,
			 unsigned last)
{
	for (unsigned p = 0; p < PP_NPORTS; p++) {
		bool want = p >= first && p <= last && !reserved.in[p];

		if (pp_bitmap_test(set, p) != want)
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct portpool_config *cfg, copy;
	unsigned mode, nres, first, last, flags, expect_first, expect_last;
	unsigned probe[4];
	unsigned long expect_count, expect_caller;
	const char *expect_source;
	bool ok, valid;
	size_t len;
	int rc;

	/* Once: no host policy file, whatever the machine has. */
	if (!getenv("PORTPOOL_CONF") ||
	    strcmp(getenv("PORTPOOL_CONF"), MISSING_POLICY) != 0)
		FUZZ_CHECK(setenv("PORTPOOL_CONF", MISSING_POLICY, 1) == 0);
	memset(&reserved, 0, sizeof(reserved));
	cfg = portpool_config_new();
	FUZZ_CHECK(cfg);

	/* The range: explicit, MaxUserPort or the default. */
	mode = take8(&in);
	expect_first = PORTPOOL_DYNAMIC_FIRST;
	expect_last = PORTPOOL_DYNAMIC_LAST;
	expect_source = "maxuserport";
	switch (mode % 3) {
	case 0:
		first = take_port(&in, mode >> 2);
		last = take_port(&in, mode >> 5);
		ok = first >= 1 && first <= last && last <= 65535;
		rc = portpool_config_set_range(cfg, first, last);
		FUZZ_CHECK(rc == (ok ? 0 : -1));
		if (ok) {
			expect_first = first;
			expect_last = last;
			expect_source = "explicit";
		}
		break;
	case 1:
		first = take_port(&in, mode >> 2);
		ok = first == 0 || (first >= PORTPOOL_MAX_USER_PORT_MIN &&
				    first <= PORTPOOL_MAX_USER_PORT_MAX);
		rc = portpool_config_set_max_user_port(cfg, first);
		FUZZ_CHECK(rc == (ok ? 0 : -1));
		if (ok && first) {
			expect_first = PORTPOOL_MAX_USER_PORT_FIRST;
			expect_last = first;
		}
		break;
	default:
		break;
	}

	/* The caller's reservations, one span at a time. */
	nres = take8(&in);
	for (unsigned i = 0; i < nres % 5; i++) {
		first = take_port(&in, nres >> 3);
		last = take_port(&in, nres >> 5 ^ i);
		if (take8(&in) & 1)
			last = first + (last & 63);	/* short spans too */
		ok = first >= 1 && first <= last && last <= 65535;
		rc = portpool_config_reserve(cfg, first, last);
		FUZZ_CHECK(rc == (ok ? 0 : -1));
		if (ok)
			fuzz_mark(&reserved, first, last);
	}

	/* Host sources off; other known flags do not change the set. */
	flags = take8(&in);
	rc = portpool_config_set_flags(cfg, flags << 8);
	FUZZ_CHECK(rc == ((flags << 8) & ~PORTPOOL_FLAGS_ALL ? -1 : 0));
	flags = PORTPOOL_NO_HOST_SOURCES |
		((flags << 8) & PORTPOOL_FLAGS_ALL);
	FUZZ_CHECK(portpool_config_set_flags(cfg, flags) == 0);

	/* The rest is a reservation list, up to a NUL. */
	len = in.left < sizeof(text) - 1 ? in.left : sizeof(text) - 1;
	memcpy(text, in.p, len);
	text[len] = '\0';
	len = strlen(text);
	memset(&list, 0, sizeof(list));
	valid = fuzz_model_list(text, len, false, &list);
	rc = portpool_config_reserve_list(cfg, text);
	FUZZ_CHECK(rc == (valid ? 0 : -1));
	FUZZ_CHECK(valid || errno == EINVAL);
	if (valid)
		model_merge(&list);
	fuzz_check_portlist(&cfg->reserved, false);
	FUZZ_CHECK(fuzz_list_equals(&cfg->reserved, &reserved));

	/* The reference: in range and not reserved. */
	model_count(expect_first, expect_last, &expect_count, &expect_caller);

	memset(&cand, 0xa5, sizeof(cand));
	FUZZ_CHECK(pp_candidates_build(cfg, &cand) == 0);
	FUZZ_CHECK(cand.first == expect_first && cand.last == expect_last);
	FUZZ_CHECK(strcmp(cand.range_source, expect_source) == 0);
	FUZZ_CHECK(!cand.range_from_policy);
	FUZZ_CHECK(cand.size == PORTPOOL_DEFAULT_SIZE);
	FUZZ_CHECK(cand.count == expect_count);
	FUZZ_CHECK(cand.excluded == expect_caller);
	FUZZ_CHECK(cand.removed[PORTPOOL_SOURCE_CALLER] == expect_caller);
	FUZZ_CHECK(cand.removed[PORTPOOL_SOURCE_RANGE] == 0);
	FUZZ_CHECK(cand.removed[PORTPOOL_SOURCE_KERNEL] == 0);
	FUZZ_CHECK(cand.removed[PORTPOOL_SOURCE_POLICY] == 0);
	FUZZ_CHECK(cand.removed[PORTPOOL_SOURCE_WELL_KNOWN] == 0);
	FUZZ_CHECK(cand.removed[PORTPOOL_SOURCE_ETC_SERVICES] == 0);
	FUZZ_CHECK(model_equals(&cand.set, expect_first, expect_last));
	if (cand.count)
		FUZZ_CHECK(pp_bitmap_select(&cand.set, 0, cand.count - 1) <=
			   expect_last);

	/* The public questions agree, on a copy of the config too. */
	FUZZ_CHECK(portpool_available(cfg) == (long)expect_count);
	FUZZ_CHECK(pp_config_copy(&copy, cfg) == 0);
	FUZZ_CHECK(portpool_available(&copy) == (long)expect_count);
	pp_config_release(&copy);
	probe[0] = expect_first;
	probe[1] = expect_last;
	probe[2] = expect_first - 1u;
	probe[3] = expect_last + 1u;
	if (size >= 2) {
		probe[2] = (unsigned)data[size / 2] << 8 | data[size - 1];
		probe[3] = (unsigned)data[size - 1] << 8 | data[0];
	}
	for (unsigned i = 0; i < 4; i++) {
		unsigned p = probe[i] & 0xffff;
		bool want = p >= expect_first && p <= expect_last &&
			    !reserved.in[p];

		FUZZ_CHECK(portpool_is_excluded(cfg, (uint16_t)p) == !want);
	}
	portpool_config_free(cfg);
	return 0;
}
