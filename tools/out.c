// SPDX-License-Identifier: ISC
/*
 * The tools' output writer: JSON strings and numbers, and XML text, valid
 * for any bytes, and text that cannot drive a terminal (see out.h).
 */
#include <string.h>

#include "out.h"
#include "../lib/utf8.h"	/* the library's own decoder */

int utf8_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t left = strlen(str);

	while (left) {
		uint32_t cp;
		size_t len = pp_utf8_decode(s, left, &cp);

		if (!len)
			return 0;
		s += len;
		left -= len;
	}
	return 1;
}

void json_bytes(FILE *out, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	putc('"', out);
	while (i < n) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t len;

		if (c == '"' || c == '\\') {
			putc('\\', out);
			putc(c, out);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			putc(c, out);
			i++;
		} else if ((len = pp_utf8_decode(s + i, n - i, &cp)) != 0) {
			if (pp_utf8_is_control(cp))
				fprintf(out, "\\u%04x", cp);
			else
				fwrite(s + i, 1, len, out);
			i += len;
		} else {
			fputs("\\ufffd", out);
			i++;
		}
	}
	putc('"', out);
}

void json_string(FILE *out, const char *s)
{
	json_bytes(out, s, strlen(s));
}

void prom_label(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t left = strlen(str);

	putc('"', out);
	while (left) {
		uint32_t cp;
		size_t len = pp_utf8_decode(s, left, &cp);

		if (*s == '\\' || *s == '"')
			fprintf(out, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", out);
		else if (len)
			fwrite(s, 1, len, out);
		else
			fputs("\xef\xbf\xbd", out);	/* U+FFFD */
		if (!len)
			len = 1;
		s += len;
		left -= len;
	}
	putc('"', out);
}

void json_uint(FILE *out, unsigned long long n)
{
	fprintf(out, "%llu", n);
}

void json_int(FILE *out, long long n)
{
	fprintf(out, "%lld", n);
}

/* The escaped form of the piece at s into piece[]; its length in *n and
 * the bytes of s it stands for as the return. */
static size_t text_piece(const unsigned char *s, size_t left, char piece[8],
			 size_t *n)
{
	unsigned char c = s[0];
	size_t len;

	if (c == '\n' || c == '\t' || c == '\r' || c == '\\' || c == '"') {
		piece[0] = '\\';
		piece[1] = c == '\n' ? 'n' : c == '\t' ? 't' :
			   c == '\r' ? 'r' : (char)c;
		*n = 2;
		return 1;
	}
	if (c >= 0x20 && c < 0x7f) {
		piece[0] = (char)c;
		*n = 1;
		return 1;
	}
	if (c >= 0x80 && (len = pp_utf8_shown(s, left)) != 0) {
		memcpy(piece, s, len);
		*n = len;
		return len;
	}
	snprintf(piece, 8, "\\x%02x", c);
	*n = 4;
	return 1;
}

void text_string(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t left = strlen(str);

	while (left) {
		char piece[8];
		size_t n, take = text_piece(s, left, piece, &n);

		fwrite(piece, 1, n, out);
		s += take;
		left -= take;
	}
}

const char *text_escape(const char *str, char *buf, size_t size)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t left = strlen(str), used = 0, fit = 0;

	if (!size)
		return buf;
	while (left) {
		char piece[8];
		size_t n, take = text_piece(s, left, piece, &n);

		/* Whole pieces only: a cut goes back to the last piece that
		 * leaves room for "...". */
		if (used + n + 1 > size) {
			used = fit;
			if (size >= 4) {
				memcpy(buf + used, "...", 3);
				used += 3;
			}
			break;
		}
		memcpy(buf + used, piece, n);
		used += n;
		if (used + 3 + 1 <= size)
			fit = used;
		s += take;
		left -= take;
	}
	buf[used] = '\0';
	return buf;
}

void xml_text(FILE *out, const char *str)
{
	static const char fffd[] = "\xef\xbf\xbd";
	const unsigned char *s = (const unsigned char *)str;
	size_t left = strlen(str);

	while (left) {
		unsigned char c = *s;
		size_t take = 1, len;
		uint32_t cp;

		if (c == '&')
			fputs("&amp;", out);
		else if (c == '<')
			fputs("&lt;", out);
		else if (c == '>')
			fputs("&gt;", out);
		else if (c == '"')
			fputs("&quot;", out);
		else if (c == '\'')
			fputs("&#39;", out);
		else if (c == '\t' || c == '\n' || c == '\r')
			fprintf(out, "&#%u;", c);
		else if (c >= 0x20 && c < 0x7f)
			putc(c, out);
		else if (c >= 0x80 && (len = pp_utf8_decode(s, left, &cp)) != 0) {
			take = len;
			if (cp <= 0x9f || cp == 0xfffe || cp == 0xffff)
				fputs(fffd, out);
			else
				fwrite(s, 1, len, out);
		} else
			fputs(fffd, out);
		s += take;
		left -= take;
	}
}
