// SPDX-License-Identifier: ISC
/*
 * portpool-guard: the host's port reservations, enforced for daemons that
 * do not link libportpool.  A cgroup program on bind4/bind6 refuses an
 * explicit UDP bind to a reserved port with EADDRINUSE, so that the
 * daemon's own retry loop draws another port.  See portpool-guard(8).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include <portpool.h>

#include "guard.h"

#define DEFAULT_PIN_DIR	"/sys/fs/bpf/portpool"
#define DEFAULT_UNIT_DIR "/etc/systemd/system"

const char *pin_dir = DEFAULT_PIN_DIR;
const char *unit_dir = DEFAULT_UNIT_DIR;
unsigned int sources = DENY_DEFAULT_SOURCES;
const char *extra;			/* --reserve LIST */

void usage(void)
{
	fprintf(stderr, "usage: portpool-guard [--pin-dir DIR] [--sources "
		"LIST] [--reserve LIST] [--unit-dir DIR] load | attach "
		"CGROUP_DIR | detach CGROUP_DIR | sync [--kernel] | status "
		"[--json | --metrics] | unload | run [CGROUP_DIR...] | enable "
		"UNIT\n");
	exit(2);
}

/* One line on stderr, then 1: every failure of a command ends here. */
int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("portpool-guard: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* The command and its arguments are well formed (usage() otherwise). */
static bool args_ok(const char *cmd, int argc, char **argv)
{
	if (!strcmp(cmd, "load") || !strcmp(cmd, "unload"))
		return argc == 1;
	if (!strcmp(cmd, "attach") || !strcmp(cmd, "detach") ||
	    !strcmp(cmd, "enable"))
		return argc == 2;
	if (!strcmp(cmd, "sync"))
		return argc == 1 || (argc == 2 && !strcmp(argv[1], "--kernel"));
	if (!strcmp(cmd, "status"))
		return argc == 1 || (argc == 2 && (!strcmp(argv[1], "--json") ||
						   !strcmp(argv[1], "--metrics")));
	return !strcmp(cmd, "run");
}

int main(int argc, char **argv)
{
	const char *cmd;
	int i = 1;

	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		const char *opt = argv[i];

		if (i + 1 >= argc)
			usage();
		if (!strcmp(opt, "--pin-dir"))
			pin_dir = argv[++i];
		else if (!strcmp(opt, "--unit-dir"))
			unit_dir = argv[++i];
		else if (!strcmp(opt, "--reserve"))
			extra = argv[++i];
		else if (!strcmp(opt, "--sources")) {
			if (deny_parse_sources(argv[++i], &sources) < 0) {
				fprintf(stderr, "portpool-guard: --sources "
					"\"%.64s\": known are policy, kernel, "
					"well-known, services\n", argv[i]);
				return 2;
			}
		} else
			usage();
	}
	if (i >= argc || !*pin_dir || pin_dir[0] != '/')
		usage();
	cmd = argv[i];
	argc -= i;
	argv += i;
	if (!args_ok(cmd, argc, argv))
		usage();
	/* libbpf's own messages would be a second line for one failure. */
	libbpf_set_print(NULL);
	/* Pins in a directory someone else can write are not trusted. */
	if (strcmp(cmd, "enable") != 0 && pin_dir_check())
		return 1;
	if (!strcmp(cmd, "load"))
		return do_load();
	if (!strcmp(cmd, "attach"))
		return do_attach(argv[1]);
	if (!strcmp(cmd, "detach"))
		return do_detach(argv[1], false);
	if (!strcmp(cmd, "sync"))
		return cmd_sync(argc, argv);
	if (!strcmp(cmd, "status"))
		return cmd_status(argc, argv);
	if (!strcmp(cmd, "unload"))
		return do_unload();
	if (!strcmp(cmd, "run"))
		return cmd_run(argc, argv);
	return cmd_enable(argv[1]);
}
