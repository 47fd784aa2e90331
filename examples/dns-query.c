/* SPDX-License-Identifier: ISC */
/*
 * dns-query: a stub resolver that sends each query from a random member of
 * a libportpool pool, checks the answer, and rotates the member after it.
 * The per-query pattern a DNS daemon copies: pick, sendto, wait on that
 * member, rotate.
 *
 * Build: cc dns-query.c $(pkg-config --cflags --libs libportpool)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <portpool.h>

static const char usage[] =
"usage: dns-query [options]\n"
"Send DNS queries, each from a random member of a port pool, and print\n"
"one line per query: source port, rcode, answer count, A/AAAA addresses.\n"
"The member that sent a query is rotated to a new port afterwards.\n"
"  --server ADDR        numeric IPv4 or IPv6 server address\n"
"                       (default 127.0.0.1)\n"
"  --port N             server port (default 53)\n"
"  --name NAME          the name to ask for (default example.com)\n"
"  --type TYPE          A, NS, CNAME, SOA, PTR, MX, TXT, AAAA, SRV, ANY\n"
"                       or a number 1-65535 (default A)\n"
"  --count N            how many queries to send, one at a time\n"
"                       (default 1)\n"
"  --timeout MS         how long to wait for each answer (default 2000)\n"
"  --size N             pool size (1-65535, default 16)\n"
"  --range A-B|system   draw ports from A-B, or the kernel's range\n"
"  --max-user-port N    draw ports from [1024, N] (5000-65534)\n"
"  --dscp N             mark every query with this DSCP (0-63), set on each\n"
"                       member, rotated ones too, by a socket hook\n"
"  --help               this text\n"
"A timeout or a malformed answer is one line and counts as a failure;\n"
"datagrams from another address or with another ID are ignored.\n"
"Exit status: 0 every query answered, 1 any query failed, 2 bad options.\n";

#define DNS_HEADER	12
#define DNS_MAX_NAME	255
#define DNS_MAX_MSG	65535

__attribute__((format(printf, 1, 2), noreturn))
static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "dns-query: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see --help)\n");
	exit(2);
}

static unsigned long number(const char *opt, const char *arg,
			    unsigned long min, unsigned long max)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || n < min ||
	    n > max)
		die_usage("%s: \"%s\" is not a number from %lu to %lu", opt,
			  arg, min, max);
	return n;
}

static void check(int rc, const char *opt)
{
	if (rc < 0) {
		fprintf(stderr, "dns-query: %s: %s\n", opt, portpool_error());
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
		(unsigned)number("--range", end + 1, 0, 65535)), "--range");
}

static const struct {
	const char *name;
	uint16_t value;
} qtypes[] = {
	{ "A", 1 }, { "NS", 2 }, { "CNAME", 5 }, { "SOA", 6 },
	{ "PTR", 12 }, { "MX", 15 }, { "TXT", 16 }, { "AAAA", 28 },
	{ "SRV", 33 }, { "ANY", 255 },
};

static uint16_t parse_type(const char *arg)
{
	for (size_t i = 0; i < sizeof(qtypes) / sizeof(qtypes[0]); i++)
		if (strcasecmp(arg, qtypes[i].name) == 0)
			return qtypes[i].value;
	if (arg[0] >= '0' && arg[0] <= '9')
		return (uint16_t)number("--type", arg, 1, 65535);
	die_usage("--type: \"%s\" is not a known type or a number", arg);
}

/* NAME in wire form (labels, then the root's zero byte); its length. */
static size_t encode_name(const char *name, uint8_t *out)
{
	size_t len = 0, n = strlen(name);
	const char *p = name;

	if (n == 0)
		die_usage("--name: the name is empty");
	if (strcmp(name, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	if (name[n - 1] == '.')
		n--;
	while (p < name + n) {
		const char *dot = memchr(p, '.', (size_t)(name + n - p));
		size_t label = dot ? (size_t)(dot - p) : (size_t)(name + n - p);

		if (label == 0 || label > 63)
			die_usage("--name: \"%s\" has an empty label or one "
				  "longer than 63 bytes", name);
		if (len + 1 + label + 1 > DNS_MAX_NAME)
			die_usage("--name: \"%s\" is longer than 255 bytes "
				  "in wire form", name);
		out[len++] = (uint8_t)label;
		memcpy(out + len, p, label);
		len += label;
		p += label + 1;
	}
	out[len++] = 0;
	return len;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * Read the name at *off of MSG into OUT (wire form, uncompressed), with
 * every bound checked; *off moves past the name as it sits in the message.
 * Returns the name's length, or 0 when it is malformed.
 */
static size_t read_name(const uint8_t *msg, size_t len, size_t *off,
			uint8_t *out)
{
	size_t pos = *off, n = 0, end = 0;
	int jumps = 0;

	for (;;) {
		uint8_t c;

		if (pos >= len)
			return 0;
		c = msg[pos];
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (pos + 1 >= len || ++jumps > 64)
				return 0;
			target = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			if (!end)
				end = pos + 2;
			if (target >= pos)	/* only backwards: no loops */
				return 0;
			pos = target;
			continue;
		}
		if (c & 0xc0)		/* 0x40, 0x80: not in use */
			return 0;
		if (n + 1 + c > DNS_MAX_NAME || pos + 1 + c > len)
			return 0;
		out[n++] = c;
		memcpy(out + n, msg + pos + 1, c);
		n += c;
		pos += 1 + (size_t)c;
		if (c == 0)
			break;
	}
	*off = end ? end : pos;
	return n;
}

static int same_name(const uint8_t *a, size_t alen, const uint8_t *b,
		     size_t blen)
{
	if (alen != blen)
		return 0;
	for (size_t i = 0; i < alen; i++) {
		uint8_t x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (uint8_t)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (uint8_t)(y + 32);
		if (x != y)
			return 0;
	}
	return 1;
}

static const char *rcode_name(unsigned int rcode)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		"REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
		"NOTZONE",
	};

	return rcode < sizeof(names) / sizeof(names[0]) ? names[rcode] : "";
}

struct query {
	uint8_t msg[DNS_HEADER + DNS_MAX_NAME + 4];
	size_t len;
	uint16_t id;
	const uint8_t *qname;
	size_t qname_len;
	uint16_t qtype;
};

/*
 * Check REPLY against Q and print its summary after PREFIX.  Returns 0
 * when it is a good answer, -1 (with the reason printed) when malformed.
 */
static int parse_reply(const struct query *q, const uint8_t *r, size_t len,
		       const char *prefix)
{
	uint8_t name[DNS_MAX_NAME];
	char addrs[1024] = "", text[INET6_ADDRSTRLEN];
	size_t off = DNS_HEADER, nlen, used = 0;
	unsigned int rcode, ancount;
	const char *why = NULL;

	if (!(r[2] & 0x80)) {
		why = "QR bit not set";
		goto bad;
	}
	if (r[2] & 0x02) {
		why = "truncated (TC bit set)";
		goto bad;
	}
	rcode = r[3] & 0x0f;
	ancount = get16(r + 6);
	if (get16(r + 4) != 1) {
		why = "question count is not 1";
		goto bad;
	}
	nlen = read_name(r, len, &off, name);
	if (!nlen || off + 4 > len) {
		why = "question section cut short or malformed";
		goto bad;
	}
	if (!same_name(name, nlen, q->qname, q->qname_len) ||
	    get16(r + off) != q->qtype || get16(r + off + 2) != 1) {
		why = "question section does not echo the query";
		goto bad;
	}
	off += 4;
	for (unsigned int i = 0; i < ancount; i++) {
		uint16_t type, class, rdlen;
		int af = 0;

		if (!read_name(r, len, &off, name) || off + 10 > len) {
			why = "answer record cut short or malformed";
			goto bad;
		}
		type = get16(r + off);
		class = get16(r + off + 2);
		rdlen = get16(r + off + 8);
		off += 10;
		if (off + rdlen > len) {
			why = "answer data runs past the message";
			goto bad;
		}
		if (class == 1 && type == 1) {
			if (rdlen != 4) {
				why = "A record is not 4 bytes";
				goto bad;
			}
			af = AF_INET;
		} else if (class == 1 && type == 28) {
			if (rdlen != 16) {
				why = "AAAA record is not 16 bytes";
				goto bad;
			}
			af = AF_INET6;
		}
		if (af && inet_ntop(af, r + off, text, sizeof(text)) &&
		    used + strlen(text) + 2 < sizeof(addrs)) {
			used += (size_t)snprintf(addrs + used,
						 sizeof(addrs) - used, " %s",
						 text);
		}
		off += rdlen;
	}
	if (*rcode_name(rcode))
		printf("%s rcode %s", prefix, rcode_name(rcode));
	else
		printf("%s rcode %u", prefix, rcode);
	printf(" answers %u%s%s\n", ancount, used ? ":" : "", addrs);
	return 0;
bad:
	printf("%s malformed answer: %s\n", prefix, why);
	return -1;
}

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000 +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms;
}

static int same_peer(const struct sockaddr_storage *a,
		     const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a;
		const struct sockaddr_in *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a;
	const struct sockaddr_in6 *y = (const void *)b;

	return x->sin6_port == y->sin6_port &&
	       memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

/* Send one query from a random member; 0 answered, -1 failed. */
static int one_query(struct portpool *pool, struct query *q,
		     const struct sockaddr_storage *to, socklen_t tolen,
		     long timeout, unsigned long seq)
{
	static uint8_t reply[DNS_MAX_MSG];
	struct sockaddr_storage from;
	struct timespec deadline;
	unsigned long strays = 0;
	char prefix[64];
	int i, fd, rc = -1;
	uint16_t port;

	i = portpool_pick(pool);
	if (i < 0) {
		printf("query %lu: no member: %s\n", seq, portpool_error());
		return -1;
	}
	fd = portpool_fd(pool, (size_t)i);
	port = portpool_port(pool, (size_t)i);
	snprintf(prefix, sizeof(prefix), "query %lu: port %u", seq, port);
	while (getrandom(&q->id, sizeof(q->id), 0) != sizeof(q->id))
		if (errno != EINTR) {
			printf("%s getrandom: %s\n", prefix, strerror(errno));
			return -1;
		}
	q->msg[0] = (uint8_t)(q->id >> 8);
	q->msg[1] = (uint8_t)q->id;
	if (sendto(fd, q->msg, q->len, 0, (const struct sockaddr *)to,
		   tolen) != (ssize_t)q->len) {
		printf("%s sendto failed: %s\n", prefix, strerror(errno));
		goto rotate;
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout / 1000;
	deadline.tv_nsec += (timeout % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		socklen_t fromlen = sizeof(from);
		ssize_t n;
		int ready;

		ready = poll(&pfd, 1, (int)ms_left(&deadline));
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0) {
			printf("%s poll failed: %s\n", prefix,
			       strerror(errno));
			break;
		}
		if (ready == 0) {
			printf("%s timeout after %ld ms", prefix, timeout);
			if (strays)
				printf(" (%lu stray datagram(s) ignored)",
				       strays);
			printf("\n");
			break;
		}
		n = recvfrom(fd, reply, sizeof(reply), 0,
			     (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			printf("%s receive failed: %s\n", prefix,
			       strerror(errno));
			break;
		}
		/* Not from the server, or not our ID: not our answer. */
		if (!same_peer(&from, to) || n < 2 ||
		    get16(reply) != q->id) {
			strays++;
			continue;
		}
		if (n < DNS_HEADER) {
			printf("%s malformed answer: %zd bytes, shorter than "
			       "a header\n", prefix, n);
			break;
		}
		rc = parse_reply(q, reply, (size_t)n, prefix);
		break;
	}
rotate:
	/* A fresh port for the next query this member sends. */
	if (portpool_rotate(pool, (size_t)i) < 0)
		fprintf(stderr, "dns-query: rotate port %u: %s\n", port,
			portpool_error());
	return rc;
}

/*
 * The socket hook: the library calls it for every member it makes, the
 * ones rotate() makes after each query included, before bind().  An
 * option set once on the first sockets would be lost at the first
 * rotation.
 */
static int set_dscp(int fd, int family, void *arg)
{
	int tos = *(const int *)arg << 2;

	if (family == AF_INET6)
		return setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos,
				  sizeof(tos));
	return setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
}

int main(int argc, char **argv)
{
	enum { O_SERVER = 256, O_PORT, O_NAME, O_TYPE, O_COUNT, O_TIMEOUT,
	       O_SIZE, O_RANGE, O_MUP, O_DSCP, O_HELP };
	static const struct option options[] = {
		{ "server", required_argument, NULL, O_SERVER },
		{ "port", required_argument, NULL, O_PORT },
		{ "name", required_argument, NULL, O_NAME },
		{ "type", required_argument, NULL, O_TYPE },
		{ "count", required_argument, NULL, O_COUNT },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "size", required_argument, NULL, O_SIZE },
		{ "range", required_argument, NULL, O_RANGE },
		{ "max-user-port", required_argument, NULL, O_MUP },
		{ "dscp", required_argument, NULL, O_DSCP },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct portpool_config *cfg = portpool_config_new();
	const char *server = "127.0.0.1", *name = "example.com";
	unsigned long count = 1, failed = 0, port = 53;
	long timeout = 2000;
	uint8_t qname[DNS_MAX_NAME];
	struct sockaddr_storage to;
	struct portpool *pool;
	struct query q;
	socklen_t tolen;
	int opt, size_set = 0;
	static int dscp;

	if (!cfg) {
		fprintf(stderr, "dns-query: %s\n", portpool_error());
		return 1;
	}
	q.qtype = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case O_SERVER:
			server = optarg;
			break;
		case O_PORT:
			port = number("--port", optarg, 1, 65535);
			break;
		case O_NAME:
			name = optarg;
			break;
		case O_TYPE:
			q.qtype = parse_type(optarg);
			break;
		case O_COUNT:
			count = number("--count", optarg, 1, 100000000);
			break;
		case O_TIMEOUT:
			timeout = (long)number("--timeout", optarg, 1,
					       3600000);
			break;
		case O_SIZE:
			check(portpool_config_set_size(cfg,
				(unsigned)number("--size", optarg, 0, 65535)),
			      "--size");
			size_set = 1;
			break;
		case O_RANGE:
			set_range(cfg, optarg);
			break;
		case O_MUP:
			check(portpool_config_set_max_user_port(cfg,
				(unsigned)number("--max-user-port", optarg, 0,
						 65535)), "--max-user-port");
			break;
		case O_DSCP:
			dscp = (int)number("--dscp", optarg, 0, 63);
			check(portpool_config_set_socket_hook(cfg, set_dscp,
							      &dscp),
			      "--dscp");
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
	if (!size_set)
		check(portpool_config_set_size(cfg, 16), "--size");

	memset(&to, 0, sizeof(to));
	if (inet_pton(AF_INET, server,
		      &((struct sockaddr_in *)&to)->sin_addr) == 1) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&to;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		tolen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, server,
			     &((struct sockaddr_in6 *)&to)->sin6_addr) == 1) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&to;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		tolen = sizeof(*sin6);
		check(portpool_config_set_family(cfg, AF_INET6), "--server");
	} else {
		die_usage("--server: \"%s\" is not a numeric IPv4 or IPv6 "
			  "address", server);
	}

	/* The query, but for its ID: header, QNAME, QTYPE, QCLASS IN. */
	q.qname = qname;
	q.qname_len = encode_name(name, qname);
	memset(q.msg, 0, DNS_HEADER);
	q.msg[2] = 0x01;			/* RD */
	q.msg[5] = 1;				/* QDCOUNT */
	memcpy(q.msg + DNS_HEADER, qname, q.qname_len);
	q.len = DNS_HEADER + q.qname_len;
	q.msg[q.len++] = (uint8_t)(q.qtype >> 8);
	q.msg[q.len++] = (uint8_t)q.qtype;
	q.msg[q.len++] = 0;
	q.msg[q.len++] = 1;			/* IN */

	pool = portpool_open(cfg);
	portpool_config_free(cfg);
	if (!pool) {
		fprintf(stderr, "dns-query: cannot open the pool: %s\n",
			portpool_error());
		return 1;
	}
	for (unsigned long seq = 1; seq <= count; seq++) {
		if (one_query(pool, &q, &to, tolen, timeout, seq) < 0)
			failed++;
		fflush(stdout);
	}
	printf("%lu queries, %lu answered, %lu failed\n", count,
	       count - failed, failed);
	portpool_close(pool);
	return failed ? 1 : 0;
}
