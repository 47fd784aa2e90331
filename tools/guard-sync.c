// SPDX-License-Identifier: ISC
/*
 * portpool-guard's deny set: read from its sources, written into the
 * pinned map (sync), and the policy merged into the kernel's own list
 * (sync --kernel).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "guard.h"
#include "kernlist.h"

int fill(uint64_t *map)
{
	int n = deny_set_fill(sources, extra, map);

	if (n < 0)
		fail("reading the deny set: %s", portpool_error());
	return n;
}

/* The union of the policy's reservations and the kernel's list, written
 * back to the kernel: never removes what the admin put there (see
 * kernlist.c: written whole, read back, the list as before on any
 * failure). */
static int sync_kernel(void)
{
	static uint64_t policy[DENY_WORDS];
	int n;

	n = deny_set_fill(1u << PORTPOOL_SOURCE_POLICY, extra, policy);
	if (n < 0)
		return fail("reading the policy: %s", portpool_error());
	if (n > 0 && kernlist_merge(policy) < 0)
		return fail("sync --kernel: %s", kernlist_error());
	return 0;
}

/* Every namespace's deny set replaced at once (the programs see it at
 * their next bind), then the owners brought up to date.  quiet: from
 * run's loop, where only changes are worth a line. */
int do_sync(bool quiet)
{
	int lock = pins_lock(), rc;

	if (lock < 0)
		return not_loaded();
	rc = ns_sync(quiet) || owners_sync(quiet);
	close(lock);
	return rc;
}

int cmd_sync(int argc, char **argv)
{
	bool kernel = false;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--kernel"))
			kernel = true;
	if (kernel && sync_kernel())
		return 1;
	return do_sync(false);
}
