/* SPDX-License-Identifier: ISC */
/*
 * The host policy file, portpool.conf(5): what the administrator sets
 * for every program on the host, as Windows has ReservedPorts,
 * MaxUserPort and SocketPoolSize.  Its reservations always apply; its
 * range and size apply where the program set none.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define LINE_MAX_BYTES 4096u

void pp_policy_free(struct pp_policy *policy)
{
	pp_portlist_free(&policy->reserved);
	free(policy->entry);
	policy->entry = NULL;
	policy->nentry = 0;
}

/* Trim white space (and the CR of CRLF files) in place. */
static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
			   end[-1] == '\r'))
		*--end = '\0';
	return s;
}

struct line {
	const char *path;
	unsigned no;
};

/* Every sentence about the file starts "path:line:", as compilers do. */
PP_PRINTF(2, 3)
static int bad(const struct line *at, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return pp_fail(EINVAL, "%s:%u: %s", at->path, at->no, what);
}

static int number(const struct line *at, const char *key, const char *value,
		  unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long n = 0;
	const char *p = value;

	for (; *p >= '0' && *p <= '9'; p++)
		if (n <= 65536)
			n = n * 10 + (unsigned long)(*p - '0');
	if (p == value || *p)
		return bad(at, "%s: \"%.40s\" is not a decimal number", key,
			   value);
	if (n < min || n > max)
		return bad(at, "%s: %s is out of range: allowed is %lu-%lu",
			   key, value, min, max);
	*out = n;
	return 0;
}

static int set_range(const struct line *at, const char *value,
		     struct pp_policy *policy)
{
	struct pp_portlist span = { 0 };
	struct pp_parse_error err;

	if (strcmp(value, "maxuserport") == 0) {
		policy->range_source = PP_RANGE_MAXUSERPORT;
		return 0;
	}
	if (strcmp(value, "system") == 0) {
		policy->range_source = PP_RANGE_SYSTEM;
		return 0;
	}
	/* Exactly "A-B": digits, one '-', digits; nothing else. */
	if (strspn(value, "0123456789-") != strlen(value) ||
	    !strchr(value, '-') || strchr(value, '-') != strrchr(value, '-') ||
	    pp_parse_port_list(value, strlen(value), false, &span, &err) < 0)
		return bad(at, "range: \"%s\" is not maxuserport, system or "
			   "A-B with ports 1-65535 and A <= B", value);
	policy->range_source = PP_RANGE_EXPLICIT;
	policy->range_first = span.span[0].first;
	policy->range_last = span.span[0].last;
	pp_portlist_free(&span);
	return 0;
}

static int add_reservations(const struct line *at, const char *value,
			    struct pp_policy *policy)
{
	struct pp_portlist parsed = { 0 };
	struct pp_parse_error err;
	struct pp_policy_entry *grown;
	char where[96];

	if (pp_parse_port_list(value, strlen(value), false, &parsed,
			       &err) < 0) {
		if (errno != EINVAL)
			return -1;
		snprintf(where, sizeof(where), "%s at offset %zu of the value",
			 err.why, err.offset);
		return bad(at, "reserved_ports \"%.40s\": %s", value, where);
	}
	grown = realloc(policy->entry, (policy->nentry + parsed.n) *
				       sizeof(*grown) + 1);
	if (!grown) {
		pp_portlist_free(&parsed);
		return pp_fail(ENOMEM, "out of memory reading %s", at->path);
	}
	policy->entry = grown;
	for (size_t i = 0; i < parsed.n; i++) {
		grown[policy->nentry].first = parsed.span[i].first;
		grown[policy->nentry].last = parsed.span[i].last;
		grown[policy->nentry].line = at->no;
		policy->nentry++;
	}
	if (pp_portlist_merge(&policy->reserved, &parsed) < 0) {
		pp_portlist_free(&parsed);
		return -1;
	}
	pp_portlist_free(&parsed);
	return 0;
}

/* One "key = value" line, comments and blanks already taken out. */
static int policy_line(const struct line *at, char *text,
		       struct pp_policy *policy)
{
	char *eq = strchr(text, '='), *key, *value;
	unsigned long n = 0;
	unsigned first_line;

	if (!eq)
		return bad(at, "expected \"key = value\", found \"%.40s\"",
			   text);
	*eq = '\0';
	key = trim(text);
	value = trim(eq + 1);
	if (!*key)
		return bad(at, "a line starts with '=': the key is missing");
	if (!*value)
		return bad(at, "%s has no value", key);
	if (strcmp(key, "reserved_ports") == 0)
		return add_reservations(at, value, policy);
	if (strcmp(key, "max_user_port") == 0) {
		if ((first_line = policy->max_user_port_line))
			goto duplicate;
		if (number(at, key, value, PORTPOOL_MAX_USER_PORT_MIN,
			   PORTPOOL_MAX_USER_PORT_MAX, &n) < 0)
			return -1;
		policy->max_user_port = (unsigned)n;
		policy->max_user_port_line = at->no;
		return 0;
	}
	if (strcmp(key, "pool_size") == 0) {
		if ((first_line = policy->pool_size_line))
			goto duplicate;
		if (number(at, key, value, 1, 65535, &n) < 0)
			return -1;
		policy->pool_size = (unsigned)n;
		policy->pool_size_line = at->no;
		return 0;
	}
	if (strcmp(key, "range") == 0) {
		if ((first_line = policy->range_line))
			goto duplicate;
		policy->range_line = at->no;
		return set_range(at, value, policy);
	}
	return bad(at, "unknown key \"%.40s\": known keys are max_user_port, "
		   "range, reserved_ports and pool_size", key);
duplicate:
	return bad(at, "%s is set twice, first on line %u: only "
		   "reserved_ports may repeat", key, first_line);
}

int pp_policy_parse(const char *path, char *text, size_t len,
		    struct pp_policy *policy)
{
	struct line at = { path, 0 };
	char *line = text, *next;
	int rc = 0;

	for (; line && line < text + len && rc == 0; line = next) {
		next = memchr(line, '\n', (size_t)(text + len - line));
		if (next)
			*next++ = '\0';
		at.no++;
		if (strlen(line) > LINE_MAX_BYTES) {
			rc = bad(&at, "line is longer than %u bytes",
				 LINE_MAX_BYTES);
			break;
		}
		line[strcspn(line, "#")] = '\0';
		line = trim(line);
		if (*line)
			rc = policy_line(&at, line, policy);
	}
	return rc;
}

const char *pp_policy_path(const struct portpool_config *cfg)
{
	const char *env;

	if (cfg->policy_path)
		return cfg->policy_path;
	env = secure_getenv("PORTPOOL_CONF");
	return env && *env ? env : PP_POLICY_DEFAULT_PATH;
}

int pp_policy_load(const struct portpool_config *cfg,
		   struct pp_policy *policy)
{
	return pp_policy_read(pp_policy_path(cfg), policy);
}

int pp_policy_read(const char *path, struct pp_policy *policy)
{
	char *text;
	size_t len;
	int rc;

	memset(policy, 0, sizeof(*policy));
	policy->path = path;
	if (pp_read_hostfile(policy->path, PP_POLICY_MAX_BYTES, &text,
			     &len) < 0)
		return -1;
	if (!text)
		return 0;	/* no file: no policy */
	policy->found = true;
	rc = pp_policy_parse(policy->path, text, len, policy);
	free(text);
	if (rc < 0) {
		int err = errno;

		pp_policy_free(policy);
		errno = err;
	}
	return rc;
}
