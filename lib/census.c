/* SPDX-License-Identifier: ISC */
/*
 * Introspection: why one port is or is not a candidate, and what a
 * configuration leaves to draw from.  For administrators and for daemons
 * that log what they are about to do.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const source_names[PORTPOOL_SOURCE_COUNT] = {
	[PORTPOOL_SOURCE_RANGE] = "outside the effective range",
	[PORTPOOL_SOURCE_CALLER] = "reserved by the program",
	[PORTPOOL_SOURCE_KERNEL] = "kernel ip_local_reserved_ports",
	[PORTPOOL_SOURCE_POLICY] = "host policy file",
	[PORTPOOL_SOURCE_WELL_KNOWN] = "well-known UDP service",
	[PORTPOOL_SOURCE_ETC_SERVICES] = "/etc/services",
};

/* Words for scripts and JSON: never changed once released. */
static const char *const source_tokens[PORTPOOL_SOURCE_COUNT] = {
	[PORTPOOL_SOURCE_RANGE] = "range",
	[PORTPOOL_SOURCE_CALLER] = "caller",
	[PORTPOOL_SOURCE_KERNEL] = "kernel",
	[PORTPOOL_SOURCE_POLICY] = "policy",
	[PORTPOOL_SOURCE_WELL_KNOWN] = "well-known",
	[PORTPOOL_SOURCE_ETC_SERVICES] = "services",
};

_Static_assert(PORTPOOL_SOURCE_COUNT <= PORTPOOL_CENSUS_SOURCES,
	       "census.removed[] has a slot for every source");

PP_EXPORT const char *portpool_source_name(enum portpool_source source)
{
	if ((unsigned)source >= PORTPOOL_SOURCE_COUNT)
		return "unknown source";
	return source_names[source];
}

PP_EXPORT const char *portpool_source_token(enum portpool_source source)
{
	if ((unsigned)source >= PORTPOOL_SOURCE_COUNT)
		return pp_fail_null(EINVAL, "portpool_source_token: source %d "
				    "is not one of 0-%d", (int)source,
				    PORTPOOL_SOURCE_COUNT - 1);
	return source_tokens[source];
}

static const char *well_known_name(unsigned port)
{
	for (size_t i = 0; i < pp_well_known_count; i++)
		if (port >= pp_well_known[i].first &&
		    port <= pp_well_known[i].last)
			return pp_well_known[i].name;
	return NULL;
}

static unsigned policy_line(const struct pp_policy *policy, unsigned port)
{
	for (size_t i = 0; i < policy->nentry; i++)
		if (port >= policy->entry[i].first &&
		    port <= policy->entry[i].last)
			return policy->entry[i].line;
	return 0;
}

/* Append ", detail" pieces to the sentence, never past its end. */
PP_PRINTF(2, 3)
static void say(struct portpool_explanation *why, const char *fmt, ...)
{
	size_t used = strlen(why->text);
	va_list ap;

	if (used >= sizeof(why->text) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(why->text + used, sizeof(why->text) - used, fmt, ap);
	va_end(ap);
}

static void explain_text(struct portpool_explanation *why,
			 const struct pp_exclusions *ex,
			 const struct portpool_config *cfg, uint16_t first,
			 uint16_t last, const char *services_name)
{
	const char *sep = ": ";

	if (!why->sources) {
		say(why, "port %u is a candidate: inside the effective range "
		    "%u-%u and excluded by no source", why->port, first, last);
		return;
	}
	say(why, "port %u is never bound", why->port);
	for (int s = 0; s < PORTPOOL_SOURCE_COUNT; s++) {
		if (!(why->sources & (1u << s)))
			continue;
		say(why, "%s%s", sep, source_names[s]);
		sep = "; ";
		if (s == PORTPOOL_SOURCE_RANGE)
			say(why, " %u-%u", first, last);
		else if (s == PORTPOOL_SOURCE_POLICY)
			say(why, " %s:%u", ex->policy.path, why->policy_line);
		else if (s == PORTPOOL_SOURCE_KERNEL)
			say(why, " (%s)", cfg->path[PP_PATH_RESERVED_PORTS]);
		else if (s == PORTPOOL_SOURCE_WELL_KNOWN)
			say(why, " (%s)", well_known_name(why->port));
		else if (s == PORTPOOL_SOURCE_ETC_SERVICES)
			say(why, " (%s)", services_name);
	}
}

PP_EXPORT int portpool_explain(const struct portpool_config *cfg,
			       uint16_t port, struct portpool_explanation *why,
			       size_t size)
{
	struct portpool_explanation answer = { .port = port }, *why_out = why;
	char services_name[sizeof(why->service)] = "";
	struct portpool_config defaults;
	struct pp_exclusions ex;
	uint16_t first, last;
	int rc = 0;

	if (!why_out)
		return pp_fail(EINVAL, "portpool_explain: why is NULL");
	if (size < PP_EXPLANATION_SIZE_1_0)
		return pp_result_copy(why_out, size, &answer, sizeof(answer),
				      PP_EXPLANATION_SIZE_1_0,
				      "portpool_explain");
	cfg = pp_config_or_defaults(cfg, &defaults);
	if (pp_sources_load(cfg, &ex, &first, &last) < 0)
		return -1;
	/* Built aside and copied out at the end: a failure changes nothing. */
	why = &answer;
	if (port < first || port > last)
		why->sources |= 1u << PORTPOOL_SOURCE_RANGE;
	for (int s = 0; s < PORTPOOL_SOURCE_COUNT; s++)
		if (pp_portlist_contains(&ex.src[s], port))
			why->sources |= 1u << s;
	if (why->sources & (1u << PORTPOOL_SOURCE_POLICY))
		why->policy_line = policy_line(&ex.policy, port);
	if (why->sources & (1u << PORTPOOL_SOURCE_WELL_KNOWN))
		snprintf(why->service, sizeof(why->service), "%s",
			 well_known_name(port));
	if (why->sources & (1u << PORTPOOL_SOURCE_ETC_SERVICES)) {
		struct pp_portlist scratch = { 0 };

		/* Read again for the name: explaining is not a hot path. */
		rc = pp_read_services(cfg->path[PP_PATH_SERVICES], &scratch,
				      port, services_name,
				      sizeof(services_name));
		pp_portlist_free(&scratch);
		if (rc < 0)
			goto out;
		if (!why->service[0])
			snprintf(why->service, sizeof(why->service), "%s",
				 services_name);
	}
	explain_text(why, &ex, cfg, first, last, services_name);
	pp_result_copy(why_out, size, &answer, sizeof(answer),
		       PP_EXPLANATION_SIZE_1_0, "portpool_explain");
out:
	{
		int err = errno;

		pp_exclusions_free(&ex);
		errno = err;
	}
	return rc;
}

PP_EXPORT int portpool_census(const struct portpool_config *cfg,
			      struct portpool_census *census_out, size_t size)
{
	struct portpool_census answer, *census = &answer;
	struct portpool_config defaults;
	struct pp_candidates *cand;

	memset(census, 0, sizeof(*census));
	if (!census_out)
		return pp_fail(EINVAL, "portpool_census: census is NULL");
	if (size < PP_CENSUS_SIZE_1_0)
		return pp_result_copy(census_out, size, census, sizeof(*census),
				      PP_CENSUS_SIZE_1_0, "portpool_census");
	cfg = pp_config_or_defaults(cfg, &defaults);
	cand = malloc(sizeof(*cand));
	if (!cand)
		return pp_fail(ENOMEM, "out of memory for the candidate set");
	if (pp_candidates_build(cfg, cand) < 0) {
		int err = errno;

		free(cand);
		errno = err;
		return -1;
	}
	census->first = cand->first;
	census->last = cand->last;
	snprintf(census->range_source, sizeof(census->range_source), "%s%s",
		 cand->range_source,
		 cand->range_from_policy ? " (policy file)" : "");
	snprintf(census->range_token, sizeof(census->range_token), "%s",
		 cand->range_token);
	census->range_from_policy = cand->range_from_policy;
	census->range_ports = (uint64_t)(cand->last - cand->first) + 1;
	census->candidates = cand->count;
	census->excluded = cand->excluded;
	for (int s = 0; s < PORTPOOL_SOURCE_COUNT; s++)
		census->removed[s] = cand->removed[s];
	census->size = cand->size;
	census->fresh_bits = cand->count ? log2((double)cand->count) : 0;
	census->pick_bits = log2((double)cand->size);
	census->weak = cand->count < PORTPOOL_WEAK_CANDIDATES;
	free(cand);
	return pp_result_copy(census_out, size, census, sizeof(*census),
			      PP_CENSUS_SIZE_1_0, "portpool_census");
}

/*
 * The ports one source excludes inside the effective range, in the
 * reservation list form ("4500,8080-8090"), so that an administrator
 * sees the ranges and can paste them.  For PORTPOOL_SOURCE_RANGE: the
 * effective range itself.  snprintf style: the full length is returned
 * even when buf is too small, and buf is always terminated.
 */
PP_EXPORT int portpool_source_ranges(const struct portpool_config *cfg,
				     enum portpool_source source, char *buf,
				     size_t size)
{
	struct portpool_config defaults;
	struct pp_exclusions ex;
	uint16_t first, last;
	size_t used = 0;

	if ((unsigned)source >= PORTPOOL_SOURCE_COUNT)
		return pp_fail(EINVAL, "portpool_source_ranges: source %d is "
			       "not one of 0-%d", (int)source,
			       PORTPOOL_SOURCE_COUNT - 1);
	if (!buf && size)
		return pp_fail(EINVAL, "portpool_source_ranges: buf is NULL "
			       "with size %zu", size);
	cfg = pp_config_or_defaults(cfg, &defaults);
	if (pp_sources_load(cfg, &ex, &first, &last) < 0)
		return -1;
	if (source == PORTPOOL_SOURCE_RANGE) {
		struct pp_span whole = { first, last };
		struct pp_portlist range = { &whole, 1, 1 };

		used = pp_portlist_format(&range, first, last, buf, size);
	} else {
		used = pp_portlist_format(&ex.src[source], first, last, buf,
					  size);
	}
	pp_exclusions_free(&ex);
	/* At most 65,535 ports of 6 bytes each: an int holds it. */
	return (int)used;
}
