/* SPDX-License-Identifier: ISC */
/*
 * The sockets of this network namespace, from the kernel (sock_diag
 * netlink: inet_diag for UDP and TCP, v4 and v6), and the processes that
 * hold them, by socket inode in /proc/PID/fd, as ss -p finds them.  The
 * kernel shows only this namespace's sockets; a holder in another PID
 * namespace, or one whose fds we may not read, stays unknown (pid 0).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "info.h"

static int socks_grow(struct info_socks *s)
{
	size_t cap = s->cap ? s->cap * 2 : 256;
	struct info_sock *v = realloc(s->v, cap * sizeof(*v));

	if (!v)
		return -1;
	s->v = v;
	s->cap = cap;
	return 0;
}

void socks_free(struct info_socks *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/* One inet_diag_msg into s, when its port is wanted. */
static int take(struct info_socks *s, const struct inet_diag_msg *m,
		int proto, unsigned port)
{
	struct info_sock *k;
	unsigned sport = ntohs(m->id.idiag_sport);

	if (port && sport != port)
		return 0;
	if (s->n == s->cap && socks_grow(s) < 0)
		return -1;
	k = &s->v[s->n++];
	memset(k, 0, sizeof(*k));
	k->proto = (uint8_t)proto;
	k->family = m->idiag_family;
	k->state = m->idiag_state;
	k->port = (uint16_t)sport;
	k->peer_port = ntohs(m->id.idiag_dport);
	memcpy(k->addr, m->id.idiag_src, m->idiag_family == AF_INET ? 4 : 16);
	k->inode = m->idiag_inode;
	k->uid = m->idiag_uid;
	return 0;
}

int socks_dump(struct info_socks *s, int proto, int family, uint32_t states,
	       unsigned port, const char **why)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = {
			.nlmsg_len = sizeof(msg),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		},
		.req = {
			.sdiag_family = (uint8_t)family,
			.sdiag_protocol = (uint8_t)proto,
			.idiag_states = states,
		},
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	/* Large reads: a dump of 20,000 sockets is about 2 MB. */
	size_t bufsize = 1 << 16;
	char *buf = malloc(bufsize);
	int fd, err = 0, done = 0;

	*why = "out of memory";
	if (!buf)
		return -1;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) {
		*why = "cannot open a sock_diag netlink socket";
		goto fail;
	}
	if (sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0) {
		*why = "cannot send the sock_diag request";
		goto fail;
	}
	while (!done) {
		ssize_t got = recv(fd, buf, bufsize, 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		unsigned int len = (unsigned int)got;

		if (got < 0) {
			if (errno == EINTR)
				continue;
			*why = "cannot read the sock_diag answer";
			goto fail;
		}
		if (got == 0) {
			/* The kernel ends every dump with NLMSG_DONE. */
			errno = EPROTO;
			*why = "the sock_diag answer ended early";
			goto fail;
		}
		for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				err = e->error ? -e->error : EPROTO;
				*why = "the kernel refused the sock_diag "
				       "request";
				goto fail_err;
			}
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    h->nlmsg_len < NLMSG_LENGTH(
				    sizeof(struct inet_diag_msg)))
				continue;
			if (take(s, NLMSG_DATA(h), proto, port) < 0) {
				errno = ENOMEM;
				*why = "out of memory";
				goto fail;
			}
		}
	}
	close(fd);
	free(buf);
	return 0;
fail:
	err = errno;
fail_err:
	if (fd >= 0)
		close(fd);
	free(buf);
	errno = err;
	return -1;
}

/* Open addressing, inode -> index in s->v (an inode is one socket). */
struct inode_table {
	uint32_t *slot;		/* index + 1; 0: empty */
	size_t mask;
};

static size_t hash(uint32_t inode)
{
	return (size_t)((uint64_t)inode * 2654435761u);
}

static int table_build(struct inode_table *t, const struct info_socks *s)
{
	size_t size = 64;

	while (size < s->n * 2)
		size *= 2;
	t->slot = calloc(size, sizeof(*t->slot));
	if (!t->slot)
		return -1;
	t->mask = size - 1;
	for (size_t i = 0; i < s->n; i++) {
		size_t h;

		if (!s->v[i].inode)
			continue;
		for (h = hash(s->v[i].inode) & t->mask; t->slot[h];
		     h = (h + 1) & t->mask)
			if (s->v[t->slot[h] - 1].inode == s->v[i].inode)
				break;
		if (!t->slot[h])
			t->slot[h] = (uint32_t)i + 1;
	}
	return 0;
}

static long table_find(const struct inode_table *t,
		       const struct info_socks *s, uint32_t inode)
{
	for (size_t h = hash(inode) & t->mask; t->slot[h];
	     h = (h + 1) & t->mask)
		if (s->v[t->slot[h] - 1].inode == inode)
			return (long)t->slot[h] - 1;
	return -1;
}

/* "socket:[12345]" -> 12345; 0 for anything else. */
static uint32_t socket_inode(const char *link, ssize_t len)
{
	uint32_t inode = 0;

	if (len < 10 || memcmp(link, "socket:[", 8) != 0 ||
	    link[len - 1] != ']')
		return 0;
	for (ssize_t i = 8; i < len - 1; i++) {
		if (link[i] < '0' || link[i] > '9')
			return 0;
		inode = inode * 10 + (uint32_t)(link[i] - '0');
	}
	return inode;
}

/* A socket's holder: the first process found, and how many hold it
 * (a fork shares it; the same process's dup()s count once). */
static void mark(struct info_sock *k, pid_t pid, long *found)
{
	if (!k->users) {
		k->pid = pid;
		k->users = 1;
		(*found)++;
	} else if (k->pid != pid) {
		k->users++;
	}
}

static void scan_fds(struct info_socks *s, const struct inode_table *t,
		     int procfd, const char *name, pid_t pid, long *found)
{
	char path[64], link[64];
	struct dirent *e;
	DIR *dir;
	int fd;

	snprintf(path, sizeof(path), "%s/fd", name);
	fd = openat(procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return;
	}
	while ((e = readdir(dir)) != NULL) {
		ssize_t len;
		uint32_t inode;
		long i;

		if (e->d_name[0] == '.')
			continue;
		len = readlinkat(fd, e->d_name, link, sizeof(link));
		if (len <= 0 || (inode = socket_inode(link, len)) == 0)
			continue;
		i = table_find(t, s, inode);
		if (i >= 0)
			mark(&s->v[i], pid, found);
	}
	closedir(dir);
}

long socks_owners(struct info_socks *s)
{
	struct inode_table t;
	struct dirent *e;
	long found = 0;
	int procfd;
	DIR *proc;

	if (!s->n)
		return 0;
	if (table_build(&t, s) < 0)
		return -1;
	procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	proc = procfd < 0 ? NULL : fdopendir(procfd);
	if (!proc) {
		if (procfd >= 0)
			close(procfd);
		free(t.slot);
		return -1;
	}
	while ((e = readdir(proc)) != NULL) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		scan_fds(s, &t, procfd, e->d_name, (pid_t)pid, &found);
	}
	closedir(proc);
	free(t.slot);
	return found;
}

void proc_comm(pid_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t len = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		len = read(fd, buf, size - 1);
		close(fd);
	}
	if (len <= 0) {
		snprintf(buf, size, "?");
		return;
	}
	buf[len] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

int proc_maps_libportpool(pid_t pid)
{
	char path[64], line[512];
	int yes = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (!yes && fgets(line, sizeof(line), f))
		yes = strstr(line, "/libportpool.so") != NULL;
	fclose(f);
	return yes;
}

void sock_address(const struct info_sock *k, char *buf, size_t size)
{
	char text[INET6_ADDRSTRLEN];

	if (!inet_ntop(k->family, k->addr, text, sizeof(text)))
		snprintf(text, sizeof(text), "?");
	if (k->family == AF_INET6)
		snprintf(buf, size, "[%s]", text);
	else
		snprintf(buf, size, "%s", text);
}

const char *sock_proto(const struct info_sock *k)
{
	if (k->proto == IPPROTO_UDP)
		return k->family == AF_INET6 ? "udp6" : "udp";
	return k->family == AF_INET6 ? "tcp6" : "tcp";
}

const char *sock_state(const struct info_sock *k)
{
	static const char *const names[] = {
		"?", "established", "syn-sent", "syn-recv", "fin-wait-1",
		"fin-wait-2", "time-wait", "unconnected", "close-wait",
		"last-ack", "listen", "closing", "new-syn-recv",
	};

	if (k->proto == IPPROTO_UDP)
		return k->state == 1 ? "connected" : "bound";
	if (k->state == 7)
		return "close";
	return k->state < sizeof(names) / sizeof(names[0]) ?
	       names[k->state] : "?";
}

long socks_of_pid(struct info_socks *s, pid_t pid)
{
	struct inode_table t;
	char name[24];
	long found = 0;
	int procfd;

	if (!s->n)
		return 0;
	for (size_t i = 0; i < s->n; i++)
		s->v[i].users = 0;
	if (table_build(&t, s) < 0)
		return -1;
	procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0) {
		free(t.slot);
		return -1;
	}
	snprintf(name, sizeof(name), "%ld", (long)pid);
	scan_fds(s, &t, procfd, name, pid, &found);
	close(procfd);
	free(t.slot);
	return found;
}
