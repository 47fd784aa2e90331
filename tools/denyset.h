/* SPDX-License-Identifier: ISC */
/*
 * The deny set shared by portpool-guard and libportpool-preload.so: the
 * ports an explicit UDP bind must not take, as a 65,536-bit map.  Read
 * through the library's public API only (denyset.c, kernlist.c), so
 * that the guard links the shared library; denyeach.c is the shim's.
 */
#ifndef PORTPOOL_DENYSET_H
#define PORTPOOL_DENYSET_H

#include <stddef.h>
#include <stdint.h>

/*
 * The host policy file as this build's library reads it: the Makefile
 * passes the build's sysconfdir, the one place that names it.
 */
#define DENYSET_POLICY_FILE PP_SYSCONFDIR "/portpool.conf"

#define DENY_WORDS 1024		/* 65,536 bits */

/* Sources, as bits 1u << PORTPOOL_SOURCE_*; the default is these two. */
#define DENY_DEFAULT_SOURCES	((1u << PORTPOOL_SOURCE_POLICY) | \
				 (1u << PORTPOOL_SOURCE_KERNEL))

static inline int deny_has(const uint64_t *map, unsigned int port)
{
	return (map[(port >> 6) & (DENY_WORDS - 1)] >> (port & 63)) & 1;
}

/* Parse a source token ("policy", "kernel", "well-known", "services") or
 * a comma-separated list of them into *sources; -1 on an unknown one. */
int deny_parse_sources(const char *list, unsigned int *sources);

/* Fill map from the sources and an extra reservation list (NULL: none);
 * returns the number of ports, or -1 with errno and portpool_error(). */
int deny_set_fill(unsigned int sources, const char *extra,
		  uint64_t map[DENY_WORDS]);

/*
 * Each source of sources (and extra) read alone into map, so that one
 * that cannot be read keeps none of the others out: the number of ports
 * of those read, and in why ("" when every one was read) each source
 * that was not, with the reason.  In denyeach.c, which reads the
 * kernel's list without the policy through the library's internals:
 * libportpool-preload.so's (and its test's) only, never the guard's.
 */
int deny_set_fill_each(unsigned int sources, const char *extra,
		       uint64_t map[DENY_WORDS], char *why, size_t size);

/* The kernel's list without the policy (denyeach.c, as above); 0, or -1
 * with errno and portpool_error(). */
int deny_kernel_alone(uint64_t map[DENY_WORDS]);

/*
 * A digest of what the deny set is made of (the policy files' stat data
 * and the ports of the kernel's list, as kernel reads them: kernlist_read
 * or deny_kernel_alone), so that a watcher re-reads only when one of
 * them changed.
 */
uint64_t deny_inputs_digest(int (*kernel)(uint64_t *map));

#endif
