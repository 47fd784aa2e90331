// SPDX-License-Identifier: ISC
/*
 * A port map as text in the kernel's syntax: one writer for what
 * portpool-guard prints and what it writes into the kernel's list, so
 * that the two cannot differ.
 */
#include <errno.h>
#include <stdio.h>

#include "ranges.h"

int format_ranges(const uint64_t map[DENY_WORDS], char *buf, size_t size)
{
	size_t used = 0;

	if (size == 0) {
		errno = ERANGE;
		return -1;
	}
	buf[0] = '\0';
	for (unsigned int p = 0; p < 65536; p++) {
		unsigned int q = p;
		int n;

		if (!deny_has(map, p))
			continue;
		while (q < 65535 && deny_has(map, q + 1))
			q++;
		n = p == q ? snprintf(buf + used, size - used, "%s%u",
				      used ? "," : "", p) :
			     snprintf(buf + used, size - used, "%s%u-%u",
				      used ? "," : "", p, q);
		/* A list cut short would read as a shorter, valid one. */
		if (n < 0 || (size_t)n >= size - used) {
			buf[0] = '\0';
			errno = ERANGE;
			return -1;
		}
		used += (size_t)n;
		p = q;
	}
	return (int)used;
}
