#!/bin/sh
# Install into a scratch DESTDIR, build a program outside the tree with
# pkg-config alone, run it against the installed shared library, then
# check that uninstall removes exactly what install put there.
set -eu
top=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=/usr/local
make -s -C "$top" install DESTDIR="$tmp/root" PREFIX=$prefix >/dev/null
export PKG_CONFIG_PATH="$tmp/root$prefix/lib/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$tmp/root"
cat >"$tmp/app.c" <<'APP'
#include <portpool.h>
#include <stdio.h>

int main(void)
{
	struct portpool_config *cfg = portpool_config_new();
	struct portpool *pool;

	portpool_config_set_size(cfg, 16);
	pool = portpool_open(cfg);
	portpool_config_free(cfg);
	if (!pool) {
		fprintf(stderr, "%s\n", portpool_error());
		return 1;
	}
	printf("%zu\n", portpool_size(pool));
	portpool_close(pool);
	return 0;
}
APP
cc -Wall -Wextra -Werror -o "$tmp/app" "$tmp/app.c" \
	$(pkg-config --cflags --libs libportpool)
out=$(LD_LIBRARY_PATH="$tmp/root$prefix/lib" unshare -n "$tmp/app")
[ "$out" = 16 ] || { echo "installed library: app printed '$out'" >&2; exit 1; }
LD_LIBRARY_PATH="$tmp/root$prefix/lib" ldd "$tmp/app" | grep -q "$tmp/root$prefix/lib/libportpool.so.1" || {
	echo "app is not linked against the installed libportpool.so.1" >&2
	exit 1
}
for alias in portpool_close.3 portpool_release_port.3 portpool_error.3; do
	[ -e "$tmp/root$prefix/share/man/man3/$alias" ] || {
		echo "man page alias $alias not installed" >&2
		exit 1
	}
done
make -s -C "$top" uninstall DESTDIR="$tmp/root" PREFIX=$prefix >/dev/null
left=$(find "$tmp/root" -type f -o -type l)
if [ -n "$left" ]; then
	echo "uninstall left files behind:" >&2
	echo "$left" >&2
	exit 1
fi
echo "install: pkg-config build and run OK, uninstall removed everything"
