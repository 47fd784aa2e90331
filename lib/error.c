/* SPDX-License-Identifier: ISC */
/*
 * The failure sentence: one per thread, like errno, so that distinct
 * pools used from distinct threads never see each other's messages.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "utf8.h"

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

size_t pp_escape(const char *in, size_t len, char *out, size_t size)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t used = 0, i = 0, fit = 0;

	if (!size)
		return 0;
	while (i < len) {
		char piece[8];
		size_t n, take = 1;
		unsigned char c = s[i];

		if (c == '\n' || c == '\t' || c == '\r' || c == '\\' ||
		    c == '"') {
			piece[0] = '\\';
			piece[1] = c == '\n' ? 'n' : c == '\t' ? 't' :
				   c == '\r' ? 'r' : (char)c;
			n = 2;
		} else if (c >= 0x20 && c < 0x7f) {
			piece[0] = (char)c;
			n = 1;
		} else if (c >= 0x80 &&
			   (take = pp_utf8_shown(s + i, len - i)) != 0) {
			memcpy(piece, s + i, take);
			n = take;
		} else {
			snprintf(piece, sizeof(piece), "\\x%02x", c);
			n = 4;
			take = 1;
		}
		/*
		 * Whole pieces only, never half an escape or a character:
		 * a cut goes back to the last piece that leaves room for
		 * "...".
		 */
		if (used + n + 1 > size) {
			used = fit;
			if (size >= 4) {
				memcpy(out + used, "...", 3);
				used += 3;
			}
			break;
		}
		memcpy(out + used, piece, n);
		used += n;
		i += take;
		if (used + 4 <= size)
			fit = used;
	}
	out[used] = '\0';
	return used;
}

const char *pp_esc(const char *s, char *buf, size_t size)
{
	pp_escape(s ? s : "(null)", s ? strlen(s) : 6, buf, size);
	return buf;
}
