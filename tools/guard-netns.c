// SPDX-License-Identifier: ISC
/*
 * portpool-guard's network namespaces: a reserved port belongs to one,
 * as the kernel's ip_local_reserved_ports does.  Each namespace the guard
 * was given has its own deny set (the host policy and that namespace's
 * kernel list, read inside it) in a slot of the "deny" map, found by the
 * namespace's cookie; a bind in any other namespace passes.  Cookies are
 * never reused while the system runs, so a namespace that went away is
 * never matched by a later one, whatever inode number the later one has.
 *
 * A namespace is given by path (/proc/PID/ns/net, /run/netns/NAME): with
 * --netns, or in the owner file.  The path is kept in the slot, so that
 * every sync reads that namespace again; when it is gone, or names
 * another namespace now, the slot is dropped and the other namespace is
 * not taken: a PID is given to another process once its own has ended,
 * and that process's namespace is not the one the guard was given.  Only
 * the owner file follows a name (a mount of the namespace, as "ip netns
 * add" makes under /run/netns): the file is read again at every sync
 * and says what the administrator wants guarded then, whatever
 * namespace has that name; a /proc/PID link there is refused, since a
 * file outlives the process it names.  A name given with --netns is not
 * followed: whether a sync ran while the name was away would decide it.
 * load, sync and run also cover the namespace they run in.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/magic.h>
#include <linux/nsfs.h>
#include <bpf/bpf.h>

#include "guard.h"
#include "out.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71	/* Linux 5.14 */
#endif

const char **ns_add, **ns_del;
size_t ns_nadd, ns_ndel;

__u64 own_cookie(void)
{
	__u64 cookie = 0;
	socklen_t len = sizeof(cookie);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) < 0)
		cookie = 0;
	close(fd);
	return cookie;
}

/* One namespace as read: its cookie and its deny set. */
struct ns_read {
	__u64 cookie;
	int ports;
	uint64_t map[DENY_WORDS];
};

static struct ns_read rd;

/* Our namespace's cookie and deny set into rd; -1 after fail(). */
static int read_here(void)
{
	rd.cookie = own_cookie();
	if (!rd.cookie)
		return fail("reading the network namespace's cookie: %s",
			    strerror(errno));
	rd.ports = fill(rd.map);
	return rd.ports < 0 ? -1 : 0;
}

/* Why the last ns_open() refused its path: the end of a sentence. */
static char ns_why[200];

/* What a path that is not a namespace is, for ns_why. */
static void not_ns(const char *path)
{
	struct stat st;
	const char *what = "not a namespace file";

	if (stat(path, &st) == 0)
		what = S_ISFIFO(st.st_mode) ? "a FIFO" :
		       S_ISDIR(st.st_mode) ? "a directory" :
		       S_ISREG(st.st_mode) ? "a regular file" :
		       S_ISCHR(st.st_mode) ? "a character device" :
		       S_ISBLK(st.st_mode) ? "a block device" :
		       S_ISSOCK(st.st_mode) ? "a socket" : what;
	snprintf(ns_why, sizeof(ns_why), "not a network namespace but %s "
		 "(/proc/PID/ns/net or /run/netns/NAME is one)", what);
}

/*
 * The namespace file at path, opened without waiting and without the side
 * effects of opening anything else: what is not on nsfs is refused before
 * open() (a FIFO would block it, under the pin directory's lock; a
 * device's open may act), and what was opened is looked at again, since
 * the path may have changed meanwhile (O_NONBLOCK: a FIFO put there then
 * does not block either).  O_NOFOLLOW cannot be used: /proc/PID/ns/net
 * is a symbolic link, which open() must follow.  *name: the path is a
 * mount of the namespace itself (what "ip netns add" makes under
 * /run/netns), not a link such as /proc/PID/ns/net, which names a
 * process.  Returns the descriptor, or -1 with ns_why set.
 */
static int ns_open(const char *path, bool *name)
{
	struct statfs sfs;
	struct stat st, lst;
	int fd;

	if (statfs(path, &sfs) < 0) {
		snprintf(ns_why, sizeof(ns_why), "%s", strerror(errno));
		return -1;
	}
	if (sfs.f_type != NSFS_MAGIC) {
		not_ns(path);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		snprintf(ns_why, sizeof(ns_why), "%s", strerror(errno));
		return -1;
	}
	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != NSFS_MAGIC ||
	    fstat(fd, &st) < 0) {
		close(fd);
		not_ns(path);
		return -1;
	}
	if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
		close(fd);
		snprintf(ns_why, sizeof(ns_why), "a namespace, but not a "
			 "network namespace");
		return -1;
	}
	*name = lstat(path, &lst) == 0 && !S_ISLNK(lst.st_mode) &&
		lst.st_dev == st.st_dev && lst.st_ino == st.st_ino;
	return fd;
}

/*
 * The namespace at path, read from inside it: a child process joins it
 * (setns) and reads the kernel's list there, which /proc/sys shows for
 * the namespace of the process that looks.  Returns 0 with rd and *name
 * (see ns_open()) filled; -1 with ns_why set when path is not there or
 * not a network namespace (the caller says what that means); -2 after
 * fail().
 */
static int read_at(const char *path, bool *name)
{
	char shown[TEXT_MAX(64)];
	int fd, pipefd[2], status;
	size_t got = 0;
	pid_t pid;

	fd = ns_open(path, name);
	if (fd < 0)
		return -1;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		close(fd);
		fail("reading %s: %s", text_escape(path, shown, sizeof(shown)),
		     strerror(errno));
		return -2;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		if (setns(fd, CLONE_NEWNET) < 0) {
			fail("joining %s: %s", text_escape(path, shown,
				sizeof(shown)), strerror(errno));
			_exit(1);
		}
		if (read_here() < 0)
			_exit(1);
		for (const char *p = (const char *)&rd; got < sizeof(rd);) {
			ssize_t n = write(pipefd[1], p + got, sizeof(rd) - got);

			if (n <= 0)
				_exit(1);
			got += (size_t)n;
		}
		_exit(0);
	}
	close(fd);
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		fail("reading %s: %s", text_escape(path, shown, sizeof(shown)),
		     strerror(errno));
		return -2;
	}
	while (got < sizeof(rd)) {
		ssize_t n = read(pipefd[0], (char *)&rd + got,
				 sizeof(rd) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got != sizeof(rd) || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			fail("reading %s: the reader stopped short",
			     text_escape(path, shown, sizeof(shown)));
		return -2;	/* the child said why */
	}
	return 0;
}

/* The pinned maps ns_sync() works on, and their slots as read. */
static int fd_deny = -1, fd_netns = -1, fd_info = -1;
static struct ns_info slots[NS_SLOTS];

static void close_maps(void)
{
	if (fd_deny >= 0)
		close(fd_deny);
	if (fd_netns >= 0)
		close(fd_netns);
	if (fd_info >= 0)
		close(fd_info);
	fd_deny = fd_netns = fd_info = -1;
}

int ns_read_all(struct ns_info *info)
{
	int fd = pin_get(PIN_NSINFO);

	if (fd < 0)
		return not_loaded(), -1;
	for (__u32 i = 0; i < NS_SLOTS; i++)
		if (bpf_map_lookup_elem(fd, &i, &info[i]) < 0) {
			int saved = errno;

			close(fd);
			return fail("reading the namespaces in %s: %s",
				    pin_shown(), strerror(saved)), -1;
		}
	close(fd);
	return 0;
}

/*
 * The union of the namespaces' sets, in slot NS_SLOTS: the programs look
 * there first.  It must hold every port of every slot whenever a cookie
 * names that slot: with more (a port of a set being written) a bind only
 * takes the longer way.  add: a set about to be used, added to the union
 * as it is; NULL: the union made again from the slots, as ns_sync()
 * leaves it.
 */
static int union_update(const uint64_t *add)
{
	static uint64_t all[DENY_WORDS], one[DENY_WORDS];
	__u32 key = NS_SLOTS;

	if (add) {
		if (bpf_map_lookup_elem(fd_deny, &key, all) < 0)
			return fail("reading the deny sets in %s: %s",
				    pin_shown(), strerror(errno));
		for (size_t w = 0; w < DENY_WORDS; w++)
			all[w] |= add[w];
	} else {
		memset(all, 0, sizeof(all));
		for (__u32 i = 0; i < NS_SLOTS; i++) {
			if (!(slots[i].flags & NS_USED))
				continue;
			if (bpf_map_lookup_elem(fd_deny, &i, one) < 0)
				return fail("reading the deny sets in %s: %s",
					    pin_shown(), strerror(errno));
			for (size_t w = 0; w < DENY_WORDS; w++)
				all[w] |= one[w];
		}
	}
	if (bpf_map_update_elem(fd_deny, &key, all, BPF_ANY) < 0)
		return fail("updating the deny sets in %s: %s", pin_shown(),
			    strerror(errno));
	return 0;
}

/* The slot holding cookie, or -1. */
static int slot_of(__u64 cookie)
{
	for (int i = 0; i < NS_SLOTS; i++)
		if ((slots[i].flags & NS_USED) && slots[i].cookie == cookie)
			return i;
	return -1;
}

static int slot_of_path(const char *path)
{
	for (int i = 0; i < NS_SLOTS; i++)
		if ((slots[i].flags & NS_USED) && path[0] &&
		    !strcmp(slots[i].path, path))
			return i;
	return -1;
}

/* The namespace of slot i is no longer guarded: its cookie first, so
 * that no bind finds the slot while its set is emptied. */
static int drop(__u32 i)
{
	static uint64_t none[DENY_WORDS];

	if (bpf_map_delete_elem(fd_netns, &slots[i].cookie) < 0 &&
	    errno != ENOENT)
		return fail("removing a namespace from %s: %s", pin_shown(),
			    strerror(errno));
	memset(&slots[i], 0, sizeof(slots[i]));
	if (bpf_map_update_elem(fd_deny, &i, none, BPF_ANY) < 0 ||
	    bpf_map_update_elem(fd_info, &i, &slots[i], BPF_ANY) < 0)
		return fail("removing a namespace from %s: %s", pin_shown(),
			    strerror(errno));
	return 0;
}

/*
 * rd into slot: the slot that holds rd's namespace, else a free one.
 * The set is written before the cookie names the slot, so that no bind
 * sees a slot half made.
 */
static int put(const char *path, __u32 flags)
{
	char shown[TEXT_MAX(NS_PATH_MAX)];
	int i = slot_of(rd.cookie);
	__u32 slot;

	text_escape(path, shown, sizeof(shown));
	if (i < 0)
		for (i = 0; i < NS_SLOTS && slots[i].flags; i++)
			;
	if (i >= NS_SLOTS)
		return fail("netns %s: all %d namespace slots are in use "
			    "(--no-netns frees one)", path[0] ? shown :
			    "of this command", NS_SLOTS);
	slot = (__u32)i;
	if (slots[i].cookie != rd.cookie) {
		memset(&slots[i], 0, sizeof(slots[i]));
	} else {
		struct ns_info now;

		/* The programs' counters as they are now, not as read at
		 * the start: fewer counts lost to this update. */
		if (bpf_map_lookup_elem(fd_info, &slot, &now) == 0) {
			slots[i].refused = now.refused;
			slots[i].allowed = now.allowed;
		}
	}
	slots[i].cookie = rd.cookie;
	slots[i].flags |= NS_USED | flags;
	slots[i].ports = (__u32)rd.ports;
	if (path[0])
		snprintf(slots[i].path, sizeof(slots[i].path), "%s", path);
	if (union_update(rd.map))
		return 1;
	if (bpf_map_update_elem(fd_deny, &slot, rd.map, BPF_ANY) < 0 ||
	    bpf_map_update_elem(fd_info, &slot, &slots[i], BPF_ANY) < 0 ||
	    bpf_map_update_elem(fd_netns, &rd.cookie, &slot, BPF_ANY) < 0)
		return fail("updating the deny set in %s: %s", pin_shown(),
			    strerror(errno));
	return 0;
}

static void say_set(const char *path)
{
	static char ranges[RANGES_MAX];
	char shown[TEXT_MAX(NS_PATH_MAX)];

	format_ranges(rd.map, ranges, sizeof(ranges));
	if (!path)
		printf("deny set: %d ports%s%s\n", rd.ports,
		       rd.ports ? ": " : "", ranges);
	else
		printf("netns %s (cookie %llu): %d ports%s%s\n",
		       text_escape(path, shown, sizeof(shown)),
		       (unsigned long long)rd.cookie, rd.ports,
		       rd.ports ? ": " : "", ranges);
}

/* A path as given is kept in the slot: it must fit, and be absolute. */
static int path_ok(const char *path)
{
	char shown[TEXT_MAX(64)];

	if (path[0] != '/' || strlen(path) >= NS_PATH_MAX)
		return fail("netns \"%s\": an absolute path of at most %d "
			    "bytes, please", text_escape(path, shown,
			    sizeof(shown)), NS_PATH_MAX - 1);
	return 0;
}

int ns_check_given(void)
{
	char shown[TEXT_MAX(64)];
	bool name;
	int fd;

	for (size_t k = 0; k < ns_nadd; k++) {
		if (path_ok(ns_add[k]))
			return 1;
		fd = ns_open(ns_add[k], &name);
		if (fd < 0)
			return fail("--netns %s: %s", text_escape(ns_add[k],
				    shown, sizeof(shown)), ns_why);
		close(fd);
	}
	return 0;
}

/* --no-netns PATH or COOKIE. */
static int remove_one(const char *arg, bool quiet)
{
	char shown[TEXT_MAX(64)], *end;
	unsigned long long cookie;
	bool name;
	int i, rc;

	text_escape(arg, shown, sizeof(shown));
	errno = 0;
	cookie = strtoull(arg, &end, 10);
	if (arg[0] >= '0' && arg[0] <= '9' && !*end && !errno) {
		i = slot_of(cookie);
	} else {
		/* By what the path names now, else by the path kept. */
		rc = read_at(arg, &name);
		if (rc == -2)
			return 1;
		i = rc == 0 ? slot_of(rd.cookie) : -1;
		if (i < 0)
			i = slot_of_path(arg);
	}
	if (i < 0)
		return fail("--no-netns %s: not a namespace the guard has "
			    "(\"portpool-guard status\" lists them)", shown);
	if (drop((__u32)i))
		return 1;
	if (!quiet)
		printf("netns %s: removed\n", shown);
	return 0;
}

static bool listed(const char *path, char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], path))
			return true;
	return false;
}

/*
 * The namespace kept by path in slot i, read again.  The same namespace
 * there: its set is refreshed.  The path gone, or naming another
 * namespace now: the slot is dropped, and the other namespace is not
 * taken (see the top of this file); an owner file's name made again is
 * then taken by the file's own line, as a new namespace.
 */
static int recheck(__u32 i, bool quiet)
{
	char path[NS_PATH_MAX], shown[TEXT_MAX(NS_PATH_MAX)];
	bool name, follow;
	__u64 was = slots[i].cookie;
	int rc;

	memcpy(path, slots[i].path, sizeof(path));
	path[sizeof(path) - 1] = '\0';
	text_escape(path, shown, sizeof(shown));
	rc = read_at(path, &name);
	if (rc == -2)
		return 1;
	if (rc == 0 && rd.cookie == was) {
		if (put(path, 0))
			return 1;
		if (!quiet)
			say_set(path);
		return 0;
	}
	follow = rc == 0 && name && (slots[i].flags & NS_FROM_FILE);
	if (drop(i))
		return 1;
	if (rc < 0)
		printf("netns %s: %s; dropped\n", shown, ns_why);
	else if (follow)
		printf("netns %s: a new namespace there (cookie %llu); the one "
		       "before (cookie %llu) is dropped\n", shown,
		       (unsigned long long)rd.cookie, (unsigned long long)was);
	else
		printf("netns %s: names another namespace now (cookie %llu), "
		       "not the one given (cookie %llu); dropped\n", shown,
		       (unsigned long long)rd.cookie, (unsigned long long)was);
	return 0;
}

/* A namespace given (--netns) or named by the owner file, read and
 * written.  One the file names that is not there is skipped (it may come
 * later); so is a link of the file's (see the top of this file). */
static int refresh(const char *path, __u32 flags, bool given, bool quiet)
{
	char shown[TEXT_MAX(NS_PATH_MAX)];
	bool name;
	int rc = read_at(path, &name);

	text_escape(path, shown, sizeof(shown));
	if (rc == -2)
		return 1;
	if (rc < 0 && given)
		return fail("--netns %s: %s", shown, ns_why);
	if (rc < 0 || (!given && !name)) {
		fprintf(stderr, "portpool-guard: netns %s (owner file): %s; "
			"skipped\n", shown, rc < 0 ? ns_why : "a link to a "
			"process's namespace, whose PID goes to another "
			"process once it ends: name the namespace (ip netns "
			"attach NAME PID) and write /run/netns/NAME");
		return 0;
	}
	if (put(path, flags))
		return 1;
	if (!quiet)
		say_set(path);
	return 0;
}

int pins_lock(void)
{
	int fd = open(pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			int saved = errno;

			close(fd);
			errno = saved;
			return -1;
		}
	return fd;
}

int ns_sync(bool quiet)
{
	char **file = NULL;
	size_t nfile = 0;
	__u64 own;
	int rc = 1;

	/* Bad paths are refused before anything changes. */
	if (ns_check_given())
		return 1;
	fd_deny = pin_get(PIN_DENY);
	fd_netns = pin_get(PIN_NETNS);
	fd_info = pin_get(PIN_NSINFO);
	if (fd_deny < 0 || fd_netns < 0 || fd_info < 0) {
		close_maps();
		return not_loaded();
	}
	if (ns_read_all(slots) < 0 || owner_file_netns(&file, &nfile) < 0)
		goto out;
	for (size_t k = 0; k < ns_ndel; k++)
		if (remove_one(ns_del[k], quiet))
			goto out;
	/* What the owner file no longer names goes. */
	for (__u32 i = 0; i < NS_SLOTS; i++)
		if ((slots[i].flags & NS_FROM_FILE) &&
		    !listed(slots[i].path, file, nfile) && drop(i))
			goto out;
	/* This command's own namespace. */
	if (read_here() < 0 || put("", 0))
		goto out;
	own = rd.cookie;
	if (!quiet)
		say_set(NULL);
	/* Every namespace kept by path, read again. */
	for (__u32 i = 0; i < NS_SLOTS; i++)
		if ((slots[i].flags & NS_USED) && slots[i].path[0] &&
		    slots[i].cookie != own && recheck(i, quiet))
			goto out;
	for (size_t k = 0; k < nfile; k++)
		if (refresh(file[k], NS_FROM_FILE, false, quiet))
			goto out;
	for (size_t k = 0; k < ns_nadd; k++)
		if (refresh(ns_add[k], 0, true, quiet))
			goto out;
	/* The union made again from what is there: ports of dropped or
	 * shrunk sets leave it.  After a failure it stays as it is, a
	 * union of more sets than there are, which costs a lookup only. */
	rc = union_update(NULL);
out:
	for (size_t k = 0; k < nfile; k++)
		free(file[k]);
	free(file);
	close_maps();
	return rc;
}
