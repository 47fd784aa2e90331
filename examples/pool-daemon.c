/* SPDX-License-Identifier: ISC */
/*
 * pool-daemon: a minimal event-loop daemon over a libportpool pool.  Every
 * member is in one epoll set; each datagram is echoed to its sender, or
 * forwarded with --forward (and the answer relayed back).  SIGHUP refreshes
 * the pool, so a port that the administrator has just reserved is given
 * back without a restart, and portpool_moved() says which members to
 * register again; SIGTERM and SIGINT end it cleanly.
 *
 * Build: cc pool-daemon.c $(pkg-config --cflags --libs libportpool)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <portpool.h>

static const char usage[] =
"usage: pool-daemon [options]\n"
"Open a port pool and serve every member from one epoll loop: echo each\n"
"datagram to its sender, or forward it.  One line per event on stdout.\n"
"  --size N             pool size (1-65535; default: pool_size of\n"
"                       /etc/portpool.conf, else 2500)\n"
"  --max-user-port N    range [1024, N] (5000-65534; 0: not set)\n"
"  --range A-B|system   an explicit range, or the kernel's\n"
"  --reserve LIST       reserve ports, e.g. 4500-4500 or 8080,9148-9150\n"
"  --forward ADDR:PORT  send each datagram to this IPv4 address and port\n"
"                       instead of echoing it; what comes back from there\n"
"                       on a member goes to that member's last sender\n"
"  --help               this text\n"
"Signals: SIGHUP refreshes the pool (members on ports that are no longer\n"
"candidates move); SIGTERM or SIGINT closes the pool and exits 0.\n"
"Exit status: 0 clean shutdown, 1 failure, 2 bad options.\n";

__attribute__((format(printf, 1, 2), noreturn))
static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pool-daemon: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see --help)\n");
	exit(2);
}

__attribute__((format(printf, 1, 2)))
static void logline(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static unsigned long number(const char *opt, const char *arg)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || n > 65535)
		die_usage("%s: \"%s\" is not a number from 0 to 65535", opt,
			  arg);
	return n;
}

static void check(int rc, const char *opt)
{
	if (rc < 0) {
		fprintf(stderr, "pool-daemon: %s: %s\n", opt,
			portpool_error());
		exit(2);
	}
}

static void set_range(struct portpool_config *cfg, const char *arg)
{
	unsigned long first;
	char *end;

	if (strcmp(arg, "system") == 0) {
		check(portpool_config_use_system_range(cfg), "--range");
		return;
	}
	errno = 0;
	first = strtoul(arg, &end, 10);
	if (errno || end == arg || *end != '-' || arg[0] == '-' ||
	    first > 65535)
		die_usage("--range: \"%s\" is not A-B or system", arg);
	check(portpool_config_set_range(cfg, (unsigned)first,
		(unsigned)number("--range", end + 1)), "--range");
}

static void parse_forward(const char *arg, struct sockaddr_in *sin)
{
	const char *colon = strrchr(arg, ':');
	char addr[INET_ADDRSTRLEN];
	unsigned long port;

	if (!colon || (size_t)(colon - arg) >= sizeof(addr))
		die_usage("--forward: \"%s\" is not ADDR:PORT", arg);
	memcpy(addr, arg, (size_t)(colon - arg));
	addr[colon - arg] = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
		die_usage("--forward: \"%s\" is not a numeric IPv4 address",
			  addr);
	port = number("--forward", colon + 1);
	if (port == 0)
		die_usage("--forward: port 0 is not a destination");
	sin->sin_port = htons((uint16_t)port);
}

static const char *peer(const struct sockaddr_in *sin, char *buf,
			size_t len)
{
	char addr[INET_ADDRSTRLEN];

	if (sin->sin_family != AF_INET ||
	    !inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr)))
		snprintf(buf, len, "(unknown)");
	else
		snprintf(buf, len, "%s:%u", addr, ntohs(sin->sin_port));
	return buf;
}

static int same_peer(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_family == b->sin_family && a->sin_port == b->sin_port &&
	       a->sin_addr.s_addr == b->sin_addr.s_addr;
}

/* Member I's descriptor in the set; the event data is I + 1. */
static int watch(int ep, int fd, size_t i)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = i + 1 };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0)
		return 0;
	if (errno == EEXIST)
		return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
	return -1;
}

struct daemon {
	struct portpool *pool;
	int ep;
	size_t size;
	size_t *moved;			/* room for portpool_moved() */
	struct sockaddr_in *last;	/* --forward: its last sender */
	const struct sockaddr_in *forward;
};

/*
 * Refresh, then register again only the members whose socket changed:
 * the library lists them, so the daemon keeps no copy of every
 * descriptor and port to compare against.
 */
static void refresh(struct daemon *d)
{
	char line[4096];
	size_t used, n;
	int moved;

	moved = portpool_refresh(d->pool);
	if (moved < 0) {
		logline("refresh: failed, pool unchanged: %s",
			portpool_error());
		return;
	}
	n = portpool_moved(d->pool, d->moved, d->size);
	used = (size_t)snprintf(line, sizeof(line),
				"refresh: moved %d member(s)%s", moved,
				n ? ":" : "");
	for (size_t k = 0; k < n; k++) {
		size_t i = d->moved[k];
		int fd = portpool_fd(d->pool, i);
		uint16_t port = portpool_port(d->pool, i);

		/* The old descriptor is closed: epoll forgot it itself. */
		if (watch(d->ep, fd, i) < 0)
			logline("epoll: cannot watch port %u: %s", port,
				strerror(errno));
		if (used < sizeof(line) - 32)
			used += (size_t)snprintf(line + used,
						 sizeof(line) - used,
						 " member %zu to port %u", i,
						 port);
		else if (used < sizeof(line) - 4)
			used += (size_t)snprintf(line + used,
						 sizeof(line) - used, " ...");
		memset(&d->last[i], 0, sizeof(d->last[i]));
	}
	logline("%s", line);
}

static void serve(struct daemon *d, size_t i)
{
	static unsigned char buf[65536];
	struct sockaddr_in from, to;
	socklen_t fromlen = sizeof(from);
	char a[64], b[64];
	const char *what = "echo";
	int fd = portpool_fd(d->pool, i);
	uint16_t port = portpool_port(d->pool, i);
	ssize_t n;

	n = recvfrom(fd, buf, sizeof(buf), 0,
		     (struct sockaddr *)&from, &fromlen);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			logline("error on port %u: %s", port,
				strerror(errno));
		return;
	}
	to = from;
	if (d->forward && same_peer(&from, d->forward)) {
		if (d->last[i].sin_family != AF_INET) {
			logline("drop %zd bytes from %s on port %u: no sender "
				"to relay to", n, peer(&from, a, sizeof(a)),
				port);
			return;
		}
		to = d->last[i];
		what = "relay";
	} else if (d->forward) {
		d->last[i] = from;
		to = *d->forward;
		what = "forward";
	}
	if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&to,
		   sizeof(to)) < 0) {
		logline("%s %zd bytes from %s on port %u failed: %s", what, n,
			peer(&from, a, sizeof(a)), port,
			strerror(errno));
		return;
	}
	if (d->forward)
		logline("%s %zd bytes from %s on port %u to %s", what, n,
			peer(&from, a, sizeof(a)), port,
			peer(&to, b, sizeof(b)));
	else
		logline("echo %zd bytes from %s on port %u", n,
			peer(&from, a, sizeof(a)), port);
}

static int run(struct daemon *d, int sfd)
{
	struct epoll_event events[64];

	for (;;) {
		int n = epoll_wait(d->ep, events, 64, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "pool-daemon: epoll_wait: %s\n",
				strerror(errno));
			return 1;
		}
		for (int k = 0; k < n; k++) {
			struct signalfd_siginfo si;

			if (events[k].data.u64) {
				size_t i = (size_t)events[k].data.u64 - 1;

				/* Refreshed in this batch: read it next. */
				if (i < d->size)
					serve(d, i);
				continue;
			}
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGHUP) {
				refresh(d);
				/* Events left in this batch may be stale. */
				break;
			}
			logline("shutdown: %s", strsignal((int)si.ssi_signo));
			return 0;
		}
	}
}

int main(int argc, char **argv)
{
	enum { O_SIZE = 256, O_MUP, O_RANGE, O_RESERVE, O_FORWARD, O_HELP };
	static const struct option options[] = {
		{ "size", required_argument, NULL, O_SIZE },
		{ "max-user-port", required_argument, NULL, O_MUP },
		{ "range", required_argument, NULL, O_RANGE },
		{ "reserve", required_argument, NULL, O_RESERVE },
		{ "forward", required_argument, NULL, O_FORWARD },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct portpool_config *cfg = portpool_config_new();
	struct daemon d = { .ep = -1 };
	struct sockaddr_in forward;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0 };
	sigset_t mask;
	int opt, sfd, rc = 1;

	if (!cfg) {
		fprintf(stderr, "pool-daemon: %s\n", portpool_error());
		return 1;
	}
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case O_SIZE:
			check(portpool_config_set_size(cfg,
				(unsigned)number("--size", optarg)), "--size");
			break;
		case O_MUP:
			check(portpool_config_set_max_user_port(cfg,
				(unsigned)number("--max-user-port", optarg)),
			      "--max-user-port");
			break;
		case O_RANGE:
			set_range(cfg, optarg);
			break;
		case O_RESERVE:
			check(portpool_config_reserve_list(cfg, optarg),
			      "--reserve");
			break;
		case O_FORWARD:
			parse_forward(optarg, &forward);
			d.forward = &forward;
			break;
		case O_HELP:
			fputs(usage, stdout);
			return 0;
		default:
			die_usage("bad option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument \"%s\"", argv[optind]);
	/*
	 * A pool of thousands needs more than the usual 1,024 descriptors:
	 * the library raises the soft limit as far as it needs by itself.
	 */

	/* Signals arrive as events, never as handlers. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		fprintf(stderr, "pool-daemon: signalfd: %s\n", strerror(errno));
		return 1;
	}
	d.pool = portpool_open(cfg);
	portpool_config_free(cfg);
	if (!d.pool) {
		fprintf(stderr, "pool-daemon: cannot open the pool: %s\n",
			portpool_error());
		return 1;
	}
	d.size = portpool_size(d.pool);
	d.moved = calloc(d.size, sizeof(*d.moved));
	d.last = calloc(d.size, sizeof(*d.last));
	d.ep = epoll_create1(EPOLL_CLOEXEC);
	if (!d.moved || !d.last || d.ep < 0 ||
	    epoll_ctl(d.ep, EPOLL_CTL_ADD, sfd, &ev) < 0) {
		fprintf(stderr, "pool-daemon: %s\n", strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < d.size; i++) {
		if (watch(d.ep, portpool_fd(d.pool, i), i) < 0) {
			fprintf(stderr, "pool-daemon: epoll: %s\n",
				strerror(errno));
			goto out;
		}
	}
	logline("ready: %zu members", d.size);
	rc = run(&d, sfd);
out:
	portpool_close(d.pool);
	if (d.ep >= 0)
		close(d.ep);
	close(sfd);
	free(d.moved);
	free(d.last);
	return rc;
}
