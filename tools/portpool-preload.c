// SPDX-License-Identifier: ISC
/*
 * libportpool-preload.so: where cgroup BPF is not available, LD_PRELOAD
 * this to give bind() the rule of portpool-guard: an explicit UDP bind to
 * a port of the host's deny set fails with EADDRINUSE, so that the
 * daemon draws another port.  See libportpool-preload(8).
 *
 * The cost on the bind path is a bit test and, once a second at most, a
 * look at whether a policy input changed: the socket is only asked what
 * it is (one getsockopt) when its port is in the deny set.
 */
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <portpool.h>

#include "denyset.h"

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);

/*
 * Two maps: a reload fills the one not in use and then publishes it.  A
 * reader still on the old one reads a set at most a second stale, never
 * freed memory; reloads are at least a second apart.
 */
static uint64_t maps[2][DENY_WORDS];
static _Atomic(const uint64_t *) current;
static _Atomic(bind_fn) real_bind;
static _Atomic long next_check;		/* CLOCK_MONOTONIC_COARSE seconds */
static uint64_t digest;
static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;

static long now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (long)ts.tv_sec;
}

/* Whether the policy file was ever seen, and is now. */
static int policy_seen;

static int policy_gone(void)
{
	const char *conf = secure_getenv("PORTPOOL_CONF");
	int here = access(conf && *conf ? conf : DENYSET_POLICY_FILE,
			  F_OK) == 0;

	policy_seen |= here;
	return policy_seen && !here;
}

/*
 * The root directory the first read saw.  After a chroot (Unbound, BIND)
 * the inputs are the new root's: usually no policy file and no /proc, so
 * a re-read would find nothing and publish an empty set.  Whether the
 * policy file went away cannot tell that when there never was one (only
 * the kernel's list, or drop-ins); a changed root can.  So once the root
 * is another, the set read before stays for the process's life.
 */
static dev_t root_dev;
static ino_t root_ino;
static int root_known;

static int root_changed(void)
{
	struct stat st;

	if (stat("/", &st) < 0)
		return 1;	/* cannot tell: keep what was read */
	if (!root_known) {
		root_dev = st.st_dev;
		root_ino = st.st_ino;
		root_known = 1;
		return 0;
	}
	return st.st_dev != root_dev || st.st_ino != root_ino;
}

/* Re-read the deny set if an input changed (or never read).  A failed
 * read keeps the last set: a typo in the policy must not open every
 * port, and the program's bind goes on. */
static void refresh(long now)
{
	const uint64_t *cur;
	uint64_t d;
	int saved = errno;

	if (pthread_mutex_trylock(&reload_lock))
		return;		/* another thread is at it */
	if (now < atomic_load(&next_check))
		goto out;
	atomic_store(&next_check, now + 1);
	/* After a chroot (Unbound, BIND) the inputs are out of sight: the
	 * set read before it stays. */
	if ((root_changed() || policy_gone()) && atomic_load(&current))
		goto out;
	d = deny_inputs_digest();
	cur = atomic_load(&current);
	if (cur && d == digest)
		goto out;
	{
		uint64_t *next = cur == maps[0] ? maps[1] : maps[0];

		if (deny_set_fill(DENY_DEFAULT_SOURCES, NULL, next) >= 0) {
			atomic_store(&current, next);
			digest = d;
		}
	}
out:
	pthread_mutex_unlock(&reload_lock);
	errno = saved;
}

/* A child forked while another thread reloaded must not inherit a held
 * lock: it would never look at the policy again. */
static void preload_child(void)
{
	pthread_mutex_init(&reload_lock, NULL);
}

/* Read before the program can chroot or drop privileges. */
__attribute__((constructor)) static void preload_start(void)
{
	pthread_atfork(NULL, NULL, preload_child);
	refresh(now_seconds());
}

static int explicit_port(const struct sockaddr *addr, socklen_t len)
{
	if (!addr)
		return 0;
	if (addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in))
		return ntohs(((const struct sockaddr_in *)addr)->sin_port);
	if (addr->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6))
		return ntohs(((const struct sockaddr_in6 *)addr)->sin6_port);
	return 0;
}

static int is_udp(int fd)
{
	int type = 0, proto = 0;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_DGRAM)
		return 0;
	len = sizeof(proto);
	return getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0 &&
	       proto == IPPROTO_UDP;
}

/* Built with hidden visibility like the library: this one is exported. */
__attribute__((visibility("default")))
int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	bind_fn next = atomic_load_explicit(&real_bind, memory_order_relaxed);
	const uint64_t *map;
	int port = explicit_port(addr, len);

	if (!next) {
		next = (bind_fn)dlsym(RTLD_NEXT, "bind");
		if (!next) {
			errno = ENOSYS;
			return -1;
		}
		atomic_store(&real_bind, next);
	}
	if (port == 0)
		return next(fd, addr, len);
	if (now_seconds() >= atomic_load_explicit(&next_check,
						  memory_order_relaxed))
		refresh(now_seconds());
	map = atomic_load_explicit(&current, memory_order_acquire);
	if (map && deny_has(map, (unsigned int)port) && is_udp(fd)) {
		errno = EADDRINUSE;
		return -1;
	}
	return next(fd, addr, len);
}
