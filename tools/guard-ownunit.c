// SPDX-License-Identifier: ISC
/*
 * portpool-guard own --unit: a systemd drop-in whose ExecStartPre= line
 * registers the unit's cgroup at every start (systemd makes a new one
 * each time, and runs ExecStartPre= in it before the main process), and
 * whose ExecStopPost= line takes the registration back.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/magic.h>
#include <bpf/bpf.h>

#include "guard.h"
#include "out.h"

/*
 * s as one word of an Exec line: "%" is a specifier and "$" a variable
 * there, so both are doubled; a word with a space, a quote or a
 * backslash is quoted, with '"' and '\' escaped inside.  Control bytes
 * and bytes that are not UTF-8 cannot be written: -1 after fail().
 */
static int exec_word(FILE *out, const char *s, const char *what)
{
	char shown[TEXT_MAX(64)];
	bool quote = s[strcspn(s, " \"'\\")] != '\0';

	text_escape(s, shown, sizeof(shown));
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return fail("%s \"%s\": a control byte cannot go into "
				    "a unit file", what, shown), -1;
	if (!utf8_valid(s))
		return fail("%s \"%s\": not UTF-8, which systemd refuses",
			    what, shown), -1;
	if (quote)
		fputc('"', out);
	for (const char *p = s; *p; p++) {
		if (*p == '%' || *p == '$')
			fputc(*p, out);
		else if (quote && (*p == '"' || *p == '\\'))
			fputc('\\', out);
		fputc(*p, out);
	}
	if (quote)
		fputc('"', out);
	return 0;
}

static int exec_line(FILE *out, const char *key, const char *tool,
		     const char *verb, const char *ports)
{
	fputs(key, out);
	if (exec_word(out, tool, "the tool's path"))
		return -1;
	fputs(" --pin-dir ", out);
	if (exec_word(out, pin_dir, "pin directory"))
		return -1;
	fprintf(out, " %s %s --self\n", verb, ports);
	return 0;
}

int own_unit(const char *ports, const char *unit)
{
	static uint64_t map[DENY_WORDS];
	char name[256], dir[PATH_MAX], path[PATH_MAX + 40], tool[PATH_MAX];
	char tmp[PATH_MAX + 48];
	static char canon[RANGES_MAX], shown[TEXT_MAX(PATH_MAX + 48)];
	const char *section;
	ssize_t n;
	FILE *f;
	int rc;

	rc = ports_parse("own", ports, map);
	if (rc)
		return rc;
	if (format_ranges(map, canon, sizeof(canon)) < 0)
		return fail("own PORTS: %s", strerror(errno));
	section = unit_check(unit, name);
	if (!section)
		return 1;
	if (strcmp(section, "Service") != 0)
		return fail("unit %s: only a .service unit runs ExecStartPre=, "
			    "which registers its cgroup", name);
	if (strchr(pin_dir, '.'))
		return fail("pin directory %s: a path without dots, please "
			    "(libbpf rewrites dots in pin paths)", pin_shown());
	/* The drop-in runs this very program, wherever it is installed. */
	n = readlink("/proc/self/exe", tool, sizeof(tool) - 1);
	if (n < 0)
		return fail("finding this program: %s", strerror(errno));
	tool[n] = '\0';
	if (snprintf(dir, sizeof(dir), "%s/%s.d", unit_dir, name) >=
	    (int)sizeof(dir))
		return fail("unit directory %s: too long", text_escape(unit_dir,
			    shown, TEXT_MAX(64)));
	if (mkdirs(dir, NULL) < 0)
		return fail("making %s: %s", text_escape(dir, shown,
			    sizeof(shown)), strerror(errno));
	snprintf(path, sizeof(path), "%s/portpool-guard-own.conf", dir);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	if (!f)
		return fail("writing %s: %s", text_escape(tmp, shown,
			    sizeof(shown)), strerror(errno));
	fprintf(f, "# Written by portpool-guard own --unit: at every start "
		"this unit's new cgroup\n# owns UDP ports %s before the main "
		"process runs (ExecStartPre=\n# processes run in that cgroup); "
		"the registration goes when it stops.\n[Unit]\n"
		"Wants=portpool-guard.service\nAfter=portpool-guard.service\n"
		"\n[Service]\n", canon);
	/* "+": with full privileges, whatever User= the unit has; "-" on
	 * the way out: a guard unloaded meanwhile is no failure. */
	if (exec_line(f, "ExecStartPre=+", tool, "own", canon) ||
	    exec_line(f, "ExecStopPost=-+", tool, "disown", canon)) {
		fclose(f);
		unlink(tmp);
		return 1;
	}
	if (fclose(f) == EOF || rename(tmp, path) < 0) {
		int saved = errno;

		unlink(tmp);
		return fail("writing %s: %s", text_escape(path, shown,
			    sizeof(shown)), strerror(saved));
	}
	/* name passed unit_check(): only characters that need no escape. */
	printf("wrote %s; now: systemctl daemon-reload && systemctl restart "
	       "%s\n", text_escape(path, shown, sizeof(shown)), name);
	return 0;
}
