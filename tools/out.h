/* SPDX-License-Identifier: ISC */
/*
 * The tools' one output writer (portpool-info, portpool-guard): whatever
 * bytes a name from outside holds (a cgroup, a process name, a path), a
 * JSON or XML document stays valid and a terminal gets no control byte.
 */
#ifndef PORTPOOL_OUT_H
#define PORTPOOL_OUT_H

#include <stddef.h>
#include <stdio.h>

/*
 * s as a JSON string, quotes included.  '"' and '\' get a backslash;
 * control bytes (below 0x20, 0x7f), the C1 controls and U+2028, U+2029
 * become \u00XX / \u20XX; a byte that does not start valid UTF-8
 * (overlong forms, surrogates and past U+10FFFF included) becomes
 * \ufffd, the replacement character, one per byte.  Valid UTF-8 passes.
 */
void json_string(FILE *out, const char *s);
void json_bytes(FILE *out, const char *s, size_t len);

/* A JSON number. */
void json_uint(FILE *out, unsigned long long n);
void json_int(FILE *out, long long n);

/*
 * s for a terminal, as the library escapes names in its sentences
 * (portpool_error()): \n, \t, \r, '\' and '"' as \n, \t, \r, \\, \";
 * every other control byte, DEL, a byte that is not valid UTF-8 and the
 * bytes of a C1 control or of U+2028/U+2029 as \xHH; printable ASCII and
 * other valid UTF-8 as they are.
 */
void text_string(FILE *out, const char *s);

/*
 * The same into buf (always terminated), for a printf "%s": whole
 * escapes only, ending in "..." when s does not fit.  Returns buf.
 * TEXT_MAX(n) holds n bytes escaped, whatever they are.
 */
#define TEXT_MAX(n) (4 * (n) + 1)
const char *text_escape(const char *s, char *buf, size_t size);

/*
 * s as a label value of the Prometheus text exposition format 0.0.4,
 * quotes included.  The format knows three escapes, \\, \" and \n (any
 * other backslash sequence is a parse error), and takes any other code
 * point as it is, control characters included; a label value must be
 * valid UTF-8 (promtool and node_exporter refuse the file otherwise).
 * So '\\', '"' and a newline are escaped, every other control byte passes
 * as it is (the value stays the name JSON decodes), and a byte that does
 * not start valid UTF-8 becomes U+FFFD, one per byte, as json_string()
 * makes it.
 */
void prom_label(FILE *out, const char *s);

/*
 * s as XML 1.0 character data, or an attribute value between double
 * quotes: '&', '<', '>', '"' and '\'' as entities; tab, newline and CR as
 * character references (an attribute would fold them into spaces); every
 * other C0 control (not allowed in XML 1.0), DEL, the C1 controls,
 * U+FFFE and U+FFFF (not XML characters) and each byte that does not
 * start valid UTF-8 as U+FFFD, the replacement character.  Other valid
 * UTF-8 passes.
 */
void xml_text(FILE *out, const char *s);

/* 1 if s is valid UTF-8 throughout (shortest forms, no surrogates, at
 * most U+10FFFF), 0 if not. */
int utf8_valid(const char *s);

#endif
