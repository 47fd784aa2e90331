#!/bin/sh
# Install what the checks use, when it is missing, from Debian.  As root it
# runs apt-get; otherwise it prints the exact command and fails.
#   deps.sh              make check: cmocka, pkg-config, mandoc
#   deps.sh hardening    also clang and its sanitizer runtimes, valgrind,
#                        cppcheck, clang-tidy (CI's hardening runs)
missing=
need() {	# need PACKAGE TEST...
	pkg=$1
	shift
	"$@" >/dev/null 2>&1 || missing="$missing $pkg"
}
need libcmocka-dev test -f /usr/include/cmocka.h
need pkg-config command -v pkg-config
need mandoc command -v mandoc
if [ "${1:-}" = hardening ]; then
	need clang command -v clang
	need libclang-rt-14-dev test -f \
		/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.asan-x86_64.a
	need valgrind command -v valgrind
	need cppcheck command -v cppcheck
	need clang-tidy command -v clang-tidy
fi
[ -n "$missing" ] || exit 0
cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
	echo "these checks need:$missing" >&2
	echo "install them as root with: apt-get update && $cmd" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && $cmd >/dev/null || {
	echo "apt-get could not install:$missing" >&2
	exit 1
}
