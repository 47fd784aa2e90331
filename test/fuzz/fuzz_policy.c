/* SPDX-License-Identifier: ISC */
/*
 * pp_policy_parse(), portpool.conf(5), on arbitrary bytes: a writable,
 * NUL-terminated copy of exactly len + 1 bytes, as pp_policy_read() gives
 * it.  Whatever it accepts must be a policy the rest of the library can
 * use without checking it again.
 */
#include <errno.h>

#include "fuzz.h"

static void check_policy(const struct pp_policy *policy)
{
	struct pp_portlist all = { 0 };

	fuzz_check_portlist(&policy->reserved, false);
	FUZZ_CHECK(policy->pool_size == 0 ||
		   (policy->pool_size >= 1 && policy->pool_size <= 65535));
	FUZZ_CHECK(!policy->pool_size == !policy->pool_size_line);
	FUZZ_CHECK(policy->max_user_port == 0 ||
		   (policy->max_user_port >= PORTPOOL_MAX_USER_PORT_MIN &&
		    policy->max_user_port <= PORTPOOL_MAX_USER_PORT_MAX));
	FUZZ_CHECK(!policy->max_user_port == !policy->max_user_port_line);
	switch (policy->range_source) {
	case PP_RANGE_UNSET:
		FUZZ_CHECK(policy->range_line == 0);
		break;
	case PP_RANGE_EXPLICIT:
		FUZZ_CHECK(policy->range_first >= 1);
		FUZZ_CHECK(policy->range_first <= policy->range_last);
		/* fall through */
	case PP_RANGE_MAXUSERPORT:
	case PP_RANGE_SYSTEM:
		FUZZ_CHECK(policy->range_line >= 1);
		break;
	default:
		FUZZ_CHECK(!"a range source outside the enum");
	}
	/* Every entry is reserved, and the entries cover the reserved set. */
	FUZZ_CHECK(policy->nentry == 0 || policy->entry);
	for (size_t i = 0; i < policy->nentry; i++) {
		const struct pp_policy_entry *e = &policy->entry[i];

		FUZZ_CHECK(e->first >= 1 && e->first <= e->last);
		FUZZ_CHECK(e->line >= 1);
		FUZZ_CHECK(e->file == policy->path);
		FUZZ_CHECK(i == 0 || e->line >= policy->entry[i - 1].line);
		FUZZ_CHECK(pp_portlist_contains(&policy->reserved, e->first));
		FUZZ_CHECK(pp_portlist_contains(&policy->reserved, e->last));
		FUZZ_CHECK(pp_portlist_add(&all, e->first, e->last) == 0);
	}
	FUZZ_CHECK(all.n == policy->reserved.n);
	FUZZ_CHECK(all.n == 0 || memcmp(all.span, policy->reserved.span,
					all.n * sizeof(*all.span)) == 0);
	pp_portlist_free(&all);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pp_policy policy;
	char *text = malloc(size + 1);
	int rc;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&policy, 0, sizeof(policy));
	policy.path = "fuzz.conf";
	policy.found = true;
	errno = 0;
	rc = pp_policy_parse(policy.path, text, size, &policy);
	if (rc == 0) {
		check_policy(&policy);
	} else {
		FUZZ_CHECK(rc == -1);
		FUZZ_CHECK(errno == EINVAL || errno == ENOMEM);
		/* Every sentence about the file names it. */
		FUZZ_CHECK(errno != EINVAL ||
			   strncmp(portpool_error(), "fuzz.conf:", 10) == 0);
		/* ... on one line of printable text, whatever the input. */
		for (const char *c = portpool_error(); *c; c++)
			FUZZ_CHECK((unsigned char)*c >= 0x20 && *c != 0x7f);
	}
	pp_policy_free(&policy);
	FUZZ_CHECK(!policy.entry && !policy.reserved.span);
	free(text);
	return 0;
}
