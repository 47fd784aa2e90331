// SPDX-License-Identifier: ISC
/*
 * portpool-guard run: load, attach, tell systemd, then keep the deny set
 * in step with its sources until told to stop.
 */
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "guard.h"
#include "kernlist.h"

/*
 * Tell systemd (Type=notify) that the programs are pinned and attached:
 * units ordered after the guard start only then, and their BPFProgram=
 * finds the pins.  The protocol is one datagram on $NOTIFY_SOCKET; it is
 * written here to spare a libsystemd dependency.  Without the variable
 * (not started by systemd) there is no one to tell.
 */
static void notify(const char *state)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char shown[TEXT_MAX(64)];
	size_t len;
	int fd;

	if (!name || (name[0] != '/' && name[0] != '@'))
		return;
	text_escape(name, shown, sizeof(shown));
	len = strlen(name);
	if (len >= sizeof(sun.sun_path)) {
		fail("NOTIFY_SOCKET %s: too long", shown);
		return;
	}
	memcpy(sun.sun_path, name, len);
	if (name[0] == '@')
		sun.sun_path[0] = '\0';	/* the abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, state, strlen(state), MSG_NOSIGNAL,
			     (struct sockaddr *)&sun,
			     offsetof(struct sockaddr_un, sun_path) + len) < 0)
		fail("telling systemd %s on %s: %s", state, shown,
		     strerror(errno));
	if (fd >= 0)
		close(fd);
}

/*
 * SIGTERM and SIGINT end the command only: the pins and every attachment
 * stay, those systemd made through BPFProgram= included, so the guarded
 * services stay guarded while the command is down or restarting (the
 * next run finds the pins and only reads the deny set again).  Removing
 * the guard is the explicit "unload".
 */
int cmd_run(int argc, char **argv)
{
	struct timespec second = { 1, 0 };
	uint64_t digest;
	sigset_t set;
	int sig, synced = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	digest = deny_inputs_digest(kernlist_read) ^ owner_file_digest();
	if (do_load())
		return 1;
	/* --netns gives a namespace once: later syncs read it again by its
	 * kept path, and drop it when the path is gone or names another
	 * (given again, /proc/PID/ns/net would take a reused PID's). */
	ns_nadd = 0;
	for (int i = 1; i < argc; i++)
		if (do_attach(argv[i]))
			return 1;
	fflush(stdout);
	notify("READY=1");
	for (;;) {
		uint64_t now;

		sig = sigtimedwait(&set, NULL, &second);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		now = deny_inputs_digest(kernlist_read) ^ owner_file_digest();
		if (sig != SIGHUP && now == digest) {
			/* A unit of the owner file restarted in a new
			 * cgroup; a cgroup removed: each second, quietly
			 * while the owner file is as it was and good. */
			int lock = synced == 0 ? pins_lock() : -1;

			if (lock >= 0) {
				owners_sync(true);
				close(lock);
			}
			fflush(stdout);
			continue;
		}
		digest = now;
		/* A failed re-read keeps the last good set: a typo in the
		 * policy must not open every port. */
		synced = do_sync(false);
		fflush(stdout);
	}
	notify("STOPPING=1");
	printf("stopped; the guard stays loaded in %s (\"portpool-guard "
	       "unload\" removes it)\n", pin_shown());
	return 0;
}
