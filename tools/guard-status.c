// SPDX-License-Identifier: ISC
/*
 * portpool-guard status: the deny set, where the programs are attached
 * and what they refused, as text or JSON.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "guard.h"
#include "guard-metrics.h"
#include "out.h"

int cmd_status(int argc, char **argv)
{
	static uint64_t map[DENY_WORDS];
	static char ranges[RANGES_MAX];
	bool json = argc == 2 && !strcmp(argv[1], "--json");
	bool metrics = argc == 2 && !strcmp(argv[1], "--metrics");
	const __u64 *counts;
	unsigned long long total = 0;
	__u32 zero = 0;
	int fd, ports = 0;
	bool first = true;

	if (argc > 2 || (argc == 2 && !json && !metrics))
		usage();
	fd = pin_get(PIN_DENY);
	if (fd < 0)
		return not_loaded();
	if (bpf_map_lookup_elem(fd, &zero, map) < 0) {
		close(fd);
		return fail("reading the deny set: %s", strerror(errno));
	}
	close(fd);
	for (size_t w = 0; w < DENY_WORDS; w++)
		ports += __builtin_popcountll(map[w]);
	format_ranges(map, ranges, sizeof(ranges));
	fd = pin_get(PIN_REFUSED);
	if (fd < 0)
		return not_loaded();
	counts = mmap(NULL, 65536 * sizeof(__u64), PROT_READ, MAP_SHARED, fd,
		      0);
	close(fd);
	if (counts == MAP_FAILED)
		return fail("reading the counters: %s", strerror(errno));
	if (find_attached() < 0) {
		munmap((void *)counts, 65536 * sizeof(__u64));
		return fail("finding attached cgroups: %s", strerror(errno));
	}
	if (metrics) {
		struct guard_metrics m = { .deny = map, .refused = counts };
		int rc;

		for (size_t i = 0; i < nfound; i++) {
			m.attached_bind4 += found[i].mask & 1;
			m.attached_bind6 += (found[i].mask & 2) >> 1;
		}
		rc = guard_metrics(stdout, &m) < 0 ?
		     fail("writing the metrics: %s", strerror(errno)) : 0;
		munmap((void *)counts, 65536 * sizeof(__u64));
		free(found);
		found = NULL;
		return rc;
	}
	if (json) {
		printf("{\"pin_dir\":");
		json_string(stdout, pin_dir);
		printf(",\"deny_ports\":");
		json_int(stdout, ports);
		printf(",\"deny\":");
		json_string(stdout, ranges);
		printf(",\"attached\":[");
		for (size_t i = 0; i < nfound; i++) {
			printf("%s{\"cgroup\":", i ? "," : "");
			json_string(stdout, found[i].path);
			printf(",\"bind4\":%s,\"bind6\":%s,\"id\":",
			       found[i].mask & 1 ? "true" : "false",
			       found[i].mask & 2 ? "true" : "false");
			json_uint(stdout, found[i].id);
			putchar('}');
		}
		printf("],\"refused\":{");
	} else {
		/* Names from outside (a delegated cgroup's) may hold any
		 * byte: escaped, as the library's sentences are. */
		printf("pin dir: ");
		text_string(stdout, pin_dir);
		printf("\ndeny set: %d ports%s%s\n", ports, ports ? ": " : "",
		       ranges);
		for (size_t i = 0; i < nfound; i++) {
			printf("attached: ");
			text_string(stdout, found[i].path);
			printf(" (%s%s%s)\n", found[i].mask & 1 ? "bind4" : "",
			       found[i].mask == 3 ? ", " : "",
			       found[i].mask & 2 ? "bind6" : "");
		}
		if (!nfound)
			printf("attached: nowhere\n");
		printf("refused:");
	}
	for (unsigned int p = 0; p < 65536; p++) {
		if (!counts[p])
			continue;
		total += counts[p];
		printf(json ? "%s\"%u\":%llu" : "%s %u:%llu",
		       json && !first ? "," : "", p,
		       (unsigned long long)counts[p]);
		first = false;
	}
	if (json)
		printf("},\"refused_total\":%llu}\n", total);
	else
		printf("%s (total %llu)\n", first ? " none" : "", total);
	munmap((void *)counts, 65536 * sizeof(__u64));
	free(found);
	found = NULL;
	return 0;
}
