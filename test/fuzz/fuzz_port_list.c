/* SPDX-License-Identifier: ISC */
/*
 * pp_parse_port_list() on arbitrary bytes, with and without port 0.  The
 * text is a malloc'd copy of exactly len bytes with no NUL after it, so
 * AddressSanitizer catches any read past len.  A valid text must give
 * exactly the ports of an independent model of the grammar; an invalid
 * one must leave the output list untouched.
 */
#include <errno.h>

#include "fuzz.h"

static struct fuzz_ports model;

static void one(const char *text, size_t len, bool allow_zero)
{
	struct pp_portlist out = { 0 };
	struct pp_parse_error err = { (size_t)-1, NULL };
	bool valid;
	int rc;

	/* A span already in the list must survive and merge. */
	FUZZ_CHECK(pp_portlist_add(&out, 7, 9) == 0);
	memset(&model, 0, sizeof(model));
	valid = fuzz_model_list(text, len, allow_zero, &model);
	errno = 0;
	rc = pp_parse_port_list(text, len, allow_zero, &out, &err);
	if (rc == 0) {
		FUZZ_CHECK(valid);
		fuzz_check_portlist(&out, allow_zero);
		model.in[7] = model.in[8] = model.in[9] = true;
		FUZZ_CHECK(fuzz_list_equals(&out, &model));
	} else {
		FUZZ_CHECK(rc == -1);
		FUZZ_CHECK(errno == EINVAL || errno == ENOMEM);
		if (errno == EINVAL) {
			FUZZ_CHECK(!valid);
			FUZZ_CHECK(err.offset <= len);
			FUZZ_CHECK(err.why && *err.why);
		}
		/* Nothing is added unless the whole text is valid. */
		FUZZ_CHECK(out.n == 1 && out.span[0].first == 7 &&
			   out.span[0].last == 9);
	}
	pp_portlist_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* malloc(0) may return NULL: keep one byte, use none of it. */
	char *text = malloc(size ? size : 1);

	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	one(text, size, false);
	one(text, size, true);
	free(text);
	return 0;
}
