#!/bin/sh
# A pristine Debian 12 (bookworm) minbase root, unpacked fresh for each use
# and entered by pivot_root in private mount and PID namespaces: what CI's
# "fresh machine" and "package build" steps run in (.ci/run).  As root.
#
#   pristine-root.sh create DIR
#       Unpack a fresh copy of the pristine root into DIR (absent or empty).
#   pristine-root.sh run [-n] [-u USER] [-w WORKDIR] [-e VAR=VALUE]... \
#                        DIR CMD [ARG...]
#       Run CMD inside the root DIR, as root, or with -u as USER (an
#       ordinary account, made in the root on first use), in WORKDIR (the
#       user's home by default).  -n: in a network namespace of its own,
#       with only lo (no route out: checked).  The environment is a login's
#       (PATH, HOME, USER, LOGNAME, LANG=C.UTF-8) and each -e, nothing of
#       the caller's (not even CI).  Exits with CMD's status.  Every
#       process CMD leaves behind ends with its PID namespace, every mount
#       with its mount namespace: the host's mount table never changes.
#   pristine-root.sh destroy DIR
#       Remove an unpacked root.
#   pristine-root.sh tarball
#       Print the path of the cached pristine root, after making it when it
#       is missing or older than PRISTINE_MAX_AGE days (default 7).
#
# The pristine root is made once by mmdebstrap (test/deps.sh pristine)
# from this machine's own apt sources (the bookworm, bookworm-updates and
# bookworm-security entries of /etc/apt/sources.list and sources.list.d,
# one-line or deb822), which also become the sources of the root.  It is
# cached as a tarball in PRISTINE_CACHE (default /var/cache/portpool-ci),
# and never changed after: each use unpacks a new copy.  Downloaded .deb
# files are not state of a root: create links those of PRISTINE_CACHE/
# archives into the root's /var/cache/apt/archives, destroy links the new
# ones back, so that a package is fetched once, not once a run (a copy
# each, not one shared directory: two roots' apt would fight over its lock).
#
# Inside the root: /proc and /sys of its own namespaces, cgroup2 on
# /sys/fs/cgroup, a /dev with null, zero, full, random, urandom, tty, a
# private devpts and /dev/shm, tmpfs on /run and /tmp, the host's
# resolv.conf and a plain /etc/hosts.  User namespaces work there (they do
# not in a chroot), so the tests that use them run as on a real machine.
set -eu
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
cache=${PRISTINE_CACHE:-/var/cache/portpool-ci}
max_age=${PRISTINE_MAX_AGE:-7}
tarball=$cache/bookworm-minbase.tar
me=pristine-root.sh

die() { echo "$me: $*" >&2; exit 1; }
usage() {
	echo "usage: $me create DIR | run [-n] [-u USER] [-w WORKDIR]" \
	     "[-e VAR=VALUE]... DIR CMD [ARG...] | destroy DIR | tarball" >&2
	exit 2
}

# One "deb URI SUITE main" line per bookworm, bookworm-updates and
# bookworm-security entry of the machine's apt sources, both formats.
apt_sources() {
	{
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
			awk '$1 == "deb" { print "deb", $2, $3 }'
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
		function flush(  u, s, nu, ns, i, j, us, ss) {
			if (types ~ /(^| )deb( |$)/ && enabled !~ /^no$/) {
				nu = split(uris, us, " ")
				ns = split(suites, ss, " ")
				for (i = 1; i <= nu; i++)
					for (j = 1; j <= ns; j++)
						print "deb", us[i], ss[j]
			}
			types = uris = suites = enabled = ""
		}
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		{
			key = tolower($1); sub(/:$/, "", key)
			val = $0; sub(/^[^:]*:[ \t]*/, "", val)
			if (key == "types") types = val
			else if (key == "uris") uris = val
			else if (key == "suites") suites = val
			else if (key == "enabled") enabled = tolower(val)
		}
		END { flush() }' "$f"
	done
	} | awk '$3 ~ /^bookworm(-updates|-security)?$/ && !seen[$0]++ {
		print $0, "main" }'
}

make_tarball() {
	command -v mmdebstrap >/dev/null ||
		die "mmdebstrap is missing: sh test/deps.sh pristine"
	sources=$(apt_sources)
	printf '%s\n' "$sources" | grep -q ' bookworm main$' ||
		die "no bookworm entry in this machine's apt sources"
	mkdir -p "$cache"
	tmp=$tarball.new.$$
	echo "$me: making the pristine root (mmdebstrap, minbase) from:" >&2
	printf '%s\n' "$sources" | sed 's/^/  /' >&2
	# One argument per sources line; they become the root's sources.list.
	# An https mirror needs the CA certificates in the root.
	set --
	case $sources in
	*https:*) set -- --include=ca-certificates ;;
	esac
	while IFS= read -r line; do set -- "$@" "$line"; done <<EOF
$sources
EOF
	if ! mmdebstrap --quiet --variant=minbase --mode=root \
	     --format=tar bookworm "$tmp" "$@" >&2; then
		rm -f "$tmp"
		die "mmdebstrap failed"
	fi
	mv "$tmp" "$tarball"
}

# The cached tarball, made when missing or stale; flock, so that two runs
# never make it at once.
cmd_tarball() {
	mkdir -p "$cache"
	exec 9>"$cache/.lock"
	flock 9
	if [ ! -s "$tarball" ] ||
	   [ -n "$(find "$tarball" -mtime +"$max_age" 2>/dev/null)" ]; then
		make_tarball
		# Superseded versions pile up: keep a month of downloads.
		find "$cache/archives" -name '*.deb' -mtime +30 -delete \
			2>/dev/null || true
	fi
	exec 9>&-
	echo "$tarball"
}

# An unpacked root, and nothing else: refuse anything that does not look
# like one, so that destroy and run never act on the wrong directory.
check_root() {
	[ -d "$1" ] || die "$1: no such directory"
	r=$(cd "$1" && pwd -P)
	[ "$r" != / ] && [ -f "$r/etc/debian_version" ] &&
		[ -x "$r/usr/bin/apt-get" ] ||
		die "$1: not a root made by $me create"
}

cmd_create() {
	[ $# -eq 1 ] || usage
	t=$(cmd_tarball)
	mkdir -p "$1"
	[ -z "$(ls -A "$1")" ] || die "$1: not empty"
	tar -xpf "$t" -C "$1" --numeric-owner
	r=$(cd "$1" && pwd -P)
	share_debs "$cache/archives" "$r/var/cache/apt/archives"
	# What apt needs on this network: the host's resolver, localhost.
	rm -f "$r/etc/resolv.conf"
	cat /etc/resolv.conf >"$r/etc/resolv.conf"
	printf '%s\tlocalhost\n' 127.0.0.1 >"$r/etc/hosts"
	printf '%s\tlocalhost ip6-localhost ip6-loopback\n' ::1 >>"$r/etc/hosts"
}

# share_debs FROM TO: link (or copy) each .deb of FROM that TO lacks.
share_debs() {
	mkdir -p "$2"
	for d in "$1"/*.deb; do
		[ -f "$d" ] && [ ! -e "$2/${d##*/}" ] || continue
		ln "$d" "$2/${d##*/}" 2>/dev/null ||
			{ cp "$d" "$2/.${d##*/}" &&
			  mv "$2/.${d##*/}" "$2/${d##*/}"; }
	done
}

cmd_destroy() {
	[ $# -eq 1 ] || usage
	[ -e "$1" ] || return 0
	check_root "$1"
	share_debs "$r/var/cache/apt/archives" "$cache/archives"
	rm -rf --one-file-system "$r"
}

# Runs in the new mount, PID (and with -n network) namespaces, still on the
# host's files: mount what the root needs below it, pivot into it, drop the
# old root, and run the command from the root's own files.  As PID 1 it
# waits for the command; when it exits, the kernel ends whatever is left.
stage2='
set -eu
r=$1; net=$2; user=$3; workdir=$4; shift 4
if [ "$net" = none ]; then
	ip link set lo up
	if ip route get 192.0.2.1 >/dev/null 2>&1 ||
	   ip -6 route get 2001:db8::1 >/dev/null 2>&1; then
		echo "pristine-root.sh: -n, yet a route out exists" >&2
		exit 1
	fi
fi
mount --bind "$r" "$r"
cd "$r"
mount -t proc -o nosuid,nodev,noexec proc proc
mount -t sysfs -o nosuid,nodev,noexec sysfs sys
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 sys/fs/cgroup
mount -t tmpfs -o nosuid,mode=755 dev dev
for n in null zero full random urandom tty; do
	: >"dev/$n"
	mount --bind "/dev/$n" "dev/$n"
done
mkdir dev/pts dev/shm
mount -t devpts -o newinstance,nosuid,noexec,gid=5,mode=620,ptmxmode=666 \
	devpts dev/pts
ln -s pts/ptmx dev/ptmx
ln -s /proc/self/fd dev/fd
ln -s /proc/self/fd/0 dev/stdin
ln -s /proc/self/fd/1 dev/stdout
ln -s /proc/self/fd/2 dev/stderr
mount -t tmpfs -o nosuid,nodev,mode=1777 shm dev/shm
mount -t tmpfs -o nosuid,nodev,mode=755 run run
mkdir -m 1777 run/lock
mount -t tmpfs -o nosuid,nodev,mode=1777 tmp tmp
pivot_root . mnt
cd /
umount -l /mnt
if [ -n "$user" ]; then
	if ! getent passwd "$user" >/dev/null; then
		useradd --create-home --user-group --shell /bin/bash "$user"
	fi
	home=$(getent passwd "$user" | cut -d: -f6)
	set -- setpriv --reuid="$user" --regid="$user" --init-groups \
		env -i HOME="$home" USER="$user" LOGNAME="$user" \
		PATH=/usr/local/bin:/usr/bin:/bin "$@"
else
	home=/root
	p=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	set -- env -i HOME=/root USER=root LOGNAME=root PATH=$p "$@"
fi
cd "${workdir:-$home}"
"$@" && rc=0 || rc=$?
exit $rc
'

cmd_run() {
	net=host user= workdir= extra=
	while getopts nu:w:e: opt; do
		case $opt in
		n) net=none ;;
		u) user=$OPTARG ;;
		w) workdir=$OPTARG ;;
		e) case $OPTARG in
		   [A-Za-z_]*=*) ;;
		   *) die "-e $OPTARG: not VAR=VALUE" ;;
		   esac
		   extra="$extra$OPTARG
" ;;
		*) usage ;;
		esac
	done
	shift $((OPTIND - 1))
	[ $# -ge 2 ] || usage
	check_root "$1"
	shift
	# The command's environment: LANG, then each -e, in env's
	# VAR=VALUE arguments before the command.
	n=$#
	set -- "$@" LANG=C.UTF-8
	if [ -n "$extra" ]; then
		while IFS= read -r kv; do
			[ -z "$kv" ] || set -- "$@" "$kv"
		done <<EOF
$extra
EOF
	fi
	# Rotate: the VAR=VALUE arguments first, then the command.
	i=0
	while [ $i -lt "$n" ]; do
		a=$1
		shift
		set -- "$@" "$a"
		i=$((i + 1))
	done
	nsopt=
	[ "$net" = host ] || nsopt=--net
	unshare --mount --propagation private --pid --fork --kill-child \
		$nsopt sh -c "$stage2" stage2 \
		"$r" "$net" "$user" "$workdir" "$@"
}

[ "$(id -u)" = 0 ] || die "needs root (mount, pivot_root, namespaces)"
[ $# -ge 1 ] || usage
sub=$1
shift
case $sub in
create) cmd_create "$@" ;;
run) cmd_run "$@" ;;
destroy) cmd_destroy "$@" ;;
tarball) [ $# -eq 0 ] || usage; cmd_tarball ;;
*) usage ;;
esac
