// SPDX-License-Identifier: ISC
/*
 * portpool-guard enable: a systemd drop-in that attaches the pinned
 * programs to one unit (BPFProgram=) and orders it after the guard.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "guard.h"

int cmd_enable(const char *unit)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], name[256];
	FILE *f;

	if (!*unit || strchr(unit, '/') || strlen(unit) > 200 ||
	    strspn(unit, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"
		   "YZ0123456789:-_.@\\") != strlen(unit))
		return fail("unit \"%.64s\": not a unit name", unit);
	snprintf(name, sizeof(name), "%s%s", unit,
		 strchr(unit, '.') ? "" : ".service");
	if (snprintf(dir, sizeof(dir), "%s/%s.d", unit_dir, name) >=
	    (int)sizeof(dir))
		return fail("unit directory %s: too long", unit_dir);
	if (mkdirs(dir, NULL) < 0)
		return fail("making %s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/portpool-guard.conf", dir);
	f = fopen(path, "w");
	if (!f)
		return fail("writing %s: %s", path, strerror(errno));
	fprintf(f, "# Written by portpool-guard enable: the host's port "
		"reservations hold for\n# this unit's explicit UDP binds.\n"
		"[Unit]\nWants=portpool-guard.service\n"
		"After=portpool-guard.service\n\n[Service]\n"
		"BPFProgram=bind4:%s/bind4\nBPFProgram=bind6:%s/bind6\n",
		pin_dir, pin_dir);
	if (fclose(f) == EOF)
		return fail("writing %s: %s", path, strerror(errno));
	printf("wrote %s; now: systemctl daemon-reload && systemctl restart "
	       "%s\n", path, name);
	return 0;
}
