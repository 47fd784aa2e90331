/* SPDX-License-Identifier: ISC */
/*
 * Parsers for the forms admins already write: reservation lists
 * ("4500", "4500-4500", "8080,9148-9150", separated by commas and/or
 * white space) and the two-number range file of /proc.
 */
#include <errno.h>
#include <stdbool.h>

#include "internal.h"

static bool is_separator(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int syntax(struct pp_parse_error *err, size_t offset, const char *why)
{
	err->offset = offset;
	err->why = why;
	errno = EINVAL;
	return -1;
}

/*
 * A decimal port number at text[*pos].  A number must end at a separator,
 * a '-' or the end; "0x1194" and "45x0" are bad numbers, not two tokens.
 */
static int port_number(const char *text, size_t len, size_t *pos,
		       bool allow_zero, unsigned *port,
		       struct pp_parse_error *err)
{
	size_t start = *pos, i = *pos;
	unsigned long value = 0;

	if (i >= len || !is_digit(text[i]))
		return syntax(err, start, "expected a port number");
	while (i < len && is_digit(text[i])) {
		if (value <= PP_NPORTS)
			value = value * 10 + (unsigned)(text[i] - '0');
		i++;
	}
	if (i < len && !is_separator(text[i]) && text[i] != '-')
		return syntax(err, start, "bad port number");
	if (value > 65535)
		return syntax(err, start, "port number above 65535");
	if (value == 0 && !allow_zero)
		return syntax(err, start, "port 0 is not a port (1-65535)");
	*port = (unsigned)value;
	*pos = i;
	return 0;
}

int pp_parse_port_list(const char *text, size_t len, bool allow_zero,
		       struct pp_portlist *out, struct pp_parse_error *err)
{
	struct pp_portlist parsed = { 0 };
	size_t i = 0;

	for (;;) {
		unsigned first, last;
		size_t item;

		while (i < len && is_separator(text[i]))
			i++;
		if (i == len)
			break;
		item = i;
		if (port_number(text, len, &i, allow_zero, &first, err) < 0)
			goto bad;
		last = first;
		if (i < len && text[i] == '-') {
			i++;
			if (i == len || is_separator(text[i])) {
				syntax(err, i, "missing port number after '-'");
				goto bad;
			}
			if (port_number(text, len, &i, allow_zero, &last,
					err) < 0)
				goto bad;
			if (last < first) {
				syntax(err, item, "reversed range (first port "
				       "above last)");
				goto bad;
			}
		}
		if (i < len && !is_separator(text[i])) {
			syntax(err, i, "expected a separator (comma or white "
			       "space)");
			goto bad;
		}
		if (pp_portlist_append(&parsed, first, last) < 0) {
			pp_portlist_free(&parsed);
			return -1;
		}
	}
	/* Sorted once at the end: n log n whatever the input order. */
	pp_portlist_normalize(&parsed);
	if (pp_portlist_merge(out, &parsed) < 0) {
		pp_portlist_free(&parsed);
		return -1;
	}
	pp_portlist_free(&parsed);
	return 0;
bad:
	pp_portlist_free(&parsed);
	errno = EINVAL;
	return -1;
}

/* "32768\t60999\n": two numbers separated by white space. */
int pp_parse_port_range(const char *text, size_t len, uint16_t *first,
			uint16_t *last, struct pp_parse_error *err)
{
	unsigned lo, hi;
	size_t i = 0;

	while (i < len && (text[i] == ' ' || text[i] == '\t'))
		i++;
	if (port_number(text, len, &i, false, &lo, err) < 0)
		return -1;
	if (i < len && text[i] == '-')
		return syntax(err, i, "expected white space between the two "
			      "ports");
	while (i < len && (text[i] == ' ' || text[i] == '\t'))
		i++;
	if (port_number(text, len, &i, false, &hi, err) < 0)
		return -1;
	if (i < len && text[i] == '-')
		return syntax(err, i, "unexpected '-'");
	while (i < len && is_separator(text[i]) && text[i] != ',')
		i++;
	if (i != len)
		return syntax(err, i, "unexpected text after the two ports");
	if (hi < lo)
		return syntax(err, 0, "reversed range (first port above last)");
	*first = (uint16_t)lo;
	*last = (uint16_t)hi;
	return 0;
}
