/* SPDX-License-Identifier: ISC */
/*
 * The effective range: [first, last] from one range source, whichever
 * the program set last (maxuserport by default, as Windows does).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#if defined(__FreeBSD__) || defined(__APPLE__) || defined(__NetBSD__) || \
	defined(__OpenBSD__)
#include <sys/types.h>
#include <sys/sysctl.h>
#endif

#include "internal.h"

#if defined(__linux__)
int pp_system_range(const char *path, uint16_t *first, uint16_t *last)
{
	struct pp_parse_error err;
	char esc[160];
	size_t len;
	char *text;

	if (pp_read_hostfile(path, PP_RANGE_TEXT_MAX, &text, &len) < 0)
		return -1;
	if (!text)
		return pp_fail(ENOENT, "the system port range is unknown: %s "
			       "does not exist", PP_ESC(path, esc));
	if (pp_parse_port_range(text, len, first, last, &err) < 0) {
		free(text);
		return pp_fail(EINVAL, "%s: %s at offset %zu",
			       PP_ESC(path, esc), err.why, err.offset);
	}
	free(text);
	return 0;
}
#elif defined(__FreeBSD__) || defined(__APPLE__)
static int read_sysctl_port(const char *name, uint16_t *port)
{
	int value;
	size_t len = sizeof(value);

	if (sysctlbyname(name, &value, &len, NULL, 0) != 0)
		return pp_fail(errno, "sysctl %s: %s", name, strerror(errno));
	if (value < 1 || value > 65535)
		return pp_fail(EINVAL, "sysctl %s is %d, not a port", name,
			       value);
	*port = (uint16_t)value;
	return 0;
}

int pp_system_range(const char *path, uint16_t *first, uint16_t *last)
{
	(void)path;
	/* The range the kernel itself picks from for a port-0 bind. */
	if (read_sysctl_port("net.inet.ip.portrange.first", first) < 0 ||
	    read_sysctl_port("net.inet.ip.portrange.last", last) < 0)
		return -1;
	if (*first > *last) {
		uint16_t t = *first;	/* BSD allows either order */

		*first = *last;
		*last = t;
	}
	return 0;
}
#else
int pp_system_range(const char *path, uint16_t *first, uint16_t *last)
{
	(void)path;
	(void)first;
	(void)last;
	return pp_fail(ENOSYS, "the system port range cannot be read on this "
		       "system: use an explicit range");
}
#endif

/* The program's range source wins; where it set none, the policy's. */
static enum pp_range_source source_of(const struct portpool_config *cfg,
				      const struct pp_policy *policy)
{
	if (cfg->range_source != PP_RANGE_UNSET || !policy)
		return cfg->range_source;
	if (policy->range_source == PP_RANGE_UNSET && policy->max_user_port)
		return PP_RANGE_MAXUSERPORT;	/* MaxUserPort alone */
	return policy->range_source;
}

int pp_range_resolve(const struct portpool_config *cfg,
		     const struct pp_policy *policy, uint16_t *first,
		     uint16_t *last)
{
	bool own = cfg->range_source != PP_RANGE_UNSET || !policy;
	unsigned max_user_port = own ? cfg->max_user_port :
				       policy->max_user_port;

	switch (source_of(cfg, policy)) {
	case PP_RANGE_MAXUSERPORT:
		if (!max_user_port)
			break;
		*first = PORTPOOL_MAX_USER_PORT_FIRST;
		*last = (uint16_t)max_user_port;
		return 0;
	case PP_RANGE_SYSTEM:
		return pp_system_range(cfg->path[PP_PATH_PORT_RANGE], first,
				       last);
	case PP_RANGE_EXPLICIT:
		*first = own ? cfg->range_first : policy->range_first;
		*last = own ? cfg->range_last : policy->range_last;
		return 0;
	case PP_RANGE_UNSET:
		break;
	}
	*first = PORTPOOL_DYNAMIC_FIRST;
	*last = PORTPOOL_DYNAMIC_LAST;
	return 0;
}

const char *pp_range_source_name(const struct portpool_config *cfg,
				 const struct pp_policy *policy)
{
	switch (source_of(cfg, policy)) {
	case PP_RANGE_MAXUSERPORT:
		return "maxuserport";
	case PP_RANGE_SYSTEM:
		return "system";
	case PP_RANGE_EXPLICIT:
		return "explicit";
	case PP_RANGE_UNSET:
		break;
	}
	return "maxuserport";
}

/*
 * The stable word for scripts: unlike the name above, it tells the
 * default range apart from a MaxUserPort one.
 */
const char *pp_range_token(const struct portpool_config *cfg,
			   const struct pp_policy *policy)
{
	bool own = cfg->range_source != PP_RANGE_UNSET || !policy;

	switch (source_of(cfg, policy)) {
	case PP_RANGE_MAXUSERPORT:
		if (own ? cfg->max_user_port : policy->max_user_port)
			return "maxuserport";
		break;
	case PP_RANGE_SYSTEM:
		return "system";
	case PP_RANGE_EXPLICIT:
		return "explicit";
	case PP_RANGE_UNSET:
		break;
	}
	return "default";
}

PP_EXPORT int portpool_effective_range(const struct portpool_config *cfg,
				       uint16_t *first, uint16_t *last)
{
	struct portpool_config defaults;
	struct pp_policy policy;
	uint16_t lo = 0, hi = 0;
	int rc;

	if (!first || !last)
		return pp_fail(EINVAL, "portpool_effective_range: first and "
			       "last must not be NULL");
	cfg = pp_config_or_defaults(cfg, &defaults);
	if (pp_policy_load(cfg, &policy) < 0)
		return -1;
	rc = pp_range_resolve(cfg, &policy, &lo, &hi);
	pp_policy_free(&policy);
	if (rc < 0)
		return -1;
	*first = lo;
	*last = hi;
	return 0;
}
