#!/bin/sh
# Install as a package build does (DESTDIR, prefix=/usr), build a program
# outside the tree with pkg-config alone, run it against the installed
# shared library, then check that uninstall leaves the DESTDIR tree empty:
# no file, no link, no directory.  As an ordinary user the program runs
# in a user + network namespace (unshare -rn), as root in unshare -n;
# where none can be made (no user namespaces), that run is left out with
# one line saying why, and the rest is checked (under CI=true it fails).
# The make it runs does not depend on the make that runs it: MAKEFLAGS
# and MAKELEVEL are dropped, the build directory is the argument.  The
# installed tools must need libportpool.so.1 and find the installed one;
# with TOOLS_STATIC=1 in the environment (make check passes the make's),
# they must need no libportpool at all.
# usage: [TOOLS_STATIC=1] check-install.sh [BUILD-DIR]
set -eu
top=$(pwd)
B=${1:-build}
static=${TOOLS_STATIC:-}
unset MAKEFLAGS MFLAGS MAKELEVEL TOOLS_STATIC
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=/usr
root=$tmp/root
ns=-n
[ "$(id -u)" = 0 ] || ns=-rn
mk() {	# the make of this check, whatever pkg-config is told below
	env -u PKG_CONFIG_PATH -u PKG_CONFIG_SYSROOT_DIR \
		make -s --no-print-directory -C "$top" "B=$B" prefix=$prefix \
		TOOLS_STATIC="$static" "$@"
}
mk install DESTDIR="$root" >/dev/null
vars=$(mk -f Makefile -f - print-vars <<'MK'
print-vars: ; @echo $(systemdunitdir) $(TOOLS)
MK
)
unitdir=${vars%% *} tools=${vars#* }
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
ran="build and run OK"
if unshare $ns true 2>/dev/null; then
	out=$(LD_LIBRARY_PATH="$root$prefix/lib" unshare $ns "$tmp/app")
	[ "$out" = 16 ] || {
		echo "installed library: app printed '$out'" >&2
		exit 1
	}
elif [ "${CI:-}" = true ]; then
	echo "install: cannot make a namespace (unshare $ns) to open a pool" \
	     "in, under CI=true" >&2
	exit 1
else
	echo "install: skipped opening a pool with the installed library:" \
	     "cannot make a namespace (unshare $ns)"
	ran="build OK, run left out (no namespace)"
fi
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
# Every tool, linked to the installed libportpool.so.1 (TOOLS_STATIC=1:
# to no libportpool) and searching no build tree (no RUNPATH):
# portpool-info answers from the installed copy.
for tool in $tools; do
	bin=$root$prefix/sbin/$tool
	[ -x "$bin" ] || {
		echo "tool $tool not installed in $prefix/sbin" >&2
		exit 1
	}
	if readelf -d "$bin" | grep -q 'R.*PATH'; then
		echo "installed $tool has an RPATH or RUNPATH:" \
		     "$(readelf -d "$bin" | grep 'R.*PATH')" >&2
		exit 1
	fi
	needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
		tr '\n' ' ')
	if [ "$static" = 1 ]; then
		case " $needed" in *" libportpool"*)
			echo "installed $tool needs a libportpool under" \
			     "TOOLS_STATIC=1: $needed" >&2
			exit 1 ;;
		esac
		continue
	fi
	case " $needed" in *" libportpool.so.1 "*) ;; *)
		echo "installed $tool does not need libportpool.so.1" \
		     "(NEEDED: $needed)" >&2
		exit 1 ;;
	esac
	LD_LIBRARY_PATH="$root$prefix/lib" ldd "$bin" |
		grep -q "$root$prefix/lib/libportpool.so.1" || {
		echo "installed $tool does not use the installed" \
		     "libportpool.so.1" >&2
		exit 1
	}
done
case " $tools " in
*" portpool-info "*)
	LD_LIBRARY_PATH="$root$prefix/lib" "$root$prefix/sbin/portpool-info" \
		--max-user-port 5000 --port 4500 >"$tmp/info" 2>&1 &&
	grep -q '^port 4500 is never bound' "$tmp/info" || {
		echo "installed portpool-info --port 4500: $(tail -n 1 "$tmp/info")" >&2
		exit 1
	} ;;
esac
# The preload shim in its own directory, and its page naming it there;
# the guard's unit with the guard, naming where the guard was installed.
shim=$prefix/lib/portpool/libportpool-preload.so
[ -f "$root$shim" ] || {
	echo "libportpool-preload.so not installed as $shim" >&2
	exit 1
}
page=$root$prefix/share/man/man8/libportpool-preload.8
grep -q "^LD_PRELOAD='$shim' " "$page" || {
	echo "the installed libportpool-preload(8) does not name $shim" >&2
	exit 1
}
case " $tools " in
*" portpool-guard "*)
	unit=$root$unitdir/portpool-guard.service
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
mk uninstall DESTDIR="$root" >/dev/null
left=$(find "$root" -mindepth 0 2>/dev/null || :)
if [ -n "$left" ]; then
	echo "uninstall left behind:" >&2
	echo "$left" >&2
	exit 1
fi
linked="on libportpool.so.1"
[ "$static" != 1 ] || linked="static (TOOLS_STATIC=1)"
echo "install: DESTDIR prefix=$prefix, pkg-config $ran, tools" \
     "($tools) $linked; uninstall left an empty tree"
