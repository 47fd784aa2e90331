/* SPDX-License-Identifier: ISC */
/*
 * portpool-guard's parts, one concern per file:
 *   portpool-guard.c  the command line, usage and the one-line failure
 *   guard-pin.c       the pin directory: load and unload of the objects
 *   guard-cgroup.c    attach, detach, and finding where we are attached
 *   guard-sync.c      the deny set: filled from its sources, written to
 *                     the pinned map and (--kernel) the kernel's list
 *   guard-status.c    status, as text or JSON
 *   guard-run.c       run: the long-lived command systemd starts
 *   guard-unit.c      enable: the systemd drop-in for one unit
 */
#ifndef PORTPOOL_GUARD_H
#define PORTPOOL_GUARD_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/types.h>

#include <portpool.h>

#include "denyset.h"

#define MAX_PROGS	64	/* programs read back per cgroup and hook */

/* Big enough for the worst case, every other port: 32,768 x 6 bytes. */
#define RANGES_MAX (6 * 32768 + 1)

/* ---- portpool-guard.c: the options and the way out ---- */
extern const char *pin_dir;		/* --pin-dir */
extern const char *unit_dir;		/* --unit-dir */
extern unsigned int sources;		/* --sources, as deny_set_fill's */
extern const char *extra;		/* --reserve LIST */

__attribute__((noreturn)) void usage(void);
/* One line on stderr, then 1: every failure of a command ends here. */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- guard-pin.c ---- */
enum { PIN_BIND4, PIN_BIND6, PIN_DENY, PIN_REFUSED, PIN_COUNT };
extern const char *const pin_names[PIN_COUNT];

void pin_path(char *buf, size_t size, int which);
/* Our pinned object's descriptor, or -1 (errno set): an object that is
 * not ours (by type and name) is not used. */
int pin_get(int which);
/* fail() with why the last pin_get() failed. */
int not_loaded(void);
/* The pin directory's components: root's, no symlink, no one else may
 * write; 1 after fail() otherwise. */
int pin_dir_check(void);
bool on_fs(const char *path, long magic);
/* mkdir -p; *made (when given) says what it made, for rmdirs(). */
int mkdirs(const char *dir, size_t *made);
void rmdirs(const char *dir, size_t made);
int do_load(void);
int do_unload(void);

/* ---- guard-cgroup.c ---- */
/* Every cgroup our programs are attached to, filled by find_attached();
 * the caller frees found and sets it to NULL. */
struct found {
	char path[PATH_MAX];	/* the first path it was seen at */
	dev_t dev;		/* with id: which cgroup, whatever the path */
	ino_t id;		/* the cgroup id (its inode number) */
	int mask;		/* bit i: hook i (0 bind4, 1 bind6) */
};
extern struct found *found;
extern size_t nfound;

int find_attached(void);
int do_attach(const char *dir);
int do_detach(const char *dir, bool quiet);

/* ---- guard-sync.c ---- */
/* "4500,8080-8090" for the ports set in map; "" for none. */
void format_ranges(const uint64_t *map, char *buf, size_t size);
/* deny_set_fill() with the options; fail()s and returns -1 on error. */
int fill(uint64_t *map);
/* quiet: from run's loop, where only changes are worth a line. */
int do_sync(bool quiet);
int cmd_sync(int argc, char **argv);

/* ---- guard-status.c, guard-run.c, guard-unit.c ---- */
int cmd_status(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_enable(const char *unit);

#endif
