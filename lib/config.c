/* SPDX-License-Identifier: ISC */
/*
 * The configuration object and its setters.  Every setter checks its
 * input completely before it changes anything, so a refused call leaves
 * the config exactly as it was.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

const char *pp_default_path[PP_PATH_COUNT] = {
	[PP_PATH_PORT_RANGE] = "/proc/sys/net/ipv4/ip_local_port_range",
	[PP_PATH_RESERVED_PORTS] = "/proc/sys/net/ipv4/ip_local_reserved_ports",
	[PP_PATH_SERVICES] = "/etc/services",
};

void pp_config_init(struct portpool_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->size = PORTPOOL_DEFAULT_SIZE;
	cfg->range_source = PP_RANGE_UNSET;
	cfg->family = AF_INET;
	for (int i = 0; i < PP_PATH_COUNT; i++)
		cfg->path[i] = pp_default_path[i];
}

int pp_config_copy(struct portpool_config *dst,
		   const struct portpool_config *src)
{
	struct pp_portlist reserved;
	char *policy_path = NULL;

	if (src->policy_path) {
		policy_path = strdup(src->policy_path);
		if (!policy_path)
			return pp_fail(ENOMEM, "out of memory copying a "
				       "config");
	}
	if (pp_portlist_copy(&reserved, &src->reserved) < 0) {
		free(policy_path);
		return -1;
	}
	if (src->reserved_unsorted)
		pp_portlist_normalize(&reserved);
	*dst = *src;
	dst->reserved = reserved;
	dst->reserved_unsorted = false;
	dst->reserved_settled = reserved.n;
	dst->policy_path = policy_path;
	return 0;
}

void pp_config_release(struct portpool_config *cfg)
{
	pp_portlist_free(&cfg->reserved);
	free(cfg->policy_path);
	cfg->policy_path = NULL;
}

/* The calls that take a config treat NULL as "the defaults". */
const struct portpool_config *
pp_config_or_defaults(const struct portpool_config *cfg,
		      struct portpool_config *defaults)
{
	if (cfg)
		return cfg;
	pp_config_init(defaults);
	return defaults;
}

static int need_config(const struct portpool_config *cfg, const char *fn)
{
	if (cfg)
		return 0;
	return pp_fail(EINVAL, "%s: the config is NULL", fn);
}

PP_EXPORT struct portpool_config *portpool_config_new(void)
{
	struct portpool_config *cfg = malloc(sizeof(*cfg));

	if (!cfg)
		return pp_fail_null(ENOMEM, "out of memory for a config");
	pp_config_init(cfg);
	return cfg;
}

PP_EXPORT void portpool_config_free(struct portpool_config *cfg)
{
	if (!cfg)
		return;
	pp_config_release(cfg);
	free(cfg);
}

PP_EXPORT int portpool_config_set_size(struct portpool_config *cfg,
				       unsigned int size)
{
	if (need_config(cfg, "portpool_config_set_size") < 0)
		return -1;
	if (size < 1 || size > 65535)
		return pp_fail(ERANGE, "pool size %u is out of range: allowed "
			       "is 1-65535", size);
	cfg->size = size;
	cfg->size_set = true;
	return 0;
}

PP_EXPORT int portpool_config_set_max_user_port(struct portpool_config *cfg,
						unsigned int port)
{
	if (need_config(cfg, "portpool_config_set_max_user_port") < 0)
		return -1;
	if (port == 0) {
		/* Unset: the default (or, later, the host's) applies. */
		cfg->range_source = PP_RANGE_UNSET;
		cfg->max_user_port = 0;
		return 0;
	}
	if (port < PORTPOOL_MAX_USER_PORT_MIN ||
	    port > PORTPOOL_MAX_USER_PORT_MAX)
		return pp_fail(ERANGE, "MaxUserPort %u is out of range: "
			       "allowed is %u-%u, or 0 for not set", port,
			       PORTPOOL_MAX_USER_PORT_MIN,
			       PORTPOOL_MAX_USER_PORT_MAX);
	cfg->range_source = PP_RANGE_MAXUSERPORT;
	cfg->max_user_port = port;
	return 0;
}

/* Shared by set_range() and reserve(): both take a span of real ports. */
static int check_span(const char *what, unsigned first, unsigned last)
{
	if (first < 1 || first > 65535 || last < 1 || last > 65535)
		return pp_fail(ERANGE, "%s %u-%u: ports must be 1-65535",
			       what, first, last);
	if (first > last)
		return pp_fail(EINVAL, "%s %u-%u: the first port is above the "
			       "last", what, first, last);
	return 0;
}

PP_EXPORT int portpool_config_set_range(struct portpool_config *cfg,
					unsigned int first, unsigned int last)
{
	if (need_config(cfg, "portpool_config_set_range") < 0)
		return -1;
	if (check_span("range", first, last) < 0)
		return -1;
	cfg->range_source = PP_RANGE_EXPLICIT;
	cfg->range_first = (uint16_t)first;
	cfg->range_last = (uint16_t)last;
	return 0;
}

PP_EXPORT int portpool_config_use_system_range(struct portpool_config *cfg)
{
	if (need_config(cfg, "portpool_config_use_system_range") < 0)
		return -1;
	cfg->range_source = PP_RANGE_SYSTEM;
	return 0;
}

static void settle_reserved(struct portpool_config *cfg)
{
	if (cfg->reserved_unsorted)
		pp_portlist_normalize(&cfg->reserved);
	cfg->reserved_unsorted = false;
	cfg->reserved_settled = cfg->reserved.n;
}

/*
 * Inserting in place moves the whole list for each port given in
 * descending order: quadratic.  A span that goes last is added as it
 * comes; any other is appended and the list sorted later, at the latest
 * when it has doubled, which bounds its size and keeps the total n log n.
 */
static int add_reserved(struct portpool_config *cfg, unsigned first,
			unsigned last)
{
	const struct pp_portlist *list = &cfg->reserved;

	if (!cfg->reserved_unsorted &&
	    (!list->n || first >= list->span[list->n - 1].first))
		return pp_portlist_add(&cfg->reserved, first, last);
	if (pp_portlist_append(&cfg->reserved, first, last) < 0)
		return -1;
	cfg->reserved_unsorted = true;
	if (cfg->reserved.n >= 2 * cfg->reserved_settled + 1024)
		settle_reserved(cfg);
	return 0;
}

PP_EXPORT int portpool_config_reserve(struct portpool_config *cfg,
				      unsigned int first, unsigned int last)
{
	if (need_config(cfg, "portpool_config_reserve") < 0)
		return -1;
	if (check_span("reserved range", first, last) < 0)
		return -1;
	return add_reserved(cfg, first, last);
}

/* Quote a list in a sentence without letting a huge list drown it. */
static const char *excerpt(const char *text, char buf[static 48])
{
	size_t n = pp_escape(text, strlen(text), buf + 1, 48 - 2);

	buf[0] = '"';
	buf[n + 1] = '"';
	buf[n + 2] = '\0';
	return buf;
}

PP_EXPORT int portpool_config_reserve_list(struct portpool_config *cfg,
					   const char *list)
{
	struct pp_parse_error err;
	char quoted[48];

	if (need_config(cfg, "portpool_config_reserve_list") < 0)
		return -1;
	if (!list)
		return pp_fail(EINVAL, "reserve list is NULL: pass \"\" for an "
			       "empty list");
	/* The list is merged in one pass into a sorted one. */
	settle_reserved(cfg);
	if (pp_parse_port_list(list, strlen(list), false, &cfg->reserved,
			       &err) == 0)
		return 0;
	if (errno != EINVAL)
		return -1;	/* out of memory, already said */
	return pp_fail(EINVAL, "reserve list %s: %s at offset %zu",
		       excerpt(list, quoted), err.why, err.offset);
}

PP_EXPORT int portpool_config_set_family(struct portpool_config *cfg,
					 int family)
{
	if (need_config(cfg, "portpool_config_set_family") < 0)
		return -1;
	if (family != AF_INET && family != AF_INET6)
		return pp_fail(EINVAL, "address family %d is not supported: "
			       "allowed are AF_INET (%d) and AF_INET6 (%d)",
			       family, AF_INET, AF_INET6);
	if (cfg->has_address && cfg->address.ss_family != family)
		return pp_fail(EINVAL, "address family %s does not match the "
			       "address %s already set",
			       family == AF_INET ? "AF_INET" : "AF_INET6",
			       cfg->address_text);
	cfg->family = family;
	return 0;
}

/*
 * IPv4 only as a dotted quad: inet_aton's forms ("127.1", "0x7f.1",
 * "2130706433", "010.0.0.1" read as octal) bind an address the admin did
 * not write.
 */
static int parse_ipv4(const char *text, struct portpool_config *cfg)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	if (inet_pton(AF_INET, text, &sin.sin_addr) != 1)
		return -1;
	memset(&cfg->address, 0, sizeof(cfg->address));
	memcpy(&cfg->address, &sin, sizeof(sin));
	cfg->address_len = sizeof(sin);
	return 0;
}

static int parse_ipv6(const char *text, struct portpool_config *cfg)
{
	struct addrinfo hints = { 0 }, *res;
	struct sockaddr_in6 sin6;
	char esc[160];
	int rc;

	hints.ai_flags = AI_NUMERICHOST;
	hints.ai_family = AF_INET6;
	hints.ai_socktype = SOCK_DGRAM;
	rc = getaddrinfo(text, NULL, &hints, &res);
	if (rc == EAI_MEMORY)
		return pp_fail(ENOMEM, "out of memory parsing an address");
	if (rc == EAI_SYSTEM)
		return pp_fail(errno, "cannot parse address \"%s\": %s",
			       PP_ESC(text, esc), strerror(errno));
	if (rc != 0)
		return pp_fail(EINVAL, "address \"%s\" is not a numeric IPv4 "
			       "(dotted quad) or IPv6 address",
			       PP_ESC(text, esc));
	if (res->ai_family != AF_INET6 ||
	    res->ai_addrlen != sizeof(struct sockaddr_in6)) {
		freeaddrinfo(res);
		return pp_fail(EINVAL, "address \"%s\" is not an IPv6 "
			       "address", PP_ESC(text, esc));
	}
	/* A copy: every check below may fail, after the list is freed. */
	memcpy(&sin6, res->ai_addr, sizeof(sin6));
	freeaddrinfo(res);
	if (IN6_IS_ADDR_LINKLOCAL(&sin6.sin6_addr) && !sin6.sin6_scope_id)
		return pp_fail(EINVAL, "address \"%s\" is link-local: name its "
			       "interface, as in %s%%eth0", PP_ESC(text, esc),
			       esc);
	/* A numeric scope is taken as given: it must name an interface. */
	if (sin6.sin6_scope_id) {
		char name[IF_NAMESIZE];

		if (!if_indextoname(sin6.sin6_scope_id, name))
			return pp_fail(EINVAL, "address \"%s\": scope %u names "
				       "no interface of this host",
				       PP_ESC(text, esc),
				       (unsigned)sin6.sin6_scope_id);
	}
	if (IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr))
		return pp_fail(EINVAL, "address \"%s\" is IPv4-mapped: members "
			       "are IPv6-only, give the IPv4 address instead",
			       PP_ESC(text, esc));
	memset(&cfg->address, 0, sizeof(cfg->address));
	memcpy(&cfg->address, &sin6, sizeof(sin6));
	cfg->address_len = sizeof(sin6);
	return 0;
}

PP_EXPORT int portpool_config_set_address(struct portpool_config *cfg,
					  const char *numeric_address)
{
	struct portpool_config work;
	char esc[160];

	if (need_config(cfg, "portpool_config_set_address") < 0)
		return -1;
	if (!numeric_address || !*numeric_address) {
		cfg->has_address = false;
		cfg->address_text[0] = '\0';
		return 0;
	}
	if (strlen(numeric_address) >= sizeof(cfg->address_text)) {
		pp_escape(numeric_address, 20, esc, sizeof(esc));
		return pp_fail(EINVAL, "address \"%s...\" is too long for a "
			       "numeric address", esc);
	}
	/* Parsed aside: a refused address leaves cfg as it was. */
	work = *cfg;
	if (strchr(numeric_address, ':')) {
		if (parse_ipv6(numeric_address, &work) < 0)
			return -1;
		work.family = AF_INET6;
	} else {
		if (parse_ipv4(numeric_address, &work) < 0)
			return pp_fail(EINVAL, "address \"%s\" is not a "
				       "numeric IPv4 address (a dotted quad "
				       "of decimal numbers 0-255) or IPv6 "
				       "address",
				       PP_ESC(numeric_address, esc));
		work.family = AF_INET;
	}
	cfg->address = work.address;
	cfg->address_len = work.address_len;
	cfg->family = work.family;
	cfg->has_address = true;
	/* Kept for sentences: a scope's interface name may hold anything. */
	pp_escape(numeric_address, strlen(numeric_address), cfg->address_text,
		  sizeof(cfg->address_text));
	return 0;
}

PP_EXPORT int portpool_config_set_flags(struct portpool_config *cfg,
					unsigned int flags)
{
	if (need_config(cfg, "portpool_config_set_flags") < 0)
		return -1;
	if (flags & ~PORTPOOL_FLAGS_ALL)
		return pp_fail(EINVAL, "flags 0x%x hold unknown bits 0x%x: "
			       "known flags are 0x%x", flags,
			       flags & ~PORTPOOL_FLAGS_ALL, PORTPOOL_FLAGS_ALL);
	cfg->flags = flags;
	return 0;
}

/* path as an absolute path: a daemon's chdir must not lose its file. */
static char *absolute(const char *path)
{
	char *cwd, *out;
	size_t size;

	if (path[0] == '/') {
		out = strdup(path);
		if (!out)
			pp_fail(ENOMEM, "out of memory for a file name");
		return out;
	}
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return pp_fail_null(errno, "cannot make the policy file name "
				    "absolute: getcwd: %s", strerror(errno));
	size = strlen(cwd) + strlen(path) + 2;
	out = malloc(size);
	if (!out) {
		free(cwd);
		return pp_fail_null(ENOMEM, "out of memory for a file name");
	}
	snprintf(out, size, "%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "", path);
	free(cwd);
	return out;
}

PP_EXPORT int portpool_config_set_policy_file(struct portpool_config *cfg,
					      const char *path)
{
	struct pp_policy policy;
	char *copy, esc[160];

	if (need_config(cfg, "portpool_config_set_policy_file") < 0)
		return -1;
	if (!path) {
		free(cfg->policy_path);
		cfg->policy_path = NULL;
		return 0;
	}
	if (!*path)
		return pp_fail(EINVAL, "policy file name is empty: pass NULL "
			       "for none");
	copy = absolute(path);
	if (!copy)
		return -1;
	/* Read it now, so that a bad file is the caller's error here. */
	if (pp_policy_read(copy, &policy) < 0) {
		int err = errno;

		free(copy);
		errno = err;
		return -1;
	}
	if (!policy.found) {
		free(copy);
		return pp_fail(ENOENT, "policy file %s does not exist",
			       PP_ESC(path, esc));
	}
	pp_policy_free(&policy);
	free(cfg->policy_path);
	cfg->policy_path = copy;
	return 0;
}
