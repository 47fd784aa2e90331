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

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes), or 0.  Only
 * shortest forms of U+0080..U+10FFFF, no surrogates: what a terminal
 * shows as one character.
 */
static size_t utf8_length(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	/* C1 controls and the Unicode line breaks end a line as \n does. */
	if (cp <= 0x9f || cp == 0x2028 || cp == 0x2029)
		return 0;
	return len;
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
		} else if (c >= 0x80 && (take = utf8_length(s + i, len - i))) {
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
