/* SPDX-License-Identifier: ISC */
/*
 * pp_parse_port_range(), the /proc ip_local_port_range reader, on
 * arbitrary bytes in a buffer of exactly len bytes with no NUL after it.
 */
#include <errno.h>

#include "fuzz.h"

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The model: [ \t]* N [ \t]+ M [ \t\r\n]*, ports 1-65535, N <= M. */
static bool model(const char *s, size_t len, long *lo, long *hi)
{
	size_t i = 0, start;

	while (i < len && blank(s[i]))
		i++;
	start = i;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	*lo = fuzz_number(s, start, i);
	if (i == len || !blank(s[i]))
		return false;
	while (i < len && blank(s[i]))
		i++;
	start = i;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	*hi = fuzz_number(s, start, i);
	while (i < len && (blank(s[i]) || s[i] == '\r' || s[i] == '\n'))
		i++;
	return i == len && *lo >= 1 && *hi >= 1 && *lo <= *hi;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pp_parse_error err = { (size_t)-1, NULL };
	uint16_t first = 0xdead, last = 0xbeef;
	char *text = malloc(size ? size : 1);
	long lo = -1, hi = -1;
	bool valid;
	int rc;

	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	valid = model(text, size, &lo, &hi);
	errno = 0;
	rc = pp_parse_port_range(text, size, &first, &last, &err);
	FUZZ_CHECK(valid == (rc == 0));
	if (rc == 0) {
		FUZZ_CHECK(first == lo && last == hi);
		FUZZ_CHECK(first >= 1 && last >= 1);
		FUZZ_CHECK(first <= last);
		/* Both ports were written in the text, in decimal. */
		FUZZ_CHECK(size >= 3);
	} else {
		FUZZ_CHECK(rc == -1);
		FUZZ_CHECK(errno == EINVAL);
		FUZZ_CHECK(err.offset <= size);
		FUZZ_CHECK(err.why && *err.why);
		/* A refused text leaves the outputs alone. */
		FUZZ_CHECK(first == 0xdead && last == 0xbeef);
	}
	free(text);
	return 0;
}
