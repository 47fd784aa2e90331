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

#define FILEID_KERNFS	0xfe	/* the handle type of a kernfs inode */
#define OWNER_FILE_MAX	(1 << 20)

/* ---- cgroups by id ---- */

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
static bool gone(int err)
{
	return err == ESTALE || err == ENOENT;
}

/*
 * The cgroup this process is in, from /proc/self/cgroup ("0::/PATH"),
 * under the cgroup2 mount.  The cgroup systemd puts a delegated unit's
 * control processes in, ".control", stands for the unit's own.
 */
static int self_cgroup(char *buf, size_t size)
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

/* PORTS as the policy writes reservations ("500,4500", "4500-4510"). */
static int ports_parse(const char *list, uint64_t *map)
{
	char shown[TEXT_MAX(64)];
	int n = deny_set_fill(0, list, map);

	if (n < 0)
		return fail("ports \"%s\": %s", text_escape(list, shown,
			    sizeof(shown)), portpool_error());
	if (n == 0)
		return fail("ports \"%s\": no port", text_escape(list, shown,
			    sizeof(shown)));
	return 0;
}

/* ---- the owner file ---- */

struct file_owner {
	char *ports, *dir;
};

struct owner_file {
	struct file_owner *own;
	size_t nown;
	char **netns;
	size_t nnetns;
};

static void file_free(struct owner_file *f)
{
	for (size_t i = 0; i < f->nown; i++) {
		free(f->own[i].ports);
		free(f->own[i].dir);
	}
	free(f->own);
	for (size_t i = 0; i < f->nnetns; i++)
		free(f->netns[i]);
	free(f->netns);
	memset(f, 0, sizeof(*f));
}

/* One line of the owner file, comments and blanks gone. */
static int file_line(struct owner_file *f, char *line, const char *where)
{
	static uint64_t map[DENY_WORDS];
	char shown[TEXT_MAX(64)];
	char *word = line, *rest;
	size_t len;

	rest = word + strcspn(word, " \t");
	if (*rest)
		*rest++ = '\0';
	rest += strspn(rest, " \t");
	len = strlen(rest);
	while (len && (rest[len - 1] == ' ' || rest[len - 1] == '\t'))
		rest[--len] = '\0';
	if (!strcmp(word, "netns")) {
		char **more;

		if (rest[0] != '/' || len >= NS_PATH_MAX)
			return fail("%s: netns wants an absolute path of at "
				    "most %d bytes", where, NS_PATH_MAX - 1);
		more = realloc(f->netns, (f->nnetns + 1) * sizeof(*more));
		if (!more)
			return fail("%s: %s", where, strerror(errno));
		f->netns = more;
		if (!(f->netns[f->nnetns] = strdup(rest)))
			return fail("%s: %s", where, strerror(errno));
		f->nnetns++;
		return 0;
	}
	if (!strcmp(word, "own")) {
		struct file_owner *more;
		char *dir = rest + strcspn(rest, " \t");

		if (!*dir)
			return fail("%s: own wants PORTS and a cgroup "
				    "directory", where);
		*dir++ = '\0';
		dir += strspn(dir, " \t");
		if (dir[0] != '/')
			return fail("%s: own: the cgroup directory is an "
				    "absolute path", where);
		if (deny_set_fill(0, rest, map) <= 0)
			return fail("%s: own: ports \"%s\": %s", where,
				    text_escape(rest, shown, sizeof(shown)),
				    portpool_error());
		more = realloc(f->own, (f->nown + 1) * sizeof(*more));
		if (!more)
			return fail("%s: %s", where, strerror(errno));
		f->own = more;
		f->own[f->nown].ports = strdup(rest);
		f->own[f->nown].dir = strdup(dir);
		f->nown++;
		if (!f->own[f->nown - 1].ports || !f->own[f->nown - 1].dir)
			return fail("%s: %s", where, strerror(errno));
		return 0;
	}
	return fail("%s: unknown word \"%s\": known are own and netns", where,
		    text_escape(word, shown, sizeof(shown)));
}

/*
 * The owner file, read whole and strictly (file:line on the first bad
 * line).  It hands out reserved ports, so it must be the admin's, as
 * the policy must: a regular file owned by root (or by us) that no one
 * else may write.  A missing file is an empty one.
 */
static int file_read(struct owner_file *f)
{
	char shown[TEXT_MAX(64)], where[TEXT_MAX(64) + 16];
	struct stat st;
	char *text, *line, *next;
	ssize_t n;
	size_t got = 0;
	int fd, lineno = 0, rc = 0;

	memset(f, 0, sizeof(*f));
	text_escape(owner_file, shown, sizeof(shown));
	fd = open(owner_file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return fail("owner file %s: %s", shown, strerror(errno));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail("owner file %s: not a regular file", shown);
	}
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		close(fd);
		return fail("owner file %s: owned by uid %u, mode %04o: it "
			    "must be root's and writable by no one else",
			    shown, (unsigned)st.st_uid,
			    (unsigned)(st.st_mode & 07777));
	}
	text = malloc(OWNER_FILE_MAX + 1);
	if (!text) {
		close(fd);
		return fail("owner file %s: %s", shown, strerror(errno));
	}
	while ((n = read(fd, text + got, OWNER_FILE_MAX + 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (n < 0 || got > OWNER_FILE_MAX) {
		free(text);
		return fail("owner file %s: %s", shown, n < 0 ?
			    strerror(errno) : "larger than 1 MiB");
	}
	text[got] = '\0';
	for (line = text; line && *line && !rc; line = next) {
		char *hash;

		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		/* A file written on Windows ends its lines in CR LF. */
		if (*line && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = '\0';
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		line += strspn(line, " \t");
		if (!*line)
			continue;
		snprintf(where, sizeof(where), "%s:%d", shown, lineno);
		rc = file_line(f, line, where);
	}
	free(text);
	if (rc)
		file_free(f);
	return rc;
}

int owner_file_netns(char ***paths, size_t *n)
{
	struct owner_file f;

	if (file_read(&f))
		return -1;
	*paths = f.netns;
	*n = f.nnetns;
	f.netns = NULL;
	f.nnetns = 0;
	file_free(&f);
	return 0;
}

uint64_t owner_file_digest(void)
{
	struct stat st;

	if (stat(owner_file, &st) < 0)
		return (uint64_t)errno;
	/* Not secure, only a change test, as deny_inputs_digest(). */
	return (uint64_t)st.st_ino * 0x9e3779b97f4a7c15ULL ^
	       (uint64_t)st.st_size << 20 ^ (uint64_t)st.st_mtim.tv_sec ^
	       (uint64_t)st.st_mtim.tv_nsec << 32 ^
	       (uint64_t)st.st_ctim.tv_nsec;
}

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
		    !gone(errno))
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

/* ---- own --unit: the drop-in that registers each fresh cgroup ---- */

/*
 * s as one word of an Exec line: "%" is a specifier and "$" a variable
 * there, so both are doubled; a word with a space, a quote or a
 * backslash is quoted, with '"' and '\' escaped inside.  Control bytes
 * and bytes that are not UTF-8 cannot be written: -1 after fail().
 */
static int exec_word(FILE *out, const char *s, const char *what)
{
	char shown[TEXT_MAX(64)];
	bool quote = s[strcspn(s, " \"'\\")] != '\0';

	text_escape(s, shown, sizeof(shown));
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return fail("%s \"%s\": a control byte cannot go into "
				    "a unit file", what, shown), -1;
	if (!utf8_valid(s))
		return fail("%s \"%s\": not UTF-8, which systemd refuses",
			    what, shown), -1;
	if (quote)
		fputc('"', out);
	for (const char *p = s; *p; p++) {
		if (*p == '%' || *p == '$')
			fputc(*p, out);
		else if (quote && (*p == '"' || *p == '\\'))
			fputc('\\', out);
		fputc(*p, out);
	}
	if (quote)
		fputc('"', out);
	return 0;
}

static int exec_line(FILE *out, const char *key, const char *tool,
		     const char *verb, const char *ports)
{
	fputs(key, out);
	if (exec_word(out, tool, "the tool's path"))
		return -1;
	fputs(" --pin-dir ", out);
	if (exec_word(out, pin_dir, "pin directory"))
		return -1;
	fprintf(out, " %s %s --self\n", verb, ports);
	return 0;
}

static int own_unit(const char *ports, const char *unit)
{
	static uint64_t map[DENY_WORDS];
	char name[256], dir[PATH_MAX], path[PATH_MAX + 40], tool[PATH_MAX];
	char tmp[PATH_MAX + 48];
	static char canon[RANGES_MAX];
	const char *section;
	ssize_t n;
	FILE *f;

	if (ports_parse(ports, map))
		return 1;
	format_ranges(map, canon, sizeof(canon));
	section = unit_check(unit, name);
	if (!section)
		return 1;
	if (strcmp(section, "Service") != 0)
		return fail("unit %s: only a .service unit runs ExecStartPre=, "
			    "which registers its cgroup", name);
	if (strchr(pin_dir, '.'))
		return fail("pin directory %s: a path without dots, please "
			    "(libbpf rewrites dots in pin paths)", pin_dir);
	/* The drop-in runs this very program, wherever it is installed. */
	n = readlink("/proc/self/exe", tool, sizeof(tool) - 1);
	if (n < 0)
		return fail("finding this program: %s", strerror(errno));
	tool[n] = '\0';
	if (snprintf(dir, sizeof(dir), "%s/%s.d", unit_dir, name) >=
	    (int)sizeof(dir))
		return fail("unit directory %s: too long", unit_dir);
	if (mkdirs(dir, NULL) < 0)
		return fail("making %s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/portpool-guard-own.conf", dir);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	if (!f)
		return fail("writing %s: %s", tmp, strerror(errno));
	fprintf(f, "# Written by portpool-guard own --unit: at every start "
		"this unit's new cgroup\n# owns UDP ports %s before the main "
		"process runs (ExecStartPre=\n# processes run in that cgroup); "
		"the registration goes when it stops.\n[Unit]\n"
		"Wants=portpool-guard.service\nAfter=portpool-guard.service\n"
		"\n[Service]\n", canon);
	/* "+": with full privileges, whatever User= the unit has; "-" on
	 * the way out: a guard unloaded meanwhile is no failure. */
	if (exec_line(f, "ExecStartPre=+", tool, "own", canon) ||
	    exec_line(f, "ExecStopPost=-+", tool, "disown", canon)) {
		fclose(f);
		unlink(tmp);
		return 1;
	}
	if (fclose(f) == EOF || rename(tmp, path) < 0) {
		int saved = errno;

		unlink(tmp);
		return fail("writing %s: %s", path, strerror(saved));
	}
	printf("wrote %s; now: systemctl daemon-reload && systemctl restart "
	       "%s\n", path, name);
	return 0;
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
	if (ports_parse(argv[1], map) || which_cgroup(argv[2], dir,
						      sizeof(dir), &id))
		return 1;
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
	format_ranges(map, canon, sizeof(canon));
	printf("owner of %s: %s (cgroup %llu)\n", canon,
	       text_escape(dir, shown, sizeof(shown)),
	       (unsigned long long)id);
	return 0;
}

int cmd_disown(int argc, char **argv)
{
	static uint64_t map[DENY_WORDS];
	struct owner_key *keys;
	char dir[PATH_MAX];
	__u64 id = 0;
	size_t n, removed = 0;
	int fd, lock;

	if (ports_parse(argv[1], map))
		return 1;
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
	if (!removed)
		return fail("no owner of %s%s to disown", argv[1],
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
