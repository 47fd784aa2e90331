// SPDX-License-Identifier: ISC
/*
 * portpool-guard enable: a systemd drop-in that attaches the pinned
 * programs to one unit (BPFProgram=) and orders it after the guard.
 * What goes into the drop-in is checked as systemd reads it: the unit's
 * name by systemd's rules for unit names, the pin directory for what the
 * unit file parser would take for a line end or expand.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "out.h"

/* systemd's UNIT_NAME_MAX, its terminating NUL included. */
#define UNIT_NAME_MAX 256

/* Unit types whose processes BPFProgram= can guard, with the section
 * that takes the setting. */
static const struct {
	const char *suffix, *section;
} unit_types[] = {
	{ "service", "Service" }, { "socket", "Socket" },
	{ "mount", "Mount" }, { "swap", "Swap" }, { "slice", "Slice" },
};

/* The other types systemd knows: named apart, for a clearer refusal. */
static const char *const other_types[] = {
	"target", "device", "automount", "timer", "path", "scope",
};

static int unit_ok_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr(":-_.\\@", c));
}

/*
 * name (mangled: ".service" added to a name with no dot, as systemctl
 * does) checked as systemd's unit_name_is_valid() checks a name: at most
 * 255 bytes, PREFIX[@INSTANCE].TYPE of letters, digits and ":-_.\@",
 * a prefix that is not empty, a type systemd knows.  Returns the section
 * for BPFProgram=, or NULL after fail().
 */
const char *unit_check(const char *unit, char name[UNIT_NAME_MAX])
{
	char shown[TEXT_MAX(64)], type[TEXT_MAX(16)];
	const char *dot, *at;

	text_escape(unit, shown, sizeof(shown));
	if (snprintf(name, UNIT_NAME_MAX, "%s%s", unit,
		     strchr(unit, '.') ? "" : ".service") >= UNIT_NAME_MAX) {
		fail("unit \"%s\": not a unit name (longer than %d bytes)",
		     shown, UNIT_NAME_MAX - 1);
		return NULL;
	}
	dot = strrchr(name, '.');
	at = strchr(name, '@');
	for (const char *p = name; p < dot; p++)
		if (!unit_ok_char((unsigned char)*p)) {
			fail("unit \"%s\": not a unit name (systemd allows "
			     "letters, digits and \":-_.\\@\")", shown);
			return NULL;
		}
	if (dot == name || at == name) {
		fail("unit \"%s\": not a unit name (no name before the "
		     "%s)", shown, at == name ? "\"@\"" : "type suffix");
		return NULL;
	}
	for (size_t i = 0; i < sizeof(unit_types) / sizeof(*unit_types); i++)
		if (!strcmp(dot + 1, unit_types[i].suffix))
			return unit_types[i].section;
	for (size_t i = 0; i < sizeof(other_types) / sizeof(*other_types); i++)
		if (!strcmp(dot + 1, other_types[i])) {
			fail("unit \"%s\": a .%s unit has no processes to "
			     "guard (BPFProgram= is for .service, .socket, "
			     ".mount, .swap and .slice units)", shown,
			     other_types[i]);
			return NULL;
		}
	fail("unit \"%s\": not a unit name (\".%s\" is not a unit type; "
	     "a name without a dot means a .service)", shown,
	     text_escape(dot + 1, type, sizeof(type)));
	return NULL;
}

/*
 * The pin directory as a unit file value: systemd takes the rest of the
 * line after "bind4:" as the path, with its specifiers expanded, so "%"
 * is written "%%"; spaces and quotes are the path's own there (no
 * quoting applies to this setting).  A control byte (a newline would end
 * the line and start a setting of its own) or bytes that are not UTF-8
 * (systemd refuses the path) cannot be written: NULL after fail().
 * Returns a malloc'd string.
 */
static char *unit_value(const char *dir)
{
	char shown[TEXT_MAX(64)];
	size_t n = 0;
	char *out;

	text_escape(dir, shown, sizeof(shown));
	for (const unsigned char *p = (const unsigned char *)dir; *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			fail("pin directory \"%s\": a control byte cannot go "
			     "into a unit file", shown);
			return NULL;
		}
	if (!utf8_valid(dir)) {
		fail("pin directory \"%s\": not UTF-8, which systemd refuses "
		     "in a path", shown);
		return NULL;
	}
	if (strchr(dir, '.')) {
		fail("pin directory \"%s\": a path without dots, please "
		     "(libbpf rewrites dots in pin paths)", shown);
		return NULL;
	}
	for (const char *p = dir; *p; p++)
		n += *p == '%' ? 2 : 1;
	out = malloc(n + 1);
	if (!out) {
		fail("enable: %s", strerror(errno));
		return NULL;
	}
	n = 0;
	for (const char *p = dir; *p; p++) {
		out[n++] = *p;
		if (*p == '%')
			out[n++] = '%';
	}
	out[n] = '\0';
	return out;
}

/*
 * Units enable cannot guard although their names are good.  A slice
 * that holds portpool-guard.service (the root slice, system.slice): every
 * unit is ordered after its slice, and the drop-in's After= would order
 * the slice after the guard, a cycle systemd breaks by dropping a job.
 * A template (NAME@.TYPE): it never runs itself, and its drop-in would
 * reach every instance; an instance (NAME@INSTANCE.TYPE) is a unit.
 * 1 after fail().
 */
static int enable_refused(const char *name)
{
	const char *at = strchr(name, '@');

	if (!strcmp(name, "-.slice") || !strcmp(name, "system.slice"))
		return fail("unit \"%s\": portpool-guard.service runs inside "
			    "this slice, which its drop-in would order after "
			    "the guard (a cycle): attach its cgroup instead "
			    "(ATTACH= in portpool-guard.service)", name);
	if (at && at[1] == '.')
		return fail("unit \"%s\": a template, which never runs "
			    "itself: name an instance (%.*s@INSTANCE%s)", name,
			    (int)(at - name), name, at + 1);
	return 0;
}

int cmd_enable(const char *unit)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], name[UNIT_NAME_MAX];
	char shown[TEXT_MAX(PATH_MAX + 32)];
	const char *section;
	char *value;
	FILE *f;

	section = unit_check(unit, name);
	if (!section || enable_refused(name))
		return 1;
	value = unit_value(pin_dir);
	if (!value)
		return 1;
	if (snprintf(dir, sizeof(dir), "%s/%s.d", unit_dir, name) >=
	    (int)sizeof(dir)) {
		free(value);
		return fail("unit directory %s: too long", text_escape(unit_dir,
			    shown, TEXT_MAX(64)));
	}
	if (mkdirs(dir, NULL) < 0) {
		free(value);
		return fail("making %s: %s", text_escape(dir, shown,
			    sizeof(shown)), strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/portpool-guard.conf", dir);
	text_escape(path, shown, sizeof(shown));
	f = fopen(path, "w");
	if (!f) {
		free(value);
		return fail("writing %s: %s", shown, strerror(errno));
	}
	fprintf(f, "# Written by portpool-guard enable: the host's port "
		"reservations hold for\n# this unit's explicit UDP binds.\n"
		"[Unit]\nWants=portpool-guard.service\n"
		"After=portpool-guard.service\n\n[%s]\n"
		"BPFProgram=bind4:%s/bind4\nBPFProgram=bind6:%s/bind6\n",
		section, value, value);
	free(value);
	if (fclose(f) == EOF)
		return fail("writing %s: %s", shown, strerror(errno));
	/* name passed unit_check(): only characters that need no escape. */
	printf("wrote %s; now: systemctl daemon-reload && systemctl restart "
	       "%s\n", shown, name);
	return 0;
}
