/* SPDX-License-Identifier: ISC */
/*
 * The kernel's ip_local_reserved_ports, read and written whole: shared by
 * portpool-guard (sync --kernel) and libportpool-preload.so.
 */
#ifndef PORTPOOL_KERNLIST_H
#define PORTPOOL_KERNLIST_H

#include <stddef.h>
#include <stdint.h>

#include "denyset.h"
#include "ranges.h"

#define KERNLIST_PATH "/proc/sys/net/ipv4/ip_local_reserved_ports"

/*
 * The kernel's list of this network namespace as a port map (port 0
 * included when the kernel holds it), read whole by the library
 * (portpool_source_map); -1 with errno and portpool_error() set.  The
 * library reads the host policy with every source, so a policy it
 * refuses fails this read too.  A missing file is an empty list.
 */
int kernlist_read(uint64_t map[DENY_WORDS]);

/*
 * The list as written to the kernel: format_ranges() and a newline
 * ("\n" alone for none, which empties the list), in buf of size bytes;
 * the length, or -1 with errno ERANGE when it does not fit.
 * KERNLIST_TEXT_MAX holds any map.
 */
#define KERNLIST_TEXT_MAX (RANGES_MAX + 1)
int kernlist_format(const uint64_t map[DENY_WORDS], char *buf, size_t size);

/*
 * Add the ports of add to the kernel's list, removing none: the union is
 * written in one write() (the kernel takes a page per call and the rest
 * goes on from where it stopped) and read back.  On any failure the list
 * is written back as it was, and read back again.  Returns how many
 * ports were added (0: nothing to write), or -1 with errno set and one
 * line in kernlist_error(), which says whether the list is as before.
 */
int kernlist_merge(const uint64_t add[DENY_WORDS]);

/* The last failure of kernlist_merge() as a sentence ("" before one).
 * The tools' own: the library's portpool_error() is for its calls. */
const char *kernlist_error(void);

#endif
