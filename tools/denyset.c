// SPDX-License-Identifier: ISC
/*
 * The deny set: the host policy's reserved_ports and the kernel's
 * ip_local_reserved_ports by default, more sources on request.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <portpool.h>

#include "denyset.h"

static const struct {
	const char *name;
	enum portpool_source source;
} source_names[] = {
	{ "policy", PORTPOOL_SOURCE_POLICY },
	{ "kernel", PORTPOOL_SOURCE_KERNEL },
	{ "well-known", PORTPOOL_SOURCE_WELL_KNOWN },
	{ "services", PORTPOOL_SOURCE_ETC_SERVICES },
};

#define NSOURCES (sizeof(source_names) / sizeof(source_names[0]))

int deny_parse_sources(const char *list, unsigned int *sources)
{
	unsigned int bits = 0;
	const char *p = list;

	while (*p) {
		size_t len = strcspn(p, ",");
		size_t i;

		for (i = 0; i < NSOURCES; i++)
			if (strlen(source_names[i].name) == len &&
			    !strncmp(p, source_names[i].name, len))
				break;
		if (i == NSOURCES) {
			errno = EINVAL;
			return -1;
		}
		bits |= 1u << source_names[i].source;
		p += len;
		if (*p == ',')
			p++;
	}
	*sources = bits;
	return 0;
}

/*
 * The one place the deny set is read: each source's ports over the whole
 * port space (portpool_source_map), not only an ephemeral range's.
 */
int deny_set_fill(unsigned int sources, const char *extra,
		  uint64_t map[DENY_WORDS])
{
	static const enum portpool_source order[] = {
		PORTPOOL_SOURCE_POLICY, PORTPOOL_SOURCE_KERNEL,
		PORTPOOL_SOURCE_WELL_KNOWN, PORTPOOL_SOURCE_ETC_SERVICES,
		PORTPOOL_SOURCE_CALLER,
	};
	struct portpool_config *cfg = portpool_config_new();
	uint64_t *one = malloc(DENY_WORDS * sizeof(*one));
	unsigned int flags = 0;
	int ports = 0, saved;

	memset(map, 0, DENY_WORDS * sizeof(map[0]));
	if (!cfg || !one)
		goto fail;
	if (extra)
		sources |= 1u << PORTPOOL_SOURCE_CALLER;
	/* Host files of sources not asked for are not even read. */
	if (!(sources & (1u << PORTPOOL_SOURCE_KERNEL)))
		flags |= PORTPOOL_NO_KERNEL_RESERVED;
	if (!(sources & (1u << PORTPOOL_SOURCE_WELL_KNOWN)))
		flags |= PORTPOOL_NO_WELL_KNOWN;
	if (!(sources & (1u << PORTPOOL_SOURCE_ETC_SERVICES)))
		flags |= PORTPOOL_NO_ETC_SERVICES;
	if (portpool_config_set_flags(cfg, flags) < 0 ||
	    (extra && portpool_config_reserve_list(cfg, extra) < 0))
		goto fail;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(sources & (1u << order[i])))
			continue;
		if (portpool_source_map(cfg, order[i], one) < 0)
			goto fail;
		for (size_t w = 0; w < DENY_WORDS; w++)
			map[w] |= one[w];
	}
	free(one);
	portpool_config_free(cfg);
	/* Port 0 is the kernel's choice: never denied. */
	map[0] &= ~1ULL;
	for (size_t w = 0; w < DENY_WORDS; w++)
		ports += __builtin_popcountll(map[w]);
	return ports;
fail:
	saved = errno ? errno : ENOMEM;
	free(one);
	portpool_config_free(cfg);
	memset(map, 0, DENY_WORDS * sizeof(map[0]));
	errno = saved;
	return -1;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	/* FNV-1a over the value's bytes: not secure, only a change test. */
	for (int i = 0; i < 8; i++) {
		h ^= (v >> (8 * i)) & 0xff;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t mix_stat(uint64_t h, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return mix(h, (uint64_t)errno);
	h = mix(h, (uint64_t)st.st_ino);
	h = mix(h, (uint64_t)st.st_size);
	h = mix(h, (uint64_t)st.st_mtim.tv_sec);
	h = mix(h, (uint64_t)st.st_mtim.tv_nsec);
	return mix(h, (uint64_t)st.st_ctim.tv_nsec);
}

uint64_t deny_inputs_digest(int (*kernel)(uint64_t *map))
{
	const char *conf = secure_getenv("PORTPOOL_CONF");
	uint64_t h = 0xcbf29ce484222325ULL;
	uint64_t *map;
	DIR *dir;

	if (conf && *conf) {
		h = mix_stat(h, conf);
	} else {
		h = mix_stat(h, DENYSET_POLICY_FILE);
		h = mix_stat(h, DENYSET_POLICY_FILE ".d");
		dir = opendir(DENYSET_POLICY_FILE ".d");
		while (dir) {
			struct dirent *e = readdir(dir);
			char path[512];

			if (!e)
				break;
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s.d/%s",
				 DENYSET_POLICY_FILE, e->d_name);
			h = mix_stat(h, path);
		}
		if (dir)
			closedir(dir);
	}
	/*
	 * A /proc file has no useful mtime: the ports of the kernel's list
	 * are the digest, as the deny set reads them (whole); a failure is
	 * part of the digest too.
	 */
	map = malloc(DENY_WORDS * sizeof(*map));
	if (!map || kernel(map) < 0) {
		h = mix(h, (uint64_t)(errno ? errno : ENOMEM));
	} else {
		for (size_t w = 0; w < DENY_WORDS; w++)
			h = mix(h, map[w]);
	}
	free(map);
	return h;
}
