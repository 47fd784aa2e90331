#!/bin/sh
# SPDX-License-Identifier: ISC
#
# End to end for the whole-host guard: owners and network namespaces.
# A cgroup this script makes stands for the host (HOSTCG, the guard
# attached at its top, as "attach /sys/fs/cgroup" would be), another
# holds the same processes unguarded (PLAINCG, the negative controls).
# Everything runs in network namespace A, which the script made and gave
# to "load --netns"; its kernel list reserves 4505; the policy reserves
# 500 and 4500.  Namespace B (kernel list 4507) is not given at first.
#   charon       Debian's strongSwan charon, its config and /run in a
#                temporary directory, owns 500 and 4500: three starts in a
#                row, each in a cgroup made afresh and registered the way
#                the drop-in of "own --unit" does it (its ExecStartPre
#                line, run inside the new cgroup); it binds both ports,
#                IPv4 and IPv6, every time, and the drop-in passes
#                systemd-analyze verify
#   resolvers    dnsmasq (--min-port=4490 --max-port=4510) and Unbound in
#                sibling cgroups: every query answered, none from 4500 or
#                4505; unguarded (the control), both use 4500
#   first        a resolver holding 4500 first (dnsmasq --query-port):
#                unguarded charon cannot bind 4500 (the control); guarded,
#                the resolver is refused and charon binds it
#   plain        a plain program in a sibling cgroup: 4500 refused in A,
#                allowed in B, refused there once "sync --netns B" adds B;
#                each namespace's own kernel list applies in it only
#   remade       the owner cgroup removed and made again at its path: no
#                bind of 4500 there until it is registered; the old
#                registration dropped
#   subtree, owner file, status, gone namespace
# BPF objects are pinned on a private bpffs; cgroups, namespaces and
# processes are the script's own and removed after.  One line per
# check, then "owners-e2e: N passed, M failed".  Exit 77 (needs root)
# when not root; any other skip is exit 77, or 1 under CI=true.
#
# Usage: sh test/owners-e2e.sh      (B=dir picks the build directory)

cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
B=${B:-build}
QUERIES=${OWNERS_QUERIES:-1000}
CHARON=/usr/lib/ipsec/charon

. test/e2e-lib.sh
E2E_SEP=
need_root "BPF programs on cgroups (CAP_BPF, CAP_NET_ADMIN)"
PATH=$PATH:/usr/sbin:/sbin
export PATH
unshare -n true 2>/dev/null || skip "needs root: cannot make a network namespace"
cgroot
for t in unbound dnsmasq python3 nsenter ss systemd-analyze; do
	command -v $t >/dev/null 2>&1 ||
		skip "needs $t (sh test/deps.sh daemons guard)"
done
[ -x $CHARON ] || skip "needs $CHARON (sh test/deps.sh daemons)"
make -s B="$B" guard >/dev/null 2>&1
GUARD=$TOP/$B/tools/portpool-guard
[ -x "$GUARD" ] ||
	skip "needs clang, libbpf-dev, bpftool to build portpool-guard" \
	     "(sh test/deps.sh guard)"

E2E_KEEP=${E2E_KEEP:-${OWNERS_KEEP:-}}
host_tmp ppowners
HOSTCG=$CGROOT/$tag-host
PLAINCG=$CGROOT/$tag-plain
PIN=$TMP/bpf/pins
holders=
at_exit 'for p in $pids $holders; do kill "$p" 2>/dev/null; done'
at_exit '"$GUARD" --pin-dir "$PIN" unload >/dev/null 2>&1'
own_cgroup -m "$HOSTCG" "$PLAINCG"
own_bpffs "$TMP/bpf" -o mode=0700 ||
	skip "needs root: cannot mount a bpffs"

export PORTPOOL_CONF="$TMP/policy.conf"
printf 'reserved_ports = 500,4500\n' >"$PORTPOOL_CONF"
chmod 644 "$PORTPOOL_CONF"
: >"$TMP/guard.conf"
chmod 644 "$TMP/guard.conf"
G="$GUARD --pin-dir $PIN --config $TMP/guard.conf"

# newns LIST: a network namespace (lo up, LIST in its kernel list) kept
# by a sleeping process; NS is its path.
newns() {
	unshare -n sh -c 'ip link set lo up &&
		echo "$1" >/proc/sys/net/ipv4/ip_local_reserved_ports &&
		exec sleep 100000' sh "$1" &
	holders="$holders $!"
	NS=/proc/$!/ns/net
	n=0
	until [ "$(cat /proc/sys/net/ipv4/ip_local_reserved_ports)" != \
		"$(nsenter --net="$NS" cat /proc/sys/net/ipv4/ip_local_reserved_ports 2>/dev/null)" ]
	do
		n=$((n + 1)); [ $n -gt 50 ] && break; sleep 0.1
	done
}
newns 4505
NSA=$NS
newns 4507
NSB=$NS

# inside CGROUP NETNS CMD...: CMD in that cgroup and network namespace.
inside() {
	sh -c 'echo $$ >"$1/cgroup.procs" && ns=$2 && shift 2 &&
		exec nsenter --net="$ns" "$@"' sh "$@"
}
# probe CGROUP NETNS FAM:PORT...: the result of each bind, in one line.
probe() {
	cg=$1 ns=$2
	shift 2
	inside "$cg" "$ns" python3 "$TOP/test/bindprobe.py" "$@" 2>&1
}
# check NAME GOT WANT DETAIL
check() {
	if [ "$2" = "$3" ]; then
		result PASS "$1" "${4:+$4: }$2"
	else
		result FAIL "$1" "got '$2', want '$3'${4:+ ($4)}"
	fi
}

if ! $G load --netns "$NSA" >"$TMP/load.out" 2>&1 ||
   ! $G attach "$HOSTCG" >>"$TMP/load.out" 2>&1; then
	result FAIL load "$(tail -n 1 "$TMP/load.out")"
	finish owners-e2e
fi

# ---- plain: a program that owns nothing, in namespaces A and B -----------
mkdir "$HOSTCG/plain" "$PLAINCG/plain"
got=$(probe "$HOSTCG/plain" "$NSA" 4:4500 6:4500 4:500 4:4505 4:4507 4:4501)
check "plain A" "$got" "EADDRINUSE EADDRINUSE EADDRINUSE EADDRINUSE ok ok" \
	"4500, 4500 v6, 500, 4505 (A's kernel list), 4507, 4501"
got=$(probe "$HOSTCG/plain" "$NSB" 4:4500 6:4500 4:4507)
check "plain B unguarded" "$got" "ok ok ok" "B not given: 4500, 4500 v6, 4507"
out=$($G sync --netns "$NSB" 2>&1) || result FAIL "sync --netns" "$out"
got=$(probe "$HOSTCG/plain" "$NSB" 4:4500 6:4500 4:4507 4:4505)
check "plain B added" "$got" "EADDRINUSE EADDRINUSE EADDRINUSE ok" \
	"after sync --netns B: 4500, 4500 v6, 4507 (B's kernel list), 4505 (A's)"
got=$(probe "$HOSTCG/plain" "$NSA" 4:4507)
check "plain A keeps its set" "$got" "ok" "4507 in A"
$G sync --no-netns "$NSB" >/dev/null 2>&1
got1=$(probe "$HOSTCG/plain" "$NSB" 4:4500)
$G --netns "$NSB" sync >/dev/null 2>&1
got2=$(probe "$HOSTCG/plain" "$NSB" 4:4500)
check "no-netns" "$got1 $got2" "ok EADDRINUSE" \
	"B after sync --no-netns B, then after --netns B sync"
got=$(probe "$PLAINCG/plain" "$NSA" 4:4500 6:4500 4:4505)
check "plain control" "$got" "ok ok ok" "unguarded cgroup"

# ---- charon: three starts, each in a fresh cgroup registered by the drop-in
mkdir "$TMP/units"
printf '[Unit]\nDescription=test\n[Service]\nExecStart=%s\n' "$CHARON" \
	>"$TMP/units/charon-test.service"
out=$($G --unit-dir "$TMP/units" own 500,4500 --unit charon-test 2>&1)
dropin=$TMP/units/charon-test.service.d/portpool-guard-own.conf
verify=$(systemd-analyze verify "$TMP/units/charon-test.service" 2>&1)
pre=$(sed -n 's/^ExecStartPre=+//p' "$dropin" 2>/dev/null)
post=$(sed -n 's/^ExecStopPost=-+//p' "$dropin" 2>/dev/null)
if [ -n "$pre" ] && [ -n "$post" ] && [ -z "$verify" ]; then
	result PASS "own --unit" "systemd-analyze verify accepts $dropin"
else
	result FAIL "own --unit" "$out; verify: $verify"
fi

# charon_start DIR CGROUP NETNS: charon with its config and /run in DIR
# (a private mount namespace: its pid file lands in DIR/run); charon_pid.
charon_start() {
	mkdir -p "$1/run"
	cat >"$1/strongswan.conf" <<CONF
charon {
	load = random nonce sha1 sha2 kernel-netlink socket-default
	port = 500
	port_nat_t = 4500
	install_routes = no
	filelog {
		log {
			path = $1/charon.log
			default = 1
		}
	}
	syslog {
		daemon {
			default = -1
		}
	}
}
CONF
	# Not through inside(), a function: $! is then charon itself.
	sh -c 'echo $$ >"$1/cgroup.procs" && ns=$2 && shift 2 &&
		exec nsenter --net="$ns" "$@"' sh "$2" "$3" \
		unshare -m sh -c 'mount --make-rprivate / &&
		mount --bind "$1/run" /run &&
		STRONGSWAN_CONF=$1/strongswan.conf exec "$2"' sh "$1" \
		"$CHARON" >"$1/out" 2>&1 &
	charon_pid=$!
	pids="$pids $charon_pid"
}
# charon_socks NETNS PID: charon's UDP sockets, "addr:port" sorted, once
# it holds the four it wants or after 5 s.
charon_socks() {
	n=0
	while :; do
		socks=$(nsenter --net="$1" ss -Hulnp 2>/dev/null |
			grep "pid=$2," | awk '{ print $4 }' | sort | tr '\n' ' ')
		[ "$socks" = "0.0.0.0:4500 0.0.0.0:500 [::]:4500 [::]:500 " ] &&
			break
		n=$((n + 1)); [ $n -gt 50 ] && break
		sleep 0.1
	done
	echo "$socks"
}
charon_stop() {
	kill "$charon_pid" 2>/dev/null
	wait "$charon_pid" 2>/dev/null
	charon_pid=
}

ids=
for round in 1 2 3; do
	CH=$HOSTCG/charon
	mkdir "$CH"
	id=$(stat -c %i "$CH")
	ids="$ids $id"
	# ExecStartPre=+ runs in the unit's new cgroup before the main
	# process: so does this.
	reg=$(inside "$CH" "$NSA" sh -c "$pre" 2>&1)
	charon_start "$TMP/charon$round" "$CH" "$NSA"
	socks=$(charon_socks "$NSA" "$charon_pid")
	charon_stop
	unreg=$(inside "$CH" "$NSA" sh -c "$post" 2>&1)
	rmdir "$CH"
	check "charon start $round" "$socks" \
		"0.0.0.0:4500 0.0.0.0:500 [::]:4500 [::]:500 " \
		"cgroup $id; $reg; $unreg"
done
set -- $ids
[ "$1" != "$2" ] && [ "$2" != "$3" ] && [ "$1" != "$3" ] &&
	result PASS "charon cgroups" "three cgroups, ids$ids" ||
	result FAIL "charon cgroups" "ids$ids"

# ---- subtree: an owner's child cgroups bind its ports -------------------
mkdir -p "$HOSTCG/svc/a/b"
inside "$HOSTCG/svc" "$NSA" $G own 4500 --self >/dev/null 2>&1
got=$(probe "$HOSTCG/svc/a/b" "$NSA" 4:4500 6:4500 4:500)
check subtree "$got" "ok ok EADDRINUSE" "two levels below the owner of 4500: 4500, 4500 v6, 500"

# ---- remade: the owner's cgroup removed and made again -------------------
mkdir "$HOSTCG/charon"
inside "$HOSTCG/charon" "$NSA" sh -c "$pre" >/dev/null 2>&1
got1=$(probe "$HOSTCG/charon" "$NSA" 4:4500)
rmdir "$HOSTCG/charon" && mkdir "$HOSTCG/charon"
got2=$(probe "$HOSTCG/charon" "$NSA" 4:4500 6:4500 4:500)
listed=$($G owners | grep -c '(removed)')
$G sync >/dev/null 2>&1
dropped=$($G owners --json | grep -c '"cgroup":null')
inside "$HOSTCG/charon" "$NSA" sh -c "$pre" >/dev/null 2>&1
got3=$(probe "$HOSTCG/charon" "$NSA" 4:4500 6:4500 4:500)
check remade "$got1 / $got2 / $got3 / $listed $dropped" \
	"ok / EADDRINUSE EADDRINUSE EADDRINUSE / ok ok ok / 2 0" \
	"registered; remade; registered again / removed listed, then dropped"

# ---- the owner file ------------------------------------------------------
mkdir "$HOSTCG/filed"
printf '# owners-e2e\nown 4500 %s\n' "$HOSTCG/filed" >"$TMP/guard.conf"
$G sync >/dev/null 2>&1
got1=$(probe "$HOSTCG/filed" "$NSA" 4:4500)
from=$($G owners | grep -c "^4500 $HOSTCG/filed (cgroup [0-9]*, owner file)")
: >"$TMP/guard.conf"
$G sync >/dev/null 2>&1
got2=$(probe "$HOSTCG/filed" "$NSA" 4:4500)
check "owner file" "$got1 $from $got2" "ok 1 EADDRINUSE" \
	"listed, then the line removed"
printf 'own 45x0 /x\n' >"$TMP/guard.conf"
out=$($G sync 2>&1); rc=$?
: >"$TMP/guard.conf"
case $out in
*guard.conf:1:*) [ $rc = 1 ] && result PASS "owner file error" "$out" ||
	result FAIL "owner file error" "rc $rc: $out" ;;
*) result FAIL "owner file error" "rc $rc: $out" ;;
esac

# ---- resolvers: dnsmasq and Unbound beside the owner ----------------------
# spawn LOG CGROUP NETNS CMD...: CMD in the background there, its output
# in LOG; spawned, its pid.
spawn() {
	log=$1
	shift
	sh -c 'echo $$ >"$1/cgroup.procs" && ns=$2 && shift 2 &&
		exec nsenter --net="$ns" "$@"' sh "$@" >"$log" 2>&1 &
	spawned=$!
	pids="$pids $spawned"
}
# resolve TOPCG DAEMON: DAEMON (dnsmasq, unbound) in TOPCG/DAEMON and
# namespace A, forwarding test. to an authority that logs each query's
# source port; QUERIES queries.  Sets load (the load's last line) and
# total, n4500, n4505 (queries upstream, from 4500, from 4505).
resolve() {
	dir=$TMP/$2-${1##*-}
	mkdir -p "$dir" "$1/$2"
	nsenter --net="$NSA" python3 "$TOP/test/dns-authority.py" 127.0.0.2 53 \
		"$dir/ports" "$dir/auth.ready" 2>"$dir/auth.err" &
	auth=$!
	n=0
	until [ -e "$dir/auth.ready" ]; do
		n=$((n + 1)); [ $n -gt 100 ] && break; sleep 0.1
	done
	case $2 in
	dnsmasq)
		spawn "$dir/daemon.log" "$1/$2" "$NSA" dnsmasq -k --conf-file=/dev/null \
			--port=5300 --listen-address=127.0.0.1 \
			--bind-interfaces --no-resolv --server=/test/127.0.0.2 \
			--min-port=4490 --max-port=4510 --user=root \
			--pid-file= --log-facility="$dir/dnsmasq.log" ;;
	unbound)
		unbound_forwarder "$dir"
		spawn "$dir/daemon.log" "$1/$2" "$NSA" unbound -d -c "$dir/unbound.conf" ;;
	esac
	rpid=$spawned
	n=0
	until nsenter --net="$NSA" python3 "$TOP/test/dns-load.py" 127.0.0.1 \
		5300 1 >/dev/null 2>&1; do
		n=$((n + 1)); [ $n -gt 50 ] && break; sleep 0.2
	done
	lines=$(wc -l <"$dir/ports")
	# At most 8 in flight, as guard-e2e sends them.
	load=$(nsenter --net="$NSA" python3 "$TOP/test/dns-load.py" 127.0.0.1 \
		5300 "$QUERIES" test 8 2>&1 | tail -n 1)
	kill "$rpid" "$auth" 2>/dev/null
	wait "$rpid" "$auth" 2>/dev/null
	tail -n +$((lines + 1)) "$dir/ports" >"$dir/ports.load"
	total=$(wc -l <"$dir/ports.load")
	n4500=$(grep -cx 4500 "$dir/ports.load")
	n4505=$(grep -cx 4505 "$dir/ports.load")
}
answered() {	# answered "sent N answered A ...": yes iff A = N > 0
	set -- $1
	[ "$1" = sent ] && [ "$2" = "$4" ] && [ "$2" -gt 0 ]
}
for daemon in dnsmasq unbound; do
	resolve "$HOSTCG" $daemon
	what="$total queries upstream, $n4500 from 4500, $n4505 from 4505 (A's kernel list); $load"
	if answered "$load" && [ "$n4500" = 0 ] && [ "$n4505" = 0 ]; then
		result PASS "$daemon guarded" "$what"
	else
		result FAIL "$daemon guarded" "$what"
	fi
	resolve "$PLAINCG" $daemon
	what="$total queries upstream, $n4500 from 4500, $n4505 from 4505; $load"
	if [ "$n4500" -gt 0 ] && [ "$n4505" -gt 0 ]; then
		result PASS "$daemon control" "unguarded, the reserved ports used: $what"
	else
		result FAIL "$daemon control" "unguarded, the reserved ports unused: $what"
	fi
done

# ---- first: a resolver that holds 4500 before charon starts --------------
# dnsmasq --query-port binds its one query port when it starts and keeps
# it.  first TOPCG: sets dq (dnsmasq still running: yes/no) and socks.
first() {
	dir=$TMP/first-${1##*-}
	mkdir -p "$dir" "$1/dnsmasq" "$1/charon"
	spawn "$dir/daemon.log" "$1/dnsmasq" "$NSA" dnsmasq -k --conf-file=/dev/null --port=5301 \
		--listen-address=127.0.0.1 --bind-interfaces --no-resolv \
		--server=/test/127.0.0.2 --query-port=4500 --user=root \
		--pid-file= --log-facility="$dir/dnsmasq.log"
	dnsmasq_pid=$spawned
	n=0
	until nsenter --net="$NSA" ss -Hulnp 2>/dev/null |
		grep -q "pid=$dnsmasq_pid,"; do
		n=$((n + 1)); [ $n -gt 30 ] && break; sleep 0.1
	done
	inside "$1/charon" "$NSA" sh -c "$pre" >/dev/null 2>&1
	charon_start "$dir" "$1/charon" "$NSA"
	socks=$(charon_socks "$NSA" "$charon_pid")
	charon_stop
	dq=no
	kill -0 "$dnsmasq_pid" 2>/dev/null && dq=yes
	kill "$dnsmasq_pid" 2>/dev/null
	wait "$dnsmasq_pid" 2>/dev/null
	inside "$1/charon" "$NSA" sh -c "$post" >/dev/null 2>&1
}
first "$PLAINCG"
if [ "$dq" = yes ] && [ "$socks" = "0.0.0.0:500 [::]:500 " ] &&
   grep -q 'unable to bind socket: Address already in use' \
	"$TMP/first-plain/charon.log"; then
	result PASS "first control" "unguarded: dnsmasq holds 4500, charon's NAT-T sockets failed; charon has $socks"
else
	result FAIL "first control" "dnsmasq running: $dq; charon has '$socks'; $(grep -m1 'bind' "$TMP/first-plain/charon.log")"
fi
first "$HOSTCG"
if [ "$dq" = no ] && [ "$socks" = "0.0.0.0:4500 0.0.0.0:500 [::]:4500 [::]:500 " ]; then
	result PASS "first guarded" "dnsmasq refused 4500 ($(tail -n 1 "$TMP/first-host/daemon.log")); charon has $socks"
else
	result FAIL "first guarded" "dnsmasq running: $dq; charon has '$socks'"
fi

# ---- metrics: per port, per owner, per namespace -------------------------
st=$($G status --json)
ow=$($G owners --json)
m=$(printf '%s\n%s\n' "$st" "$ow" | python3 -c '
import json, sys
st = json.loads(sys.stdin.readline())
ow = json.loads(sys.stdin.readline())
a = [n for n in st["netns"] if n["path"] == sys.argv[1]][0]
print(a["refused"] > 0, a["allowed"] > 0, st["refused"].get("4500", 0) > 0,
      st["allowed"].get("4500", 0) > 0, ow["allowed_total"] > 0,
      a["deny_ports"])' "$NSA" 2>&1)
check metrics "$m" "True True True True True 3" \
	"namespace A refused and allowed, 4500 refused and allowed, owners allowed, A's deny set size"

# ---- gone: a namespace that goes away is dropped -------------------------
nsb_pid=${NSB#/proc/}
nsb_pid=${nsb_pid%/ns/net}
kill "$nsb_pid"
wait "$nsb_pid" 2>/dev/null
out=$($G sync 2>&1)
left=$($G status | grep -c "$NSB")
newns 4507
got=$(probe "$HOSTCG/plain" "$NS" 4:4500 4:4507)
case $out in
*"netns $NSB: No such file or directory; dropped"*)
	check "gone namespace" "$left $got" "0 ok ok" "B dropped; a new namespace binds 4500, 4507" ;;
*)	result FAIL "gone namespace" "sync said: $out" ;;
esac

# ---- edges: names, modes, users ------------------------------------------
# A cgroup named with ESC, BEL, a tab and 0xff: owners escapes it in
# text and keeps --json valid.
odd=$HOSTCG/$(printf 'odd\377\033]2;x\007\tz')
mkdir "$odd"
$G own 4501 "$odd" >/dev/null 2>&1
text=$($G owners | grep -c "$(printf '\033')")
json=$($G owners --json | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(any(o["port"] == 4501 and "\ufffd" in o["cgroup"] for o in d["owners"]))' 2>&1)
$G disown 4501 >/dev/null 2>&1
rmdir "$odd"
check "odd name" "$text $json" "0 True" "ESC lines in owners, --json valid with U+FFFD"
# Bad unit names write nothing; an unprivileged user registers nothing.
bad=0
for u in ../x . "a b" x.target "$(printf 'x\ny')"; do
	$G --unit-dir "$TMP/units2" own 4500 --unit "$u" >/dev/null 2>&1 &&
		bad=$((bad + 1))
done
[ -e "$TMP/units2" ] && bad=$((bad + 10))
# (A copy uid 65534 can run: the tree may sit under /root, mode 700.)
G65534="$(others_copy "$GUARD" "$TMP/others") --pin-dir $PIN"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
	$G65534 own 4500 "$HOSTCG/plain" 2>&1); rc=$?
left=$($G owners | grep -c "$HOSTCG/plain ")
check "refusals" "$bad $rc $left" "0 1 0" "bad units accepted, uid 65534's own: $out"
# The owner file hands out ports: it must be root's and no one else's.
printf 'own 4500 %s\n' "$HOSTCG/plain" >"$TMP/guard.conf"
chown 65534 "$TMP/guard.conf"
out=$($G sync 2>&1); rc=$?
got=$(probe "$HOSTCG/plain" "$NSA" 4:4500)
chown 0 "$TMP/guard.conf"
chmod 666 "$TMP/guard.conf"
out2=$($G sync 2>&1); rc2=$?
got2=$(probe "$HOSTCG/plain" "$NSA" 4:4500)
chmod 644 "$TMP/guard.conf"
: >"$TMP/guard.conf"
$G sync >/dev/null 2>&1
check "owner file modes" "$rc $got $rc2 $got2" "1 EADDRINUSE 1 EADDRINUSE" \
	"$out / $out2"

# ---- run: the owner file's unit restarted in a new cgroup ---------------
# run looks at the owner file each second: the cgroup made again at the
# path the file names is registered without a sync.
mkdir -p "$HOSTCG/unit"
printf 'own 4500 %s\n' "$HOSTCG/unit" >"$TMP/guard.conf"
$G run >"$TMP/run.out" 2>&1 &
runpid=$!
pids="$pids $runpid"
n=0
until [ "$(probe "$HOSTCG/unit" "$NSA" 4:4500)" = ok ]; do
	n=$((n + 1)); [ $n -gt 30 ] && break; sleep 0.1
done
got1=$(probe "$HOSTCG/unit" "$NSA" 4:4500)
rmdir "$HOSTCG/unit" && mkdir "$HOSTCG/unit"
n=0
until [ "$(probe "$HOSTCG/unit" "$NSA" 4:4500)" = ok ]; do
	n=$((n + 1)); [ $n -gt 30 ] && break; sleep 0.1
done
got2=$(probe "$HOSTCG/unit" "$NSA" 4:4500)
kill -TERM "$runpid"
wait "$runpid"
rc=$?
: >"$TMP/guard.conf"
check "run owner file" "$got1 $got2 $rc" "ok ok 0" \
	"registered by run, then again after the cgroup was made again"

finish owners-e2e
