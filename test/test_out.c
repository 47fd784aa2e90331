/* SPDX-License-Identifier: ISC */
/*
 * The tools' output writer (tools/out.c): JSON strings and XML text valid
 * for any bytes, text that a terminal cannot take for a control sequence,
 * in the form of the library's own sentences (pp_escape()), and
 * Prometheus label values; and the UTF-8 decoder they use (lib/utf8.h),
 * against the Unicode Standard's table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "utf8.h"
#include "util.h"
#include "../tools/out.h"

/* What a writer put on a FILE, as a malloc'd C string. */
static char *capture(void (*write)(FILE *, const char *), const char *s)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	assert_non_null(f);
	write(f, s);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static char *json_of_bytes(const char *s, size_t len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	assert_non_null(f);
	json_bytes(f, s, len);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void expect_json(const char *in, const char *want)
{
	char *got = capture(json_string, in);

	assert_string_equal(got, want);
	free(got);
}

static void expect_text(const char *in, const char *want)
{
	char *got = capture(text_string, in);
	char buf[256];

	assert_string_equal(got, want);
	assert_string_equal(text_escape(in, buf, sizeof(buf)), want);
	free(got);
}

static void json_escapes(void **state)
{
	(void)state;
	expect_json("", "\"\"");
	expect_json("/sys/fs/cgroup/a b", "\"/sys/fs/cgroup/a b\"");
	expect_json("q\"b\\", "\"q\\\"b\\\\\"");
	expect_json("\n\t\x01\x1b]2;pwn\x07\x7f",
		    "\"\\u000a\\u0009\\u0001\\u001b]2;pwn\\u0007\\u007f\"");
	/* Valid UTF-8 passes: é, €, U+1F600. */
	expect_json("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
		    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	/* C1 CSI and the Unicode line breaks, as \u escapes. */
	expect_json("\xc2\x9b" "2J\xe2\x80\xa8\xe2\x80\xa9",
		    "\"\\u009b2J\\u2028\\u2029\"");
}

static void json_invalid_utf8(void **state)
{
	(void)state;
	/* One U+FFFD per byte that does not start a valid sequence. */
	expect_json("a\xff" "b", "\"a\\ufffdb\"");
	expect_json("\xc0\x80", "\"\\ufffd\\ufffd\"");		/* overlong */
	expect_json("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");
	expect_json("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");	/* D800 */
	expect_json("\xf4\x90\x80\x80",
		    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");	/* > 10FFFF */
	expect_json("\x80", "\"\\ufffd\"");		/* lone continuation */
	expect_json("x\xe2\x82", "\"x\\ufffd\\ufffd\"");	/* cut short */
}

static void json_bytes_nul(void **state)
{
	char *got = json_of_bytes("a\0b\xe2", 4);

	(void)state;
	assert_string_equal(got, "\"a\\u0000b\\ufffd\"");
	free(got);
}

static void expect_xml(const char *in, const char *want)
{
	char *got = capture(xml_text, in);

	assert_string_equal(got, want);
	free(got);
}

#define FFFD "\xef\xbf\xbd"

static void xml_escapes(void **state)
{
	(void)state;
	expect_xml("unbound", "unbound");
	expect_xml("a<b>&\"c'", "a&lt;b&gt;&amp;&quot;c&#39;");
	/* Tab, newline, CR kept as references; other C0 bytes and DEL are
	 * no XML 1.0 characters or are controls: U+FFFD. */
	expect_xml("\t\n\r", "&#9;&#10;&#13;");
	expect_xml("\x01\x1b]2;x\x07\x7f", FFFD FFFD "]2;x" FFFD FFFD);
	/* C1 CSI, U+FFFE and U+FFFF: U+FFFD; é, €, U+2028, U+1F600 pass. */
	expect_xml("\xc2\x9b" "2J\xef\xbf\xbe\xef\xbf\xbf",
		   FFFD "2J" FFFD FFFD);
	expect_xml("\xc3\xa9\xe2\x82\xac\xe2\x80\xa8\xf0\x9f\x98\x80",
		   "\xc3\xa9\xe2\x82\xac\xe2\x80\xa8\xf0\x9f\x98\x80");
	/* One U+FFFD per byte that does not start valid UTF-8. */
	expect_xml("a\xff" "b\xc0\x80", "a" FFFD "b" FFFD FFFD);
	expect_xml("\xed\xa0\x80", FFFD FFFD FFFD);
	expect_xml("x\xe2\x82", "x" FFFD FFFD);
}

/* XML 1.0's Char production, with no markup character left bare: what
 * xml_text() may write, whatever it was given. */
static int xml_safe(const unsigned char *s)
{
	while (*s) {
		unsigned cp;
		size_t len;

		if (*s == '<' || *s == '>' || *s == '"' || *s == '\'')
			return 0;
		if (*s == '&') {
			/* Only the references xml_text() writes. */
			static const char *const refs[] = { "&amp;", "&lt;",
				"&gt;", "&quot;", "&#39;", "&#9;", "&#10;",
				"&#13;" };
			size_t i = 0;

			while (i < 8 && strncmp((const char *)s, refs[i],
						strlen(refs[i])))
				i++;
			if (i == 8)
				return 0;
			s += strlen(refs[i]);
			continue;
		}
		if (*s < 0x20 || *s == 0x7f)
			return 0;
		if (*s < 0x80) {
			s++;
			continue;
		}
		if (*s >= 0xc2 && *s <= 0xdf)
			len = 2, cp = *s & 0x1f;
		else if (*s >= 0xe0 && *s <= 0xef)
			len = 3, cp = *s & 0x0f;
		else if (*s >= 0xf0 && *s <= 0xf4)
			len = 4, cp = *s & 0x07;
		else
			return 0;
		for (size_t i = 1; i < len; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
		    cp <= 0x9f || cp == 0xfffe || cp == 0xffff)
			return 0;
		s += len;
	}
	return 1;
}

static void text_escapes(void **state)
{
	(void)state;
	expect_text("unbound", "unbound");
	expect_text("\x1b]2;pwn\x07\x1b[2J", "\\x1b]2;pwn\\x07\\x1b[2J");
	expect_text("a\nb\tc\rd\\e\"f", "a\\nb\\tc\\rd\\\\e\\\"f");
	expect_text("\x7f\xff\xc0\x80", "\\x7f\\xff\\xc0\\x80");
	expect_text("\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9");
	expect_text("\xc2\x9b" "2J", "\\xc2\\x9b2J");
	expect_text("\xe2\x80\xa8", "\\xe2\\x80\\xa8");
}

static void text_escape_cut(void **state)
{
	char buf[12];

	(void)state;
	/* Whole escapes only, and "..." where it was cut. */
	assert_string_equal(text_escape("\x1b\x1b\x1b\x1b", buf, sizeof(buf)),
			    "\\x1b\\x1b...");
	assert_string_equal(text_escape("abcdefghijk", buf, sizeof(buf)),
			    "abcdefghijk");
	assert_string_equal(text_escape("abcdefghijkl", buf, sizeof(buf)),
			    "abcdefgh...");
	assert_string_equal(text_escape("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
					 "\xe2\x82\xac", buf, sizeof(buf)),
			    "\xe2\x82\xac\xe2\x82\xac...");
	assert_string_equal(text_escape("abc", buf, 1), "");
}

/*
 * The one decoder (lib/utf8.h) against the Unicode Standard's table of
 * well-formed byte sequences (chapter 3, table 3-7), written as byte
 * ranges, not code points: each first and second byte, the rest the
 * lowest or the highest continuation byte.  (Python's strict decoder
 * agrees with the table for all 65,536 pairs.)
 */
static const struct {
	unsigned char first_lo, first_hi, second_lo, second_hi;
	size_t len;
} well_formed[] = {
	{ 0x00, 0x7f, 0x00, 0xff, 1 },	/* the second byte: any */
	{ 0xc2, 0xdf, 0x80, 0xbf, 2 },
	{ 0xe0, 0xe0, 0xa0, 0xbf, 3 },
	{ 0xe1, 0xec, 0x80, 0xbf, 3 },
	{ 0xed, 0xed, 0x80, 0x9f, 3 },
	{ 0xee, 0xef, 0x80, 0xbf, 3 },
	{ 0xf0, 0xf0, 0x90, 0xbf, 4 },
	{ 0xf1, 0xf3, 0x80, 0xbf, 4 },
	{ 0xf4, 0xf4, 0x80, 0x8f, 4 },
};

static size_t table_len(unsigned first, unsigned second)
{
	for (size_t i = 0; i < sizeof(well_formed) / sizeof(well_formed[0]);
	     i++)
		if (first >= well_formed[i].first_lo &&
		    first <= well_formed[i].first_hi &&
		    second >= well_formed[i].second_lo &&
		    second <= well_formed[i].second_hi)
			return well_formed[i].len;
	return 0;
}

/* cp as UTF-8, the other way round from the decoder. */
static size_t encode(uint32_t cp, unsigned char out[4])
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

static void decoder_follows_the_standard(void **state)
{
	static const struct {
		const char *s;
		uint32_t cp;
	} known[] = {
		{ "\xc2\x80", 0x80 }, { "\xdf\xbf", 0x7ff },
		{ "\xe0\xa0\x80", 0x800 }, { "\xe2\x82\xac", 0x20ac },
		{ "\xed\x9f\xbf", 0xd7ff }, { "\xee\x80\x80", 0xe000 },
		{ "\xef\xbf\xbf", 0xffff }, { "\xf0\x90\x80\x80", 0x10000 },
		{ "\xf0\x9f\x98\x80", 0x1f600 },
		{ "\xf4\x8f\xbf\xbf", 0x10ffff },
	};
	unsigned char s[4], back[4];
	uint32_t cp;
	size_t want, got;

	(void)state;
	for (unsigned n = 0; n < 4 * 65536; n++) {
		/* every first and second byte, each tail of 0x80 / 0xbf */
		s[0] = (unsigned char)(n >> 8);
		s[1] = (unsigned char)n;
		s[2] = n >> 16 & 1 ? 0xbf : 0x80;
		s[3] = n >> 17 & 1 ? 0xbf : 0x80;
		want = table_len(s[0], s[1]);
		cp = 0xffffffff;
		got = pp_utf8_decode(s, 4, &cp);
		assert_int_equal(got, want);
		if (want < 2)
			continue;
		assert_int_equal(encode(cp, back), want);
		assert_memory_equal(back, s, want);
		/* cut short, or a later byte no continuation: invalid */
		assert_int_equal(pp_utf8_decode(s, want - 1, &cp), 0);
		for (size_t k = 2; k < want; k++) {
			memcpy(back, s, 4);
			back[k] = k == 2 ? 0x41 : 0xc0;
			assert_int_equal(pp_utf8_decode(back, 4, &cp), 0);
		}
	}
	for (unsigned c = 0; c < 0x80; c++) {
		s[0] = (unsigned char)c;
		assert_int_equal(pp_utf8_decode(s, 1, &cp), 1);
		assert_int_equal(cp, c);
	}
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		want = strlen(known[i].s);
		assert_int_equal(pp_utf8_decode((const unsigned char *)
						known[i].s, want, &cp), want);
		assert_int_equal(cp, known[i].cp);
	}
	/* The C1 controls and the line breaks, and their neighbours. */
	assert_true(pp_utf8_is_control(0x80) && pp_utf8_is_control(0x9b) &&
		    pp_utf8_is_control(0x9f) && pp_utf8_is_control(0x2028) &&
		    pp_utf8_is_control(0x2029));
	assert_false(pp_utf8_is_control(0x7e) || pp_utf8_is_control(0xa0) ||
		     pp_utf8_is_control(0x2027) ||
		     pp_utf8_is_control(0x202a));
}

/* Valid UTF-8 (the decoder, checked above) with no C0 or C1 control
 * and no U+2028/2029: what is safe on a terminal and, for JSON, inside
 * a string. */
static int safe_utf8(const unsigned char *s)
{
	size_t left = strlen((const char *)s);

	while (left) {
		uint32_t cp;
		size_t len = pp_utf8_decode(s, left, &cp);

		if (!len || cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f) ||
		    cp == 0x2028 || cp == 0x2029)
			return 0;
		s += len;
		left -= len;
	}
	return 1;
}

static void expect_prom(const char *in, const char *want)
{
	char *got = capture(prom_label, in);

	assert_string_equal(got, want);
	free(got);
}

/* Prometheus label values: the format's three escapes, controls as they
 * are, U+FFFD for each byte that is not UTF-8. */
static void prom_escapes(void **state)
{
	(void)state;
	expect_prom("", "\"\"");
	expect_prom("/sys/fs/cgroup/a.service", "\"/sys/fs/cgroup/a.service\"");
	expect_prom("a\\b\"c\nd", "\"a\\\\b\\\"c\\nd\"");
	expect_prom("\t\r\033]2;x\007\177", "\"\t\r\033]2;x\007\177\"");
	expect_prom("caf\xc3\xa9 \xe2\x80\xa8", "\"caf\xc3\xa9 \xe2\x80\xa8\"");
	expect_prom("odd\xff", "\"odd\xef\xbf\xbd\"");
	expect_prom("\xc3", "\"\xef\xbf\xbd\"");
	expect_prom("\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	expect_prom("\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"");
}

/* What promtool's parser takes: valid UTF-8, quoted, no raw newline, a
 * backslash only before \\, " or n, no bare quote inside. */
static int prom_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 2 || s[0] != '"' || s[n - 1] != '"' || !utf8_valid(s))
		return 0;
	for (size_t i = 1; i < n - 1; i++) {
		if (s[i] == '\n' || s[i] == '"')
			return 0;
		if (s[i] == '\\') {
			if (i + 1 >= n - 1 || !strchr("\\\"n", s[i + 1]))
				return 0;
			i++;
		}
	}
	return 1;
}

/* Random bytes, biased towards the interesting ones: every output is
 * safe UTF-8 (XML: XML 1.0 characters), and the text form is the
 * library's, byte for byte. */
static void random_bytes_safe(void **state)
{
	static const unsigned char pick[] = { 0x00, 0x07, 0x0a, 0x1b, 0x22,
		0x5c, 0x7f, 0x80, 0x9b, 0xa8, 0xbf, 0xc0, 0xc2, 0xe2, 0xed,
		0xf0, 0xf4, 0xf5, 0xff, 'a' };
	unsigned seed = 19;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		unsigned char in[24];
		char lib[TEXT_MAX(24)], mine[TEXT_MAX(24)], *got;
		size_t len;

		seed = seed * 1103515245u + 12345u;
		len = 1 + (seed >> 16) % (sizeof(in) - 1);
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			in[i] = (seed >> 20) & 1 ? pick[(seed >> 8) %
						sizeof(pick)] : (seed >> 8);
			if (!in[i])
				in[i] = 0x01;
		}
		in[len - 1] = '\0';
		got = capture(json_string, (const char *)in);
		assert_true(safe_utf8((const unsigned char *)got));
		free(got);
		got = capture(prom_label, (const char *)in);
		assert_true(prom_ok(got));
		free(got);
		got = capture(xml_text, (const char *)in);
		assert_true(xml_safe((const unsigned char *)got));
		free(got);
		got = capture(text_string, (const char *)in);
		assert_true(safe_utf8((const unsigned char *)got));
		pp_escape((const char *)in, strlen((const char *)in), lib,
			  sizeof(lib));
		assert_string_equal(got, lib);
		assert_string_equal(text_escape((const char *)in, mine,
						sizeof(mine)), lib);
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decoder_follows_the_standard),
		cmocka_unit_test(json_escapes),
		cmocka_unit_test(json_invalid_utf8),
		cmocka_unit_test(json_bytes_nul),
		cmocka_unit_test(xml_escapes),
		cmocka_unit_test(text_escapes),
		cmocka_unit_test(text_escape_cut),
		cmocka_unit_test(prom_escapes),
		cmocka_unit_test(random_bytes_safe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
