/* SPDX-License-Identifier: ISC */
/*
 * Port bitmaps: one bit per port, 8 KiB for all of them, so that a test
 * per socket costs a shift and never a file read.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "info.h"

void portmap_set_span(struct portmap *m, unsigned first, unsigned last)
{
	for (unsigned p = first; p <= last && p <= 65535; p++)
		portmap_set(m, p);
}

void portmap_clear_span(struct portmap *m, unsigned first, unsigned last)
{
	for (unsigned p = first; p <= last && p <= 65535; p++)
		m->w[p / 64] &= ~((uint64_t)1 << (p % 64));
}

static int port_number(const char **s, unsigned *port)
{
	unsigned long n = 0;
	const char *p = *s;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		n = n * 10 + (unsigned long)(*p++ - '0');
		if (n > 65535)
			return -1;
	}
	*s = p;
	*port = (unsigned)n;
	return 0;
}

int portmap_add_list(struct portmap *m, const char *list)
{
	const char *s = list;

	for (;;) {
		unsigned first, last;

		while (*s == ',' || *s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s)
			return 0;
		if (port_number(&s, &first) < 0)
			return -1;
		last = first;
		if (*s == '-') {
			s++;
			if (port_number(&s, &last) < 0 || last < first)
				return -1;
		}
		if (*s && *s != ',' && *s != ' ' && *s != '\t' && *s != '\n')
			return -1;
		portmap_set_span(m, first, last);
	}
}

/* Calls fn for each span of m, in order; stops at fn's nonzero. */
static int portmap_each(const struct portmap *m,
			int (*fn)(unsigned, unsigned, void *), void *arg)
{
	unsigned p = 0;

	while (p <= 65535) {
		unsigned first;

		if (!m->w[p / 64] && p % 64 == 0) {
			p += 64;
			continue;
		}
		if (!portmap_has(m, p)) {
			p++;
			continue;
		}
		first = p;
		while (p <= 65535 && portmap_has(m, p))
			p++;
		if (fn(first, p - 1, arg))
			return -1;
	}
	return 0;
}

static int count_span(unsigned first, unsigned last, void *arg)
{
	(void)first;
	(void)last;
	(*(size_t *)arg)++;
	return 0;
}

size_t portmap_spans(const struct portmap *m)
{
	size_t n = 0;

	portmap_each(m, count_span, &n);
	return n;
}

struct format {
	char *buf;
	size_t used, size;
	const char *sep, *dash;
};

static int format_span(unsigned first, unsigned last, void *arg)
{
	struct format *f = arg;
	char item[40];
	int n;

	n = first == last ?
	    snprintf(item, sizeof(item), "%s%u", f->used ? f->sep : "",
		     first) :
	    snprintf(item, sizeof(item), "%s%u%s%u", f->used ? f->sep : "",
		     first, f->dash, last);
	if (f->used + (size_t)n + 1 > f->size) {
		size_t size = (f->size + (size_t)n + 1) * 2;
		char *buf = realloc(f->buf, size);

		if (!buf)
			return -1;
		f->buf = buf;
		f->size = size;
	}
	memcpy(f->buf + f->used, item, (size_t)n + 1);
	f->used += (size_t)n;
	return 0;
}

char *portmap_format(const struct portmap *m, const char *sep,
		     const char *dash)
{
	struct format f = { malloc(64), 0, 64, sep, dash };

	if (!f.buf)
		return NULL;
	f.buf[0] = '\0';
	if (portmap_each(m, format_span, &f) < 0) {
		free(f.buf);
		return NULL;
	}
	return f.buf;
}

int source_map(const struct portpool_config *cfg, enum portpool_source src,
	       struct portmap *m)
{
	int len = portpool_source_ranges(cfg, src, NULL, 0);
	char *list;
	int rc;

	memset(m, 0, sizeof(*m));
	if (len < 0)
		return -1;
	list = malloc((size_t)len + 1);
	if (!list) {
		errno = ENOMEM;
		return -1;
	}
	rc = portpool_source_ranges(cfg, src, list, (size_t)len + 1);
	if (rc >= 0 && portmap_add_list(m, list) < 0) {
		/* The library wrote it: a bad list here is our bug. */
		errno = EPROTO;
		rc = -1;
	}
	free(list);
	return rc < 0 ? -1 : 0;
}

/* The candidate set, from one read of the host files. */
int candidate_map(const struct portpool_config *cfg, struct portmap *m)
{
	_Static_assert(sizeof(m->w) == PORTPOOL_MAP_WORDS * sizeof(uint64_t),
		       "a portmap is the library's map");
	return portpool_candidate_map(cfg, m->w) < 0 ? -1 : 0;
}
