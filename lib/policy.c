/* SPDX-License-Identifier: ISC */
/*
 * The host policy, portpool.conf(5): what the administrator sets for
 * every program on the host, as Windows has ReservedPorts, MaxUserPort
 * and SocketPoolSize.  It is read in layers: the host file, then every
 * drop-in of portpool.conf.d in lexical order (packages add their
 * reservations there), then the program's own file.  Reservations of
 * every layer add up and always apply; for the scalar keys a later file
 * beats an earlier one, and the program's setters beat them all.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define LINE_MAX_BYTES 4096u

#ifndef PP_SYSCONFDIR
#error "PP_SYSCONFDIR is the build's sysconfdir: the Makefile defines it"
#endif

/* The one place the build's sysconfdir is used; tests point it away. */
const char *pp_policy_dir = PP_SYSCONFDIR;

void pp_policy_free(struct pp_policy *policy)
{
	pp_portlist_free(&policy->reserved);
	free(policy->entry);
	policy->entry = NULL;
	policy->nentry = 0;
	for (size_t i = 0; i < policy->nfiles; i++)
		free(policy->files[i]);
	free(policy->files);
	policy->files = NULL;
	policy->nfiles = 0;
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

/* Where a line is, and what this file (not an earlier one) has set. */
struct line {
	const char *path;
	unsigned no;
	unsigned range_line, max_user_port_line, pool_size_line;
};

/* Every sentence about the file starts "path:line:", as compilers do. */
PP_PRINTF(2, 3)
static int bad(const struct line *at, const char *fmt, ...)
{
	char what[320], esc[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return pp_fail(EINVAL, "%s:%u: %s", PP_ESC(at->path, esc), at->no,
		       what);
}

static int number(const struct line *at, const char *key, const char *value,
		  unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long n = 0;
	const char *p = value;
	char esc[64];

	for (; *p >= '0' && *p <= '9'; p++)
		if (n <= 65536)
			n = n * 10 + (unsigned long)(*p - '0');
	if (p == value || *p)
		return bad(at, "%s: \"%s\" is not a decimal number", key,
			   PP_ESC(value, esc));
	if (n < min || n > max)
		return bad(at, "%s: %s is out of range: allowed is %lu-%lu",
			   key, PP_ESC(value, esc), min, max);
	*out = n;
	return 0;
}

static int set_range(const struct line *at, const char *value,
		     struct pp_policy *policy)
{
	struct pp_portlist span = { 0 };
	struct pp_parse_error err;
	char esc[64];

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
			   "A-B with ports 1-65535 and A <= B",
			   PP_ESC(value, esc));
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
	char where[96], esc[64];

	/*
	 * 0 is valid ip_local_reserved_ports content, which admins copy
	 * here unchanged; it is never a candidate, so it is dropped.
	 */
	if (pp_parse_port_list(value, strlen(value), true, &parsed,
			       &err) < 0) {
		if (errno != EINVAL)
			return -1;
		snprintf(where, sizeof(where), "%s at offset %zu of the value",
			 err.why, err.offset);
		return bad(at, "reserved_ports \"%s\": %s",
			   PP_ESC(value, esc), where);
	}
	if (parsed.n && parsed.span[0].first == 0) {
		if (parsed.span[0].last == 0) {
			memmove(&parsed.span[0], &parsed.span[1],
				(parsed.n - 1) * sizeof(*parsed.span));
			parsed.n--;
		} else {
			parsed.span[0].first = 1;
		}
	}
	grown = realloc(policy->entry, (policy->nentry + parsed.n) *
				       sizeof(*grown) + 1);
	if (!grown) {
		pp_portlist_free(&parsed);
		return pp_fail(ENOMEM, "out of memory reading %s",
			       PP_ESC(at->path, where));
	}
	policy->entry = grown;
	for (size_t i = 0; i < parsed.n; i++) {
		grown[policy->nentry].first = parsed.span[i].first;
		grown[policy->nentry].last = parsed.span[i].last;
		grown[policy->nentry].line = at->no;
		grown[policy->nentry].file = at->path;
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
static int policy_line(struct line *at, char *text, struct pp_policy *policy)
{
	char *eq = strchr(text, '='), *key, *value;
	unsigned long n = 0;
	unsigned first_line;
	char esc[64];

	if (!eq)
		return bad(at, "expected \"key = value\", found \"%s\"",
			   PP_ESC(text, esc));
	*eq = '\0';
	key = trim(text);
	value = trim(eq + 1);
	if (!*key)
		return bad(at, "a line starts with '=': the key is missing");
	if (!*value)
		return bad(at, "%s has no value", PP_ESC(key, esc));
	if (strcmp(key, "reserved_ports") == 0)
		return add_reservations(at, value, policy);
	if (strcmp(key, "max_user_port") == 0) {
		if ((first_line = at->max_user_port_line))
			goto duplicate;
		if (number(at, key, value, PORTPOOL_MAX_USER_PORT_MIN,
			   PORTPOOL_MAX_USER_PORT_MAX, &n) < 0)
			return -1;
		policy->max_user_port = (unsigned)n;
		policy->max_user_port_line = at->max_user_port_line = at->no;
		return 0;
	}
	if (strcmp(key, "pool_size") == 0) {
		if ((first_line = at->pool_size_line))
			goto duplicate;
		if (number(at, key, value, 1, 65535, &n) < 0)
			return -1;
		policy->pool_size = (unsigned)n;
		policy->pool_size_line = at->pool_size_line = at->no;
		return 0;
	}
	if (strcmp(key, "range") == 0) {
		if ((first_line = at->range_line))
			goto duplicate;
		at->range_line = at->no;
		if (set_range(at, value, policy) < 0)
			return -1;
		policy->range_line = at->no;
		return 0;
	}
	return bad(at, "unknown key \"%s\": known keys are max_user_port, "
		   "range, reserved_ports and pool_size", PP_ESC(key, esc));
duplicate:
	return bad(at, "%s is set twice, first on line %u: only "
		   "reserved_ports may repeat", key, first_line);
}

/*
 * One file's text, layered onto what earlier files set.  The caller
 * keeps path alive as long as the policy: entries point to it.
 */
int pp_policy_parse(const char *path, char *text, size_t len,
		    struct pp_policy *policy)
{
	struct line at = { .path = path };
	char *line = text, *next;
	int rc = 0;

	/* A UTF-8 byte-order mark, as Windows editors write one. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		line += 3;
	for (; line && line < text + len && rc == 0; line = next) {
		size_t length;

		next = memchr(line, '\n', (size_t)(text + len - line));
		if (next)
			*next++ = '\0';
		at.no++;
		length = strlen(line);
		/* The CR of a CRLF line ends it; it is not content. */
		if (length && line[length - 1] == '\r')
			length--;
		if (length > LINE_MAX_BYTES) {
			rc = bad(&at, "line is longer than %u bytes",
				 LINE_MAX_BYTES);
			break;
		}
		line[strcspn(line, "#")] = '\0';
		line = trim(line);
		if (*line)
			rc = policy_line(&at, line, policy);
	}
	/*
	 * max_user_port alone chooses the maxuserport range, so in a later
	 * file it beats the range an earlier file chose.
	 */
	if (rc == 0 && at.max_user_port_line && !at.range_line &&
	    policy->range_source != PP_RANGE_UNSET) {
		policy->range_source = PP_RANGE_MAXUSERPORT;
		policy->range_line = at.max_user_port_line;
	}
	return rc;
}

/* A copy of path that lives as long as the policy. */
static const char *keep_path(struct pp_policy *policy, const char *path)
{
	char **grown, *copy;

	grown = realloc(policy->files, (policy->nfiles + 1) *
			sizeof(*grown));
	if (!grown)
		return pp_fail_null(ENOMEM, "out of memory for a file name");
	policy->files = grown;
	copy = strdup(path);
	if (!copy)
		return pp_fail_null(ENOMEM, "out of memory for a file name");
	grown[policy->nfiles++] = copy;
	return copy;
}

/* One layer: a missing file adds nothing. */
int pp_policy_add_file(struct pp_policy *policy, const char *path)
{
	const char *kept;
	char *text;
	size_t len;
	int rc;

	if (pp_read_file(path, PP_POLICY_MAX_BYTES, PP_READ_STRICT_OWNER,
			 &text, &len) < 0)
		return -1;
	if (!text)
		return 0;	/* no file: nothing from it */
	kept = keep_path(policy, path);
	if (!kept) {
		free(text);
		return -1;
	}
	policy->found = true;
	policy->path = kept;
	rc = pp_policy_parse(kept, text, len, policy);
	free(text);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A drop-in is a visible file named *.conf, as in systemd's .d dirs. */
static int is_drop_in(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 5 &&
	       strcmp(name + len - 5, ".conf") == 0;
}

/*
 * portpool.conf.d/\*.conf in lexical (byte) order, whatever the locale,
 * so every program on the host layers them alike.
 */
static int add_drop_ins(struct pp_policy *policy, const char *dir)
{
	char **names = NULL, esc[160], *path;
	size_t n = 0, cap = 0;
	struct dirent *d;
	DIR *dp;
	int fd, rc = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return pp_fail(errno, "cannot open %s: %s", PP_ESC(dir, esc),
			       strerror(errno));
	}
	dp = fdopendir(fd);
	if (!dp) {
		pp_close_keep_errno(fd);
		return pp_fail(errno, "cannot read %s: %s", PP_ESC(dir, esc),
			       strerror(errno));
	}
	errno = 0;
	while (rc == 0 && (d = readdir(dp))) {
		char **grown;

		if (!is_drop_in(d->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			grown = realloc(names, cap * sizeof(*names));
			if (!grown) {
				rc = pp_fail(ENOMEM, "out of memory reading "
					     "%s", PP_ESC(dir, esc));
				break;
			}
			names = grown;
		}
		if (!(names[n] = strdup(d->d_name))) {
			rc = pp_fail(ENOMEM, "out of memory reading %s",
				     PP_ESC(dir, esc));
			break;
		}
		n++;
	}
	if (rc == 0 && errno)
		rc = pp_fail(errno, "cannot read %s: %s", PP_ESC(dir, esc),
			     strerror(errno));
	closedir(dp);
	if (rc == 0 && n)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t size = strlen(dir) + strlen(names[i]) + 2;

		path = malloc(size);
		if (!path) {
			rc = pp_fail(ENOMEM, "out of memory reading %s",
				     PP_ESC(dir, esc));
			break;
		}
		snprintf(path, size, "%s/%s", dir, names[i]);
		rc = pp_policy_add_file(policy, path);
		free(path);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* The host layers: $PORTPOOL_CONF alone, or the file and its drop-ins. */
static int add_host_policy(struct pp_policy *policy)
{
	const char *env = secure_getenv("PORTPOOL_CONF");
	size_t size = strlen(pp_policy_dir) + sizeof("/portpool.conf.d");
	char *path;
	int rc;

	if (env && *env)
		return pp_policy_add_file(policy, env);
	path = malloc(size);
	if (!path)
		return pp_fail(ENOMEM, "out of memory for a file name");
	snprintf(path, size, "%s/portpool.conf", pp_policy_dir);
	rc = pp_policy_add_file(policy, path);
	if (rc == 0) {
		snprintf(path, size, "%s/portpool.conf.d", pp_policy_dir);
		rc = add_drop_ins(policy, path);
	}
	free(path);
	return rc;
}

static int failed(struct pp_policy *policy)
{
	int err = errno;

	pp_policy_free(policy);
	errno = err;
	return -1;
}

int pp_policy_load(const struct portpool_config *cfg,
		   struct pp_policy *policy)
{
	memset(policy, 0, sizeof(*policy));
	if (add_host_policy(policy) < 0)
		return failed(policy);
	/* The program's file adds to the host's, never replaces it. */
	if (cfg->policy_path && pp_policy_add_file(policy,
						   cfg->policy_path) < 0)
		return failed(policy);
	return 0;
}

int pp_policy_read(const char *path, struct pp_policy *policy)
{
	memset(policy, 0, sizeof(*policy));
	if (pp_policy_add_file(policy, path) < 0)
		return failed(policy);
	return 0;
}
