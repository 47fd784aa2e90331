// SPDX-License-Identifier: ISC
/*
 * portpool-guard's cgroups: attaching the pinned programs to one, taking
 * them off, and finding every cgroup they are attached to.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

static const enum bpf_attach_type hook_type[2] = {
	BPF_CGROUP_INET4_BIND, BPF_CGROUP_INET6_BIND
};

/* The ids of our two programs, for finding where they are attached. */
static int our_ids(__u32 ids[2])
{
	for (int i = 0; i < 2; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = pin_get(i), rc;

		if (fd < 0)
			return -1;
		memset(&info, 0, sizeof(info));
		rc = bpf_obj_get_info_by_fd(fd, &info, &len);
		close(fd);
		if (rc < 0)
			return -1;
		ids[i] = info.id;
	}
	return 0;
}

/* Bit i set: our program for hook i is attached to the cgroup fd. */
static int attached_mask(int cg, const __u32 ids[2])
{
	int mask = 0;

	for (int i = 0; i < 2; i++) {
		__u32 progs[MAX_PROGS], cnt = MAX_PROGS, flags = 0;

		if (bpf_prog_query(cg, hook_type[i], 0, &flags, progs,
				   &cnt) < 0)
			continue;
		for (__u32 k = 0; k < cnt && k < MAX_PROGS; k++)
			if (progs[k] == ids[i])
				mask |= 1 << i;
	}
	return mask;
}

/* A cgroup's path for a message: a delegated cgroup's name may hold any
 * byte, escaped as the library's sentences escape names. */
static const char *shown(const char *dir)
{
	static char buf[TEXT_MAX(512)];

	return text_escape(dir, buf, sizeof(buf));
}

static int open_cgroup(const char *dir, int *cg)
{
	if (!on_fs(dir, CGROUP2_SUPER_MAGIC))
		return fail("%s: not a cgroup v2 directory (%s)", shown(dir),
			    errno ? strerror(errno) : "another filesystem");
	*cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*cg < 0)
		return fail("%s: %s", shown(dir), strerror(errno));
	return 0;
}

int do_attach(const char *dir)
{
	__u32 ids[2];
	int cg = -1, mask, prog;

	if (our_ids(ids) < 0)
		return not_loaded();
	if (open_cgroup(dir, &cg))
		return 1;
	mask = attached_mask(cg, ids);
	for (int i = 0; i < 2; i++) {
		if (mask & (1 << i))
			continue;	/* attaching twice would count twice */
		prog = pin_get(i);
		/* ALLOW_MULTI: programs others attached here (systemd's
		 * own) stay and run too. */
		if (prog < 0 || bpf_prog_attach(prog, cg, hook_type[i],
						BPF_F_ALLOW_MULTI) < 0) {
			int saved = errno;

			if (i == 1 && !(mask & 1)) {
				int p4 = pin_get(0);

				bpf_prog_detach2(p4, cg, hook_type[0]);
				close(p4);
			}
			if (prog >= 0)
				close(prog);
			close(cg);
			return fail("attaching to %s: %s", shown(dir),
				    strerror(saved));
		}
		close(prog);
	}
	close(cg);
	printf("attached to %s\n", shown(dir));
	return 0;
}

int do_detach(const char *dir, bool quiet)
{
	__u32 ids[2];
	int cg = -1, mask;

	if (our_ids(ids) < 0)
		return not_loaded();
	if (open_cgroup(dir, &cg))
		return 1;
	mask = attached_mask(cg, ids);
	for (int i = 0; i < 2; i++) {
		int prog;

		if (!(mask & (1 << i)))
			continue;
		prog = pin_get(i);
		if (prog < 0 || bpf_prog_detach2(prog, cg, hook_type[i]) < 0) {
			int saved = errno;

			if (prog >= 0)
				close(prog);
			close(cg);
			return fail("detaching from %s: %s", shown(dir),
				    strerror(saved));
		}
		close(prog);
	}
	close(cg);
	if (!mask)
		return fail("%s: not attached there", shown(dir));
	if (!quiet)
		printf("detached from %s\n", shown(dir));
	return 0;
}

/* ---- every cgroup our programs are attached to ---- */

struct found *found;
size_t nfound;
static __u32 walk_ids[2];

static int walk_one(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	struct found *more;
	int cg, mask;

	(void)ftw;
	if (type != FTW_D)
		return 0;
	/* One cgroup seen through two mounts (or a bind mount) is one: its
	 * device and inode (the cgroup id) say which, not its path. */
	for (size_t i = 0; i < nfound; i++)
		if (found[i].dev == st->st_dev && found[i].id == st->st_ino)
			return 0;
	cg = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0)
		return 0;
	mask = attached_mask(cg, walk_ids);
	close(cg);
	if (!mask)
		return 0;
	more = realloc(found, (nfound + 1) * sizeof(*found));
	if (!more)
		return -1;
	found = more;
	snprintf(found[nfound].path, PATH_MAX, "%s", path);
	found[nfound].dev = st->st_dev;
	found[nfound].id = st->st_ino;
	found[nfound++].mask = mask;
	return 0;
}

/* Walk each cgroup2 mount of /proc/mounts; a cgroup in more than one is
 * listed once, under the first. */
int find_attached(void)
{
	struct mntent *m;
	FILE *f;

	nfound = 0;
	if (our_ids(walk_ids) < 0)
		return -1;
	f = setmntent("/proc/mounts", "r");
	if (!f)
		return -1;
	while ((m = getmntent(f)) != NULL) {
		if (strcmp(m->mnt_type, "cgroup2") != 0)
			continue;
		if (nftw(m->mnt_dir, walk_one, 16, FTW_PHYS | FTW_MOUNT) < 0 &&
		    errno == ENOMEM) {
			endmntent(f);
			return -1;
		}
	}
	endmntent(f);
	return 0;
}
