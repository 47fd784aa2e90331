/* SPDX-License-Identifier: ISC */
/*
 * Replays a corpus through one fuzz target without libFuzzer, so that
 * `make check` runs every saved input with the normal compiler:
 *
 *	replay_fuzz_NAME FILE-OR-DIRECTORY...
 *
 * A directory means every regular file in it, in name order.  A broken
 * invariant aborts the whole run; a file that cannot be read is a
 * failure.  The last line is "fuzz replay NAME: N inputs, F failures".
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long inputs, failures;

static int read_whole(const char *path, uint8_t **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL, *grown;
	size_t cap = 0, used = 0, got;

	if (!f)
		return -1;
	do {
		if (used == cap) {
			cap = cap ? cap * 2 : 4096;
			grown = realloc(buf, cap);
			if (!grown) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return -1;
			}
			buf = grown;
		}
		got = fread(buf + used, 1, cap - used, f);
		used += got;
	} while (got);
	if (ferror(f)) {
		free(buf);
		fclose(f);
		errno = EIO;
		return -1;
	}
	fclose(f);
	/* Exactly size bytes, as libFuzzer gives them: ASan sees overruns. */
	*data = malloc(used ? used : 1);
	if (!*data) {
		free(buf);
		errno = ENOMEM;
		return -1;
	}
	if (used)
		memcpy(*data, buf, used);
	free(buf);
	*size = used;
	return 0;
}

static void replay_file(const char *path)
{
	uint8_t *data;
	size_t size;

	if (read_whole(path, &data, &size) < 0) {
		fprintf(stderr, "fuzz replay: cannot read %s: %s\n", path,
			strerror(errno));
		failures++;
		return;
	}
	inputs++;
	LLVMFuzzerTestOneInput(data, size);
	free(data);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void replay_dir(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, by_name);

	if (n < 0) {
		fprintf(stderr, "fuzz replay: cannot list %s: %s\n", dir,
			strerror(errno));
		failures++;
		return;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		if (names[i]->d_name[0] != '.' &&
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     names[i]->d_name) < sizeof(path) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode))
			replay_file(path);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/');
	struct stat st;

	name = name ? name + 1 : argv[0];
	if (strncmp(name, "replay_", 7) == 0)
		name += 7;
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE-OR-DIRECTORY...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			replay_dir(argv[i]);
		else
			replay_file(argv[i]);
	}
	/* An empty corpus replays nothing: that is a failure too. */
	if (!inputs)
		failures++;
	printf("fuzz replay %s: %lu inputs, %lu failures\n", name, inputs,
	       failures);
	return failures ? 1 : 0;
}
