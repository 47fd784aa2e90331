// SPDX-License-Identifier: ISC
/*
 * portpool-guard's owners: a cgroup whose subtree may bind ports of the
 * deny set, so that the guard can sit at the top of the cgroup tree and
 * still let strongSwan have 500 and 4500.  The programs look up
 * {cgroup id, port} for the binding process's cgroup and its ancestors
 * ("owners" map).  A cgroup id is its kernfs inode number, 64 bits and
 * never reused while the system runs: a cgroup removed and made again at
 * the same path (systemd does so at every restart of a unit) is a new
 * cgroup, which a registration of the old one never matches.
 *
 * Registrations come from "own" (a directory, --self for the cgroup the
 * command runs in, which is how a unit's drop-in registers each fresh
 * cgroup) and from the owner file.  Every sync drops those of cgroups
 * that no longer exist.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/magic.h>
#include <bpf/bpf.h>

#include "guard.h"
#include "out.h"

/* ---- the owners map ---- */

/* Register id for every port of map; flags OWNER_FROM_FILE for the
 * file's.  A registration there already keeps its count. */
static int own_id(int fd, __u64 id, const uint64_t *map, __u32 flags)
{
	for (unsigned int p = 1; p < 65536; p++) {
		struct owner_key key = { .cgroup = id, .port = p };
		struct owner_val val = { .flags = flags };

		if (!deny_has(map, p))
			continue;
		if (bpf_map_lookup_elem(fd, &key, &val) == 0) {
			if ((val.flags & flags) == flags)
				continue;
			val.flags |= flags;
			/* Only the flags change: the count the programs
			 * add to in place is read just before. */
			if (bpf_map_update_elem(fd, &key, &val, BPF_EXIST) == 0)
				continue;
		} else if (bpf_map_update_elem(fd, &key, &val,
					       BPF_NOEXIST) == 0 ||
			   errno == EEXIST) {
			continue;
		}
		return fail("registering the owner of %u: %s%s", p,
			    strerror(errno), errno == E2BIG ?
			    " (the owners map is full: disown some)" : "");
	}
	return 0;
}

/* Every key of the owners map, for walking it while deleting. */
static struct owner_key *all_keys(int fd, size_t *n)
{
	struct owner_key *keys = malloc(OWNERS_MAX * sizeof(*keys));
	struct owner_key key, next;
	bool first = true;

	*n = 0;
	if (!keys)
		return NULL;
	while (*n < OWNERS_MAX &&
	       bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		keys[(*n)++] = next;
		key = next;
		first = false;
	}
	return keys;
}

static int open_owners(void)
{
	int fd = pin_get(PIN_OWNERS);

	if (fd < 0)
		not_loaded();
	return fd;
}

int owners_sync(bool quiet)
{
	static uint64_t map[DENY_WORDS];
	struct owner_file f;
	struct owner_key *keys;
	char path[PATH_MAX];
	size_t n;
	int fd, rc = 1;

	(void)quiet;
	fd = open_owners();
	if (fd < 0)
		return 1;
	if (file_read(&f)) {
		close(fd);
		return 1;
	}
	keys = all_keys(fd, &n);
	if (!keys) {
		fail("reading the owners: %s", strerror(errno));
		goto out;
	}
	/* Registrations of cgroups that are gone. */
	for (size_t i = 0; i < n; i++) {
		if (cgroup_path(keys[i].cgroup, path, sizeof(path)) == 0 ||
		    !cgroup_gone(errno))
			continue;
		bpf_map_delete_elem(fd, &keys[i]);
		printf("owner of %u: cgroup %llu is gone; dropped\n",
		       keys[i].port, (unsigned long long)keys[i].cgroup);
		keys[i].port = 0;
	}
	/* The file's, as it is now: what it no longer says goes. */
	for (size_t i = 0; i < n; i++) {
		struct owner_val val;
		bool kept = false;

		if (!keys[i].port ||
		    bpf_map_lookup_elem(fd, &keys[i], &val) < 0 ||
		    !(val.flags & OWNER_FROM_FILE))
			continue;
		for (size_t k = 0; k < f.nown && !kept; k++) {
			__u64 id;

			kept = cgroup_id(f.own[k].dir, &id) == 0 &&
			       id == keys[i].cgroup &&
			       deny_set_fill(0, f.own[k].ports, map) > 0 &&
			       deny_has(map, keys[i].port);
		}
		if (!kept)
			bpf_map_delete_elem(fd, &keys[i]);
	}
	for (size_t k = 0; k < f.nown; k++) {
		__u64 id;

		/* A unit that is not running has no cgroup: nothing to
		 * register until it has. */
		if (cgroup_id(f.own[k].dir, &id) < 0)
			continue;
		if (deny_set_fill(0, f.own[k].ports, map) <= 0 ||
		    own_id(fd, id, map, OWNER_FROM_FILE))
			goto out;
	}
	rc = 0;
out:
	free(keys);
	file_free(&f);
	close(fd);
	return rc;
}

/* ---- the commands ---- */

/* argv[2] as a cgroup: a directory, or --self; *id and dir set. */
static int which_cgroup(const char *arg, char *dir, size_t size, __u64 *id)
{
	char shown[TEXT_MAX(64)];

	if (!strcmp(arg, "--self")) {
		if (self_cgroup(dir, size))
			return 1;
	} else if (snprintf(dir, size, "%s", arg) >= (int)size) {
		return fail("cgroup directory too long");
	}
	text_escape(dir, shown, sizeof(shown));
	if (!on_fs(dir, CGROUP2_SUPER_MAGIC))
		return fail("%s: not a cgroup v2 directory (%s)", shown,
			    errno ? strerror(errno) : "another filesystem");
	if (cgroup_id(dir, id) < 0)
		return fail("%s: %s", shown, strerror(errno));
	return 0;
}

int cmd_own(int argc, char **argv)
{
	static uint64_t map[DENY_WORDS];
	static char canon[RANGES_MAX];
	char dir[PATH_MAX], shown[TEXT_MAX(128)];
	__u64 id;
	int fd, rc, lock;

	if (argc == 4)
		return own_unit(argv[1], argv[3]);
	rc = ports_parse("own", argv[1], map);
	if (rc)
		return rc;
	if (which_cgroup(argv[2], dir, sizeof(dir), &id))
		return 1;
	/* Before the owners change: a failure leaves them as they were. */
	if (format_ranges(map, canon, sizeof(canon)) < 0)
		return fail("ports %s: %s", argv[1], strerror(errno));
	lock = pins_lock();
	if (lock < 0)
		return not_loaded();
	fd = open_owners();
	if (fd < 0) {
		close(lock);
		return 1;
	}
	rc = own_id(fd, id, map, 0);
	close(fd);
	close(lock);
	if (rc)
		return 1;
	printf("owner of %s: %s (cgroup %llu)\n", canon,
	       text_escape(dir, shown, sizeof(shown)),
	       (unsigned long long)id);
	return 0;
}

int cmd_disown(int argc, char **argv)
{
	static uint64_t map[DENY_WORDS];
	static char canon[RANGES_MAX];
	struct owner_key *keys;
	char dir[PATH_MAX];
	__u64 id = 0;
	size_t n, removed = 0;
	int fd, lock, rc;

	rc = ports_parse("disown", argv[1], map);
	if (rc)
		return rc;
	if (argc == 3 && which_cgroup(argv[2], dir, sizeof(dir), &id))
		return 1;
	lock = pins_lock();
	if (lock < 0)
		return not_loaded();
	fd = open_owners();
	if (fd < 0) {
		close(lock);
		return 1;
	}
	keys = all_keys(fd, &n);
	for (size_t i = 0; keys && i < n; i++)
		if (deny_has(map, keys[i].port) &&
		    (argc < 3 || keys[i].cgroup == id) &&
		    bpf_map_delete_elem(fd, &keys[i]) == 0)
			removed++;
	free(keys);
	close(fd);
	close(lock);
	/* The ports as parsed, not as typed: nothing from outside. */
	format_ranges(map, canon, sizeof(canon));
	if (!removed)
		return fail("no owner of %s%s to disown", canon,
			    argc == 3 ? " for that cgroup" : "");
	printf("disowned %zu registration%s\n", removed,
	       removed == 1 ? "" : "s");
	return 0;
}

static int key_order(const void *a, const void *b)
{
	const struct owner_key *x = a, *y = b;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->cgroup < y->cgroup ? -1 : x->cgroup > y->cgroup;
}

int cmd_owners(int argc, char **argv)
{
	bool json = argc == 2;
	struct owner_key *keys;
	char path[PATH_MAX];
	unsigned long long total = 0;
	size_t n;
	int fd;

	(void)argv;
	fd = open_owners();
	if (fd < 0)
		return 1;
	keys = all_keys(fd, &n);
	if (!keys) {
		close(fd);
		return fail("reading the owners: %s", strerror(errno));
	}
	qsort(keys, n, sizeof(*keys), key_order);
	if (json)
		printf("{\"owners\":[");
	for (size_t i = 0; i < n; i++) {
		struct owner_val val = { 0 };
		bool there;

		bpf_map_lookup_elem(fd, &keys[i], &val);
		there = cgroup_path(keys[i].cgroup, path, sizeof(path)) == 0;
		total += val.allowed;
		if (json) {
			printf("%s{\"port\":%u,\"cgroup\":", i ? "," : "",
			       keys[i].port);
			if (there)
				json_string(stdout, path);
			else
				printf("null");
			printf(",\"id\":");
			json_uint(stdout, keys[i].cgroup);
			printf(",\"allowed\":");
			json_uint(stdout, val.allowed);
			printf(",\"from_file\":%s}", val.flags &
			       OWNER_FROM_FILE ? "true" : "false");
			continue;
		}
		printf("%u ", keys[i].port);
		if (there)
			text_string(stdout, path);
		else
			printf("(removed)");
		printf(" (cgroup %llu%s): %llu allowed\n",
		       (unsigned long long)keys[i].cgroup,
		       val.flags & OWNER_FROM_FILE ? ", owner file" : "",
		       (unsigned long long)val.allowed);
	}
	if (json)
		printf("],\"allowed_total\":%llu}\n", total);
	else if (!n)
		printf("no owners\n");
	free(keys);
	close(fd);
	return 0;
}
