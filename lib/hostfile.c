/* SPDX-License-Identifier: ISC */
/*
 * Reading the host's small text files (/proc sysctls, /etc/services,
 * the policy file).  A missing file is an empty source; any other failure
 * is the caller's failure, with the path in the sentence.
 *
 * A sysctl file of /proc reports size 0 and returns its whole text to
 * the FIRST read() and end-of-file to every later one (the kernel prints
 * it afresh per read and gives nothing at a nonzero offset): a reader
 * that starts with a small buffer and grows it keeps only the first
 * piece, and a number cut there becomes a bogus port.  So every file is
 * read into a buffer that holds the largest text its caller accepts
 * (max, sized by the caller for the largest text the kernel can print),
 * and a read that fills that buffer is an error, never the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static const char *file_type(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

/*
 * A small /proc file's first line, or "" if it cannot be read.  One
 * read(), as every /proc file here is read: the callers' files print at
 * most 11 bytes (overflowuid) or 33-byte lines of which only the first
 * is wanted (uid_map, a seq_file: a short read ends at a line's end).
 */
static void read_line(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/*
 * In a user namespace that does not map the file's owner, stat() shows
 * the overflow uid: real root's /etc/portpool.conf then looks like any
 * other user's file, and nothing tells the two apart.  It stays refused
 * (a file of another user of the parent namespace would pass too), but
 * the sentence says why.  The initial namespace maps every uid to itself.
 */
static bool owner_unmapped(uid_t uid)
{
	unsigned long overflow, inside, outside, count;
	char line[64];
	char *end;

	read_line("/proc/sys/kernel/overflowuid", line, sizeof(line));
	overflow = strtoul(line, &end, 10);
	if (end == line || uid != (uid_t)overflow)
		return false;
	read_line("/proc/self/uid_map", line, sizeof(line));
	if (sscanf(line, "%lu %lu %lu", &inside, &outside, &count) != 3)
		return false;
	return inside != 0 || outside != 0 || count != 4294967295UL;
}

/*
 * The checks made on the open file before a byte is read: what it is,
 * who may have written it, how big it is.
 */
static int check_open_file(int fd, const char *path, size_t max,
			   unsigned flags, struct stat *stp)
{
	char esc[160], size[32];
	struct stat st;

	if (fstat(fd, &st) != 0)
		return pp_fail(errno, "cannot stat %s: %s", PP_ESC(path, esc),
			       strerror(errno));
	/*
	 * A FIFO would block every call for ever, a device could be read
	 * without end; /proc files are regular.  Refused at once.
	 */
	if (!S_ISREG(st.st_mode))
		return pp_fail(S_ISDIR(st.st_mode) ? EISDIR : EINVAL,
			       "%s is %s, not a regular file: refusing to "
			       "read it", PP_ESC(path, esc),
			       file_type(st.st_mode));
	/*
	 * The policy sets every pool's entropy: only root (or the program's
	 * own user, as tests run) may have written it, as sshd's
	 * StrictModes demands of its files.
	 */
	if ((flags & PP_READ_STRICT_OWNER) && st.st_uid != 0 &&
	    st.st_uid != geteuid() && owner_unmapped(st.st_uid))
		return pp_fail(EPERM, "policy file %s shows the overflow uid "
			       "%lu: its owner is not mapped in this user "
			       "namespace, so root cannot be told from another "
			       "user: refusing it (set PORTPOOL_CONF to a file "
			       "of this namespace)", PP_ESC(path, esc),
			       (unsigned long)st.st_uid);
	if ((flags & PP_READ_STRICT_OWNER) && st.st_uid != 0 &&
	    st.st_uid != geteuid())
		return pp_fail(EPERM, "policy file %s is owned by uid %lu "
			       "(mode %04o), not by root or uid %lu: "
			       "refusing it", PP_ESC(path, esc),
			       (unsigned long)st.st_uid,
			       (unsigned)(st.st_mode & 07777),
			       (unsigned long)geteuid());
	if ((flags & PP_READ_STRICT_OWNER) && (st.st_mode & 022))
		return pp_fail(EPERM, "policy file %s (owner uid %lu) has "
			       "mode %04o: writable by %s, refusing it",
			       PP_ESC(path, esc), (unsigned long)st.st_uid,
			       (unsigned)(st.st_mode & 07777),
			       (st.st_mode & 022) == 022 ? "group and others"
			       : (st.st_mode & 020) ? "group" : "others");
	/* /proc files say 0 here: those are caught while reading. */
	if (st.st_size > 0 && (unsigned long long)st.st_size > max)
		return pp_fail(EINVAL, "%s is %s bytes, larger than %zu bytes: "
			       "refusing to read it", PP_ESC(path, esc),
			       pp_grouped((unsigned long)st.st_size, size),
			       max);
	*stp = st;
	return 0;
}

int pp_read_hostfile(const char *path, size_t max, char **text,
		     size_t *len)
{
	return pp_read_file(path, max, 0, text, len);
}

int pp_read_file(const char *path, size_t max, unsigned flags, char **text,
		 size_t *len)
{
	size_t cap, used = 0;
	struct stat st = { 0 };
	char esc[160];
	char *buf;
	int fd, err;

	*text = NULL;
	*len = 0;
	/* Never wait: a FIFO opens at once and is refused just below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return pp_fail(errno, "cannot open %s: %s", PP_ESC(path, esc),
			       strerror(errno));
	}
	if (check_open_file(fd, path, max, flags, &st) < 0) {
		pp_close_keep_errno(fd);
		return -1;
	}
	/*
	 * A file on disk says its size; a /proc file says 0 and gets the
	 * whole buffer, max + 1 bytes, for its first and only read().  The
	 * byte past max is how a text too large is told from one that fits.
	 */
	cap = (st.st_size > 0 ? (size_t)st.st_size : max) + 1;
	buf = malloc(cap);
	if (!buf) {
		pp_close_keep_errno(fd);
		return pp_fail(ENOMEM, "out of memory reading %s",
			       PP_ESC(path, esc));
	}
	for (;;) {
		ssize_t got;

		if (used == cap) {
			char *grown;

			/*
			 * Full: a /proc text (or a file grown since fstat)
			 * larger than max.  Never taken as the end.
			 */
			if (cap > max) {
				err = pp_fail(EINVAL, "%s is larger than %zu "
					      "bytes: refusing to read it",
					      PP_ESC(path, esc), max);
				goto out;
			}
			grown = realloc(buf, max + 1);
			if (!grown) {
				err = pp_fail(ENOMEM, "out of memory reading "
					      "%s", PP_ESC(path, esc));
				goto out;
			}
			buf = grown;
			cap = max + 1;
		}
		got = read(fd, buf + used, cap - used);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			err = pp_fail(errno, "cannot read %s: %s",
				      PP_ESC(path, esc),
				      strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		used += (size_t)got;
	}
	/* Room for the NUL: used < cap here, or the loop refused it. */
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
			"must be text", PP_ESC(path, esc), line,
			(size_t)(nul - buf));
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
