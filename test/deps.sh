#!/bin/sh
# Install what the tests use, when it is missing: cmocka, pkg-config and
# mandoc from Debian.  As root it runs apt-get; otherwise it prints the
# exact command and fails.
missing=
[ -f /usr/include/cmocka.h ] || missing="$missing libcmocka-dev"
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
command -v mandoc >/dev/null 2>&1 || missing="$missing mandoc"
[ -n "$missing" ] || exit 0
cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
	echo "make check needs:$missing" >&2
	echo "install them as root with: apt-get update && $cmd" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && $cmd >/dev/null || {
	echo "apt-get could not install:$missing" >&2
	exit 1
}
