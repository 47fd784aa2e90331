/* SPDX-License-Identifier: ISC */
/*
 * The sources of excluded ports and the candidate set they leave.  Host
 * sources are read afresh on every call that needs them, so a running
 * daemon sees an administrator's change at its next refresh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int pp_read_reserved_ports(const char *path, struct pp_portlist *out)
{
	struct pp_parse_error err;
	char esc[160];
	size_t len;
	char *text;
	int rc;

	if (pp_read_hostfile(path, PP_RESERVED_TEXT_MAX, &text, &len) < 0)
		return -1;
	if (!text)
		return 0;
	/* The kernel accepts 0 in this list; it is never a candidate. */
	rc = pp_parse_port_list(text, len, true, out, &err);
	if (rc < 0 && errno == EINVAL)
		pp_fail(EINVAL, "%s: %s at offset %zu", PP_ESC(path, esc),
			err.why, err.offset);
	free(text);
	return rc;
}

/* One line of services(5): "name port/protocol [aliases] [# comment]". */
struct services_query {
	unsigned port;
	char *name;
	size_t size;
};

/*
 * 0 for a line read (or blank), 1 for a malformed line.  /etc/services is
 * not the library's file: as glibc's getservent() does, a line it cannot
 * read is skipped, never fatal, so one bad line stops no daemon.
 */
static int services_line(char *line, struct pp_portlist *out,
			 struct services_query *q)
{
	char *save, *name, *entry, *slash, *end;
	unsigned long port;

	line[strcspn(line, "#")] = '\0';
	name = strtok_r(line, " \t\r", &save);
	if (!name)
		return 0;
	entry = strtok_r(NULL, " \t\r", &save);
	if (!entry)
		return 1;
	slash = strchr(entry, '/');
	if (!slash || slash == entry || !slash[1])
		return 1;
	errno = 0;
	port = strtoul(entry, &end, 10);
	if (end != slash || entry[0] < '0' || entry[0] > '9' || port > 65535)
		return 1;
	if (strcmp(slash + 1, "udp") != 0 || port == 0)
		return 0;
	if (port == q->port && q->name && !q->name[0])
		pp_escape(name, strlen(name), q->name, q->size);
	return pp_portlist_append(out, (unsigned)port, (unsigned)port) < 0 ?
	       -1 : 0;
}

int pp_read_services_counted(const char *path, struct pp_portlist *out,
			     unsigned name_port, char *name, size_t name_size,
			     unsigned long *skipped)
{
	struct services_query q = { name_port, name, name_size };
	struct pp_portlist found = { 0 };
	unsigned long bad = 0;
	char *text, *line, *next;
	size_t len;
	int rc = 0;

	if (pp_read_hostfile(path, PP_HOSTFILE_MAX, &text, &len) < 0)
		return -1;
	if (!text)
		return 0;
	for (line = text; line && rc >= 0; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		rc = services_line(line, &found, &q);
		if (rc > 0)
			bad++;
	}
	if (rc >= 0) {
		/* Appended in file order, sorted once: n log n. */
		pp_portlist_normalize(&found);
		rc = pp_portlist_merge(out, &found);
	}
	pp_portlist_free(&found);
	free(text);
	if (rc == 0 && skipped)
		*skipped = bad;
	return rc;
}

int pp_read_services(const char *path, struct pp_portlist *out,
		     unsigned name_port, char *name, size_t name_size)
{
	return pp_read_services_counted(path, out, name_port, name, name_size,
					NULL);
}

static int load_well_known(struct pp_portlist *out)
{
	for (size_t i = 0; i < pp_well_known_count; i++)
		if (pp_portlist_add(out, pp_well_known[i].first,
				    pp_well_known[i].last) < 0)
			return -1;
	return 0;
}

void pp_exclusions_free(struct pp_exclusions *ex)
{
	pp_policy_free(&ex->policy);
	for (int i = 0; i < PORTPOOL_SOURCE_COUNT; i++)
		pp_portlist_free(&ex->src[i]);
}

int pp_exclusions_load(const struct portpool_config *cfg,
		       struct pp_exclusions *ex)
{
	memset(ex, 0, sizeof(*ex));
	if (pp_portlist_copy(&ex->src[PORTPOOL_SOURCE_CALLER],
			     &cfg->reserved) < 0)
		goto fail;
	/* Calls in any order leave it unsorted: see add_reserved(). */
	if (cfg->reserved_unsorted)
		pp_portlist_normalize(&ex->src[PORTPOOL_SOURCE_CALLER]);
	/* No flag turns the administrator's reservations off. */
	if (pp_policy_load(cfg, &ex->policy) < 0)
		goto fail;
	ex->src[PORTPOOL_SOURCE_POLICY] = ex->policy.reserved;
	memset(&ex->policy.reserved, 0, sizeof(ex->policy.reserved));
	if (!(cfg->flags & PORTPOOL_NO_KERNEL_RESERVED) &&
	    pp_read_reserved_ports(cfg->path[PP_PATH_RESERVED_PORTS],
				   &ex->src[PORTPOOL_SOURCE_KERNEL]) < 0)
		goto fail;
	if (!(cfg->flags & PORTPOOL_NO_WELL_KNOWN) &&
	    load_well_known(&ex->src[PORTPOOL_SOURCE_WELL_KNOWN]) < 0)
		goto fail;
	if (!(cfg->flags & PORTPOOL_NO_ETC_SERVICES) &&
	    pp_read_services_counted(cfg->path[PP_PATH_SERVICES],
				     &ex->src[PORTPOOL_SOURCE_ETC_SERVICES], 0,
				     NULL, 0, &ex->services_skipped) < 0)
		goto fail;
	return 0;
fail:
	{
		int err = errno;

		pp_exclusions_free(ex);
		errno = err;
	}
	return -1;
}

int pp_sources_load(const struct portpool_config *cfg,
		    struct pp_exclusions *ex, uint16_t *first, uint16_t *last)
{
	/* Set on every path: gcc -flto cannot see it through the calls. */
	*first = *last = 0;
	if (pp_exclusions_load(cfg, ex) < 0)
		return -1;
	if (pp_range_resolve(cfg, &ex->policy, first, last) < 0) {
		int err = errno;

		pp_exclusions_free(ex);
		errno = err;
		return -1;
	}
	return 0;
}

int pp_candidates_build(const struct portpool_config *cfg,
			struct pp_candidates *cand)
{
	struct pp_exclusions ex;

	if (pp_sources_load(cfg, &ex, &cand->first, &cand->last) < 0)
		return -1;
	pp_bitmap_zero(&cand->set);
	pp_bitmap_fill(&cand->set, cand->first, cand->last);
	for (int i = 0; i < PORTPOOL_SOURCE_COUNT; i++) {
		pp_bitmap_remove_list(&cand->set, &ex.src[i]);
		cand->removed[i] = pp_portlist_count_within(&ex.src[i],
							    cand->first,
							    cand->last);
	}
	cand->range_source = pp_range_source_name(cfg, &ex.policy);
	cand->range_token = pp_range_token(cfg, &ex.policy);
	cand->range_from_policy = cfg->range_source == PP_RANGE_UNSET &&
		(ex.policy.range_source != PP_RANGE_UNSET ||
		 ex.policy.max_user_port);
	cand->services_skipped = ex.services_skipped;
	cand->size = cfg->size_set || !ex.policy.pool_size ? cfg->size :
		     ex.policy.pool_size;
	pp_exclusions_free(&ex);
	cand->count = pp_bitmap_count(&cand->set);
	cand->excluded = (unsigned long)(cand->last - cand->first + 1) -
			 cand->count;
	return 0;
}

PP_EXPORT int portpool_is_excluded(const struct portpool_config *cfg,
				   uint16_t port)
{
	struct portpool_config defaults;
	struct pp_exclusions ex;
	uint16_t first, last;
	int excluded = 0;

	cfg = pp_config_or_defaults(cfg, &defaults);
	if (pp_sources_load(cfg, &ex, &first, &last) < 0)
		return -1;
	if (port < first || port > last)
		excluded = 1;
	for (int i = 0; i < PORTPOOL_SOURCE_COUNT && !excluded; i++)
		excluded = pp_portlist_contains(&ex.src[i], port);
	pp_exclusions_free(&ex);
	return excluded;
}

PP_EXPORT long portpool_available(const struct portpool_config *cfg)
{
	struct portpool_config defaults;
	struct pp_candidates *cand;
	long count;

	cfg = pp_config_or_defaults(cfg, &defaults);
	cand = malloc(sizeof(*cand));
	if (!cand)
		return pp_fail(ENOMEM, "out of memory for the candidate set");
	count = pp_candidates_build(cfg, cand) < 0 ? -1 : (long)cand->count;
	free(cand);
	return count;
}
