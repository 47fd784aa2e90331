/* SPDX-License-Identifier: ISC */
/*
 * pp_read_services(), services(5), on arbitrary bytes written to an
 * in-memory file (memfd_create) that it opens by its /proc/self/fd path,
 * as it opens /etc/services.  The name buffer is small on purpose, so a
 * long service name must be cut, never overflow it.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

#define NAME_SIZE 8

static int memfd = -1;
static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pp_portlist out = { 0 };
	char name[NAME_SIZE + 8];
	unsigned name_port;
	int rc;

	if (memfd < 0) {
		memfd = memfd_create("fuzz_services", MFD_CLOEXEC);
		FUZZ_CHECK(memfd >= 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	}
	FUZZ_CHECK(ftruncate(memfd, 0) == 0);
	FUZZ_CHECK(size == 0 ||
		   pwrite(memfd, data, size, 0) == (ssize_t)size);
	/* Ask for the name of the first port the text mentions, if any. */
	name_port = 53;
	for (size_t i = 0; i < size; i++)
		if (data[i] >= '1' && data[i] <= '9') {
			name_port = 0;
			for (size_t j = i; j < size && j < i + 5 &&
			     data[j] >= '0' && data[j] <= '9'; j++)
				name_port = name_port * 10 + (data[j] - '0');
			break;
		}
	/* Past the buffer we give it: a canary that must stay. */
	memset(name, 'Z', sizeof(name));
	name[0] = '\0';
	/* Ports already there must stay there and merge. */
	FUZZ_CHECK(pp_portlist_add(&out, 1000, 1002) == 0);
	errno = 0;
	rc = pp_read_services(path, &out, name_port, name, NAME_SIZE);
	for (size_t i = NAME_SIZE; i < sizeof(name); i++)
		FUZZ_CHECK(name[i] == 'Z');
	FUZZ_CHECK(memchr(name, '\0', NAME_SIZE) != NULL);
	fuzz_check_portlist(&out, false);
	if (rc == 0) {
		FUZZ_CHECK(pp_portlist_contains(&out, 1000));
		FUZZ_CHECK(pp_portlist_contains(&out, 1002));
		/* A name is given only for a udp port that was listed. */
		FUZZ_CHECK(!name[0] || pp_portlist_contains(&out, name_port));
		FUZZ_CHECK(!pp_portlist_contains(&out, 0));
	} else {
		FUZZ_CHECK(rc == -1);
		FUZZ_CHECK(errno == EINVAL || errno == ENOMEM);
		/* All or nothing: a bad file adds no port. */
		FUZZ_CHECK(out.n == 1 && out.span[0].first == 1000 &&
			   out.span[0].last == 1002);
	}
	pp_portlist_free(&out);
	return 0;
}
