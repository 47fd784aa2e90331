/* SPDX-License-Identifier: ISC */
/* One member: a UDP socket bound to one chosen port. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "member.h"

void pp_close_keep_errno(int fd)
{
	int err = errno;

	close(fd);
	errno = err;
}

static const char *family_name(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

#if defined(IP_PMTUDISC_OMIT) && defined(IPV6_PMTUDISC_OMIT)
/* member.h sets IPV6_MTU_DISCOVER with IP_PMTUDISC_OMIT. */
_Static_assert(IP_PMTUDISC_OMIT == IPV6_PMTUDISC_OMIT,
	       "one value serves both families");
#endif

/*
 * The sentences of member.h's failures, out of line: errno still holds
 * what the system call said.
 */
int pp_member_socket_failed(const struct portpool_config *cfg)
{
	return pp_fail(errno, "cannot make an %s UDP socket: %s",
		       family_name(cfg->family), strerror(errno));
}

int pp_member_v6only_failed(int fd)
{
	int err = errno;

	close(fd);
	return pp_fail(err, "cannot make a UDP socket IPv6-only "
		       "(IPV6_V6ONLY): %s", strerror(err));
}

int pp_member_pmtu_failed(int fd, int family)
{
	pp_fail(errno, "cannot set %s on a UDP socket: %s",
		family == AF_INET6 ? "IPV6_PMTUDISC_OMIT" : "IP_PMTUDISC_OMIT",
		strerror(errno));
	pp_close_keep_errno(fd);
	return -1;
}

int pp_member_bind_failed(const struct portpool_config *cfg, uint16_t port)
{
	return pp_fail(errno, "cannot bind a UDP socket to %s port %u: %s",
		       cfg->has_address ? cfg->address_text :
		       "the wildcard address", port, strerror(errno));
}

/*
 * The caller's socket hook, after the library's options and before
 * bind(), so that what it sets holds on every member, rotated and
 * refreshed ones too.  A hook that says -1 without errno still fails:
 * ECANCELED then, since something has to tell the caller why.  A refused
 * socket is closed.
 */
int pp_member_run_hook(const struct portpool_config *cfg, int fd)
{
	int rc, err;

	errno = 0;
	rc = cfg->hook(fd, cfg->family, cfg->hook_arg);
	if (rc == 0)
		return 0;
	err = errno ? errno : ECANCELED;
	pp_fail(err, "the socket hook refused a new %s member socket (it "
		"returned %d): %s", family_name(cfg->family), rc,
		strerror(err));
	pp_close_keep_errno(fd);
	return -1;
}

PP_EXPORT int portpool_config_set_socket_hook(struct portpool_config *cfg,
					      portpool_socket_hook hook,
					      void *arg)
{
	if (!cfg)
		return pp_fail(EINVAL, "portpool_config_set_socket_hook: the "
			       "config is NULL");
	cfg->hook = hook;
	cfg->hook_arg = hook ? arg : NULL;
	return 0;
}

/* The address members bind to, less the port: built once per pool. */
void pp_member_addr(const struct portpool_config *cfg,
		    struct pp_member_addr *addr)
{
	memset(addr, 0, sizeof(*addr));
	if (cfg->has_address) {
		memcpy(&addr->ss, &cfg->address, cfg->address_len);
		addr->len = cfg->address_len;
	} else {
		addr->ss.ss_family = (sa_family_t)cfg->family;
		addr->len = cfg->family == AF_INET6 ?
			    sizeof(struct sockaddr_in6) :
			    sizeof(struct sockaddr_in);
	}
}

/*
 * "FDSize:" of /proc/self/status, or 0 when it cannot be read.  Unlike a
 * sysctl file, status is a seq_file: later reads go on where the last
 * one stopped, so reading it line by line through stdio sees it whole
 * (its Groups line alone can exceed any fixed buffer).
 */
static unsigned long fd_table_size(void)
{
	FILE *status = fopen("/proc/self/status", "re");
	unsigned long size = 0;
	char line[128];

	if (!status)
		return 0;
	while (fgets(line, sizeof(line), status))
		if (sscanf(line, "FDSize: %lu", &size) == 1)
			break;
	fclose(status);
	return size;
}

/*
 * Since Linux 6.2 the size of /proc/self/fd is the number of descriptors
 * open: one stat(), where formatting /proc/self/status costs the kernel
 * tens of microseconds and walking the directory milliseconds with
 * thousands open.  -1 where it says 0: an older kernel (and a process
 * with nothing open can afford the walk).
 */
static long fd_count_from_size(void)
{
	struct stat st;

	if (stat("/proc/self/fd", &st) != 0 || st.st_size <= 0)
		return -1;
	return (long)st.st_size;
}

long pp_open_descriptors(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *ent;
	long n = 0;

	if (!dir)
		return -1;
	while ((ent = readdir(dir)))
		if (ent->d_name[0] != '.')
			n++;
	closedir(dir);
	return n - 1;	/* the directory's own descriptor */
}

/*
 * Without /proc (a chroot, an early-boot daemon, a container that hides
 * it), count by asking each descriptor number below the soft limit:
 * every open one is there unless the limit was lowered after it was
 * opened, and then socket() still says EMFILE.  A thousand fcntl()s cost
 * about 0.1 ms; past PP_NOFILE_PROBE_MAX numbers it is not worth it, and
 * a limit that high already holds any pool.
 */
#define PP_NOFILE_PROBE_MAX 65536u

static long probe_descriptors(rlim_t soft)
{
	long n = 0;

	if (soft > PP_NOFILE_PROBE_MAX)
		return -1;
	for (int fd = 0; fd < (int)soft; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return n;
}

/*
 * How many more descriptors fit under the soft RLIMIT_NOFILE, after
 * raising it toward the hard limit if `raise` and `needed` do not fit
 * (a raise is recorded in *undo).  ULONG_MAX when it cannot be told:
 * socket() will say EMFILE.
 */
unsigned long pp_nofile_room(unsigned long needed, bool raise,
			     unsigned long *open_out, unsigned long *limit_out,
			     struct pp_nofile_undo *undo)
{
	struct rlimit lim;
	long open_now;

	if (getrlimit(RLIMIT_NOFILE, &lim) != 0 ||
	    lim.rlim_cur == RLIM_INFINITY)
		return ULONG_MAX;
	open_now = fd_count_from_size();
	if (open_now < 0) {
		/*
		 * The descriptor table's size bounds how many are open;
		 * when that bound already fits, the exact count (a walk of
		 * /proc/self/fd) is not needed.
		 */
		unsigned long table = fd_table_size();

		if (table && table + needed <= lim.rlim_cur) {
			*open_out = table;
			*limit_out = (unsigned long)lim.rlim_cur;
			return (unsigned long)lim.rlim_cur - table;
		}
		open_now = pp_open_descriptors();
	}
	if (open_now < 0)
		open_now = probe_descriptors(lim.rlim_cur);
	if (open_now < 0)
		return ULONG_MAX;
	if (raise && (unsigned long)open_now + needed > lim.rlim_cur &&
	    lim.rlim_cur < lim.rlim_max) {
		struct rlimit raised = lim;
		/* Headroom, so that the process can still open a file or
		 * rotate a member once the pool holds what it asked for. */
		rlim_t want = (rlim_t)open_now + needed + PP_NOFILE_HEADROOM;

		raised.rlim_cur = want < lim.rlim_max ? want : lim.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
			undo->before = (unsigned long)lim.rlim_cur;
			undo->raised_to = (unsigned long)raised.rlim_cur;
			lim = raised;
		}
	}
	*open_out = (unsigned long)open_now;
	*limit_out = (unsigned long)lim.rlim_cur;
	if ((unsigned long)open_now >= lim.rlim_cur)
		return 0;
	return (unsigned long)(lim.rlim_cur - (rlim_t)open_now);
}

/*
 * The default raise of the soft limit happens before the call knows it
 * will succeed; a call that then fails puts it back, since a failed call
 * changes nothing.  Only if the limit is still what this call set: the
 * limit is the process's, and another thread may have raised it since
 * for a pool of its own.
 */
void pp_nofile_restore(const struct pp_nofile_undo *undo)
{
	struct rlimit lim;
	int err = errno;

	if (undo->raised_to && getrlimit(RLIMIT_NOFILE, &lim) == 0 &&
	    lim.rlim_cur == (rlim_t)undo->raised_to) {
		lim.rlim_cur = (rlim_t)undo->before;
		setrlimit(RLIMIT_NOFILE, &lim);
	}
	errno = err;
}

/*
 * Fail before binding anything when `needed` more descriptors cannot fit:
 * better one clear sentence up front than EMFILE half way through 2,500
 * binds.
 */
int pp_check_nofile(unsigned long needed, bool raise, const char *what,
		    struct pp_nofile_undo *undo)
{
	char a[32], b[32], c[32];
	unsigned long open_now = 0, limit = 0;

	if (pp_nofile_room(needed, raise, &open_now, &limit, undo) >= needed)
		return 0;
	return pp_fail(EMFILE, "%s needs %s descriptors: %s are open and "
		       "RLIMIT_NOFILE is %s", what, pp_grouped(needed, a),
		       pp_grouped(open_now, b), pp_grouped(limit, c));
}
