// SPDX-License-Identifier: ISC
/*
 * The kernel's ip_local_reserved_ports, read and written whole.
 *
 * Reading: the file returns its whole text to the first read() and
 * end-of-file to every later one; the library takes it in one read()
 * into a buffer for the largest text the kernel can print, and gives it
 * here as its kernel source (portpool_source_map): only the public API,
 * so that the guard links the shared library.
 *
 * Writing: the kernel parses at most a page of a write() and returns how
 * much it took, cut before a number it could not see whole; the caller
 * goes on from there.  At offset 0 the first piece REPLACES the list and
 * every later piece (a nonzero offset) is added to it, so a long list
 * written from offset 0 is, between two pieces, only its first page.
 * A merge therefore writes at offset 1: every piece is added, and no
 * moment lacks an entry that was there.  Only a restore, which must
 * also take away what a failed merge added, starts at offset 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <portpool.h>

#include "kernlist.h"

_Static_assert(DENY_WORDS == PORTPOOL_MAP_WORDS, "the library's map");

int kernlist_read(uint64_t map[DENY_WORDS])
{
	struct portpool_config *cfg = portpool_config_new();
	int rc = -1, err;

	memset(map, 0, DENY_WORDS * sizeof(map[0]));
	if (!cfg)
		return -1;
	/* The kernel's source alone: no other host file is read. */
	if (portpool_config_set_flags(cfg, PORTPOOL_NO_WELL_KNOWN |
				      PORTPOOL_NO_ETC_SERVICES) == 0 &&
	    portpool_source_map(cfg, PORTPOOL_SOURCE_KERNEL, map) >= 0)
		rc = 0;
	err = errno;
	portpool_config_free(cfg);
	if (rc < 0) {
		memset(map, 0, DENY_WORDS * sizeof(map[0]));
		errno = err;
	}
	return rc;
}

static char error_line[512];

const char *kernlist_error(void)
{
	return error_line;
}

/* The sentence for kernlist_error(); -1 with errno err. */
__attribute__((format(printf, 2, 3)))
static int merge_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(error_line, sizeof(error_line), fmt, ap);
	va_end(ap);
	errno = err;
	return -1;
}

int kernlist_format(const uint64_t map[DENY_WORDS], char *buf, size_t size)
{
	int len = format_ranges(map, buf, size);

	if (len < 0)
		return -1;
	if ((size_t)len + 2 > size) {
		buf[0] = '\0';
		errno = ERANGE;
		return -1;
	}
	buf[len++] = '\n';
	buf[len] = '\0';
	return len;
}

/* text[0..len) at offset base and on, a page at a time as the kernel
 * takes it; 0, or -1 with errno. */
static int write_whole(int fd, const char *text, size_t len, off_t base)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, text + done, len - done,
				   base + (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;	/* the kernel took nothing: stuck */
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

static int same(const uint64_t *a, const uint64_t *b)
{
	return memcmp(a, b, DENY_WORDS * sizeof(a[0])) == 0;
}

static int count(const uint64_t *map)
{
	int n = 0;

	for (size_t w = 0; w < DENY_WORDS; w++)
		n += __builtin_popcountll(map[w]);
	return n;
}

/*
 * Write map as the whole list (from offset 0) and check it.  0 when the
 * list reads back as map.
 */
static int restore(const uint64_t *map, char *text, uint64_t *check)
{
	int len = kernlist_format(map, text, KERNLIST_TEXT_MAX);
	int fd, rc;

	if (len < 0)
		return -1;
	fd = open(KERNLIST_PATH, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	rc = write_whole(fd, text, (size_t)len, 0);
	if (close(fd) < 0)
		rc = -1;
	if (rc == 0 && kernlist_read(check) == 0 && same(check, map))
		return 0;
	return -1;
}

int kernlist_merge(const uint64_t add[DENY_WORDS])
{
	uint64_t *before = malloc(3 * DENY_WORDS * sizeof(*before));
	uint64_t *merged, *after;
	char *text = malloc(KERNLIST_TEXT_MAX);
	const char *step = "open";
	char why[96];
	int fd = -1, added, err, len;

	if (!before || !text) {
		free(before);
		free(text);
		return merge_fail(ENOMEM, "%s: out of memory for the kernel's "
				  "list", KERNLIST_PATH);
	}
	merged = before + DENY_WORDS;
	after = merged + DENY_WORDS;
	if (kernlist_read(before) < 0) {
		/* Nothing written: the list is as it was. */
		err = errno;
		merge_fail(err, "%s", portpool_error());
		free(before);
		free(text);
		errno = err;
		return -1;
	}
	for (size_t w = 0; w < DENY_WORDS; w++)
		merged[w] = before[w] | add[w];
	added = count(merged) - count(before);
	if (added == 0) {
		free(before);
		free(text);
		return 0;
	}
	len = kernlist_format(merged, text, KERNLIST_TEXT_MAX);
	if (len < 0) {
		/* Nothing written: the list is as it was. */
		err = errno;
		free(before);
		free(text);
		return merge_fail(err, "%s: the merged list does not fit in "
				  "%zu bytes; nothing written", KERNLIST_PATH,
				  KERNLIST_TEXT_MAX);
	}
	fd = open(KERNLIST_PATH, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0) {
		step = "write";
		if (write_whole(fd, text, (size_t)len, 1) == 0) {
			step = "close";
			if (close(fd) == 0) {
				step = "read back";
				fd = -1;
				if (kernlist_read(after) == 0) {
					if (same(after, merged))
						goto done;
					errno = EIO;
					step = "compare";
				}
			}
		}
	}
	err = errno;
	if (fd >= 0)
		close(fd);
	if (strcmp(step, "compare") == 0)
		snprintf(why, sizeof(why), "the list read back is not the one "
			 "written");
	else
		snprintf(why, sizeof(why), "%s failed: %s", step,
			 strerror(err));
	if (restore(before, text, after) == 0)
		merge_fail(err, "%s: %s; the list is as before (%d ports)",
			   KERNLIST_PATH, why, count(before));
	else
		merge_fail(err, "%s: %s, and so did writing back the list as "
			   "it was (%d ports): look at what it holds now",
			   KERNLIST_PATH, why, count(before));
	free(before);
	free(text);
	errno = err;
	return -1;
done:
	free(before);
	free(text);
	return added;
}
