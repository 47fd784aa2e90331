/* SPDX-License-Identifier: ISC */
/*
 * The version of the library loaded at run time, which may be newer than
 * the header a program was built with.  Made from the header's numbers,
 * which test/check-version.sh holds to the Makefile's VERSION.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

#define PP_STR(x) #x
#define PP_XSTR(x) PP_STR(x)

PP_EXPORT const char *portpool_version(void)
{
	return PP_XSTR(PORTPOOL_VERSION_MAJOR) "."
	       PP_XSTR(PORTPOOL_VERSION_MINOR) "."
	       PP_XSTR(PORTPOOL_VERSION_PATCH);
}

/*
 * Results the caller allocates carry their size, so that a struct can
 * grow at its end without a new soname: a program built against an
 * older header gets the fields it knows, one built against a newer
 * header than the library gets the rest zeroed.  Below the 1.0 size is
 * a caller that cannot be right.
 */
int pp_result_copy(void *dst, size_t size, const void *src, size_t ours,
		   size_t min, const char *fn)
{
	if (!dst)
		return pp_fail(EINVAL, "%s: the result pointer is NULL", fn);
	if (size < min)
		return pp_fail(EINVAL, "%s: a result of %zu bytes is too "
			       "small: at least %zu (libportpool 1.0)", fn,
			       size, min);
	memcpy(dst, src, size < ours ? size : ours);
	if (size > ours)
		memset((char *)dst + ours, 0, size - ours);
	return 0;
}
