// SPDX-License-Identifier: ISC
/*
 * portpool-guard's cgroups by id: what the programs see of a cgroup is
 * its id, its kernfs inode number, 64 bits and never reused while the
 * system runs, so a cgroup removed and made again at the same path is
 * another cgroup.  From a directory to its id, from an id back to the
 * path (or "gone"), and the cgroup this process is in.
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

#define FILEID_KERNFS	0xfe	/* the handle type of a kernfs inode */

/* The first cgroup2 mount, where ids are turned back into paths. */
static int cgroup_root(char *buf, size_t size)
{
	struct mntent *m;
	FILE *f = setmntent("/proc/mounts", "r");
	int rc = -1;

	if (!f)
		return -1;
	while ((m = getmntent(f)) != NULL)
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(buf, size, "%s", m->mnt_dir);
			rc = 0;
			break;
		}
	endmntent(f);
	if (rc < 0)
		errno = ENOENT;
	return rc;
}

int cgroup_id(const char *dir, __u64 *id)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[64];
	} h;
	struct stat st;
	int mount_id;

	if (!on_fs(dir, CGROUP2_SUPER_MAGIC)) {
		if (!errno)
			errno = ENOTDIR;
		return -1;
	}
	if (stat(dir, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	/* The handle holds the whole 64-bit id, which st_ino may not on a
	 * 32-bit host. */
	h.fh.handle_bytes = sizeof(h.bytes);
	if (name_to_handle_at(AT_FDCWD, dir, &h.fh, &mount_id, 0) == 0 &&
	    h.fh.handle_type == FILEID_KERNFS && h.fh.handle_bytes == 8) {
		memcpy(id, h.fh.f_handle, 8);
		return 0;
	}
	*id = (__u64)st.st_ino;
	return 0;
}

int cgroup_path(__u64 id, char *buf, size_t size)
{
	struct {
		struct file_handle fh;
		__u64 id;
	} h = { .fh = { .handle_bytes = 8, .handle_type = FILEID_KERNFS } };
	char root[PATH_MAX], link[64];
	int mnt, fd, saved;
	ssize_t n;

	if (cgroup_root(root, sizeof(root)) < 0)
		return -1;
	mnt = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mnt < 0)
		return -1;
	h.id = id;
	fd = open_by_handle_at(mnt, &h.fh, O_RDONLY | O_DIRECTORY |
			       O_CLOEXEC);
	saved = errno;
	close(mnt);
	if (fd < 0) {
		errno = saved;
		return -1;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, size - 1);
	saved = errno;
	close(fd);
	if (n < 0) {
		errno = saved;
		return -1;
	}
	buf[n] = '\0';
	return 0;
}

/* Gone for good, as opposed to a lookup that failed for another reason
 * (no CAP_DAC_READ_SEARCH): only then is a registration dropped. */
bool cgroup_gone(int err)
{
	return err == ESTALE || err == ENOENT;
}

/*
 * The cgroup this process is in, from /proc/self/cgroup ("0::/PATH"),
 * under the cgroup2 mount.  The cgroup systemd puts a delegated unit's
 * control processes in, ".control", stands for the unit's own.
 */
int self_cgroup(char *buf, size_t size)
{
	char text[8192], root[PATH_MAX], *line, *end;
	ssize_t n;
	size_t len;
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return fail("reading /proc/self/cgroup: %s", strerror(errno));
	/* A /proc file gives its whole text to the first read(). */
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n < 0 || (size_t)n >= sizeof(text))
		return fail("reading /proc/self/cgroup: %s", n < 0 ?
			    strerror(errno) : "longer than expected");
	text[n] = '\0';
	line = strstr(text, "0::/");
	if (line && line != text && line[-1] != '\n')
		line = NULL;
	if (!line)
		return fail("/proc/self/cgroup: no cgroup v2 line (\"0::/\")");
	line += 3;
	end = strchr(line, '\n');
	if (end)
		*end = '\0';
	len = strlen(line);
	if (len >= 9 && !strcmp(line + len - 9, "/.control"))
		line[len - 9] = '\0';
	if (!strncmp(line, "/..", 3))
		return fail("this process's cgroup is outside its cgroup "
			    "namespace: give the directory instead of --self");
	if (cgroup_root(root, sizeof(root)) < 0)
		return fail("no cgroup2 mount in /proc/mounts");
	if (snprintf(buf, size, "%s%s", root, strcmp(line, "/") ? line : "")
	    >= (int)size)
		return fail("this process's cgroup: path too long");
	return 0;
}

/* ---- ports ---- */

/* PORTS as the policy writes reservations ("500,4500", "4500-4510").
 * The library's sentence names the list already. */
int ports_parse(const char *cmd, const char *list, uint64_t *map)
{
	char shown[TEXT_MAX(64)];
	int n = deny_set_fill(0, list, map);

	if (n < 0)
		return fail("%s PORTS: %s", cmd, portpool_error()), 2;
	if (n == 0)
		return fail("%s PORTS \"%s\": no port in the list", cmd,
			    text_escape(list, shown, sizeof(shown))), 2;
	return 0;
}
