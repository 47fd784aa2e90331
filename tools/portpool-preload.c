// SPDX-License-Identifier: ISC
/*
 * libportpool-preload.so: where cgroup BPF is not available, LD_PRELOAD
 * this to give bind() the rule of portpool-guard: an explicit UDP bind to
 * a port of the host's deny set fails with EADDRINUSE, so that the
 * daemon draws another port.  See libportpool-preload(8).
 *
 * The cost on the bind path is holding the published set (two atomic
 * additions), a bit test and, once a second at most, a look at whether
 * a policy input changed: the socket is only asked what it is
 * (getsockopt) when its port is in the deny set.
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
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <portpool.h>

#include "denygen.h"
#include "denyset.h"

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);

/*
 * The published set lives in denygen.c: a reload fills a buffer no
 * reader holds and publishes it, so a reader stalled for any time reads
 * the whole set it loaded, never one being refilled.
 */
static _Atomic(bind_fn) real_bind;
static _Atomic long next_check;		/* CLOCK_MONOTONIC_COARSE seconds */
static uint64_t digest;
/* The published set lacks a source that could not be read. */
static int partial;
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

static int fill_all(uint64_t *map, void *arg)
{
	(void)arg;
	return deny_set_fill(DENY_DEFAULT_SOURCES, NULL, map);
}

#define WHY_SIZE 512

static int fill_each(uint64_t *map, void *why)
{
	return deny_set_fill_each(DENY_DEFAULT_SOURCES, NULL, map, why,
				  WHY_SIZE);
}

/*
 * Said once in the process's life, on standard error and to syslog: a
 * daemon's log shows it whatever its stderr is.  The program's own
 * openlog() settings are left alone.
 */
static void say_partial(const char *why, int ports)
{
	static int said;

	if (said++)
		return;
	fprintf(stderr, "libportpool-preload: cannot read %s; enforcing the "
		"%d ports of the sources that could be read until it can\n",
		why, ports);
	syslog(LOG_USER | LOG_WARNING, "libportpool-preload: cannot read "
	       "%s; enforcing the %d ports of the sources that could be "
	       "read until it can", why, ports);
}

/*
 * Re-read the deny set if an input changed (or never read).  A failed
 * read keeps the last whole set: a typo in the policy must not open
 * every port.  Without one (at start, or after only a partial read),
 * every source that can be read is enforced, and the one that cannot is
 * named once: the shim never silently enforces nothing.
 */
static void refresh(long now)
{
	const struct deny_gen *held;
	char why[WHY_SIZE];
	uint64_t d;
	int saved = errno, have, n;

	if (pthread_mutex_trylock(&reload_lock))
		return;		/* another thread is at it */
	if (now < atomic_load(&next_check))
		goto out;
	atomic_store(&next_check, now + 1);
	held = deny_gen_get();
	have = held != NULL;
	deny_gen_put(held);
	/* After a chroot (Unbound, BIND) the inputs are out of sight: the
	 * set read before it stays. */
	if ((root_changed() || policy_gone()) && have)
		goto out;
	d = deny_inputs_digest(deny_kernel_alone);
	if (have && d == digest)
		goto out;
	if (deny_gen_update(fill_all, NULL) >= 0) {
		digest = d;
		partial = 0;
	} else if (!have || partial) {
		n = deny_gen_update(fill_each, why);
		if (n >= 0) {
			digest = d;
			partial = why[0] != '\0';
			if (partial)
				say_partial(why, n);
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

/*
 * The port of a bind the kernel would accept on fd, 0 for none (port 0,
 * or a form the kernel refuses: the real bind() says why).  The kernel
 * (inet_bind, inet6_bind) decides by the SOCKET's family: an IPv4
 * socket takes 16 bytes or more with sin_family AF_INET, or AF_UNSPEC
 * with INADDR_ANY (an old compatibility form); an IPv6 socket takes 24
 * bytes or more (RFC 2133's size, without sin6_scope_id) with AF_INET6.
 * The port is at the same offset in both.
 */
static int accepted_port(int fd, const struct sockaddr *addr, socklen_t len,
			 const uint64_t *map)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
	int domain = 0, port;
	socklen_t size = sizeof(domain);

	if (!addr || len < sizeof(struct sockaddr_in))
		return 0;
	port = ntohs(in->sin_port);
	/* Only a denied port costs the socket questions. */
	if (port == 0 || !deny_has(map, (unsigned int)port) || !is_udp(fd) ||
	    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &size) < 0)
		return 0;
	if (domain == AF_INET)
		return addr->sa_family == AF_INET ||
		       (addr->sa_family == AF_UNSPEC &&
			in->sin_addr.s_addr == htonl(INADDR_ANY)) ? port : 0;
	if (domain == AF_INET6)
		return addr->sa_family == AF_INET6 && len >= 24 ? port : 0;
	return 0;
}

/* Built with hidden visibility like the library: this one is exported. */
__attribute__((visibility("default")))
int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	bind_fn next = atomic_load_explicit(&real_bind, memory_order_relaxed);
	const struct deny_gen *held;
	int port;

	if (!next) {
		next = (bind_fn)dlsym(RTLD_NEXT, "bind");
		if (!next) {
			errno = ENOSYS;
			return -1;
		}
		atomic_store(&real_bind, next);
	}
	/* Port 0 (the kernel's choice) and short addresses go straight on. */
	if (!addr || len < sizeof(struct sockaddr_in) ||
	    ((const struct sockaddr_in *)addr)->sin_port == 0)
		return next(fd, addr, len);
	if (now_seconds() >= atomic_load_explicit(&next_check,
						  memory_order_relaxed))
		refresh(now_seconds());
	held = deny_gen_get();
	port = held ? accepted_port(fd, addr, len, deny_gen_map(held)) : 0;
	deny_gen_put(held);
	if (port) {
		errno = EADDRINUSE;
		return -1;
	}
	return next(fd, addr, len);
}
