/* SPDX-License-Identifier: ISC */
/*
 * Reading the host's small text files (/proc sysctls, /etc/services,
 * the policy file).  A missing file is an empty source; any other failure
 * is the caller's failure, with the path in the sentence.  /proc files
 * report size 0, so the file is read to its end rather than sized with
 * stat().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

int pp_read_hostfile(const char *path, size_t max, char **text,
		     size_t *len)
{
	size_t cap = 1024, used = 0;
	char *buf;
	int fd, err;

	*text = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return pp_fail(errno, "cannot open %s: %s", path,
			       strerror(errno));
	}
	buf = malloc(cap);
	if (!buf) {
		pp_close_keep_errno(fd);
		return pp_fail(ENOMEM, "out of memory reading %s", path);
	}
	for (;;) {
		ssize_t got;

		if (used + 1 == cap) {
			char *grown;

			grown = realloc(buf, cap * 2);
			if (!grown) {
				err = pp_fail(ENOMEM, "out of memory reading "
					      "%s", path);
				goto out;
			}
			buf = grown;
			cap *= 2;
		}
		got = read(fd, buf + used, cap - 1 - used);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			err = pp_fail(errno, "cannot read %s: %s", path,
				      strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		used += (size_t)got;
		/* Stop at the limit: never read a huge file whole. */
		if (used > max) {
			err = pp_fail(EINVAL, "%s is larger than %zu bytes: "
				      "refusing to read it", path, max);
			goto out;
		}
	}
	close(fd);
	buf[used] = '\0';
	/*
	 * The parsers see C strings: text after a NUL byte would vanish
	 * without a word, and with it a reservation.  Not a text file.
	 */
	if (strlen(buf) != used) {
		const char *nul = buf + strlen(buf);
		unsigned line = 1;

		for (const char *c = buf; c < nul; c++)
			line += *c == '\n';
		pp_fail(EINVAL, "%s:%u: a NUL byte (at byte %zu): the file "
			"must be text", path, line, (size_t)(nul - buf));
		free(buf);
		return -1;
	}
	*text = buf;
	*len = used;
	return 0;
out:
	free(buf);
	pp_close_keep_errno(fd);
	return err;
}
