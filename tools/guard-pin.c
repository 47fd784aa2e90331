// SPDX-License-Identifier: ISC
/*
 * portpool-guard's pins: the directory on a BPF filesystem that keeps the
 * programs and maps alive between commands, made by load and removed by
 * unload.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "guard.h"
#include "portpool-guard.skel.h"

const char *const pin_names[] = { "bind4", "bind6", "deny", "refused" };

void pin_path(char *buf, size_t size, int which)
{
	snprintf(buf, size, "%s/%s", pin_dir, pin_names[which]);
}

/* The pinned object's descriptor, or -1 (errno set). */
int pin_get(int which)
{
	char path[PATH_MAX];

	pin_path(path, sizeof(path), which);
	return bpf_obj_get(path);
}

int not_loaded(void)
{
	return fail("not loaded in %s (run \"portpool-guard load\" first): %s",
		    pin_dir, strerror(errno));
}

bool on_fs(const char *path, long magic)
{
	struct statfs sfs;

	errno = 0;
	return statfs(path, &sfs) == 0 && sfs.f_type == magic;
}

/*
 * Remove what mkdirs() made: dir, then its parents down to the shallowest
 * one it made (made: that one's length, 0 for none).  One that is not
 * empty stays, and so do its parents.
 */
void rmdirs(const char *dir, size_t made)
{
	char path[PATH_MAX];
	char *slash;

	if (!made || snprintf(path, sizeof(path), "%s", dir) >=
	    (int)sizeof(path))
		return;
	while (strlen(path) >= made) {
		if (rmdir(path) < 0 && errno != ENOENT)
			break;
		slash = strrchr(path, '/');
		if (!slash || slash == path)
			break;
		*slash = '\0';
	}
}

/* mkdir -p; *made (when given) says what it made, for rmdirs(). */
int mkdirs(const char *dir, size_t *made)
{
	char path[PATH_MAX];
	size_t len, first = 0;
	int saved;

	if (made)
		*made = 0;
	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	for (size_t i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) == 0) {
			if (!first)
				first = i;
		} else if (errno != EEXIST) {
			saved = errno;
			rmdirs(path, first);
			errno = saved;
			return -1;
		}
		if (i < len)
			path[i] = '/';
	}
	if (made)
		*made = first;
	return 0;
}

void unpin_all(void)
{
	char path[PATH_MAX];

	for (int i = 0; i < PIN_COUNT; i++) {
		pin_path(path, sizeof(path), i);
		unlink(path);
	}
}

int do_load(void)
{
	static uint64_t map[DENY_WORDS];
	struct guard_bpf *skel;
	char path[PATH_MAX];
	int fds[PIN_COUNT];
	size_t made;
	int fd;

	fd = pin_get(PIN_BIND4);
	if (fd >= 0) {		/* loaded before: keep it, refresh the set */
		close(fd);
		return do_sync(false);
	}
	if (strchr(pin_dir, '.'))
		return fail("pin directory %s: a path without dots, please "
			    "(libbpf rewrites dots in pin paths)", pin_dir);
	/* A deny set that cannot be read (--reserve 45x0) fails here,
	 * before anything is made on disk. */
	if (fill(map) < 0)
		return 1;
	if (mkdirs(pin_dir, &made) < 0)
		return fail("making %s: %s", pin_dir, strerror(errno));
	if (!on_fs(pin_dir, BPF_FS_MAGIC)) {
		rmdirs(pin_dir, made);
		return fail("%s is not on a BPF filesystem (mount -t bpf bpf "
			    "/sys/fs/bpf)", pin_dir);
	}
	skel = guard_bpf__open_and_load();
	if (!skel) {
		int saved = errno;

		rmdirs(pin_dir, made);
		return fail("loading the BPF programs: %s (needs kernel >= "
			    "6.1 and CAP_BPF, CAP_NET_ADMIN)", strerror(saved));
	}
	fds[PIN_BIND4] = bpf_program__fd(skel->progs.guard_bind4);
	fds[PIN_BIND6] = bpf_program__fd(skel->progs.guard_bind6);
	fds[PIN_DENY] = bpf_map__fd(skel->maps.deny);
	fds[PIN_REFUSED] = bpf_map__fd(skel->maps.refused);
	for (int i = 0; i < PIN_COUNT; i++) {
		pin_path(path, sizeof(path), i);
		if (bpf_obj_pin(fds[i], path) < 0) {
			int saved = errno;

			unpin_all();
			rmdirs(pin_dir, made);
			guard_bpf__destroy(skel);
			return fail("pinning %s: %s", path, strerror(saved));
		}
	}
	guard_bpf__destroy(skel);	/* the pins keep everything alive */
	if (do_sync(false)) {
		unpin_all();
		rmdirs(pin_dir, made);
		return 1;
	}
	return 0;
}

/* Detach from every cgroup it is attached to, then drop the pins. */
int do_unload(void)
{
	int rc = 0;

	if (find_attached() < 0)
		return not_loaded();
	for (size_t i = 0; i < nfound; i++)
		rc |= do_detach(found[i].path, true);
	free(found);
	found = NULL;
	if (rc)
		return 1;
	unpin_all();
	rmdir(pin_dir);		/* only if empty: someone else's pins stay */
	printf("unloaded from %s\n", pin_dir);
	return 0;
}
