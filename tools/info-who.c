/* SPDX-License-Identifier: ISC */
/*
 * --who PORT: the sockets bound to a port and the processes holding
 * them.  --audit: the services a pool could take a port from.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "info.h"

#define TCP_STATE(s) ((uint32_t)1 << (s))
#define ALL_STATES 0xffffffffu
/* TIME_WAIT (6) and NEW_SYN_RECV (12) have no process behind them. */
#define HELD_STATES (ALL_STATES & ~TCP_STATE(6) & ~TCP_STATE(12))
#define LISTEN_STATES TCP_STATE(10)

/* A process holding this many UDP sockets is taken for a socket pool. */
#define POOL_SOCKETS 64

static int dump(struct info_socks *s, int protos, uint32_t tcp_states,
		unsigned port)
{
	static const int families[] = { AF_INET, AF_INET6 };
	const char *why;

	for (int f = 0; f < 2; f++) {
		if ((protos & WHO_UDP) &&
		    socks_dump(s, IPPROTO_UDP, families[f], ALL_STATES, port,
			       &why) < 0)
			goto fail;
		if ((protos & WHO_TCP) &&
		    socks_dump(s, IPPROTO_TCP, families[f], tcp_states, port,
			       &why) < 0)
			goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "portpool-info: %s: %s\n", why, strerror(errno));
	return -1;
}

/* Command names, remembered: an audit may print one process 20,000
 * times. */
struct comm_cache {
	pid_t pid[256];
	char name[256][32];
};

static const char *comm(struct comm_cache *c, pid_t pid)
{
	unsigned h = (unsigned)pid % 256;

	if (c->pid[h] != pid) {
		c->pid[h] = pid;
		proc_comm(pid, c->name[h], sizeof(c->name[h]));
	}
	return c->name[h];
}

/* The name for a terminal: any user can rename a process to ESC and BEL
 * bytes (prctl(PR_SET_NAME)), so text output escapes it. */
static const char *comm_text(struct comm_cache *c, pid_t pid,
			     char buf[TEXT_MAX(32)])
{
	return text_escape(comm(c, pid), buf, TEXT_MAX(32));
}

/* A holder's libportpool signs: how many UDP sockets it holds in all,
 * and whether it maps the shared library.  Both cost the pool nothing:
 * they are read from the kernel and /proc when asked. */
struct pool_signs {
	pid_t pid;
	long udp;
	int mapped;
};

static void pool_signs(pid_t pid, struct info_socks *udp,
		       struct pool_signs *p)
{
	p->pid = pid;
	p->udp = socks_of_pid(udp, pid);
	p->mapped = proc_maps_libportpool(pid);
}

static int by_port(const void *a, const void *b)
{
	const struct info_sock *x = a, *y = b;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if (x->proto != y->proto)
		return x->proto > y->proto ? -1 : 1;	/* udp first */
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

static void print_holder_json(const struct info_sock *k,
			      struct comm_cache *cc,
			      const struct pool_signs *p)
{
	char addr[64];

	sock_address(k, addr, sizeof(addr));
	printf("{\"protocol\":\"%s\",\"address\":", sock_proto(k));
	json_string(stdout, addr);
	printf(",\"port\":%u,\"state\":\"%s\",\"uid\":%u,", k->port,
	       sock_state(k), k->uid);
	if (k->pid) {
		printf("\"pid\":%ld,\"processes\":%u,\"command\":",
		       (long)k->pid, k->users);
		json_string(stdout, comm(cc, k->pid));
	} else {
		printf("\"pid\":null,\"processes\":0,\"command\":null");
	}
	if (p)
		printf(",\"pool\":{\"udp_sockets\":%ld,\"libportpool_mapped\""
		       ":%s}", p->udp, p->mapped > 0 ? "true" : "false");
	printf("}");
}

static void print_holder_text(const struct info_sock *k,
			      struct comm_cache *cc,
			      const struct pool_signs *p, const char *indent)
{
	char addr[64], name[TEXT_MAX(32)];

	sock_address(k, addr, sizeof(addr));
	printf("%s%-4s %s:%u %s uid %u", indent, sock_proto(k), addr,
	       k->port, sock_state(k), k->uid);
	if (!k->pid) {
		printf(": no process here holds it (one in another PID "
		       "namespace, or whose fds we may not read)\n");
		return;
	}
	printf(": pid %ld (%s)", (long)k->pid,
	       comm_text(cc, k->pid, name));
	if (k->users > 1)
		printf(" and %u more processes", k->users - 1);
	if (p)
		printf("; a socket pool: it holds %ld UDP sockets%s", p->udp,
		       p->mapped > 0 ? ", libportpool.so mapped" : "");
	printf("\n");
}

int who_print(unsigned port, int protos, int json, const char *indent)
{
	struct info_socks s = { 0 }, udp = { 0 };
	struct pool_signs *signs = NULL;
	struct comm_cache *cc = calloc(1, sizeof(*cc));
	int rc = -1;

	if (!cc || dump(&s, protos, HELD_STATES, port) < 0)
		goto out;
	if (socks_owners(&s) < 0) {
		fprintf(stderr, "portpool-info: cannot read /proc: %s\n",
			strerror(errno));
		goto out;
	}
	qsort(s.v, s.n, sizeof(*s.v), by_port);
	signs = calloc(s.n ? s.n : 1, sizeof(*signs));
	if (!signs)
		goto out;
	/* Pool signs for UDP holders only, each process once. */
	for (size_t i = 0; i < s.n; i++) {
		const struct info_sock *k = &s.v[i];
		size_t j;

		if (k->proto != IPPROTO_UDP || !k->pid)
			continue;
		for (j = 0; j < i && signs[j].pid != k->pid; j++)
			;
		if (j < i) {
			signs[i] = signs[j];
			continue;
		}
		if (!udp.n && dump(&udp, WHO_UDP, 0, 0) < 0)
			goto out;
		pool_signs(k->pid, &udp, &signs[i]);
	}
	if (json)
		printf("[");
	else if (!s.n)
		printf("%sport %u: no %s socket bound to it in this network "
		       "namespace\n", indent, port,
		       protos == WHO_UDP ? "UDP" :
		       protos == WHO_TCP ? "TCP" : "UDP or TCP");
	else
		printf("%sport %u is held by %zu socket%s in this network "
		       "namespace:\n", indent, port, s.n, s.n > 1 ? "s" : "");
	for (size_t i = 0; i < s.n; i++) {
		const struct pool_signs *p = signs[i].pid &&
			signs[i].udp >= POOL_SOCKETS ? &signs[i] : NULL;

		if (json) {
			if (i)
				printf(",");
			print_holder_json(&s.v[i], cc, p);
		} else {
			print_holder_text(&s.v[i], cc, p, indent);
		}
	}
	if (json)
		printf("]");
	rc = 0;
out:
	free(signs);
	free(cc);
	socks_free(&s);
	socks_free(&udp);
	return rc;
}

/* --audit: a process taken for a socket pool.  Its UDP sockets are its
 * members, random ports it gives back and redraws: reserving them would
 * only take ports from the pool, so they stay out of the line. */
struct audit_pool {
	pid_t pid;
	long udp;		/* UDP sockets it holds in all */
	long ports;		/* distinct ports among them */
	int mapped;		/* libportpool.so mapped: 1, 0, -1 unknown */
	size_t held;		/* of them on candidate ports */
};

/* The signs of pid, from every UDP socket of the namespace.  A pool
 * maps libportpool.so, or holds 64 distinct ports or more: a socket
 * count alone is not enough, since a service may bind one port many
 * times (SO_REUSEPORT per thread, one socket per address), while a
 * service with 64 distinct ports of the candidate range is drawing
 * them itself (a resolver's own source ports, media ports). */
static void audit_signs(pid_t pid, struct info_socks *udp,
			struct portmap *seen, struct audit_pool *p)
{
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->mapped = proc_maps_libportpool(pid);
	p->udp = socks_of_pid(udp, pid);
	if (p->udp <= 0)
		return;
	memset(seen, 0, sizeof(*seen));
	for (size_t i = 0; i < udp->n; i++) {
		unsigned port = udp->v[i].port;

		if (!udp->v[i].users || portmap_has(seen, port))
			continue;
		portmap_set(seen, port);
		p->ports++;
	}
}

static int audit_is_pool(const struct audit_pool *p)
{
	return p->mapped > 0 || p->ports >= POOL_SOCKETS;
}

static void audit_pool_text(const struct audit_pool *p,
			    struct comm_cache *cc)
{
	char name[TEXT_MAX(32)];

	printf("  pid %ld (%s): %zu on candidate ports; it holds %ld UDP "
	       "socket%s on %ld port%s%s\n", (long)p->pid,
	       comm_text(cc, p->pid, name),
	       p->held, p->udp, p->udp == 1 ? "" : "s", p->ports,
	       p->ports == 1 ? "" : "s",
	       p->mapped > 0 ? ", libportpool.so mapped" : "");
}

static void audit_pool_json(const struct audit_pool *p,
			    struct comm_cache *cc)
{
	printf("{\"pid\":%ld,\"command\":", (long)p->pid);
	json_string(stdout, comm(cc, p->pid));
	printf(",\"sockets\":%zu,\"udp_sockets\":%ld,\"udp_ports\":%ld,"
	       "\"libportpool_mapped\":%s}", p->held, p->udp, p->ports,
	       p->mapped > 0 ? "true" : "false");
}

/* What an audit finds, gathered before anything is printed. */
struct audit {
	struct info_socks s;		/* at risk, by port */
	struct info_socks udp;		/* every bound UDP socket */
	struct audit_pool *pools;
	size_t npools;
	struct audit_counts c;
};

static void audit_free(struct audit *a)
{
	free(a->pools);
	socks_free(&a->s);
	socks_free(&a->udp);
}

/* 0, or -1 with the reason printed. */
static int audit_gather(const struct portpool_config *cfg, struct audit *a)
{
	struct info_socks *s = &a->s, *udp = &a->udp;
	struct portmap *cand = malloc(sizeof(*cand));
	struct portmap *seen = malloc(sizeof(*seen));
	size_t n = 0;
	int rc = -1;

	memset(a, 0, sizeof(*a));
	if (!cand || !seen)
		goto oom;
	if (candidate_map(cfg, cand) < 0) {
		fprintf(stderr, "portpool-info: %s\n", portpool_error());
		goto out;
	}
	if (dump(s, WHO_UDP | WHO_TCP, LISTEN_STATES, 0) < 0)
		goto out;
	a->c.checked = s->n;
	/* Every UDP socket, kept for the pool signs; the sockets on
	 * candidate ports, kept to look at: only they need processes. */
	udp->cap = s->n ? s->n : 1;
	udp->v = malloc(udp->cap * sizeof(*udp->v));
	if (!udp->v)
		goto oom;
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].proto == IPPROTO_UDP && s->v[i].port)
			udp->v[udp->n++] = s->v[i];
		if (!s->v[i].port || !portmap_has(cand, s->v[i].port))
			continue;
		if (s->v[i].proto == IPPROTO_UDP)
			a->c.udp_candidate++;
		s->v[n++] = s->v[i];
	}
	s->n = n;
	if (socks_owners(s) < 0) {
		fprintf(stderr, "portpool-info: cannot read /proc: %s\n",
			strerror(errno));
		goto out;
	}
	a->pools = calloc(s->n ? s->n : 1, sizeof(*a->pools));
	if (!a->pools)
		goto oom;
	/* Each UDP holder's signs once; a pool's UDP sockets leave the
	 * list (its TCP listeners are services and stay). */
	n = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct info_sock *k = &s->v[i];
		size_t j = a->npools;

		if (k->proto == IPPROTO_UDP && k->pid) {
			for (j = 0; j < a->npools && a->pools[j].pid != k->pid;
			     j++)
				;
			if (j == a->npools)
				audit_signs(k->pid, udp, seen,
					    &a->pools[a->npools++]);
		}
		if (j < a->npools && audit_is_pool(&a->pools[j])) {
			if (!a->pools[j].held++)
				a->c.pools++;
			a->c.pooled++;
			portmap_set(&a->c.pool, k->port);
			continue;
		}
		portmap_set(&a->c.risk, k->port);
		s->v[n++] = *k;
	}
	s->n = n;
	a->c.at_risk = n;
	qsort(s->v, s->n, sizeof(*s->v), by_port);
	rc = 0;
	goto out;
oom:
	fprintf(stderr, "portpool-info: out of memory\n");
out:
	free(seen);
	free(cand);
	if (rc < 0)
		audit_free(a);
	return rc;
}

int audit_count(const struct portpool_config *cfg, struct audit_counts *c)
{
	struct audit *a = malloc(sizeof(*a));

	if (!a) {
		fprintf(stderr, "portpool-info: out of memory\n");
		return -1;
	}
	if (audit_gather(cfg, a) < 0) {
		free(a);
		return -1;
	}
	*c = a->c;
	audit_free(a);
	free(a);
	return 0;
}

int audit_run(const struct portpool_config *cfg, int json)
{
	struct audit *a = malloc(sizeof(*a));
	struct comm_cache *cc = calloc(1, sizeof(*cc));
	struct info_socks *s;
	struct audit_pool *pools;
	size_t checked, npools, pooled;
	char *line = NULL;
	int rc = -1;

	if (!a || !cc) {
		fprintf(stderr, "portpool-info: out of memory\n");
		free(a);
		free(cc);
		return -1;
	}
	if (audit_gather(cfg, a) < 0) {
		free(a);
		free(cc);
		return -1;
	}
	s = &a->s;
	pools = a->pools;
	npools = a->npools;
	checked = a->c.checked;
	pooled = a->c.pooled;
	line = portmap_format(&a->c.risk, ",", "-");
	if (!line)
		goto oom;
	if (json) {
		int first = 1;

		printf("{\"checked\":%zu,\"at_risk\":[", checked);
		for (size_t i = 0; i < s->n; i++) {
			if (i)
				printf(",");
			print_holder_json(&s->v[i], cc, NULL);
		}
		printf("],\"pools\":[");
		for (size_t j = 0; j < npools; j++) {
			if (!pools[j].held)
				continue;
			if (!first)
				printf(",");
			first = 0;
			audit_pool_json(&pools[j], cc);
		}
		printf("],\"reserved_ports\":");
		if (s->n)
			json_string(stdout, line);
		else
			printf("null");
		printf("}\n");
		rc = s->n ? 1 : 0;
		goto out;
	}
	if (!s->n) {
		printf("nothing at risk: none of %zu bound UDP and listening "
		       "TCP sockets holds a candidate port%s\n", checked,
		       pooled ? " outside a socket pool" : "");
	} else {
		printf("at risk: %zu of %zu bound UDP and listening TCP "
		       "sockets hold a candidate port\n", s->n, checked);
		printf("%-5s %-5s %-24s %7s %s\n", "PORT", "PROTO",
		       "ADDRESS", "PID", "COMMAND");
		for (size_t i = 0; i < s->n; i++) {
			const struct info_sock *k = &s->v[i];
			char addr[64], name[TEXT_MAX(32)];

			sock_address(k, addr, sizeof(addr));
			if (k->pid)
				printf("%-5u %-5s %-24s %7ld %s\n", k->port,
				       sock_proto(k), addr, (long)k->pid,
				       comm_text(cc, k->pid, name));
			else
				printf("%-5u %-5s %-24s %7s %s\n", k->port,
				       sock_proto(k), addr, "-",
				       "(not visible)");
		}
	}
	if (pooled) {
		printf("held by a socket pool (not at risk, not in the line):"
		       " %zu UDP socket%s\n", pooled, pooled == 1 ? "" : "s");
		for (size_t j = 0; j < npools; j++)
			if (pools[j].held)
				audit_pool_text(&pools[j], cc);
	}
	if (s->n)
		printf("reserved_ports = %s\n", line);
	rc = s->n ? 1 : 0;
	goto out;
oom:
	fprintf(stderr, "portpool-info: out of memory\n");
out:
	free(line);
	free(cc);
	audit_free(a);
	free(a);
	return rc;
}
