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
#include "out.h"
#include "portpool-guard.skel.h"

const char *const pin_names[] = {
	"bind4", "bind6", "deny", "refused", "netns", "nsinfo", "owners",
};

void pin_path(char *buf, size_t size, int which)
{
	snprintf(buf, size, "%s/%s", pin_dir, pin_names[which]);
}

/*
 * What this tool pins under each name, as the kernel reports it: a pin
 * counts as ours by its type and name (and a map's shape), never by its
 * name in the directory, so that a foreign object pinned there is neither
 * used nor removed.
 */
static const struct {
	bool prog;
	__u32 type;
	const char *name;
	__u32 value_size, max_entries;
} pin_kind[PIN_COUNT] = {
	[PIN_BIND4] = { true, BPF_PROG_TYPE_CGROUP_SOCK_ADDR, "guard_bind4",
			0, 0 },
	[PIN_BIND6] = { true, BPF_PROG_TYPE_CGROUP_SOCK_ADDR, "guard_bind6",
			0, 0 },
	[PIN_DENY] = { false, BPF_MAP_TYPE_ARRAY, "deny",
		       DENY_WORDS * sizeof(uint64_t), NS_SLOTS + 1 },
	[PIN_REFUSED] = { false, BPF_MAP_TYPE_ARRAY, "refused",
			  sizeof(__u64), 65536 },
	[PIN_NETNS] = { false, BPF_MAP_TYPE_HASH, "netns", sizeof(__u32),
			NS_SLOTS },
	[PIN_NSINFO] = { false, BPF_MAP_TYPE_ARRAY, "nsinfo",
			 sizeof(struct ns_info), NS_SLOTS },
	[PIN_OWNERS] = { false, BPF_MAP_TYPE_HASH, "owners",
			 sizeof(struct owner_val), OWNERS_MAX },
};

/* Why the last pin_get() found something that is not ours ("" if it did
 * not), for not_loaded(). */
static char foreign[PATH_MAX + 160];
/* The last pin_get() found the deny map of a guard from before owners
 * and namespaces (one set): unload removes it too. */
static bool legacy;

/*
 * 1: fd is ours; 0: it is not (foreign[] says what it is).  What the
 * kernel says of an object of another kind (a map where a program should
 * be) is what rules out that kind.
 */
static int pin_is_ours(int which, int fd, const char *path)
{
	union {
		struct bpf_prog_info prog;
		struct bpf_map_info map;
	} info;
	__u32 len = pin_kind[which].prog ? sizeof(info.prog) :
		    sizeof(info.map);
	const char *name;
	__u32 type;
	bool ok;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0) {
		snprintf(foreign, sizeof(foreign), "%s: not a BPF %s: %s",
			 path, pin_kind[which].prog ? "program" : "map",
			 strerror(errno));
		return 0;
	}
	if (pin_kind[which].prog) {
		type = info.prog.type;
		name = info.prog.name;
		ok = type == pin_kind[which].type &&
		     !strcmp(name, pin_kind[which].name);
	} else {
		type = info.map.type;
		name = info.map.name;
		ok = type == pin_kind[which].type &&
		     !strcmp(name, pin_kind[which].name) &&
		     info.map.value_size == pin_kind[which].value_size &&
		     info.map.max_entries == pin_kind[which].max_entries;
	}
	if (!ok && which == PIN_DENY && type == BPF_MAP_TYPE_ARRAY &&
	    !strcmp(name, "deny") && info.map.max_entries == 1) {
		snprintf(foreign, sizeof(foreign), "%s is an earlier "
			 "portpool-guard's (one deny set, no namespaces): "
			 "\"portpool-guard load\" takes it over", path);
		legacy = true;
	} else if (!ok) {
		snprintf(foreign, sizeof(foreign), "%s is not portpool-guard's "
			 "(a BPF %s of type %u named \"%.16s\"): remove it or "
			 "choose another --pin-dir", path,
			 pin_kind[which].prog ? "program" : "map", type, name);
	}
	return ok;
}

/* The pinned object's descriptor, or -1 (errno set; foreign[] set when
 * something else is pinned there). */
int pin_get(int which)
{
	char path[PATH_MAX], shown[PATH_MAX];
	int fd;

	foreign[0] = '\0';
	legacy = false;
	pin_path(path, sizeof(path), which);
	fd = bpf_obj_get(path);
	/* pin_is_ours() names it in its sentences: escaped, and short
	 * enough for foreign[]. */
	if (fd >= 0 && !pin_is_ours(which, fd, text_escape(path, shown,
							      sizeof(shown)))) {
		close(fd);
		errno = EEXIST;
		return -1;
	}
	return fd;
}

int not_loaded(void)
{
	if (foreign[0])
		return fail("%s", foreign);
	return fail("not loaded in %s (run \"portpool-guard load\" first): %s",
		    pin_shown(), strerror(errno));
}

/*
 * The pin directory cannot be taken over: each of its components that
 * exists is a real directory (lstat: no symbolic link), owned by root (or
 * by us), and writable by no one else.  A parent may be writable by
 * others when it is sticky (/tmp, a bpffs mounted with the kernel's
 * default mode 1777): no one else can then rename or remove an entry that
 * root owns.  The directory itself may not: anyone could pin into it.
 */
int pin_dir_check(void)
{
	static char shown[TEXT_MAX(PATH_MAX)];
	char path[PATH_MAX];
	const char *dir = pin_shown();
	size_t len;

	if (snprintf(path, sizeof(path), "%s", pin_dir) >= (int)sizeof(path))
		return fail("pin directory %s: too long", text_escape(pin_dir,
			    shown, TEXT_MAX(64)));
	len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	for (size_t i = 1; i <= len; i++) {
		bool last = i == len;
		struct stat st;
		char c = path[i];

		if (c != '/' && c != '\0')
			continue;
		path[i] = '\0';
		if (lstat(path, &st) < 0) {
			if (errno == ENOENT)
				return 0;	/* load makes the rest */
			return fail("pin directory %s: %s", text_escape(path,
				    shown, sizeof(shown)), strerror(errno));
		}
		text_escape(path, shown, sizeof(shown));
		if (S_ISLNK(st.st_mode))
			return fail("pin directory %s: %s is a symbolic link; "
				    "the pin directory and its parents must be "
				    "directories owned by root", dir, shown);
		if (!S_ISDIR(st.st_mode))
			return fail("pin directory %s: %s is not a directory",
				    dir, shown);
		if (st.st_uid != 0 && st.st_uid != geteuid())
			return fail("pin directory %s: %s is owned by uid %u, "
				    "not root: anyone who owns it can remove the "
				    "pins", dir, shown, (unsigned)st.st_uid);
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
		    (last || !(st.st_mode & S_ISVTX)))
			return fail("pin directory %s: %s is writable by group "
				    "or others (mode %04o); mount the BPF "
				    "filesystem with mode 0700 (mount -t bpf -o "
				    "mode=0700 bpf /sys/fs/bpf)", dir, shown,
				    (unsigned)(st.st_mode & 07777));
		path[i] = c;
	}
	return 0;
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

/* Unpin the first n pins, which this command made. */
static void unpin_made(int n)
{
	char path[PATH_MAX];

	for (int i = 0; i < n; i++) {
		pin_path(path, sizeof(path), i);
		unlink(path);
	}
}

/* Unpin what is ours in the pin directory; anything else stays.  Returns
 * how many it removed. */
static int unpin_ours(void)
{
	char path[PATH_MAX];
	int n = 0;

	for (int i = 0; i < PIN_COUNT; i++) {
		int fd = pin_get(i);

		if (fd < 0 && !legacy)
			continue;
		if (fd >= 0)
			close(fd);
		pin_path(path, sizeof(path), i);
		if (unlink(path) == 0)
			n++;
	}
	return n;
}

/*
 * What the pin directory holds: 1 all our pins (loaded before), 0 none of
 * them, 2 the pins of an earlier guard, which load takes over, -1 after
 * fail(): something foreign, or only some of ours.
 */
static int pins_present(void)
{
	int ours = 0;

	for (int i = 0; i < PIN_COUNT; i++) {
		int fd = pin_get(i);

		if (fd >= 0) {
			close(fd);
			ours++;
		} else if (legacy) {
			struct legacy old;
			int rc = legacy_get(&old);

			legacy_close(&old);
			return rc ? -1 : 2;
		} else if (foreign[0]) {
			fail("%s", foreign);
			return -1;
		} else if (errno != ENOENT) {
			fail("reading the pins in %s: %s", pin_shown(),
			     strerror(errno));
			return -1;
		}
	}
	if (ours == PIN_COUNT)
		return 1;
	if (ours) {
		fail("%s holds only part of a guard: \"portpool-guard unload\" "
		     "removes it, then load again", pin_shown());
		return -1;
	}
	return 0;
}

/* The programs loaded and every object pinned in pin_dir, which exists;
 * on failure no pin this made stays.  1 after fail(). */
int pin_fresh(void)
{
	struct guard_bpf *skel;
	char path[PATH_MAX];
	int fds[PIN_COUNT];

	skel = guard_bpf__open_and_load();
	if (!skel)
		return fail("loading the BPF programs: %s (needs kernel >= "
			    "6.1 and CAP_BPF, CAP_NET_ADMIN)", strerror(errno));
	fds[PIN_BIND4] = bpf_program__fd(skel->progs.guard_bind4);
	fds[PIN_BIND6] = bpf_program__fd(skel->progs.guard_bind6);
	fds[PIN_DENY] = bpf_map__fd(skel->maps.deny);
	fds[PIN_REFUSED] = bpf_map__fd(skel->maps.refused);
	fds[PIN_NETNS] = bpf_map__fd(skel->maps.netns);
	fds[PIN_NSINFO] = bpf_map__fd(skel->maps.nsinfo);
	fds[PIN_OWNERS] = bpf_map__fd(skel->maps.owners);
	for (int i = 0; i < PIN_COUNT; i++) {
		pin_path(path, sizeof(path), i);
		if (bpf_obj_pin(fds[i], path) < 0) {
			int saved = errno;

			unpin_made(i);	/* what is there was not ours */
			guard_bpf__destroy(skel);
			return fail("pinning %s/%s: %s", pin_shown(),
				    pin_names[i], strerror(saved));
		}
	}
	guard_bpf__destroy(skel);	/* the pins keep everything alive */
	return 0;
}

/* Unpin what pin_fresh() pinned. */
void unpin_fresh(void)
{
	unpin_made(PIN_COUNT);
}

int do_load(void)
{
	static uint64_t map[DENY_WORDS];
	size_t made;
	int present;

	if (strchr(pin_dir, '.'))
		return fail("pin directory %s: a path without dots, please "
			    "(libbpf rewrites dots in pin paths)", pin_shown());
	if (pin_dir_check())
		return 1;
	present = pins_present();
	if (present < 0)
		return 1;
	if (present == 2)	/* an earlier guard's pins: take them over */
		return upgrade_legacy();
	if (present)		/* loaded before: keep it, refresh the set */
		return do_sync(false);
	/* A deny set that cannot be read (--reserve 45x0) fails here,
	 * before anything is made on disk. */
	if (fill(map) < 0)
		return 1;
	if (mkdirs(pin_dir, &made) < 0)
		return fail("making %s: %s", pin_shown(), strerror(errno));
	/* Again, now that every component is there: one that someone else
	 * made in a sticky parent since the first look is found here. */
	if (pin_dir_check()) {
		rmdirs(pin_dir, made);
		return 1;
	}
	if (!on_fs(pin_dir, BPF_FS_MAGIC)) {
		rmdirs(pin_dir, made);
		return fail("%s is not on a BPF filesystem (mount -t bpf -o "
			    "mode=0700 bpf /sys/fs/bpf)", pin_shown());
	}
	if (pin_fresh()) {
		rmdirs(pin_dir, made);
		return 1;
	}
	if (do_sync(false)) {
		unpin_made(PIN_COUNT);
		rmdirs(pin_dir, made);
		return 1;
	}
	return 0;
}

/* Detach from every cgroup it is attached to, then drop our pins. */
int do_unload(void)
{
	int rc = 0;

	if (find_attached() < 0) {
		/* Without both programs nothing of ours can be attached:
		 * what is left of a guard (a failed load) still goes. */
		if (foreign[0] || errno != ENOENT)
			return not_loaded();
		nfound = 0;
	}
	for (size_t i = 0; i < nfound; i++)
		rc |= do_detach(found[i].path, true);
	free(found);
	found = NULL;
	if (rc)
		return 1;
	if (!unpin_ours()) {
		errno = ENOENT;
		return not_loaded();
	}
	rmdir(pin_dir);		/* only if empty: someone else's pins stay */
	printf("unloaded from %s\n", pin_shown());
	return 0;
}
