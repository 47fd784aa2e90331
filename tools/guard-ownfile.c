// SPDX-License-Identifier: ISC
/*
 * portpool-guard's owner file, /etc/portpool-guard.conf: owners and
 * network namespaces, one per line ("own PORTS CGROUP_DIR", "netns
 * PATH").  libportpool never reads it: it refuses keys it does not know
 * in portpool.conf, so no guard setting may go there.
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

#define OWNER_FILE_MAX	(1 << 20)

void file_free(struct owner_file *f)
{
	for (size_t i = 0; i < f->nown; i++) {
		free(f->own[i].ports);
		free(f->own[i].dir);
	}
	free(f->own);
	for (size_t i = 0; i < f->nnetns; i++)
		free(f->netns[i]);
	free(f->netns);
	memset(f, 0, sizeof(*f));
}

/* One line of the owner file, comments and blanks gone. */
static int file_line(struct owner_file *f, char *line, const char *where)
{
	static uint64_t map[DENY_WORDS];
	char shown[TEXT_MAX(64)];
	char *word = line, *rest;
	size_t len;
	int n;

	rest = word + strcspn(word, " \t");
	if (*rest)
		*rest++ = '\0';
	rest += strspn(rest, " \t");
	len = strlen(rest);
	while (len && (rest[len - 1] == ' ' || rest[len - 1] == '\t'))
		rest[--len] = '\0';
	if (!strcmp(word, "netns")) {
		char **more;

		if (rest[0] != '/' || len >= NS_PATH_MAX)
			return fail("%s: netns wants an absolute path of at "
				    "most %d bytes", where, NS_PATH_MAX - 1);
		more = realloc(f->netns, (f->nnetns + 1) * sizeof(*more));
		if (!more)
			return fail("%s: %s", where, strerror(errno));
		f->netns = more;
		if (!(f->netns[f->nnetns] = strdup(rest)))
			return fail("%s: %s", where, strerror(errno));
		f->nnetns++;
		return 0;
	}
	if (!strcmp(word, "own")) {
		struct file_owner *more;
		char *dir = rest + strcspn(rest, " \t");

		if (!*dir)
			return fail("%s: own wants PORTS and a cgroup "
				    "directory", where);
		*dir++ = '\0';
		dir += strspn(dir, " \t");
		if (dir[0] != '/')
			return fail("%s: own: the cgroup directory is an "
				    "absolute path", where);
		/* The library's sentence names the list already; one with
		 * no port has no sentence of its own. */
		n = deny_set_fill(0, rest, map);
		if (n < 0)
			return fail("%s: own: %s", where, portpool_error());
		if (n == 0)
			return fail("%s: own: ports \"%s\": no port in the "
				    "list", where, text_escape(rest, shown,
				    sizeof(shown)));
		more = realloc(f->own, (f->nown + 1) * sizeof(*more));
		if (!more)
			return fail("%s: %s", where, strerror(errno));
		f->own = more;
		f->own[f->nown].ports = strdup(rest);
		f->own[f->nown].dir = strdup(dir);
		f->nown++;
		if (!f->own[f->nown - 1].ports || !f->own[f->nown - 1].dir)
			return fail("%s: %s", where, strerror(errno));
		return 0;
	}
	return fail("%s: unknown word \"%s\": known are own and netns", where,
		    text_escape(word, shown, sizeof(shown)));
}

/*
 * The owner file, read whole and strictly (file:line on the first bad
 * line).  It hands out reserved ports, so it must be the admin's, as
 * the policy must: a regular file owned by root (or by us) that no one
 * else may write.  A missing file is an empty one.
 */
int file_read(struct owner_file *f)
{
	char shown[TEXT_MAX(64)], where[TEXT_MAX(64) + 16];
	struct stat st;
	char *text, *line, *next;
	ssize_t n;
	size_t got = 0;
	int fd, lineno = 0, rc = 0;

	memset(f, 0, sizeof(*f));
	text_escape(owner_file, shown, sizeof(shown));
	fd = open(owner_file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return fail("owner file %s: %s", shown, strerror(errno));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail("owner file %s: not a regular file", shown);
	}
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		close(fd);
		return fail("owner file %s: owned by uid %u, mode %04o: it "
			    "must be root's and writable by no one else",
			    shown, (unsigned)st.st_uid,
			    (unsigned)(st.st_mode & 07777));
	}
	text = malloc(OWNER_FILE_MAX + 1);
	if (!text) {
		close(fd);
		return fail("owner file %s: %s", shown, strerror(errno));
	}
	while ((n = read(fd, text + got, OWNER_FILE_MAX + 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (n < 0 || got > OWNER_FILE_MAX) {
		free(text);
		return fail("owner file %s: %s", shown, n < 0 ?
			    strerror(errno) : "larger than 1 MiB");
	}
	text[got] = '\0';
	for (line = text; line && *line && !rc; line = next) {
		char *hash;

		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		/* A file written on Windows ends its lines in CR LF. */
		if (*line && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = '\0';
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		line += strspn(line, " \t");
		if (!*line)
			continue;
		snprintf(where, sizeof(where), "%s:%d", shown, lineno);
		rc = file_line(f, line, where);
	}
	free(text);
	if (rc)
		file_free(f);
	return rc;
}

int owner_file_netns(char ***paths, size_t *n)
{
	struct owner_file f;

	if (file_read(&f))
		return -1;
	*paths = f.netns;
	*n = f.nnetns;
	f.netns = NULL;
	f.nnetns = 0;
	file_free(&f);
	return 0;
}

uint64_t owner_file_digest(void)
{
	struct stat st;

	if (stat(owner_file, &st) < 0)
		return (uint64_t)errno;
	/* Not secure, only a change test, as deny_inputs_digest(). */
	return (uint64_t)st.st_ino * 0x9e3779b97f4a7c15ULL ^
	       (uint64_t)st.st_size << 20 ^ (uint64_t)st.st_mtim.tv_sec ^
	       (uint64_t)st.st_mtim.tv_nsec << 32 ^
	       (uint64_t)st.st_ctim.tv_nsec;
}
