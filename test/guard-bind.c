// SPDX-License-Identifier: ISC
/*
 * guard-bind: one bind(), for the guard's end-to-end test, which links it
 * statically (no LD_PRELOAD reaches it, the cgroup program does).
 *   guard-bind udp|udp6|tcp PORT    prints "ok" or the error, exit 0/1
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	int fd, v6, tcp, rc;
	long port;

	if (argc != 3 || (strcmp(argv[1], "udp") && strcmp(argv[1], "udp6") &&
			  strcmp(argv[1], "tcp"))) {
		fprintf(stderr, "usage: guard-bind udp|udp6|tcp PORT\n");
		return 2;
	}
	port = strtol(argv[2], NULL, 10);
	v6 = !strcmp(argv[1], "udp6");
	tcp = !strcmp(argv[1], "tcp");
	fd = socket(v6 ? AF_INET6 : AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM,
		    0);
	if (fd < 0) {
		perror("socket");
		return 2;
	}
	if (v6) {
		memset(&a6, 0, sizeof(a6));
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons((unsigned short)port);
		a6.sin6_addr = in6addr_any;
		rc = bind(fd, (struct sockaddr *)&a6, sizeof(a6));
	} else {
		memset(&a4, 0, sizeof(a4));
		a4.sin_family = AF_INET;
		a4.sin_port = htons((unsigned short)port);
		rc = bind(fd, (struct sockaddr *)&a4, sizeof(a4));
	}
	if (rc < 0) {
		printf("%s\n", errno == EADDRINUSE ? "EADDRINUSE" :
		       strerror(errno));
		return 1;
	}
	printf("ok\n");
	close(fd);
	return 0;
}
