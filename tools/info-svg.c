/* SPDX-License-Identifier: ISC */
/*
 * --svg FILE: the 65,536 ports as a 256 x 256 grid, port p at column
 * p % 256 of row p / 256, one colour per kind of port, the effective
 * range outlined and a legend with the count of each kind.
 *
 * Runs of equal ports within a row are one <rect> with a <title>
 * saying what they are (a tooltip on hover).  A host can alternate
 * kinds port by port (every other port reserved: 65,536 runs), and a
 * <rect> with its <title> costs about 100 bytes: past RECT_RUNS runs
 * each row's ports of one kind become one stroked <path> instead (about
 * 7 bytes a run) whose <title> names the kind and the row, so that the
 * file stays under 1 MiB whatever the host holds.
 *
 * The colours are Okabe and Ito's palette, which people with the common
 * colour-vision deficiencies tell apart, plus a light grey for the ports
 * outside the range; the legend names each colour in words too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "info.h"

enum kind {
	K_OUTSIDE,
	K_CALLER,	/* K_CALLER + s - 1: the exclusion source s */
	K_KERNEL,
	K_POLICY,
	K_WELL_KNOWN,
	K_SERVICES,
	K_CANDIDATE,
	K_SOCKET,
	K_POOL,
	K_COUNT
};

_Static_assert(K_SERVICES - K_CALLER ==
	       PORTPOOL_SOURCE_ETC_SERVICES - PORTPOOL_SOURCE_CALLER,
	       "one kind per exclusion source");

static const struct {
	const char *fill;
	const char *colour;	/* the colour in words, for the legend */
} look[K_COUNT] = {
	[K_OUTSIDE]	= { "#d9d9d9", "light grey" },
	[K_CALLER]	= { "#cc79a7", "reddish purple" },
	[K_KERNEL]	= { "#e69f00", "orange" },
	[K_POLICY]	= { "#f0e442", "yellow" },
	[K_WELL_KNOWN]	= { "#009e73", "bluish green" },
	[K_SERVICES]	= { "#000000", "black" },
	[K_CANDIDATE]	= { "#56b4e9", "sky blue" },
	[K_SOCKET]	= { "#d55e00", "vermillion" },
	[K_POOL]	= { "#0072b2", "blue" },
};

static const char *kind_name(enum kind k)
{
	switch (k) {
	case K_OUTSIDE:
		return "outside the effective range";
	case K_CANDIDATE:
		return "candidate, free";
	case K_SOCKET:
		return "candidate held by a socket: at risk";
	case K_POOL:
		return "candidate held by a socket pool";
	default:
		return portpool_source_name((enum portpool_source)
			(k - K_CALLER + PORTPOOL_SOURCE_CALLER));
	}
}

/* Past this many runs, rows are drawn as paths (see above). */
#define RECT_RUNS 6000
/* Pixels per port, and where the grid and the legend start. */
#define CELL 3
#define GRID_X 56
#define GRID_Y 56
#define LEGEND_X (GRID_X + 256 * CELL + 24)
#define WIDTH (LEGEND_X + 440)
#define HEIGHT (GRID_Y + 256 * CELL + 40)

struct picture {
	struct portpool_census census;
	struct audit_counts audit;
	struct portmap map;
	uint8_t kind[65536];
	size_t count[K_COUNT];
	size_t runs;
};

/* Each port's kind: outside the range; else its first exclusion source;
 * else a candidate, held by a socket, or by a socket pool. */
static int classify(const struct portpool_config *cfg, struct picture *p)
{
	const struct portpool_census *c = &p->census;

	if (portpool_census(cfg, &p->census, sizeof(p->census)) < 0)
		goto fail;
	memset(p->kind, K_OUTSIDE, sizeof(p->kind));
	for (int s = PORTPOOL_SOURCE_ETC_SERVICES; s >= PORTPOOL_SOURCE_CALLER;
	     s--) {
		if (source_map(cfg, s, &p->map) < 0)
			goto fail;
		for (unsigned port = c->first; port <= c->last; port++)
			if (portmap_has(&p->map, port))
				p->kind[port] = (uint8_t)(K_CALLER + s -
					PORTPOOL_SOURCE_CALLER);
	}
	if (candidate_map(cfg, &p->map) < 0)
		goto fail;
	if (audit_count(cfg, &p->audit) < 0)
		return -1;
	for (unsigned port = c->first; port <= c->last; port++) {
		if (!portmap_has(&p->map, port))
			continue;
		p->kind[port] = portmap_has(&p->audit.risk, port) ? K_SOCKET :
				portmap_has(&p->audit.pool, port) ? K_POOL :
				K_CANDIDATE;
	}
	for (unsigned port = 0; port < 65536; port++) {
		p->count[p->kind[port]]++;
		if (port % 256 == 0 || p->kind[port] != p->kind[port - 1])
			p->runs++;
	}
	return 0;
fail:
	fprintf(stderr, "portpool-info: %s\n", portpool_error());
	return -1;
}

static int full_row(const struct picture *p, unsigned row, enum kind k)
{
	for (unsigned x = 0; x < 256; x++)
		if (p->kind[row * 256 + x] != k)
			return 0;
	return 1;
}

static void span_title(FILE *out, unsigned first, unsigned last,
		       enum kind k)
{
	fprintf(out, "<title>");
	if (first == last)
		fprintf(out, "%u: ", first);
	else
		fprintf(out, "%u-%u (%u ports): ", first, last,
			last - first + 1);
	xml_text(out, kind_name(k));
	fprintf(out, "</title>");
}

/* One <rect> and its <title> per run; whole rows of one kind in a row
 * are one <rect> too (the rows outside the range, mostly). */
static void draw_rects(FILE *out, const struct picture *p)
{
	for (unsigned row = 0; row < 256; row++) {
		unsigned x = 0, rows = 1;

		while (x < 256) {
			const uint8_t *kind = &p->kind[row * 256];
			unsigned port = row * 256 + x, end = x;
			enum kind k = kind[x];

			while (end + 1 < 256 && kind[end + 1] == k)
				end++;
			if (x == 0 && end == 255)
				while (row + rows < 256 &&
				       full_row(p, row + rows, k))
					rows++;
			fprintf(out, "<rect x=\"%u\" y=\"%u\" width=\"%u\" "
				"height=\"%u\" fill=\"%s\">", x, row,
				end - x + 1, rows, look[k].fill);
			span_title(out, port, (row + rows - 1) * 256 + end, k);
			fprintf(out, "</rect>\n");
			x = end + 1;
		}
		row += rows - 1;
	}
}

/* One stroked <path> per row and kind: each run is "m GAP 0 h LENGTH". */
static void draw_paths(FILE *out, const struct picture *p)
{
	fprintf(out, "<g fill=\"none\" stroke-width=\"1\">\n");
	for (unsigned row = 0; row < 256; row++) {
		const uint8_t *kind = &p->kind[row * 256];

		for (int k = 0; k < K_COUNT; k++) {
			unsigned x = 0, pen = 0, ports = 0, runs = 0;

			while (x < 256) {
				unsigned end = x;

				if (kind[x] != k) {
					x++;
					continue;
				}
				while (end + 1 < 256 && kind[end + 1] == k)
					end++;
				if (!runs)
					fprintf(out, "<path stroke=\"%s\" "
						"d=\"M%u %u.5h%u", look[k].fill,
						x, row, end - x + 1);
				else
					fprintf(out, "m%u 0h%u", x - pen,
						end - x + 1);
				pen = end + 1;
				ports += end - x + 1;
				runs++;
				x = end + 1;
			}
			if (!runs)
				continue;
			fprintf(out, "\"><title>%u-%u: %u port%s in %u run%s: ",
				row * 256, row * 256 + 255, ports,
				ports == 1 ? "" : "s", runs,
				runs == 1 ? "" : "s");
			xml_text(out, kind_name((enum kind)k));
			fprintf(out, "</title></path>\n");
		}
	}
	fprintf(out, "</g>\n");
}

/* The range's outline: the cells first..last, row by row. */
static void draw_outline(FILE *out, unsigned first, unsigned last)
{
	unsigned x0 = first % 256, y0 = first / 256;
	unsigned x1 = last % 256 + 1, y1 = last / 256 + 1;

	fprintf(out, "<polygon fill=\"none\" stroke=\"#000000\" "
		"stroke-width=\"0.6\" points=\"");
	if (y1 == y0 + 1)
		fprintf(out, "%u,%u %u,%u %u,%u %u,%u", x0, y0, x1, y0, x1, y1,
			x0, y1);
	else
		fprintf(out, "%u,%u 256,%u 256,%u %u,%u %u,%u 0,%u 0,%u %u,%u",
			x0, y0, y0, y1 - 1, x1, y1 - 1, x1, y1, y1, y0 + 1,
			x0, y0 + 1);
	fprintf(out, "\"><title>the effective range, %u-%u</title>"
		"</polygon>\n", first, last);
}

static void draw(FILE *out, const struct picture *p)
{
	const struct portpool_census *c = &p->census;
	int y = GRID_Y;

	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" "
		"font-family=\"sans-serif\" font-size=\"13\">\n",
		WIDTH, HEIGHT, WIDTH, HEIGHT);
	fprintf(out, "<title>portpool-info --svg: the 65,536 ports, "
		"effective range %u-%u</title>\n", c->first, c->last);
	fprintf(out, "<rect width=\"100%%\" height=\"100%%\" "
		"fill=\"#ffffff\"/>\n");
	fprintf(out, "<text x=\"%d\" y=\"24\" font-size=\"16\">Ports 0-65535,"
		" 256 per row: effective range %u-%u (%llu ports, ", GRID_X,
		c->first, c->last, (unsigned long long)c->range_ports);
	xml_text(out, c->range_source);
	fprintf(out, "), %llu candidates</text>\n",
		(unsigned long long)c->candidates);
	/* Row labels every 16 rows: the first port of the row. */
	for (unsigned row = 0; row < 256; row += 16)
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" "
			"font-size=\"10\">%u</text>\n", GRID_X - 4,
			GRID_Y + (int)row * CELL + 8, row * 256);
	fprintf(out, "<g transform=\"translate(%d %d) scale(%d)\" "
		"shape-rendering=\"crispEdges\">\n", GRID_X, GRID_Y, CELL);
	if (p->runs <= RECT_RUNS)
		draw_rects(out, p);
	else
		draw_paths(out, p);
	draw_outline(out, c->first, c->last);
	fprintf(out, "</g>\n");

	fprintf(out, "<g transform=\"translate(%d 0)\">\n", LEGEND_X);
	fprintf(out, "<text x=\"0\" y=\"%d\" font-weight=\"bold\">Ports, by "
		"kind (colour)</text>\n", y + 4);
	y += 20;
	for (int k = 0; k < K_COUNT; k++, y += 24) {
		fprintf(out, "<rect x=\"0\" y=\"%d\" width=\"16\" height=\"16\""
			" fill=\"%s\" stroke=\"#000000\" stroke-width=\"0.5\">"
			"<title>%s</title></rect>\n", y, look[k].fill,
			look[k].colour);
		fprintf(out, "<text x=\"24\" y=\"%d\">%zu ", y + 13,
			p->count[k]);
		xml_text(out, kind_name((enum kind)k));
		fprintf(out, " (%s)</text>\n", look[k].colour);
	}
	y += 8;
	fprintf(out, "<text x=\"0\" y=\"%d\">Black outline: the effective "
		"range.</text>\n", y);
	fprintf(out, "<text x=\"0\" y=\"%d\">An excluded port shows its first"
		" source, in this order.</text>\n", y + 18);
	fprintf(out, "<text x=\"0\" y=\"%d\">%zu socket pool%s, %zu "
		"socket%s at risk.</text>\n", y + 36, p->audit.pools,
		p->audit.pools == 1 ? "" : "s", p->audit.at_risk,
		p->audit.at_risk == 1 ? "" : "s");
	fprintf(out, "<text x=\"0\" y=\"%d\">Hover over a cell: what its "
		"run of ports is.</text>\n", y + 54);
	fprintf(out, "</g>\n</svg>\n");
}

/* Write buf to file through a temporary file in its directory and a
 * rename, so that a reader sees the old picture or the new one whole. */
static int write_atomic(const char *file, const char *buf, size_t len)
{
	size_t n = strlen(file);
	char *tmp = malloc(n + 8);
	int fd, err;

	if (!tmp) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(tmp, file, n);
	memcpy(tmp + n, ".XXXXXX", 8);
	fd = mkstemp(tmp);
	if (fd < 0)
		goto fail;
	if (fchmod(fd, 0644) < 0)
		goto fail_fd;
	for (size_t done = 0; done < len;) {
		ssize_t w = write(fd, buf + done, len - done);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail_fd;
		}
		done += (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail_fd;
	if (close(fd) < 0) {
		fd = -1;
		goto fail_fd;
	}
	if (rename(tmp, file) < 0) {
		fd = -1;
		goto fail_fd;
	}
	free(tmp);
	return 0;
fail_fd:
	err = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = err;
fail:
	err = errno;
	free(tmp);
	errno = err;
	return -1;
}

int svg_run(const struct portpool_config *cfg, const char *file)
{
	struct picture *p = calloc(1, sizeof(*p));
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	int rc = INFO_FAILED;

	if (!p)
		goto oom;
	if (classify(cfg, p) < 0)
		goto out;
	out = open_memstream(&buf, &len);
	if (!out)
		goto oom;
	draw(out, p);
	if (fclose(out) != 0)
		goto oom;
	if (strcmp(file, "-") == 0) {
		if (fwrite(buf, 1, len, stdout) != len ||
		    fflush(stdout) != 0) {
			fprintf(stderr, "portpool-info: --svg: cannot write "
				"to stdout\n");
			goto out;
		}
	} else if (write_atomic(file, buf, len) < 0) {
		int err = errno;

		/* One line, whatever bytes the name holds. */
		fprintf(stderr, "portpool-info: --svg: cannot write ");
		text_string(stderr, file);
		fprintf(stderr, ": %s\n", strerror(err));
		goto out;
	}
	rc = INFO_OK;
	goto out;
oom:
	fprintf(stderr, "portpool-info: out of memory\n");
out:
	free(buf);
	free(p);
	return rc;
}
