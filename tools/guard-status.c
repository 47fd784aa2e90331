// SPDX-License-Identifier: ISC
/*
 * portpool-guard status: the deny set, where the programs are attached
 * and what they refused, as text or JSON.
 */
#include <errno.h>
#include <limits.h>
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

/* The namespaces: cookie, path, deny set size, what was refused and
 * allowed in each. */
static void print_netns(const struct ns_info *info, __u64 own, bool json)
{
	bool first = true;

	if (json)
		printf(",\"netns\":[");
	for (int i = 0; i < NS_SLOTS; i++) {
		const struct ns_info *ns = &info[i];

		if (!(ns->flags & NS_USED))
			continue;
		if (json) {
			printf("%s{\"cookie\":", first ? "" : ",");
			json_uint(stdout, ns->cookie);
			printf(",\"path\":");
			if (ns->path[0])
				json_string(stdout, ns->path);
			else
				printf("null");
			printf(",\"this\":%s,\"from_file\":%s,\"deny_ports\":",
			       ns->cookie == own ? "true" : "false",
			       ns->flags & NS_FROM_FILE ? "true" : "false");
			json_uint(stdout, ns->ports);
			printf(",\"refused\":");
			json_uint(stdout, ns->refused);
			printf(",\"allowed\":");
			json_uint(stdout, ns->allowed);
			putchar('}');
		} else {
			printf("netns %llu ", (unsigned long long)ns->cookie);
			if (ns->path[0])
				text_string(stdout, ns->path);
			else
				printf("(where a load or sync ran)");
			printf("%s%s: %u ports, %llu refused, %llu allowed to "
			       "owners\n", ns->cookie == own ? " (this one)" :
			       "", ns->flags & NS_FROM_FILE ?
			       " (owner file)" : "", ns->ports,
			       (unsigned long long)ns->refused,
			       (unsigned long long)ns->allowed);
		}
		first = false;
	}
	if (json)
		putchar(']');
}

static int owner_order(const void *a, const void *b)
{
	const struct guard_owner_metric *x = a, *y = b;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->cgroup < y->cgroup ? -1 : x->cgroup > y->cgroup;
}

/* The owners' registrations, sorted by port and cgroup id, with the
 * binds each was allowed; allowed[] gets them per port.  paths: look up
 * each cgroup's path (for --metrics; owners lists them in its own way).
 * NULL with *n = 0 when the map cannot be read (an older guard). */
static struct guard_owner_metric *read_owners(size_t *n, __u64 *allowed,
					      bool paths)
{
	struct guard_owner_metric *list = NULL, *more;
	struct owner_key key, next;
	int fd = pin_get(PIN_OWNERS);

	*n = 0;
	memset(allowed, 0, 65536 * sizeof(*allowed));
	for (bool start = true; fd >= 0 &&
	     bpf_map_get_next_key(fd, start ? NULL : &key, &next) == 0;
	     start = false) {
		struct owner_val val;

		key = next;
		if (bpf_map_lookup_elem(fd, &key, &val) < 0)
			continue;
		allowed[key.port & 0xffff] += val.allowed;
		more = realloc(list, (*n + 1) * sizeof(*list));
		if (!more)
			break;
		list = more;
		list[*n] = (struct guard_owner_metric){
			.cgroup = key.cgroup, .port = key.port,
			.allowed = val.allowed,
		};
		++*n;
	}
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; paths && i < *n; i++) {
		char path[PATH_MAX];

		if (cgroup_path(list[i].cgroup, path, sizeof(path)) == 0)
			list[i].path = strdup(path);
	}
	if (*n)
		qsort(list, *n, sizeof(*list), owner_order);
	return list;
}

static void free_owners(struct guard_owner_metric *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)list[i].path);
	free(list);
}

/* Per-port counts of binds, NAME "refused" (denied ports) or "allowed"
 * (to owners; owners lists them per owner), and their total. */
static void print_counts(const char *name, const __u64 *counts, bool json)
{
	unsigned long long total = 0;
	bool first = true;

	printf(json ? ",\"%s\":{" : "%s:", name);
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
		printf("},\"%s_total\":%llu", name, total);
	else
		printf("%s (total %llu)\n", first ? " none" : "", total);
}

int cmd_status(int argc, char **argv)
{
	static struct ns_info info[NS_SLOTS];
	static uint64_t map[DENY_WORDS];
	static char ranges[RANGES_MAX];
	static __u64 allowed[65536];
	struct guard_owner_metric *owners;
	size_t nowners;
	bool json = argc == 2 && !strcmp(argv[1], "--json");
	bool metrics = argc == 2 && !strcmp(argv[1], "--metrics");
	const __u64 *counts;
	__u64 own = own_cookie();
	__u32 slot = NS_SLOTS;
	int fd, ports = 0;

	if (argc > 2 || (argc == 2 && !json && !metrics))
		usage();
	fd = pin_get(PIN_DENY);
	if (fd < 0)
		return not_loaded();
	if (ns_read_all(info) < 0) {
		close(fd);
		return 1;
	}
	/* The deny set shown is this namespace's: none if it has none. */
	for (__u32 i = 0; i < NS_SLOTS; i++)
		if ((info[i].flags & NS_USED) && info[i].cookie == own)
			slot = i;
	if (slot < NS_SLOTS && bpf_map_lookup_elem(fd, &slot, map) < 0) {
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
	owners = read_owners(&nowners, allowed, metrics);
	if (metrics) {
		struct guard_metrics m = {
			.deny = map, .refused = counts, .allowed = allowed,
			.ns = info, .owners = owners, .nowners = nowners,
		};
		int rc;

		for (size_t i = 0; i < nfound; i++) {
			m.attached_bind4 += found[i].mask & 1;
			m.attached_bind6 += (found[i].mask & 2) >> 1;
		}
		rc = guard_metrics(stdout, &m) < 0 ?
		     fail("writing the metrics: %s", strerror(errno)) : 0;
		munmap((void *)counts, 65536 * sizeof(__u64));
		free_owners(owners, nowners);
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
		print_netns(info, own, true);
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
		putchar(']');
	} else {
		/* Names from outside (a delegated cgroup's) may hold any
		 * byte: escaped, as the library's sentences are. */
		printf("pin dir: ");
		text_string(stdout, pin_dir);
		printf("\ndeny set: %d ports%s%s%s\n", ports, ports ? ": " : "",
		       ranges, slot < NS_SLOTS ? "" :
		       " (this network namespace is not guarded)");
		print_netns(info, own, false);
		for (size_t i = 0; i < nfound; i++) {
			printf("attached: ");
			text_string(stdout, found[i].path);
			printf(" (%s%s%s)\n", found[i].mask & 1 ? "bind4" : "",
			       found[i].mask == 3 ? ", " : "",
			       found[i].mask & 2 ? "bind6" : "");
		}
		if (!nfound)
			printf("attached: nowhere\n");
	}
	print_counts("refused", counts, json);
	print_counts("allowed", allowed, json);
	if (json)
		printf("}\n");
	free_owners(owners, nowners);
	munmap((void *)counts, 65536 * sizeof(__u64));
	free(found);
	found = NULL;
	return 0;
}
