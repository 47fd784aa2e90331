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
 *   guard-netns.c     the network namespaces, each with its deny set
 *   guard-owner.c     owners: own, disown, owners and their sync
 *   guard-cgid.c      cgroups by id, the cgroup we are in, port lists
 *   guard-ownfile.c   the owner file, /etc/portpool-guard.conf
 *   guard-ownunit.c   own --unit: the drop-in that registers a unit
 *   guard-upgrade.c   load over a 1.0 guard: its pins taken over
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
#include "ranges.h"	/* format_ranges(), RANGES_MAX */
#include "out.h"		/* text_escape(), for pin_shown() */

#define MAX_PROGS	64	/* programs read back per cgroup and hook */

/* ---- portpool-guard.c: the options and the way out ---- */
extern const char *pin_dir;		/* --pin-dir */
extern const char *unit_dir;		/* --unit-dir */
extern unsigned int sources;		/* --sources, as deny_set_fill's */
extern const char *extra;		/* --reserve LIST */
extern const char *owner_file;		/* --config FILE */

/* pin_dir as sentences show it, escaped (text_escape()). */
const char *pin_shown(void);

__attribute__((noreturn)) void usage(void);
/* One line on stderr, then 1: every failure of a command ends here. */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- guard-pin.c ---- */
enum {
	PIN_BIND4, PIN_BIND6, PIN_DENY, PIN_REFUSED, PIN_NETNS, PIN_NSINFO,
	PIN_OWNERS, PIN_COUNT
};

/* Kept in step with portpool-guard.bpf.c: namespaces with a deny set of
 * their own, the cgroup levels an owner is looked for at, and the maps'
 * values as the programs see them. */
#define NS_SLOTS	64	/* and slot NS_SLOTS of deny: their union */
#define OWNER_LEVELS	32
#define OWNERS_MAX	4096
#define NS_PATH_MAX	256

#define NS_USED		1u	/* the slot holds a namespace */
#define NS_FROM_FILE	2u	/* given by the owner file */

struct ns_info {
	__u64 cookie;
	__u64 refused;		/* binds refused in the namespace */
	__u64 allowed;		/* denied ports an owner bound */
	__u32 flags;		/* NS_USED, NS_FROM_FILE */
	__u32 ports;		/* the deny set's size */
	char path[NS_PATH_MAX];	/* as given; "" for a command's own */
};

struct owner_key {
	__u64 cgroup;
	__u32 port;
	__u32 pad;
};

#define OWNER_FROM_FILE	1u

struct owner_val {
	__u64 allowed;		/* binds the owner made to the port */
	__u32 flags;		/* OWNER_FROM_FILE */
	__u32 pad;
};
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
/* The programs loaded and every object pinned in pin_dir (which exists);
 * 1 after fail(), leaving no pin of its own.  unpin_fresh() removes
 * them. */
int pin_fresh(void);
void unpin_fresh(void);

/* ---- guard-upgrade.c ---- */
/* The pins of a guard from before owners and namespaces (1.0): its two
 * programs and its two maps, one deny set and the counters. */
struct legacy {
	int prog[2];		/* bind4, bind6 */
	int deny, refused;
};
/* 0 with old's descriptors when pin_dir holds exactly a 1.0 guard's pins
 * (by type, name and shape, and the programs using those maps); 1 after
 * fail() otherwise.  legacy_close() closes what it opened. */
int legacy_get(struct legacy *old);
void legacy_close(struct legacy *old);
/* load over a 1.0 guard: the new programs attached in place of the old
 * ones wherever those are, then the old pins replaced; on any failure
 * the old guard is left as it was.  0, or 1 after fail(). */
int upgrade_legacy(void);

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
/* deny_set_fill() with the options; fail()s and returns -1 on error. */
int fill(uint64_t *map);
/* quiet: from run's loop, where only changes are worth a line. */
int do_sync(bool quiet);
int cmd_sync(int argc, char **argv);

/* ---- guard-status.c, guard-run.c, guard-unit.c ---- */
int cmd_status(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_enable(const char *unit);
/* name (mangled as systemctl does) checked by systemd's rules; returns
 * the section for BPFProgram=, or NULL after fail(). */
const char *unit_check(const char *unit, char name[256]);

/* ---- guard-netns.c ---- */
/* The paths of load's and sync's --netns and --no-netns. */
extern const char **ns_add, **ns_del;
extern size_t ns_nadd, ns_ndel;

/* An exclusive lock on the pin directory, held by every command that
 * changes the maps (a sync of run's beside an admin's), until the
 * returned descriptor is closed; -1 with errno. */
int pins_lock(void);
/* This process's namespace cookie, or 0 (errno set). */
__u64 own_cookie(void);
/* Each --netns path is a network namespace, looked at without waiting
 * (a FIFO is refused, not opened); 1 after fail(). */
int ns_check_given(void);
/* Every namespace's deny set read again: this command's own, those given
 * by path (dropped when the path is gone), the owner file's and the
 * command line's.  Returns 0, or 1 after fail(). */
int ns_sync(bool quiet);
/* The used slots of nsinfo, into info[NS_SLOTS]; -1 after fail(). */
int ns_read_all(struct ns_info *info);

/* ---- guard-cgid.c ---- */
/* The 64-bit cgroup id (what the programs see) of a cgroup directory;
 * -1 with errno. */
int cgroup_id(const char *dir, __u64 *id);
/* The path of the cgroup with that id (a mount of cgroup2 first); -1
 * with errno ESTALE or ENOENT when it is gone. */
int cgroup_path(__u64 id, char *buf, size_t size);
/* cgroup_path()'s errno says the cgroup is gone for good (not that the
 * lookup failed): only then is a registration dropped. */
bool cgroup_gone(int err);
/* The cgroup this process is in, as a path under the cgroup2 mount;
 * 1 after fail(). */
int self_cgroup(char *buf, size_t size);
/* PORTS of command cmd as the policy writes reservations ("500,4500")
 * into map; 2 (bad usage) after fail(), no port included. */
int ports_parse(const char *cmd, const char *list, uint64_t *map);

/* ---- guard-ownfile.c ---- */
struct file_owner {
	char *ports, *dir;
};

struct owner_file {
	struct file_owner *own;
	size_t nown;
	char **netns;
	size_t nnetns;
};

/* The owner file (owner_file), read whole and strictly; a missing file
 * is an empty one.  1 after fail(). */
int file_read(struct owner_file *f);
void file_free(struct owner_file *f);
/* The owner file's namespaces, for ns_sync(): a malloc'd array of
 * malloc'd paths (NULL and *n = 0 for none); -1 after fail(). */
int owner_file_netns(char ***paths, size_t *n);
/* A digest of the owner file's stat data, for run's watch. */
uint64_t owner_file_digest(void);

/* ---- guard-ownunit.c ---- */
/* own PORTS --unit UNIT: the drop-in; 1 after fail(). */
int own_unit(const char *ports, const char *unit);

/* ---- guard-owner.c ---- */
/* Registrations of removed cgroups dropped, the owner file applied;
 * 0, or 1 after fail(). */
int owners_sync(bool quiet);
int cmd_own(int argc, char **argv);
int cmd_disown(int argc, char **argv);
int cmd_owners(int argc, char **argv);

#endif
