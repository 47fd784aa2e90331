/* SPDX-License-Identifier: ISC */
/*
 * The failure sentence: one per thread, like errno, so that distinct
 * pools used from distinct threads never see each other's messages.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

static _Thread_local char last_failure[512] = "no failure";

PP_PRINTF(2, 0)
static void record(int err, const char *fmt, va_list ap)
{
	vsnprintf(last_failure, sizeof(last_failure), fmt, ap);
	errno = err;
}

int pp_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(err, fmt, ap);
	va_end(ap);
	return -1;
}

void *pp_fail_null(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(err, fmt, ap);
	va_end(ap);
	return NULL;
}

const char *pp_grouped(unsigned long n, char buf[static 32])
{
	char digits[24];
	int len = snprintf(digits, sizeof(digits), "%lu", n);
	int out = 0;

	for (int i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			buf[out++] = ',';
		buf[out++] = digits[i];
	}
	buf[out] = '\0';
	return buf;
}

PP_EXPORT const char *portpool_error(void)
{
	return last_failure;
}
