/* SPDX-License-Identifier: ISC */
/*
 * A member's system calls, inline in the loop that binds members
 * (pool.c).  An open makes 2,500 of each, and after every system call the
 * CPU mispredicts the return into each frame made before it (the kernel's
 * own calls have overwritten its return predictions): binding through
 * three calls deep cost about 1% of an open (measured with gcc -flto,
 * which inlines them the same way).  The failures, their sentences and
 * the caller's hook stay out of line, in member.c.
 */
#ifndef PORTPOOL_MEMBER_H
#define PORTPOOL_MEMBER_H

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "internal.h"

/* member.c: each sets the sentence and returns -1; one given a socket
 * closes it. */
int pp_member_socket_failed(const struct portpool_config *cfg);
int pp_member_v6only_failed(int fd);
int pp_member_pmtu_failed(int fd, int family);
int pp_member_run_hook(const struct portpool_config *cfg, int fd);
int pp_member_bind_failed(const struct portpool_config *cfg, uint16_t port);

/*
 * Ignore forged ICMP "fragmentation needed" on a member: it is the side
 * channel SAD DNS uses to find a query's port.  A kernel that does not
 * know the option leaves the member as it is; anything else is a
 * failure, since the caller asked for a defended socket.  (No such option
 * on the BSDs: nothing to set.)
 */
static inline int pp_member_omit_pmtu(int fd, int family)
{
#if defined(IP_PMTUDISC_OMIT) && defined(IPV6_PMTUDISC_OMIT)
	int level = family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
	int name = family == AF_INET6 ? IPV6_MTU_DISCOVER : IP_MTU_DISCOVER;
	/* IPV6_PMTUDISC_OMIT has the same value (asserted in member.c). */
	int value = IP_PMTUDISC_OMIT;

	if (setsockopt(fd, level, name, &value, sizeof(value)) == 0 ||
	    errno == ENOPROTOOPT || errno == EINVAL)
		return 0;
	return pp_member_pmtu_failed(fd, family);
#else
	(void)fd;
	(void)family;
	return 0;
#endif
}

/* A new member socket, configured but not bound yet. */
static inline int pp_member_socket(const struct portpool_config *cfg,
				   int *fd_out)
{
	int fd, on = 1;

	/* Defined on failure too: under LTO, gcc cannot see that pp_fail()
	 * returns -1 and warns that the caller's fd may be uninitialized. */
	*fd_out = -1;
	fd = socket(cfg->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return pp_member_socket_failed(cfg);
	if (cfg->family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0)
		return pp_member_v6only_failed(fd);
	if (!(cfg->flags & PORTPOOL_NO_PMTUDISC_OMIT) &&
	    pp_member_omit_pmtu(fd, cfg->family) < 0)
		return -1;
	/* One test of a pointer when no hook is set: nothing to measure. */
	if (cfg->hook && pp_member_run_hook(cfg, fd) < 0)
		return -1;
	*fd_out = fd;
	return 0;
}

/*
 * Bind the socket to a port: 0; 1 if the port is busy (EADDRINUSE: the
 * socket stays unbound and can try another port, so a crowded range
 * costs one bind per busy port, not a socket and a close as well); -1.
 */
static inline int pp_member_bind(const struct portpool_config *cfg, int fd,
				 struct pp_member_addr *addr, uint16_t port)
{
	if (cfg->family == AF_INET6)
		((struct sockaddr_in6 *)&addr->ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&addr->ss)->sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&addr->ss, addr->len) == 0)
		return 0;
	if (errno == EADDRINUSE)
		return 1;
	return pp_member_bind_failed(cfg, port);
}

#endif /* PORTPOOL_MEMBER_H */
