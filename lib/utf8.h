/* SPDX-License-Identifier: ISC */
/*
 * The one UTF-8 decoder, for the library's sentences (error.c:
 * pp_escape) and the tools' writer (tools/out.c).  A header of static
 * inline functions rather than a function of the library: the tools link
 * libportpool.so, which exports nothing but the portpool_* API, so each
 * user compiles its own copy of this one text.
 */
#ifndef PORTPOOL_UTF8_H
#define PORTPOOL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The length (1 to 4) of the character that starts at s, at most n
 * bytes (n >= 1), and its code point in *cp; 0 when s does not start
 * valid UTF-8: a continuation byte, a sequence cut short or broken, an
 * overlong form (C0, C1, E0 80..9F, F0 80..8F), a surrogate (ED A0..BF)
 * or past U+10FFFF (F4 90.., F5..FF).  ASCII bytes, NUL included, are
 * characters of length 1.
 */
static inline size_t pp_utf8_decode(const unsigned char *s, size_t n,
				    uint32_t *cp)
{
	uint32_t v = s[0];
	size_t len;

	if (v < 0x80) {
		*cp = v;
		return 1;
	}
	if (v >= 0xc2 && v <= 0xdf)
		len = 2, v &= 0x1f;
	else if (v >= 0xe0 && v <= 0xef)
		len = 3, v &= 0x0f;
	else if (v >= 0xf0 && v <= 0xf4)
		len = 4, v &= 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000) ||
	    (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		return 0;
	*cp = v;
	return len;
}

/*
 * The C1 controls (U+0080..U+009F, CSI among them) and the Unicode line
 * breaks U+2028, U+2029: valid characters that a terminal or a log
 * takes as control, so both writers escape them.
 */
static inline bool pp_utf8_is_control(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029;
}

/*
 * The length of the character at s (at most n bytes) when a terminal may
 * get it as it is: printable ASCII, or valid UTF-8 that is no control;
 * 0 for anything to escape.
 */
static inline size_t pp_utf8_shown(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len = pp_utf8_decode(s, n, &cp);

	if (!len || cp < 0x20 || cp == 0x7f || pp_utf8_is_control(cp))
		return 0;
	return len;
}

#endif
