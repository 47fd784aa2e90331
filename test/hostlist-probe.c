// SPDX-License-Identifier: ISC
/*
 * hostlist-probe: what the library and bind() say of every port, for
 * test/hostlist-e2e.sh.  Ports are printed as the kernel prints its list
 * ("20001,20003,25000-25010"; "-" for none).
 *   hostlist-probe lib             the ports the library keeps out of
 *                                  the range 1-65535 (kernel list only):
 *                                  by candidate map, by census count and
 *                                  by portpool_is_excluded on a sample,
 *                                  one line each
 *   hostlist-probe bind FORM all   the ports whose UDP bind fails with
 *                                  EADDRINUSE (the others succeed)
 *   hostlist-probe bind FORM P,..  each bind's result, one line each:
 *                                  "ok", "EADDRINUSE" or the error
 * FORM: inet (sockaddr_in), unspec (IPv4 socket, sin_family AF_UNSPEC,
 * INADDR_ANY), unspec-lo (the same with 127.0.0.1: the kernel refuses
 * it), inet-15 (15 bytes: refused), inet6 (sockaddr_in6), inet6-24
 * (RFC 2133's 24 bytes), inet6-23 (refused).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "portpool.h"

static unsigned char hit[65536];

static void print_ports(void)
{
	const char *sep = "";
	int any = 0;

	for (unsigned p = 0; p < 65536; p++) {
		unsigned q = p;

		if (!hit[p])
			continue;
		while (q < 65535 && hit[q + 1])
			q++;
		if (p == q)
			printf("%s%u", sep, p);
		else
			printf("%s%u-%u", sep, p, q);
		sep = ",";
		any = 1;
		p = q;
	}
	printf("%s\n", any ? "" : "-");
}

static int lib(void)
{
	struct portpool_config *cfg = portpool_config_new();
	uint64_t *map = calloc(PORTPOOL_MAP_WORDS, sizeof(*map));
	struct portpool_census census;

	if (!cfg || !map ||
	    portpool_config_set_flags(cfg, PORTPOOL_NO_WELL_KNOWN |
				      PORTPOOL_NO_ETC_SERVICES) < 0 ||
	    portpool_config_set_range(cfg, 1, 65535) < 0 ||
	    portpool_candidate_map(cfg, map) < 0 ||
	    portpool_census(cfg, &census, sizeof(census)) < 0) {
		fprintf(stderr, "hostlist-probe: %s\n", portpool_error());
		return 2;
	}
	for (unsigned p = 1; p < 65536; p++)
		hit[p] = !((map[p / 64] >> (p % 64)) & 1);
	print_ports();
	printf("%llu\n", (unsigned long long)
	       census.removed[PORTPOOL_SOURCE_KERNEL]);
	/* One host read per call: a sample, the list's far end included. */
	memset(hit, 0, sizeof(hit));
	for (unsigned p = 1; p < 65536; p += p < 65000 ? 997 : 1) {
		int x = portpool_is_excluded(cfg, (uint16_t)p);

		if (x < 0) {
			fprintf(stderr, "hostlist-probe: %s\n",
				portpool_error());
			return 2;
		}
		hit[p] = (unsigned char)x;
	}
	print_ports();
	free(map);
	portpool_config_free(cfg);
	return 0;
}

/* 0 bound, else the errno. */
static int try_bind(const char *form, unsigned port)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	int v6 = !strncmp(form, "inet6", 5), fd, rc, err;
	socklen_t len;

	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("hostlist-probe: socket");
		exit(2);
	}
	memset(&a4, 0, sizeof(a4));
	memset(&a6, 0, sizeof(a6));
	a4.sin_family = AF_INET;
	a4.sin_port = htons((uint16_t)port);
	a6.sin6_family = AF_INET6;
	a6.sin6_port = htons((uint16_t)port);
	a6.sin6_addr = in6addr_any;
	len = sizeof(a4);
	if (!strcmp(form, "unspec") || !strcmp(form, "unspec-lo"))
		a4.sin_family = AF_UNSPEC;
	if (!strcmp(form, "unspec-lo"))
		a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!strcmp(form, "inet-15"))
		len = 15;
	if (v6)
		len = !strcmp(form, "inet6-24") ? 24 :
		      !strcmp(form, "inet6-23") ? 23 : sizeof(a6);
	rc = v6 ? bind(fd, (struct sockaddr *)&a6, len) :
		  bind(fd, (struct sockaddr *)&a4, len);
	err = rc < 0 ? errno : 0;
	close(fd);
	return err;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "lib"))
		return lib();
	if (argc != 4 || strcmp(argv[1], "bind")) {
		fprintf(stderr, "usage: hostlist-probe lib | bind FORM "
			"all|PORT,...\n");
		return 2;
	}
	if (!strcmp(argv[3], "all")) {
		for (unsigned p = 1; p < 65536; p++) {
			int err = try_bind(argv[2], p);

			if (err && err != EADDRINUSE) {
				printf("port %u: %s\n", p, strerror(err));
				return 1;
			}
			hit[p] = err == EADDRINUSE;
		}
		print_ports();
		return 0;
	}
	for (char *p = strtok(argv[3], ","); p; p = strtok(NULL, ",")) {
		int err = try_bind(argv[2], (unsigned)atoi(p));

		printf("%s\n", !err ? "ok" : err == EADDRINUSE ? "EADDRINUSE" :
		       strerror(err));
	}
	return 0;
}
