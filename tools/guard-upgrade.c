// SPDX-License-Identifier: ISC
/*
 * portpool-guard load over the guard of 1.0, which had one deny set and
 * no namespaces (programs guard_bind4 and guard_bind6, maps "deny" of
 * one entry and "refused"): after a package upgrade, the service's "run"
 * takes its pins over instead of refusing, so that the host is never
 * left unguarded.
 *
 * No moment without a guard: the new programs and maps are loaded and
 * filled first, pinned in a directory of their own inside the pin
 * directory; then each attachment of an old program (found by its id
 * through the cgroups, as unload finds them) is replaced by the new
 * program in one step (BPF_F_REPLACE: the cgroup runs the old program,
 * then the new one, never neither, never both); then the new pins take
 * the old ones' names.  Any failure before the end puts back what was
 * done: the old programs attached where they were, the old pins, the
 * new ones removed.  Only objects that are the 1.0 guard's by type,
 * name and shape are touched.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "guard.h"
#include "out.h"

static const enum bpf_attach_type hooks[2] = {
	BPF_CGROUP_INET4_BIND, BPF_CGROUP_INET6_BIND
};

void legacy_close(struct legacy *old)
{
	int *fds[4] = { &old->prog[0], &old->prog[1], &old->deny,
			&old->refused };

	for (int i = 0; i < 4; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* The map pinned at name, and its info; -1 (errno) when there is none. */
static int map_at(int which, struct bpf_map_info *info)
{
	char path[PATH_MAX];
	__u32 len = sizeof(*info);
	int fd;

	pin_path(path, sizeof(path), which);
	fd = bpf_obj_get(path);
	memset(info, 0, sizeof(*info));
	if (fd >= 0 && bpf_obj_get_info_by_fd(fd, info, &len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The program uses exactly the maps with these two ids. */
static bool uses_only(int prog, __u32 deny, __u32 refused)
{
	struct bpf_prog_info info;
	__u32 ids[4], len = sizeof(info);

	memset(&info, 0, sizeof(info));
	info.nr_map_ids = 4;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog, &info, &len) < 0 ||
	    info.nr_map_ids != 2)
		return false;
	return (ids[0] == deny && ids[1] == refused) ||
	       (ids[0] == refused && ids[1] == deny);
}

int legacy_get(struct legacy *old)
{
	struct bpf_map_info deny, refused, other;
	char path[PATH_MAX];

	old->prog[0] = old->prog[1] = old->deny = old->refused = -1;
	old->deny = map_at(PIN_DENY, &deny);
	if (old->deny < 0 || deny.type != BPF_MAP_TYPE_ARRAY ||
	    strcmp(deny.name, "deny") != 0 || deny.key_size != 4 ||
	    deny.value_size != DENY_WORDS * sizeof(uint64_t) ||
	    deny.max_entries != 1)
		goto not_10;
	/* refused, bind4 and bind6 are as they still are (pin_get()
	 * checks them); refused's info gives its id. */
	old->refused = pin_get(PIN_REFUSED);
	if (old->refused >= 0) {
		close(old->refused);
		old->refused = map_at(PIN_REFUSED, &refused);
	}
	old->prog[0] = pin_get(PIN_BIND4);
	old->prog[1] = pin_get(PIN_BIND6);
	if (old->refused < 0 || old->prog[0] < 0 || old->prog[1] < 0)
		goto not_10;
	/* The programs are those that use these two maps, no others. */
	if (!uses_only(old->prog[0], deny.id, refused.id) ||
	    !uses_only(old->prog[1], deny.id, refused.id))
		goto not_10;
	/* And nothing of what came after: no namespaces, no owners. */
	for (int i = PIN_NETNS; i <= PIN_OWNERS; i++) {
		int fd = map_at(i, &other);

		if (fd >= 0 || errno != ENOENT) {
			if (fd >= 0)
				close(fd);
			goto not_10;
		}
	}
	return 0;
not_10:
	legacy_close(old);
	pin_path(path, sizeof(path), PIN_DENY);
	return fail("%s holds a deny map of an earlier portpool-guard (one "
		    "set), but not exactly that guard's pins: load cannot "
		    "take them over; \"portpool-guard unload\" removes them, "
		    "then load again", pin_dir);
}

/* One attachment, from one program to another, in place. */
static int replace(int cg, int hook, int from, int to)
{
	struct bpf_prog_attach_opts opts = {
		.sz = sizeof(opts),
		.flags = BPF_F_ALLOW_MULTI | BPF_F_REPLACE,
		.replace_prog_fd = from,
	};

	return bpf_prog_attach_opts(to, cg, hooks[hook], &opts);
}

/* Where an old program was replaced: a cgroup (its descriptor, which
 * stays open until the end) and a hook. */
struct swapped {
	int cg, hook;
};

/* The new objects' pins in the staging directory, by name, in the order
 * they take the old names: the programs last, so that whoever opens a
 * program's pin meanwhile (systemd's BPFProgram= for a unit starting)
 * finds the maps it uses already in place.  A unit systemd attaches the
 * old program to after the cgroups were walked keeps it, guarding with
 * 1.0's deny set, until its next start. */
static const int order[PIN_COUNT] = {
	PIN_NETNS, PIN_NSINFO, PIN_OWNERS, PIN_REFUSED, PIN_DENY,
	PIN_BIND4, PIN_BIND6,
};

/* The old guard's pin of which, or -1 for a name it did not have. */
static int old_fd(const struct legacy *old, int which)
{
	switch (which) {
	case PIN_BIND4: return old->prog[0];
	case PIN_BIND6: return old->prog[1];
	case PIN_DENY: return old->deny;
	case PIN_REFUSED: return old->refused;
	default: return -1;
	}
}

/* The first n of order[] put back as the old guard had them. */
static void pins_back(const struct legacy *old, const char *dir, int n)
{
	char path[PATH_MAX];

	for (int k = 0; k < n; k++) {
		int fd = old_fd(old, order[k]);

		snprintf(path, sizeof(path), "%s/%s", dir,
			 pin_names[order[k]]);
		unlink(path);
		if (fd >= 0)
			bpf_obj_pin(fd, path);
	}
}

/* Each swapped attachment given back to the old program: 0, or -1 if
 * one could not be (the new program then stays there, guarding). */
static int attach_back(const struct legacy *old, const int news[2],
		       const struct swapped *sw, size_t n)
{
	int rc = 0;

	for (size_t i = n; i-- > 0;)
		if (replace(sw[i].cg, sw[i].hook, news[sw[i].hook],
			    old->prog[sw[i].hook]) < 0)
			rc = -1;
	return rc;
}

/* The old programs' attachments (found[]) replaced by news[]; sw (room
 * for two per cgroup) lists what was done.  0, or 1 after fail() with
 * everything given back. */
static int swap_all(const struct legacy *old, const int news[2],
		    struct swapped *sw, size_t *n)
{
	*n = 0;
	for (size_t i = 0; i < nfound; i++) {
		char shown[TEXT_MAX(256)];
		int cg = open(found[i].path, O_RDONLY | O_DIRECTORY |
			      O_CLOEXEC), saved = cg < 0 ? errno : 0;

		if (cg < 0 && saved == ENOENT)
			continue;	/* removed meanwhile: nothing to guard */
		for (int h = 0; cg >= 0 && h < 2; h++) {
			if (!(found[i].mask & (1 << h)))
				continue;
			if (replace(cg, h, old->prog[h], news[h]) < 0) {
				saved = errno;
				break;
			}
			sw[(*n)++] = (struct swapped){ cg, h };
			saved = 0;
		}
		if (cg >= 0 && (!*n || sw[*n - 1].cg != cg))
			close(cg);	/* no attachment of ours kept it */
		if (!saved)
			continue;
		text_escape(found[i].path, shown, sizeof(shown));
		if (attach_back(old, news, sw, *n) < 0)
			return fail("taking over the guard on %s: %s; the "
				    "earlier guard could not be put back "
				    "everywhere: run load again", shown,
				    strerror(saved));
		return fail("taking over the guard on %s: %s; the earlier "
			    "guard is left as it was", shown,
			    strerror(saved));
	}
	return 0;
}

/* Close the cgroups of sw (each once: a cgroup's hooks are adjacent). */
static void close_swapped(struct swapped *sw, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (i + 1 == n || sw[i + 1].cg != sw[i].cg)
			close(sw[i].cg);
	free(sw);
}

int upgrade_legacy(void)
{
	static uint64_t map[DENY_WORDS];
	const char *dir = pin_dir;
	char stage[PATH_MAX], from[PATH_MAX + 16], to[PATH_MAX + 16];
	struct legacy old;
	struct swapped *sw = NULL;
	size_t nsw = 0, cgroups;
	int news[2] = { -1, -1 }, lock, rc = 1, k = 0;

	lock = pins_lock();
	if (lock < 0)
		return not_loaded();
	/* Under the lock: what pins_present() saw is still there. */
	if (legacy_get(&old)) {
		close(lock);
		return 1;
	}
	if (fill(map) < 0)
		goto out;
	if (find_attached() < 0) {
		fail("finding where the earlier guard is attached: %s",
		     strerror(errno));
		goto out;
	}
	cgroups = nfound;
	sw = calloc(2 * nfound + 1, sizeof(*sw));
	if (!sw) {
		fail("%s", strerror(errno));
		goto out;
	}
	/* The new objects, loaded and filled where no one uses them yet. */
	if (snprintf(stage, sizeof(stage), "%s/upgrade", dir) >=
	    (int)sizeof(stage)) {
		fail("pin directory %.64s...: too long", dir);
		goto out;
	}
	if (mkdir(stage, 0700) < 0) {
		fail("making %s: %s%s", stage, strerror(errno), errno ==
		     EEXIST ? " (left by a takeover that did not finish? "
		     "remove it)" : "");
		goto out;
	}
	pin_dir = stage;
	if (pin_fresh())
		goto out_stage;
	if (do_sync(true) || (news[0] = pin_get(PIN_BIND4)) < 0 ||
	    (news[1] = pin_get(PIN_BIND6)) < 0) {
		if (news[0] < 0 || news[1] < 0)
			not_loaded();
		goto out_unpin;
	}
	pin_dir = dir;
	if (swap_all(&old, news, sw, &nsw))
		goto out_unpin_stage;
	/* The new pins take the old names (rename replaces a pin in one
	 * step); on a failure the old ones go back. */
	for (k = 0; k < PIN_COUNT; k++) {
		snprintf(from, sizeof(from), "%s/%s", stage,
			 pin_names[order[k]]);
		snprintf(to, sizeof(to), "%s/%s", dir, pin_names[order[k]]);
		if (rename(from, to) < 0) {
			int saved = errno;

			pins_back(&old, dir, k);
			attach_back(&old, news, sw, nsw);
			fail("replacing the pin %s: %s; the earlier guard is "
			     "left as it was", to, strerror(saved));
			goto out_unpin_stage;
		}
	}
	rmdir(stage);
	printf("took over the guard of an earlier portpool-guard in %s: "
	       "attached in its place to %zu cgroup%s, its pins replaced\n",
	       dir, cgroups, cgroups == 1 ? "" : "s");
	rc = 0;
	goto out;
out_unpin_stage:
	pin_dir = stage;
out_unpin:
	unpin_fresh();
out_stage:
	pin_dir = dir;
	rmdir(stage);
out:
	pin_dir = dir;
	if (sw)
		close_swapped(sw, nsw);
	for (int h = 0; h < 2; h++)
		if (news[h] >= 0)
			close(news[h]);
	free(found);
	found = NULL;
	legacy_close(&old);
	close(lock);
	return rc;
}
