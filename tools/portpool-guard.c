// SPDX-License-Identifier: ISC
/*
 * portpool-guard: the host's port reservations, enforced for daemons that
 * do not link libportpool.  A cgroup program on bind4/bind6 refuses an
 * explicit UDP bind to a reserved port with EADDRINUSE, so that the
 * daemon's own retry loop draws another port.  See portpool-guard(8).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include <portpool.h>

#include "guard.h"
#include "out.h"

#define DEFAULT_PIN_DIR	"/sys/fs/bpf/portpool"
#define DEFAULT_UNIT_DIR "/etc/systemd/system"
/* The guard's own file: libportpool never reads it (portpool.conf(5)). */
#define DEFAULT_OWNER_FILE PP_SYSCONFDIR "/portpool-guard.conf"

const char *pin_dir = DEFAULT_PIN_DIR;
const char *unit_dir = DEFAULT_UNIT_DIR;
unsigned int sources = DENY_DEFAULT_SOURCES;
const char *extra;			/* --reserve LIST */
const char *owner_file = DEFAULT_OWNER_FILE;

void usage(void)
{
	fprintf(stderr, "usage: portpool-guard [--pin-dir DIR] [--sources "
		"LIST] [--reserve LIST] [--unit-dir DIR] [--config FILE] load "
		"[--netns PATH]... | attach CGROUP_DIR | detach CGROUP_DIR | "
		"sync [--kernel] [--netns PATH]... [--no-netns PATH]... | "
		"status [--json | --metrics] | unload | run [CGROUP_DIR...] | "
		"enable UNIT | own PORTS CGROUP_DIR|--self|--unit UNIT | disown PORTS "
		"[CGROUP_DIR|--self] | owners [--json]\n");
	exit(2);
}

const char *pin_shown(void)
{
	static char shown[TEXT_MAX(PATH_MAX)];
	static const char *shown_dir;

	/* An upgrade works in a staging directory for a while. */
	if (shown_dir != pin_dir) {
		text_escape(pin_dir, shown, sizeof(shown));
		shown_dir = pin_dir;
	}
	return shown;
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

/* --netns and --no-netns, before the command or after load's and
 * sync's, into ns_add and ns_del (room for every argument). */
static const char **add_list, **del_list;

static bool ns_lists(int argc)
{
	add_list = calloc((size_t)argc + 1, sizeof(*add_list));
	del_list = calloc((size_t)argc + 1, sizeof(*del_list));
	ns_add = add_list;
	ns_del = del_list;
	return add_list && del_list;
}

/* One namespace option at argv[i] (its value next): true if it was. */
static bool ns_opt(char **argv, int *i, bool del_ok)
{
	if (!strcmp(argv[*i], "--netns")) {
		add_list[ns_nadd++] = argv[++*i];
		return true;
	}
	if (del_ok && !strcmp(argv[*i], "--no-netns")) {
		del_list[ns_ndel++] = argv[++*i];
		return true;
	}
	return false;
}

/* load's and sync's options after the command (sync's --kernel passes);
 * false for anything else. */
static bool ns_args(int argc, char **argv, bool is_sync)
{
	for (int i = 1; i < argc; i++) {
		if (is_sync && !strcmp(argv[i], "--kernel"))
			continue;
		if (i + 1 >= argc || !*argv[i + 1] ||
		    !ns_opt(argv, &i, is_sync))
			return false;
	}
	return true;
}

/* The command and its arguments are well formed (usage() otherwise). */
static bool args_ok(const char *cmd, int argc, char **argv)
{
	if (!strcmp(cmd, "load"))
		return ns_args(argc, argv, false);
	if (!strcmp(cmd, "sync"))
		return ns_args(argc, argv, true);
	if (!strcmp(cmd, "unload"))
		return argc == 1;
	if (!strcmp(cmd, "attach") || !strcmp(cmd, "detach") ||
	    !strcmp(cmd, "enable"))
		return argc == 2;
	if (!strcmp(cmd, "status"))
		return argc == 1 || (argc == 2 && (!strcmp(argv[1], "--json") ||
						   !strcmp(argv[1], "--metrics")));
	if (!strcmp(cmd, "owners"))
		return argc == 1 || (argc == 2 && !strcmp(argv[1], "--json"));
	if (!strcmp(cmd, "own"))
		return (argc == 3 && strcmp(argv[2], "--unit")) ||
		       (argc == 4 && !strcmp(argv[2], "--unit"));
	if (!strcmp(cmd, "disown"))
		return argc == 2 || argc == 3;
	return !strcmp(cmd, "run");
}

int main(int argc, char **argv)
{
	const char *cmd;
	int i = 1;

	if (!ns_lists(argc))
		return fail("%s", strerror(errno));
	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		const char *opt = argv[i];

		if (i + 1 >= argc)
			usage();
		if (ns_opt(argv, &i, true)) {
			if (!*argv[i])
				usage();
			continue;
		}
		if (!strcmp(opt, "--pin-dir"))
			pin_dir = argv[++i];
		else if (!strcmp(opt, "--unit-dir"))
			unit_dir = argv[++i];
		else if (!strcmp(opt, "--reserve"))
			extra = argv[++i];
		else if (!strcmp(opt, "--config"))
			owner_file = argv[++i];
		else if (!strcmp(opt, "--sources")) {
			char shown[TEXT_MAX(64)];

			if (deny_parse_sources(argv[++i], &sources) < 0) {
				fprintf(stderr, "portpool-guard: --sources "
					"\"%s\": known are policy, kernel, "
					"well-known, services\n",
					text_escape(argv[i], shown,
						    sizeof(shown)));
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
	/* Namespaces are given to the commands that sync (run does). */
	if (ns_ndel && strcmp(cmd, "sync") != 0)
		usage();
	if (ns_nadd && strcmp(cmd, "load") != 0 && strcmp(cmd, "sync") != 0 &&
	    strcmp(cmd, "run") != 0)
		usage();
	/* libbpf's own messages would be a second line for one failure. */
	libbpf_set_print(NULL);
	/* Pins in a directory someone else can write are not trusted. */
	if (strcmp(cmd, "enable") != 0 && pin_dir_check())
		return 1;
	/* A path that is no namespace changes nothing, made or written. */
	if (ns_nadd && ns_check_given())
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
	if (!strcmp(cmd, "own"))
		return cmd_own(argc, argv);
	if (!strcmp(cmd, "disown"))
		return cmd_disown(argc, argv);
	if (!strcmp(cmd, "owners"))
		return cmd_owners(argc, argv);
	return cmd_enable(argv[1]);
}
