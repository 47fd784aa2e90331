/* SPDX-License-Identifier: ISC */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/*
 * As an ordinary user, make a user namespace first, in which this process
 * is root (uid and gid mapped to 0), and the network namespace inside it:
 * the new namespace's sysctls then belong to us, and the host's stay
 * untouched either way.  Must run while the process has one thread.
 */
static int write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, text, len) == (ssize_t)len;
	close(fd);
	return ok ? 0 : -1;
}

static const char *enter_userns(void)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (unshare(CLONE_NEWUSER) != 0)
		return "unshare(CLONE_NEWUSER) failed "
		       "(unprivileged user namespaces off?)";
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
	if (write_file("/proc/self/uid_map", map) != 0)
		return "cannot write /proc/self/uid_map";
	if (write_file("/proc/self/setgroups", "deny") != 0)
		return "cannot write /proc/self/setgroups";
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
	if (write_file("/proc/self/gid_map", map) != 0)
		return "cannot write /proc/self/gid_map";
	return NULL;
}

static int real_root(void);
static int was_real_root = -1;	/* before pp_test_isolate(); -1 unknown */

static int netns_state;	/* 0 not tried, 1 in one, -1 failed */
static const char *netns_why = "pp_test_enter_netns() was not called";

int pp_test_enter_netns(const char **why)
{
	struct ifreq ifr;
	int fd;

	if (netns_state) {
		if (why)
			*why = netns_why;
		return netns_state > 0 ? 0 : -1;
	}
	netns_state = -1;
	if (geteuid() != 0) {
		const char *err = enter_userns();

		if (err) {
			netns_why = err;
			goto out;
		}
	}
	if (unshare(CLONE_NEWNET) != 0) {
		netns_why = "unshare(CLONE_NEWNET) failed";
		goto out;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		netns_why = "no socket to bring lo up";
		goto out;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) == 0)
			netns_state = 1;
	}
	close(fd);
	if (netns_state < 0)
		netns_why = "cannot bring lo up in the new namespace";
out:
	if (why)
		*why = netns_why;
	return netns_state > 0 ? 0 : -1;
}

void pp_test_isolate(void)
{
	if (was_real_root < 0)
		was_real_root = real_root();
	pp_test_enter_netns(NULL);
	setenv("PORTPOOL_CONF", "/nonexistent/portpool.conf", 1);
}

void pp_test_require_netns(void)
{
	const char *why;
	const char *ci = getenv("CI");

	if (pp_test_enter_netns(&why) == 0)
		return;
	if (ci && strcmp(ci, "true") == 0)
		fail_msg("no private network namespace under CI=true: %s", why);
	print_message("skipped: %s\n", why);
	skip();
}

void pp_test_sysctl(const char *name, const char *value)
{
	char path[256];
	size_t len = strlen(value);
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	if (write(fd, value, len) != (ssize_t)len) {
		int err = errno;

		close(fd);
		fail_msg("write \"%s\" to %s: %s", value, path, strerror(err));
	}
	close(fd);
}

long pp_test_count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *ent;
	long n = 0;

	assert_non_null(dir);
	while ((ent = readdir(dir)))
		if (ent->d_name[0] != '.')
			n++;
	closedir(dir);
	return n - 1;
}

const char *pp_test_fixture(const char *name)
{
	static char path[4096];
	const char *dir = getenv("PORTPOOL_FIXTURES");

	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "test/fixtures",
		 name);
	/*
	 * The library refuses a policy file writable by group or others;
	 * a checkout made under umask 002 gives fixtures mode 0664.
	 */
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 022))
		chmod(path, st.st_mode & 0755);
	return path;
}

/*
 * Root of the initial user namespace: uid 0 there maps the whole range,
 * "0 0 4294967295".  Root of a namespace we made maps one id only.
 */
static int real_root(void)
{
	unsigned long inside, outside, count;
	FILE *f;
	int ok;

	if (geteuid() != 0)
		return 0;
	f = fopen("/proc/self/uid_map", "re");
	if (!f)
		return 0;
	ok = fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3 &&
	     inside == 0 && outside == 0 && count == 4294967295UL;
	fclose(f);
	return ok;
}

void pp_test_need_root(const char *reason)
{
	if (real_root())
		return;
	printf("needs root: %s\n", reason);
	fflush(stdout);
	exit(PP_TEST_NEEDS_ROOT);
}

int pp_test_real_root(void)
{
	if (was_real_root < 0)
		was_real_root = real_root();
	return was_real_root;
}

void pp_test_range_is(const struct portpool_config *cfg, unsigned first,
		      unsigned last)
{
	uint16_t lo = 0, hi = 0;

	assert_int_equal(portpool_effective_range(cfg, &lo, &hi), 0);
	assert_int_equal(lo, first);
	assert_int_equal(hi, last);
}
