// SPDX-License-Identifier: ISC
/*
 * pwrite-fault.so, for test/hostlist-e2e.sh: LD_PRELOAD it to make the
 * Nth pwrite() of the process (PWRITE_FAIL_AT=N) fail with ENOSPC, as a
 * kernel that stops taking a list half way would.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);

static int calls;

static ssize_t faulty(const char *name, int fd, const void *buf, size_t len,
		      off_t off)
{
	const char *at = getenv("PWRITE_FAIL_AT");
	pwrite_fn real = (pwrite_fn)dlsym(RTLD_NEXT, name);

	if (at && ++calls == atoi(at)) {
		errno = ENOSPC;
		return -1;
	}
	return real(fd, buf, len, off);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off);
ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off);

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	return faulty("pwrite", fd, buf, len, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	return faulty("pwrite64", fd, buf, len, off);
}
