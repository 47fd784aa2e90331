#!/bin/sh
# Install as a package build does (DESTDIR, prefix=/usr), build a program
# outside the tree with pkg-config alone, run it against the installed
# shared library, then check that uninstall leaves the DESTDIR tree empty:
# no file, no link, no directory.  As an ordinary user the program runs
# in a user + network namespace (unshare -rn), as root in unshare -n.
set -eu
top=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=/usr
root=$tmp/root
ns=-n
[ "$(id -u)" = 0 ] || ns=-rn
make -s -C "$top" install DESTDIR="$root" prefix=$prefix >/dev/null
[ -d "$root$prefix/lib" ] && [ ! -e "$root/usr/local" ] || {
	echo "install with prefix=$prefix did not install under $root$prefix" >&2
	exit 1
}
grep -q '^exec_prefix=/usr$' "$root$prefix/lib/pkgconfig/libportpool.pc" &&
grep -q '^URL: ' "$root$prefix/lib/pkgconfig/libportpool.pc" || {
	echo "libportpool.pc lacks exec_prefix=$prefix or URL:" >&2
	exit 1
}
export PKG_CONFIG_PATH="$root$prefix/lib/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$root"
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
# shellcheck disable=SC2046
cc -Wall -Wextra -Werror -o "$tmp/app" "$tmp/app.c" \
	$(pkg-config --cflags --libs libportpool)
out=$(LD_LIBRARY_PATH="$root$prefix/lib" unshare $ns "$tmp/app")
[ "$out" = 16 ] || { echo "installed library: app printed '$out'" >&2; exit 1; }
LD_LIBRARY_PATH="$root$prefix/lib" ldd "$tmp/app" | grep -q "$root$prefix/lib/libportpool.so.1" || {
	echo "app is not linked against the installed libportpool.so.1" >&2
	exit 1
}
for alias in portpool_close.3 portpool_release_port.3 portpool_error.3; do
	[ -e "$root$prefix/share/man/man3/$alias" ] || {
		echo "man page alias $alias not installed" >&2
		exit 1
	}
done
# Every page is installed in its section, every tool and the sample policy.
for page in "$top"/man/*.[358]; do
	sec=${page##*.}
	[ -f "$root$prefix/share/man/man$sec/${page##*/}" ] || {
		echo "man page ${page##*/} not installed in man$sec" >&2
		exit 1
	}
done
tools=$(make -s -C "$top" -f Makefile -f - print-tools <<'MK'
print-tools: ; @echo $(TOOLS)
MK
)
for tool in $tools; do
	[ -x "$root$prefix/sbin/$tool" ] || {
		echo "tool $tool not installed in $prefix/sbin" >&2
		exit 1
	}
done
# The preload shim beside the library; the guard's unit with the guard,
# naming where the guard was installed.
[ -x "$root$prefix/lib/libportpool-preload.so" ] || {
	echo "libportpool-preload.so not installed in $prefix/lib" >&2
	exit 1
}
case " $tools " in
*" portpool-guard "*)
	unit=$root$prefix/lib/systemd/system/portpool-guard.service
	grep -q "^ExecStart=$prefix/sbin/portpool-guard" "$unit" || {
		echo "portpool-guard.service not installed, or not naming" \
		     "$prefix/sbin/portpool-guard" >&2
		exit 1
	} ;;
esac
if [ -f "$top/examples/portpool.conf" ]; then
	[ -f "$root$prefix/share/doc/libportpool/examples/portpool.conf" ] || {
		echo "examples/portpool.conf not installed in the docdir" >&2
		exit 1
	}
fi
make -s -C "$top" uninstall DESTDIR="$root" prefix=$prefix >/dev/null
left=$(find "$root" -mindepth 0 2>/dev/null || :)
if [ -n "$left" ]; then
	echo "uninstall left behind:" >&2
	echo "$left" >&2
	exit 1
fi
echo "install: DESTDIR prefix=$prefix, pkg-config build and run OK;" \
     "uninstall left an empty tree"
