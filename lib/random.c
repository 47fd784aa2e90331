/* SPDX-License-Identifier: ISC */
/*
 * Random numbers from the kernel CSPRNG, buffered.  One getrandom() per
 * draw costs more than a whole pick should, so each pool keeps a page of
 * kernel output and hands it out two bytes at a time, wiping what it
 * hands out.  The page is marked MADV_WIPEONFORK: a child sees it zeroed,
 * which reads as "empty", and refills from the kernel instead of
 * replaying the parent's draws; and MADV_DONTDUMP, so that a core dump
 * holds no future draw.  Where the kernel cannot do both, the buffer
 * is not used at all.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/random.h>
#endif

#include "internal.h"


static int kernel_random(void *out, size_t len)
{
#if defined(__linux__)
	unsigned char *p = out;

	while (len > 0) {
		ssize_t got = getrandom(p, len, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return pp_fail(errno, "the kernel random source "
				       "failed: getrandom: %s",
				       strerror(errno));
		}
		p += got;
		len -= (size_t)got;
	}
	return 0;
#else
	arc4random_buf(out, len);
	return 0;
#endif
}

struct pp_rng *pp_rng_new(void)
{
	struct pp_rng *rng;

	rng = mmap(NULL, PP_RNG_MAP_BYTES, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rng == MAP_FAILED)
		return pp_fail_null(ENOMEM, "cannot map a page for the random "
				    "buffer: %s", strerror(errno));
#ifdef MADV_WIPEONFORK
	if (madvise(rng, PP_RNG_MAP_BYTES, MADV_WIPEONFORK) != 0)
		rng->unbuffered = true;
#else
	rng->unbuffered = true;
#endif
	/*
	 * Nor may a core dump hold the draws still to come: with them, who
	 * reads the core knows the ports the pool will rotate to.
	 */
#ifdef MADV_DONTDUMP
	if (madvise(rng, PP_RNG_MAP_BYTES, MADV_DONTDUMP) != 0)
		rng->unbuffered = true;
#else
	rng->unbuffered = true;
#endif
	return rng;
}

void pp_rng_free(struct pp_rng *rng)
{
	if (rng)
		munmap(rng, PP_RNG_MAP_BYTES);
}

static int random16(struct pp_rng *rng, uint16_t *out)
{
	unsigned char *next;

	if (rng->unbuffered)
		return kernel_random(out, sizeof(*out));
	if (rng->avail < sizeof(*out)) {
		/* Empty, or wiped by fork: either way, ask the kernel. */
		if (kernel_random(rng->buf, PP_RNG_BUF_BYTES) < 0)
			return -1;
		rng->avail = PP_RNG_BUF_BYTES - PP_RNG_BUF_BYTES % sizeof(*out);
	}
	next = &rng->buf[PP_RNG_BUF_BYTES - rng->avail];
	memcpy(out, next, sizeof(*out));
	memset(next, 0, sizeof(*out));
	rng->avail -= sizeof(*out);
	return 0;
}

/*
 * The whole of Lemire's method (see pp_rng_uniform in internal.h): no
 * modulo bias, and the division runs only on this rare path.
 */
int pp_rng_uniform_slow(struct pp_rng *rng, uint32_t bound, uint32_t *out)
{
	uint32_t m, threshold;
	uint16_t x;

	if (bound < 1 || bound > 65536)
		return pp_fail(EINVAL, "random draw below %u: allowed bounds "
			       "are 1-65536", bound);
	if (random16(rng, &x) < 0)
		return -1;
	m = (uint32_t)x * bound;
	if ((m & 0xffff) < bound) {
		threshold = 65536u % bound;
		while ((m & 0xffff) < threshold) {
			if (random16(rng, &x) < 0)
				return -1;
			m = (uint32_t)x * bound;
		}
	}
	*out = m >> 16;
	return 0;
}
