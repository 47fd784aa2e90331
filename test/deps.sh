#!/bin/sh
# Install what the checks use, when it is missing, from Debian.  As root it
# runs apt-get.  As an ordinary user it never does, nor in a package build
# (DEB_BUILD_ARCH set) or with PORTPOOL_CHECK_NO_HOST=1, even as root: it
# names the missing packages in one line and exits 77 (the checks that
# need them skip), or 1 under CI=true, where a skip is a failure.
#   deps.sh [GROUP...]   make check's packages, and those of each GROUP:
#     hardening   clang and its sanitizer runtimes, valgrind, cppcheck,
#                 clang-tidy (CI's hardening runs)
#     daemons     the real resolvers and tools the end-to-end tests drive,
#                 and systemd's systemd-analyze (admin-e2e verifies the
#                 emitted SocketBindDeny= lines with it)
#     guard       clang, libbpf and bpftool, to build portpool-guard;
#                 systemd-analyze, to verify the drop-ins it writes
#     deb         dpkg-dev, debhelper and lintian for make deb; with guard
#                 and daemons, every Build-Depends of distro/debian
#     abi         libabigail's abidw and abidiff
#     metrics     promtool, node_exporter, xmllint, Chromium and curl, for
#                 --metrics and --svg (test/metrics-e2e.sh)
#     dnsmasq-build what contrib/dnsmasq/build.sh needs to fetch, patch
#                 and build Debian's dnsmasq source
#     pristine    mmdebstrap, for test/pristine-root.sh (CI's fresh-machine
#                 and package-build steps)
#
# Debian starts and enables a daemon's service when it is installed.  The
# tests run the daemons themselves, in namespaces, so the install must
# leave the host as it was: a policy-rc.d keeps every service from
# starting, and the unit links the install made (enabling) are removed.
# The daemons and bpftool live in /usr/sbin, which an ordinary user's PATH
# may lack: look there too, or they would be named missing when installed.
PATH=$PATH:/usr/sbin:/sbin
missing=
need() {	# need PACKAGE TEST...
	pkg=$1
	shift
	"$@" >/dev/null 2>&1 || missing="$missing $pkg"
}
need libcmocka-dev test -f /usr/include/cmocka.h
need pkg-config command -v pkg-config
need mandoc command -v mandoc
groups=$*
case " $groups " in
*" deb "*) groups="$groups guard daemons metrics" ;;
esac
for group in $groups; do
	case $group in
	hardening)
		need clang command -v clang
		need libclang-rt-14-dev test -f /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.asan-x86_64.a
		need valgrind command -v valgrind
		need cppcheck command -v cppcheck
		need clang-tidy command -v clang-tidy ;;
	daemons)
		need unbound command -v unbound
		need bind9 test -x /usr/sbin/named
		need bind9-utils command -v named-checkconf
		need bind9-dnsutils command -v dig
		need pdns-recursor test -x /usr/sbin/pdns_recursor
		need dnsmasq test -x /usr/sbin/dnsmasq
		need strongswan-charon test -x /usr/lib/ipsec/charon
		need socat command -v socat
		need tcpdump command -v tcpdump
		need iproute2 command -v ss
		need procps command -v pgrep
		need systemd command -v systemd-analyze
		need python3 command -v python3 ;;
	guard)
		need clang command -v clang
		need llvm command -v llvm-strip
		need libbpf-dev test -f /usr/include/bpf/libbpf.h
		need bpftool command -v bpftool
		need systemd command -v systemd-analyze ;;
	abi)
		need abigail-tools command -v abidiff ;;
	metrics)
		need prometheus command -v promtool
		need prometheus-node-exporter command -v prometheus-node-exporter
		need libxml2-utils command -v xmllint
		need chromium command -v chromium
		need curl command -v curl
		need systemd command -v systemd-analyze
		need iproute2 command -v ip
		need python3 command -v python3 ;;
	dnsmasq-build)
		need gcc command -v gcc
		need make command -v make
		need dpkg-dev command -v dpkg-source
		need patch command -v patch
		need xz-utils command -v xz ;;
	deb)
		need dpkg-dev command -v dpkg-buildpackage
		need debhelper command -v dh
		need lintian command -v lintian ;;
	pristine)
		need mmdebstrap command -v mmdebstrap ;;
	*)
		echo "deps.sh: unknown group \"$group\": known are hardening," \
		     "daemons, guard, abi, metrics, dnsmasq-build, deb," \
		     "pristine" >&2
		exit 2 ;;
	esac
done
[ -n "$missing" ] || exit 0
cmd="apt-get install -y --no-install-recommends$missing"
why=
if [ "$(id -u)" != 0 ]; then
	why="not root"
elif [ -n "${DEB_BUILD_ARCH:-}" ]; then
	why="a package build (DEB_BUILD_ARCH) installs nothing"
elif [ "${PORTPOOL_CHECK_NO_HOST:-}" = 1 ]; then
	why="PORTPOOL_CHECK_NO_HOST=1 installs nothing"
fi
if [ -n "$why" ]; then
	echo "deps.sh: $why, skipping what needs these packages:$missing" \
	     "(as root: $cmd)" >&2
	[ "${CI:-}" = true ] && exit 1
	exit 77
fi

echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
units=$(mktemp) || exit 1
rcd=/usr/sbin/policy-rc.d
made_rcd=
if [ ! -e $rcd ]; then
	printf '#!/bin/sh\n# portpool tests: start no service on install\nexit 101\n' >$rcd
	chmod 755 $rcd
	made_rcd=1
fi
find /etc/systemd/system -type l 2>/dev/null | sort >"$units"
apt-get update -qq >/dev/null && $cmd >/dev/null
rc=$?
# Undo enabling: remove exactly the unit links that the install added.
find /etc/systemd/system -type l 2>/dev/null | sort | comm -13 "$units" - |
	while read -r link; do rm -f "$link"; done
rm -f "$units"
[ -z "$made_rcd" ] || rm -f $rcd
if [ $rc -ne 0 ]; then
	echo "apt-get could not install:$missing" >&2
	exit 1
fi
