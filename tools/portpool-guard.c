// SPDX-License-Identifier: ISC
/*
 * portpool-guard: the host's port reservations, enforced for daemons that
 * do not link libportpool.  A cgroup program on bind4/bind6 refuses an
 * explicit UDP bind to a reserved port with EADDRINUSE, so that the
 * daemon's own retry loop draws another port.  See portpool-guard(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <portpool.h>

#include "denyset.h"
#include "guard-metrics.h"
#include "portpool-guard.skel.h"

#define DEFAULT_PIN_DIR	"/sys/fs/bpf/portpool"
#define DEFAULT_UNIT_DIR "/etc/systemd/system"
#define KERNEL_LIST	"/proc/sys/net/ipv4/ip_local_reserved_ports"
#define MAX_PROGS	64	/* programs read back per cgroup and hook */

static const char *pin_dir = DEFAULT_PIN_DIR;
static const char *unit_dir = DEFAULT_UNIT_DIR;
static unsigned int sources = DENY_DEFAULT_SOURCES;
static const char *extra;		/* --reserve LIST */

static const char *const pin_names[] = { "bind4", "bind6", "deny",
					 "refused" };
enum { PIN_BIND4, PIN_BIND6, PIN_DENY, PIN_REFUSED, PIN_COUNT };
static const enum bpf_attach_type hook_type[2] = {
	BPF_CGROUP_INET4_BIND, BPF_CGROUP_INET6_BIND
};

static void usage(void)
{
	fprintf(stderr, "usage: portpool-guard [--pin-dir DIR] [--sources "
		"LIST] [--reserve LIST] [--unit-dir DIR] load | attach "
		"CGROUP_DIR | detach CGROUP_DIR | sync [--kernel] | status "
		"[--json | --metrics] | unload | run [CGROUP_DIR...] | enable "
		"UNIT\n");
	exit(2);
}

/* One line on stderr, then 1: every failure of a command ends here. */
static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("portpool-guard: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static void pin_path(char *buf, size_t size, int which)
{
	snprintf(buf, size, "%s/%s", pin_dir, pin_names[which]);
}

/* The pinned object's descriptor, or -1 (errno set). */
static int pin_get(int which)
{
	char path[PATH_MAX];

	pin_path(path, sizeof(path), which);
	return bpf_obj_get(path);
}

static int not_loaded(void)
{
	return fail("not loaded in %s (run \"portpool-guard load\" first): %s",
		    pin_dir, strerror(errno));
}

/* "4500,8080-8090" for the ports set in map; "" for none. */
static void format_ranges(const uint64_t *map, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned int p = 0; p < 65536; p++) {
		unsigned int q = p;
		int n;

		if (!deny_has(map, p))
			continue;
		while (q < 65535 && deny_has(map, q + 1))
			q++;
		n = p == q ? snprintf(buf + used, size - used, "%s%u",
				      used ? "," : "", p) :
			     snprintf(buf + used, size - used, "%s%u-%u",
				      used ? "," : "", p, q);
		if (n < 0 || (size_t)n >= size - used)
			break;	/* sized by the callers for 65,536 ports */
		used += (size_t)n;
		p = q;
	}
}

/* Big enough for the worst case, every other port: 32,768 x 6 bytes. */
#define RANGES_MAX (6 * 32768 + 1)

static int fill(uint64_t *map)
{
	int n = deny_set_fill(sources, extra, map);

	if (n < 0)
		fail("reading the deny set: %s", portpool_error());
	return n;
}

/* The union of the policy's reservations and the kernel's list, written
 * back to the kernel: never removes what the admin put there. */
static int sync_kernel(void)
{
	static uint64_t policy[DENY_WORDS];
	char *text, *cur;
	size_t len;
	FILE *f;
	int n;

	n = deny_set_fill(1u << PORTPOOL_SOURCE_POLICY, extra, policy);
	if (n < 0)
		return fail("reading the policy: %s", portpool_error());
	if (n == 0)
		return 0;
	text = malloc(2 * RANGES_MAX + 2);
	if (!text)
		return fail("sync --kernel: %s", strerror(errno));
	f = fopen(KERNEL_LIST, "r");
	if (f) {
		if (!fgets(text, RANGES_MAX, f))
			text[0] = '\0';
		fclose(f);
	} else {
		text[0] = '\0';
	}
	len = strcspn(text, "\n");
	cur = text + len;
	if (len)
		*cur++ = ',';
	format_ranges(policy, cur, RANGES_MAX);
	f = fopen(KERNEL_LIST, "w");
	if (!f || fputs(text, f) == EOF || fclose(f) == EOF) {
		int saved = errno;

		free(text);
		errno = saved;
		return fail("writing %s: %s", KERNEL_LIST, strerror(errno));
	}
	free(text);
	return 0;
}

/* Replace the whole deny set at once: the programs see it at their next
 * bind.  quiet: from run's loop, where only changes are worth a line. */
static int do_sync(bool quiet)
{
	static uint64_t map[DENY_WORDS];
	static char ranges[RANGES_MAX];
	__u32 zero = 0;
	int fd, n, rc;

	fd = pin_get(PIN_DENY);
	if (fd < 0)
		return not_loaded();
	n = fill(map);
	if (n < 0) {
		close(fd);
		return 1;
	}
	rc = bpf_map_update_elem(fd, &zero, map, BPF_ANY);
	close(fd);
	if (rc < 0)
		return fail("updating the deny set in %s: %s", pin_dir,
			    strerror(errno));
	if (!quiet) {
		format_ranges(map, ranges, sizeof(ranges));
		printf("deny set: %d ports%s%s\n", n, n ? ": " : "", ranges);
	}
	return 0;
}

static int cmd_sync(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--kernel") != 0)
		usage();
	if (argc > 2)
		usage();
	if (argc == 2 && sync_kernel())
		return 1;
	return do_sync(false);
}

static bool on_fs(const char *path, long magic)
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
static void rmdirs(const char *dir, size_t made)
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
static int mkdirs(const char *dir, size_t *made)
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

static void unpin_all(void)
{
	char path[PATH_MAX];

	for (int i = 0; i < PIN_COUNT; i++) {
		pin_path(path, sizeof(path), i);
		unlink(path);
	}
}

static int do_load(void)
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

static int open_cgroup(const char *dir, int *cg)
{
	if (!on_fs(dir, CGROUP2_SUPER_MAGIC))
		return fail("%s: not a cgroup v2 directory (%s)", dir,
			    errno ? strerror(errno) : "another filesystem");
	*cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*cg < 0)
		return fail("%s: %s", dir, strerror(errno));
	return 0;
}

static int do_attach(const char *dir)
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
			return fail("attaching to %s: %s", dir,
				    strerror(saved));
		}
		close(prog);
	}
	close(cg);
	printf("attached to %s\n", dir);
	return 0;
}

static int do_detach(const char *dir, bool quiet)
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
			return fail("detaching from %s: %s", dir,
				    strerror(saved));
		}
		close(prog);
	}
	close(cg);
	if (!mask)
		return fail("%s: not attached there", dir);
	if (!quiet)
		printf("detached from %s\n", dir);
	return 0;
}

/* ---- every cgroup our programs are attached to ---- */

struct found {
	char path[PATH_MAX];
	int mask;
};
static struct found *found;
static size_t nfound;
static __u32 walk_ids[2];

static int walk_one(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	struct found *more;
	int cg, mask;

	(void)st;
	(void)ftw;
	if (type != FTW_D)
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
	found[nfound++].mask = mask;
	return 0;
}

/* Walk each cgroup2 mount of /proc/mounts (once per mount point). */
static int find_attached(void)
{
	char dev[256], dir[PATH_MAX], type[64], seen[16][PATH_MAX];
	size_t nseen = 0;
	FILE *m;

	nfound = 0;
	if (our_ids(walk_ids) < 0)
		return -1;
	m = fopen("/proc/mounts", "r");
	if (!m)
		return -1;
	while (fscanf(m, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3) {
		bool dup = false;

		if (strcmp(type, "cgroup2") != 0)
			continue;
		for (size_t i = 0; i < nseen; i++)
			dup |= !strcmp(seen[i], dir);
		if (dup || nseen == 16)
			continue;
		snprintf(seen[nseen++], PATH_MAX, "%s", dir);
		nftw(dir, walk_one, 16, FTW_PHYS | FTW_MOUNT);
	}
	fclose(m);
	return 0;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static int cmd_status(int argc, char **argv)
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
		json_string(pin_dir);
		printf(",\"deny_ports\":%d,\"deny\":\"%s\",\"attached\":[",
		       ports, ranges);
		for (size_t i = 0; i < nfound; i++) {
			printf("%s{\"cgroup\":", i ? "," : "");
			json_string(found[i].path);
			printf(",\"bind4\":%s,\"bind6\":%s}",
			       found[i].mask & 1 ? "true" : "false",
			       found[i].mask & 2 ? "true" : "false");
		}
		printf("],\"refused\":{");
	} else {
		printf("pin dir: %s\ndeny set: %d ports%s%s\n", pin_dir, ports,
		       ports ? ": " : "", ranges);
		for (size_t i = 0; i < nfound; i++)
			printf("attached: %s (%s%s%s)\n", found[i].path,
			       found[i].mask & 1 ? "bind4" : "",
			       found[i].mask == 3 ? ", " : "",
			       found[i].mask & 2 ? "bind6" : "");
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

/* Detach from every cgroup it is attached to, then drop the pins. */
static int do_unload(void)
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

/*
 * Tell systemd (Type=notify) that the programs are pinned and attached:
 * units ordered after the guard start only then, and their BPFProgram=
 * finds the pins.  The protocol is one datagram on $NOTIFY_SOCKET; it is
 * written here to spare a libsystemd dependency.  Without the variable
 * (not started by systemd) there is no one to tell.
 */
static void notify(const char *state)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (!name || (name[0] != '/' && name[0] != '@'))
		return;
	len = strlen(name);
	if (len >= sizeof(sun.sun_path)) {
		fail("NOTIFY_SOCKET %.64s: too long", name);
		return;
	}
	memcpy(sun.sun_path, name, len);
	if (name[0] == '@')
		sun.sun_path[0] = '\0';	/* the abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, state, strlen(state), MSG_NOSIGNAL,
			     (struct sockaddr *)&sun,
			     offsetof(struct sockaddr_un, sun_path) + len) < 0)
		fail("telling systemd %s on %.64s: %s", state, name,
		     strerror(errno));
	if (fd >= 0)
		close(fd);
}

/*
 * SIGTERM and SIGINT end the command only: the pins and every attachment
 * stay, those systemd made through BPFProgram= included, so the guarded
 * services stay guarded while the command is down or restarting (the
 * next run finds the pins and only reads the deny set again).  Removing
 * the guard is the explicit "unload".
 */
static int cmd_run(int argc, char **argv)
{
	struct timespec second = { 1, 0 };
	uint64_t digest;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	digest = deny_inputs_digest();
	if (do_load())
		return 1;
	for (int i = 1; i < argc; i++)
		if (do_attach(argv[i]))
			return 1;
	fflush(stdout);
	notify("READY=1");
	for (;;) {
		uint64_t now;

		sig = sigtimedwait(&set, NULL, &second);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		now = deny_inputs_digest();
		if (sig != SIGHUP && now == digest)
			continue;
		digest = now;
		/* A failed re-read keeps the last good set: a typo in the
		 * policy must not open every port. */
		do_sync(false);
		fflush(stdout);
	}
	notify("STOPPING=1");
	printf("stopped; the guard stays loaded in %s (\"portpool-guard "
	       "unload\" removes it)\n", pin_dir);
	return 0;
}

static int cmd_enable(const char *unit)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], name[256];
	FILE *f;

	if (!*unit || strchr(unit, '/') || strlen(unit) > 200 ||
	    strspn(unit, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"
		   "YZ0123456789:-_.@\\") != strlen(unit))
		return fail("unit \"%.64s\": not a unit name", unit);
	snprintf(name, sizeof(name), "%s%s", unit,
		 strchr(unit, '.') ? "" : ".service");
	if (snprintf(dir, sizeof(dir), "%s/%s.d", unit_dir, name) >=
	    (int)sizeof(dir))
		return fail("unit directory %s: too long", unit_dir);
	if (mkdirs(dir, NULL) < 0)
		return fail("making %s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/portpool-guard.conf", dir);
	f = fopen(path, "w");
	if (!f)
		return fail("writing %s: %s", path, strerror(errno));
	fprintf(f, "# Written by portpool-guard enable: the host's port "
		"reservations hold for\n# this unit's explicit UDP binds.\n"
		"[Unit]\nWants=portpool-guard.service\n"
		"After=portpool-guard.service\n\n[Service]\n"
		"BPFProgram=bind4:%s/bind4\nBPFProgram=bind6:%s/bind6\n",
		pin_dir, pin_dir);
	if (fclose(f) == EOF)
		return fail("writing %s: %s", path, strerror(errno));
	printf("wrote %s; now: systemctl daemon-reload && systemctl restart "
	       "%s\n", path, name);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd;
	int i = 1;

	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		const char *opt = argv[i];

		if (i + 1 >= argc)
			usage();
		if (!strcmp(opt, "--pin-dir"))
			pin_dir = argv[++i];
		else if (!strcmp(opt, "--unit-dir"))
			unit_dir = argv[++i];
		else if (!strcmp(opt, "--reserve"))
			extra = argv[++i];
		else if (!strcmp(opt, "--sources")) {
			if (deny_parse_sources(argv[++i], &sources) < 0) {
				fprintf(stderr, "portpool-guard: --sources "
					"\"%.64s\": known are policy, kernel, "
					"well-known, services\n", argv[i]);
				return 2;
			}
		} else
			usage();
	}
	if (i >= argc || !*pin_dir || pin_dir[0] != '/')
		usage();
	cmd = argv[i];
	argc -= i;
	argv += i;
	/* libbpf's own messages would be a second line for one failure. */
	libbpf_set_print(NULL);
	if (!strcmp(cmd, "load") && argc == 1)
		return do_load();
	if (!strcmp(cmd, "attach") && argc == 2)
		return do_attach(argv[1]);
	if (!strcmp(cmd, "detach") && argc == 2)
		return do_detach(argv[1], false);
	if (!strcmp(cmd, "sync"))
		return cmd_sync(argc, argv);
	if (!strcmp(cmd, "status"))
		return cmd_status(argc, argv);
	if (!strcmp(cmd, "unload") && argc == 1)
		return do_unload();
	if (!strcmp(cmd, "run"))
		return cmd_run(argc, argv);
	if (!strcmp(cmd, "enable") && argc == 2)
		return cmd_enable(argv[1]);
	usage();
	return 2;
}
