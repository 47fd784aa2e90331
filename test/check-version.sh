#!/bin/sh
# The version is set once, as VERSION in the Makefile; everything that
# repeats it must agree: the header's PORTPOOL_VERSION_*, the symbol
# map's newest node (LIBPORTPOOL_MAJOR.MINOR), the pkg-config file, the
# shared library's soname (libportpool.so.MAJOR) and portpool_version().
# usage: check-version.sh VERSION libportpool.so.X.Y.Z libportpool.pc
set -eu
version=$1 so=$2 pc=$3
major=${version%%.*}
rest=${version#*.}
minor=${rest%%.*}
patch=${rest#*.}
bad=0
complain() { echo "version: $*" >&2; bad=1; }

macro() {
	sed -n "s/^#define PORTPOOL_VERSION_$1[[:space:]]*\([0-9]*\)\$/\1/p" \
		include/portpool.h
}
h="$(macro MAJOR).$(macro MINOR).$(macro PATCH)"
[ "$h" = "$version" ] || complain "include/portpool.h says $h, Makefile $version"

node=$(sed -n 's/^\(LIBPORTPOOL_[0-9.]*\) {.*/\1/p' lib/libportpool.map |
	tail -n 1)
[ "$node" = "LIBPORTPOOL_$major.$minor" ] ||
	complain "lib/libportpool.map's newest node is $node, not LIBPORTPOOL_$major.$minor"

p=$(sed -n 's/^Version: //p' "$pc")
[ "$p" = "$version" ] || complain "$pc says $p, Makefile $version"

soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libportpool.so.$major" ] ||
	complain "$so has soname $soname, not libportpool.so.$major"

# The loaded library's own answer, through the exported symbol.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/v.c" <<'C'
#include <stdio.h>
#include "portpool.h"
int main(void) { puts(portpool_version()); return 0; }
C
${CC:-cc} -Iinclude -o "$tmp/v" "$tmp/v.c" "$so"
r=$(LD_LIBRARY_PATH="$(dirname "$so")" "$tmp/v")
[ "$r" = "$version" ] || complain "portpool_version() says $r, Makefile $version"

[ "$bad" -eq 0 ] || exit 1
echo "version: $version in Makefile, header, map ($node), pc, soname and portpool_version()"
