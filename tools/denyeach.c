// SPDX-License-Identifier: ISC
/*
 * The deny set read a source at a time, for libportpool-preload.so: a
 * source that cannot be read keeps none of the others out.
 *
 * The library reads the host policy with every source it is asked for,
 * so a policy it refuses would take the kernel's list down with it.
 * Here the kernel's list is read without the policy, by the library's
 * own reader (lib/internal.h): the shim carries libportpool.a, which
 * has it.  The guard, which links the shared library, never uses this
 * file: its deny set is whole or not at all (deny_set_fill).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <portpool.h>

#include "denyset.h"
#include "internal.h"
#include "kernlist.h"

int deny_kernel_alone(uint64_t map[DENY_WORDS])
{
	struct pp_portlist list = { 0 };

	memset(map, 0, DENY_WORDS * sizeof(map[0]));
	if (pp_read_reserved_ports(KERNLIST_PATH, &list) < 0)
		return -1;
	for (size_t i = 0; i < list.n; i++)
		for (unsigned p = list.span[i].first; p <= list.span[i].last;
		     p++)
			map[p >> 6] |= 1ULL << (p & 63);
	pp_portlist_free(&list);
	return 0;
}

/* The one source src alone into one; -1 with portpool_error(). */
static int fill_one(enum portpool_source src, const char *extra,
		    uint64_t *one)
{
	struct portpool_config *cfg;
	unsigned int flags = PORTPOOL_NO_HOST_SOURCES;
	int rc = -1;

	if (src == PORTPOOL_SOURCE_KERNEL)
		return deny_kernel_alone(one);
	cfg = portpool_config_new();
	if (!cfg)
		return -1;
	if (src == PORTPOOL_SOURCE_WELL_KNOWN)
		flags &= ~PORTPOOL_NO_WELL_KNOWN;
	if (src == PORTPOOL_SOURCE_ETC_SERVICES)
		flags &= ~PORTPOOL_NO_ETC_SERVICES;
	if (portpool_config_set_flags(cfg, flags) == 0 &&
	    (!extra || portpool_config_reserve_list(cfg, extra) == 0))
		rc = portpool_source_map(cfg, src, one);
	portpool_config_free(cfg);
	return rc < 0 ? -1 : 0;
}

int deny_set_fill_each(unsigned int sources, const char *extra,
		       uint64_t map[DENY_WORDS], char *why, size_t size)
{
	static const enum portpool_source order[] = {
		PORTPOOL_SOURCE_POLICY, PORTPOOL_SOURCE_KERNEL,
		PORTPOOL_SOURCE_WELL_KNOWN, PORTPOOL_SOURCE_ETC_SERVICES,
		PORTPOOL_SOURCE_CALLER,
	};
	uint64_t *one = malloc(DENY_WORDS * sizeof(*one));
	size_t used = 0;
	int ports = 0;

	memset(map, 0, DENY_WORDS * sizeof(map[0]));
	why[0] = '\0';
	if (!one) {
		snprintf(why, size, "every source: out of memory");
		return 0;
	}
	if (extra)
		sources |= 1u << PORTPOOL_SOURCE_CALLER;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		enum portpool_source src = order[i];
		int n;

		if (!(sources & (1u << src)))
			continue;
		if (fill_one(src, extra, one) == 0) {
			for (size_t w = 0; w < DENY_WORDS; w++)
				map[w] |= one[w];
			continue;
		}
		n = snprintf(why + used, size - used, "%s%s: %s",
			     used ? "; " : "", portpool_source_name(src),
			     portpool_error());
		if (n > 0)
			used += (size_t)n < size - used ? (size_t)n :
				size - used - 1;
	}
	free(one);
	map[0] &= ~1ULL;
	for (size_t w = 0; w < DENY_WORDS; w++)
		ports += __builtin_popcountll(map[w]);
	return ports;
}
