/* SPDX-License-Identifier: ISC */
/*
 * A port map as text in the kernel's own syntax ("4500,8080-8090"): what
 * portpool-guard shows and what kernlist.c writes into
 * ip_local_reserved_ports.
 */
#ifndef PORTPOOL_RANGES_H
#define PORTPOOL_RANGES_H

#include <stddef.h>
#include <stdint.h>

#include "denyset.h"

/*
 * The longest text of any map, its NUL included.  Pairs are the costliest
 * (two numbers and a dash for two ports), so one port in three, each with
 * the next, "0-1,3-4,...,65532-65533,65535", is 254,737 bytes; separate
 * ports ("0,2,...,65534") are only 191,052.
 */
#define RANGES_MAX ((size_t)254738)

/*
 * "4500,8080-8090" for the ports set in map ("" for none), NUL-terminated
 * in buf of size bytes: its length, or -1 with errno ERANGE when it does
 * not fit (buf then holds "" if size allows), never a part of the list.
 * A buffer of RANGES_MAX bytes holds any map.
 */
int format_ranges(const uint64_t map[DENY_WORDS], char *buf, size_t size);

#endif
