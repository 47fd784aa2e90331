# SPDX-License-Identifier: ISC
#
# Shared by the end-to-end scripts (test/*e2e.sh), sourced twice:
#   on the host, after `cd` to the top of the tree: result, finish,
#   e2e_tmp, netns, build, scenario;
#   inside a scenario's namespace, by the scenario script: cleanup,
#   verdict, wait_for, udp_bound, now_ms (pids lists what to end);
#   by the guard's scripts, on the host as root: skip, need_root,
#   cgroot, host_tmp, at_exit, own_bpffs, own_cgroup (what they make on
#   the host is undone on any exit, a signal's too).
# Sourcing it only defines functions and zeroes the counters.

passed=0
failed=0
pids=
broken=
e2e_exit_cmds=
e2e_cgroups=
e2e_mounts=
e2e_dirs=

# result PASS|FAIL|SKIP NAME REASON...: one line, counted.  A skip is a
# failure under CI=true.  E2E_SEP (default ":") follows the name.
result() {
	status=$1 name=$2
	shift 2
	case $status in
	PASS) passed=$((passed + 1)) ;;
	FAIL) failed=$((failed + 1)) ;;
	SKIP)
		if [ "${CI:-}" = true ]; then
			status=FAIL
			set -- "$* (a skip is a failure under CI)"
			failed=$((failed + 1))
		fi ;;
	esac
	# printf, not echo: a detail may hold a backslash (an escaped name).
	printf '%s\n' "$status $name${E2E_SEP-:} $*"
}

# finish NAME: the summary line; exit 0 iff nothing failed.
finish() {
	echo "$1: $passed passed, $failed failed"
	[ "$failed" -eq 0 ] && exit 0
	exit 1
}

# e2e_tmp NAME: TMP, a fresh directory removed on exit (kept, and said
# so, with E2E_KEEP=1, to look at the logs); E2E_LIB, this file, for the
# scenario scripts to source.
e2e_tmp() {
	TMP=$(mktemp -d "/tmp/portpool-$1.XXXXXX") || exit 1
	E2E_LIB=$(pwd)/test/e2e-lib.sh
	export E2E_LIB
	e2e_trap "$TMP"
}

# e2e_trap DIR: on any exit (INT, TERM and HUP exit 1), e2e_exit; DIR is
# removed last.
e2e_trap() {
	e2e_dirs="$1
$e2e_dirs"
	trap e2e_exit EXIT
	trap 'exit 1' INT TERM HUP
}

# e2e_exit: undo what the script made, in this order: the at_exit
# commands (ending processes by PID, unloading the guard), the cgroups
# (latest first, each deepest first, the processes left in them ended),
# the bpffs mounts, the directories (kept, and said so, with E2E_KEEP=1).
# Lists are one item a line: a cgroup's name may hold a tab or a space.
e2e_exit() {
	trap "" INT TERM HUP
	eval "$e2e_exit_cmds"
	e2e_ifs=$IFS
	IFS='
'
	for cg in $e2e_cgroups; do
		for d in $(find "$cg" -depth -type d 2>/dev/null); do
			for p in $(cat "$d/cgroup.procs" 2>/dev/null); do
				kill -9 "$p" 2>/dev/null
			done
			n=0
			while [ -d "$d" ] && ! rmdir "$d" 2>/dev/null &&
			      [ $n -lt 20 ]; do
				n=$((n + 1)); sleep 0.1
			done
		done
	done
	for m in $e2e_mounts; do
		umount "$m" 2>/dev/null
	done
	for d in $e2e_dirs; do
		if [ -n "${E2E_KEEP:-}" ]; then
			echo "kept $d"
		elif grep -q " $d/" /proc/mounts; then
			echo "left $d: something is still mounted in it"
		else
			rm -rf "$d"
		fi
	done
	IFS=$e2e_ifs
}

# netns: NS, the unshare options for a network namespace: -n as root; as
# an ordinary user -rn, a user namespace in which we are root around the
# network one (the daemons must not switch user).  If none can be made,
# can_run (when still empty) says so.
netns() {
	if [ "$(id -u)" = 0 ]; then
		NS=-n
	else
		NS=-rn
	fi
	[ -z "$can_run" ] || return 0
	if ! command -v unshare >/dev/null 2>&1 ||
	   ! unshare $NS true 2>/dev/null; then
		can_run="cannot make a network namespace (unshare $NS)"
	fi
}

# build: make all in $B.  A build that fails is a failure of every
# scenario, never a skip, whatever else stopped the run: broken says why,
# and scenario reports FAIL.
build() {
	make -s "B=$B" all >"$TMP/make.log" 2>&1 ||
		broken="make failed: $(tail -n 1 "$TMP/make.log")"
}

# scenario NAME SCRIPT LIMIT NEED ARGS...: run SCRIPT in a fresh network
# namespace with lo up, at most LIMIT s, if the tools NEED names are
# there; the script gets its directory $TMP/NAME, then ARGS.  The
# script's last line is its verdict: "PASS|FAIL|SKIP reason".
scenario() {
	name=$1 script=$2 limit=$3 need=$4
	shift 4
	if [ -n "${broken:-}" ]; then
		result FAIL "$name" "$broken"
		return
	fi
	if [ -n "$can_run" ]; then
		result SKIP "$name" "$can_run"
		return
	fi
	for tool in $need; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			result SKIP "$name" "$tool is not installed"
			return
		fi
	done
	dir=$TMP/$name
	mkdir -p "$dir"
	# timeout signals its whole process group: background daemons too.
	# shellcheck disable=SC2016
	timeout -k 3 "$limit" unshare $NS sh -c \
		'ip link set lo up && s=$1 && shift && . "$s"' \
		sh "$script" "$dir" "$@" >"$dir/out" 2>&1
	rc=$?
	verdict=$(grep -E '^(PASS|FAIL|SKIP) ' "$dir/out" | tail -n 1)
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		result FAIL "$name" "timed out after ${limit}s" \
		       "(last: $(tail -n 1 "$dir/out"))"
	elif [ -z "$verdict" ]; then
		result FAIL "$name" "no verdict, exit $rc:" \
		       "$(tail -n 1 "$dir/out")"
	else
		result "${verdict%% *}" "$name" "${verdict#* }"
	fi
}

# In a namespace: end (and reap) every process in pids.
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
	pids=
}

# verdict PASS|FAIL|SKIP reason...: the scenario's last line, after
# cleanup.
verdict() {
	cleanup
	echo "$*"
	exit 0
}

# wait_for FILE REGEX TENTHS: until FILE has a line matching REGEX.
wait_for() {
	n=0
	while ! grep -qE "$2" "$1" 2>/dev/null; do
		n=$((n + 1))
		[ "$n" -gt "$3" ] && return 1
		sleep 0.1
	done
	return 0
}

# udp_bound PORT: something listens on UDP PORT.
udp_bound() {
	ss -Hulnp "sport = :$1" 2>/dev/null | grep -q .
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# socat_binds PORT START LOG: socat tries to bind UDP PORT again and again
# until it holds it, for at most 1 s after START (now_ms).  Then socat is
# left holding it, its pid in socat_pid and in pids, and bound is the ms
# it took; if it never could, bound is empty and LOG has socat's last
# error.
socat_binds() {
	bound= socat_pid=
	while [ $(($(now_ms) - $2)) -lt 1000 ]; do
		socat -u UDP4-RECV:"$1" /dev/null 2>"$3" &
		socat_pid=$!
		sleep 0.05
		if kill -0 "$socat_pid" 2>/dev/null; then
			pids="$pids $socat_pid"
			bound=$(($(now_ms) - $2))
			return 0
		fi
		wait "$socat_pid" 2>/dev/null
	done
	socat_pid=
	return 1
}

# sd_verify ARGS...: systemd-analyze verify ARGS, wherever the tests run.
# verify needs a /run/systemd it can create, which an ordinary user
# cannot where systemd is not running (a buildd chroot, a container, a
# pristine root): it runs in a mount namespace (inside a user namespace
# when we are not root in ours) with an empty /run of its own, which
# changes nothing it checks.
sd_verify() {
	if [ "$(id -u)" = 0 ]; then
		set -- unshare -m sh -c \
			'mount -t tmpfs tmpfs /run &&
			 exec systemd-analyze verify "$@"' sh "$@"
	else
		set -- unshare -rm sh -c \
			'mount -t tmpfs tmpfs /run &&
			 exec systemd-analyze verify "$@"' sh "$@"
	fi
	"$@"
}

# others_copy TOOL DIR: a copy of the built TOOL that another user can
# run (setpriv to uid 65534) even where the tree is not theirs to read
# (under /root, mode 700): DIR/tools/NAME, with the libportpool.so.1 its
# RUNPATH ($ORIGIN/..) finds in DIR.  DIR lies in the test's own
# temporary directory: the directories on the way there below /tmp, the
# test's and never the host's, are made searchable.  Prints the copy's
# path.
others_copy() {
	mkdir -p "$2/tools" &&
	cp "$1" "$2/tools/" &&
	cp -L "${1%/tools/*}/libportpool.so.1" "$2/" &&
	chmod -R a+rX "$2" || return 1
	d=${2%/*}
	while case $d in /tmp/?*) true ;; *) false ;; esac; do
		chmod o+x "$d" || return 1
		d=${d%/*}
	done
	echo "$2/tools/${1##*/}"
}

# ---- the guard's scripts, on the host, as root ----

# skip REASON...: this script cannot run here: exit 77 (make check
# counts it apart), or 1 under CI=true.
skip() {
	echo "$*"
	[ "${CI:-}" = true ] && { echo "(a skip is a failure under CI)"; exit 1; }
	exit 77
}

# need_root WHAT...: exit 77 with one line "needs root: WHAT" unless root.
need_root() {
	[ "$(id -u)" = 0 ] && return 0
	echo "needs root: $*"
	exit 77
}

# cgroot: CGROOT, where cgroup v2 is mounted; a skip without one.
cgroot() {
	CGROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	[ -n "$CGROOT" ] ||
		skip "needs cgroup v2: no cgroup2 mount in /proc/mounts"
}

# host_tmp PREFIX: TMP, a fresh directory /tmp/PREFIXxxxxxx (no dots: a
# libbpf pin path), tag its last part, for names of the test's own; it
# and all that at_exit, own_bpffs and own_cgroup add are undone on any
# exit (e2e_exit).
host_tmp() {
	TMP=$(mktemp -d "/tmp/$1XXXXXX") || exit 1
	tag=${TMP##*/}
	e2e_trap "$TMP"
}

# at_exit COMMAND: evaluated on exit, after those added before it.
at_exit() {
	e2e_exit_cmds="$e2e_exit_cmds
$1"
}

# own_bpffs DIR [MOUNT OPTIONS]: a bpffs of our own mounted on DIR (made
# here), unmounted on exit; false if it cannot be mounted.
own_bpffs() {
	e2e_d=$1
	shift
	mkdir -p "$e2e_d" || return 1
	e2e_mounts="$e2e_d
$e2e_mounts"
	mount -t bpf "$@" bpf "$e2e_d"
}

# own_cgroup PATH...: PATH is ours: removed on exit with every cgroup
# below it, its processes ended.  Made here with -m; a PATH made later
# (mkdir by the caller) is just added.
own_cgroup() {
	if [ "$1" = -m ]; then
		shift
		for e2e_d; do
			e2e_cgroups="$e2e_d
$e2e_cgroups"
		done
		mkdir "$@" || exit 1
		return
	fi
	for e2e_d; do
		e2e_cgroups="$e2e_d
$e2e_cgroups"
	done
}

# unbound_forwarder DIR: DIR/unbound.conf for an Unbound on 127.0.0.1:5300
# that forwards test. to the authority on 127.0.0.2:53 from the outgoing
# ports 4490-4510 alone, IANA's included (Unbound avoids those by
# default, 4500 among them), as the guard's scenarios drive it.
unbound_forwarder() {
	cat >"$1/unbound.conf" <<CONF
server:
	interface: 127.0.0.1
	port: 5300
	do-daemonize: no
	chroot: ""
	username: ""
	directory: "$1"
	pidfile: "$1/unbound.pid"
	logfile: ""
	use-syslog: no
	verbosity: 0
	num-threads: 1
	do-ip6: no
	access-control: 127.0.0.0/8 allow
	module-config: "iterator"
	outgoing-port-avoid: 0-65535
	outgoing-port-permit: 4490-4510
	local-zone: "test." nodefault
	do-not-query-localhost: no
	qname-minimisation: no
forward-zone:
	name: "test."
	forward-addr: 127.0.0.2@53
remote-control:
	control-enable: no
CONF
}
