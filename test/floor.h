/* SPDX-License-Identifier: ISC */
/*
 * Where the benchmarks' floors run: one piece for make bench
 * (test/bench.c) and test/bench-floor.c, so that the two floors are
 * measured in the same place and cannot drift apart.
 */
#ifndef PORTPOOL_TEST_FLOOR_H
#define PORTPOOL_TEST_FLOOR_H

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * Into a private network namespace with lo up (a new one has lo down,
 * and binds to 127.0.0.1 would fail): 0, or -1 with errno and *step
 * naming the call that failed, for the caller's own message.
 */
static inline int floor_netns(const char **step)
{
	struct ifreq ifr;
	int fd, err;

	*step = "unshare(CLONE_NEWNET) (not root?)";
	if (unshare(CLONE_NEWNET) != 0)
		return -1;
	*step = "socket";
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	*step = "SIOCGIFFLAGS lo";
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		*step = "SIOCSIFFLAGS lo";
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) == 0) {
			close(fd);
			return 0;
		}
	}
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

#endif
