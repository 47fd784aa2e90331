#!/bin/sh
# SPDX-License-Identifier: ISC
#
# End to end for portpool-guard and libportpool-preload.so, with the real
# Debian daemons: Unbound, BIND 9 (named), PowerDNS Recursor, dnsmasq.
# Each daemon runs in its own network namespace (unshare -n) inside a
# child cgroup this script makes, with an outgoing range of 21 ports
# (4490-4510) that holds 4500 (reserved in the policy file) and 4505
# (reserved in the namespace's ip_local_reserved_ports), and resolves
# through test/dns-authority.py, which logs each query's source port.
#   plain     no guard: the reserved ports ARE used (the negative control)
#   guard     guard attached: 0 queries from them, every query answered;
#             then 4495 is added to the policy, "sync", and the running
#             daemon stops using 4495 too
#   preload   LD_PRELOAD=libportpool-preload.so (Unbound, dnsmasq): 0
# Then: a static binary is refused (and is not under preload), TCP and
# port 0 pass, the preload re-reads an edited policy and the kernel's
# list, sync --kernel keeps the admin's entries, status, usage, enable,
# and run (re-sync on an edit and on SIGHUP, READY=1 to systemd, SIGTERM
# leaving the guard loaded), failed load, unload.
# BPF objects are pinned on a private bpffs; both cgroups are removed
# after.  One line per check, then "guard-e2e: N passed, M failed".
# Exit 77 (needs root) when not root; any other skip is exit 77, or 1
# under CI=true.
#
# Usage: sh test/guard-e2e.sh      (B=dir picks the build directory)

cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
B=${B:-build}
QUERIES=${GUARD_QUERIES:-1000}

# result, finish, skip and the host's part of the test: its bpffs,
# cgroups and processes undone on any exit.  No colon after the name.
. test/e2e-lib.sh
E2E_SEP=
# Attaching BPF to a cgroup needs real root: as an ordinary user this
# whole check is counted apart by test/run.sh ("K need root"), not failed.
need_root "BPF programs on cgroups (CAP_BPF, CAP_NET_ADMIN)"
# A package build changes nothing outside its tree: counted apart too.
if [ -n "${DEB_BUILD_ARCH:-}" ] || [ "${PORTPOOL_CHECK_NO_HOST:-}" = 1 ]; then
	echo "left out: BPF programs on the host's cgroups, in a package" \
	     "build or with PORTPOOL_CHECK_NO_HOST=1"
	exit 77
fi
unshare -n true 2>/dev/null || skip "needs root: cannot make a network namespace"
cgroot
# A build that fails is a failure; a guard not built for want of its
# tools is a skip.
mkdir -p "$TOP/$B" &&
make -s B="$B" guard >"$TOP/$B/guard-make.log" 2>&1 || {
	echo "FAIL build: make guard: $(tail -n 1 "$TOP/$B/guard-make.log")"
	exit 1
}
GUARD=$TOP/$B/tools/portpool-guard
PRELOAD=$TOP/$B/libportpool-preload.so
[ -x "$GUARD" ] ||
	skip "needs clang, libbpf-dev, bpftool to build portpool-guard" \
	     "(sh test/deps.sh guard)"
for d in unbound named pdns_recursor dnsmasq python3; do
	command -v $d >/dev/null 2>&1 || [ -x /usr/sbin/$d ] ||
		skip "needs $d (sh test/deps.sh daemons guard)"
done
PATH=$PATH:/usr/sbin
export PATH

# Unique names for the cgroups.
E2E_KEEP=${E2E_KEEP:-${GUARD_KEEP:-}}
host_tmp ppguard
CGG=$CGROOT/$tag-guarded
CGP=$CGROOT/$tag-plain
PIN=$TMP/bpf/pins
at_exit 'for p in ${runpid:-} ${notifypid:-}; do kill "$p" 2>/dev/null; done'
at_exit '"$GUARD" --pin-dir "$PIN" unload >/dev/null 2>&1'
own_cgroup -m "$CGG" "$CGP"
own_bpffs "$TMP/bpf" ||
	skip "needs root: cannot mount a bpffs"

export PORTPOOL_CONF="$TMP/policy.conf"
policy() {	# the policy file's reserved ports
	printf '# guard-e2e\nreserved_ports = %s\n' "$1" >"$PORTPOOL_CONF"
	chmod 644 "$PORTPOOL_CONF"
}
policy 4500
G="$GUARD --pin-dir $PIN"
if ! $G load >"$TMP/load.out" 2>&1 || ! $G attach "$CGG" >>"$TMP/load.out" 2>&1
then
	result FAIL load "$(tail -n 1 "$TMP/load.out")"
	exit 1
fi

# The scenario, run inside the namespace: $1 daemon, $2 mode, $3 dir.
cat >"$TMP/scen.sh" <<'EOF'
daemon=$1 mode=$2 dir=$3
. "$TOP/test/e2e-lib.sh"
trap cleanup EXIT
say() { verdict "$@"; }
ip link set lo up || say "VERDICT FAIL ip link"
# Kernel list of this namespace only: the host's is never touched.
echo 4505 >/proc/sys/net/ipv4/ip_local_reserved_ports
[ "$mode" = guard ] && { $G sync >"$dir/sync.out" 2>&1 ||
	say "VERDICT FAIL sync: $(tail -n 1 "$dir/sync.out")"; }
python3 "$TOP/test/dns-authority.py" 127.0.0.2 53 "$dir/ports" \
	"$dir/auth.ready" 2>"$dir/auth.err" &
pids="$pids $!"
n=0
until [ -e "$dir/auth.ready" ]; do
	n=$((n + 1)); [ $n -gt 100 ] && say "VERDICT FAIL authority did not start"
	sleep 0.1
done
pre=
[ "$mode" = preload ] && pre="env LD_PRELOAD=$PRELOAD"
case $daemon in
unbound)
	unbound_forwarder "$dir"
	$pre unbound -d -c "$dir/unbound.conf" >"$dir/daemon.log" 2>&1 & ;;
named)
	cat >"$dir/named.conf" <<CONF
options {
	directory "$dir";
	pid-file "$dir/named.pid";
	listen-on port 5300 { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion yes;
	allow-query { any; };
	allow-recursion { any; };
	dnssec-validation no;
	use-v4-udp-ports { range 4490 4510; };
	avoid-v4-udp-ports { };
	notify no;
};
controls { };
zone "test" { type forward; forward only; forwarders { 127.0.0.2 port 53; }; };
CONF
	$pre named -g -4 -n 1 -c "$dir/named.conf" >"$dir/daemon.log" 2>&1 & ;;
pdns)
	: >"$dir/recursor.conf"
	$pre pdns_recursor --config-dir="$dir" --socket-dir="$dir" \
		--local-address=127.0.0.1 --local-port=5300 \
		--forward-zones=test=127.0.0.2:53 --dont-query= \
		--query-local-address=127.0.0.1 --udp-source-port-min=4490 \
		--udp-source-port-max=4510 --dnssec=off --daemon=no \
		--disable-syslog --threads=1 --security-poll-suffix= \
		--write-pid=no --loglevel=3 >"$dir/daemon.log" 2>&1 & ;;
dnsmasq)
	$pre dnsmasq -k --conf-file=/dev/null --port=5300 \
		--listen-address=127.0.0.1 --bind-interfaces --no-resolv \
		--server=/test/127.0.0.2 --min-port=4490 --max-port=4510 \
		--user=root --pid-file= --log-facility="$dir/dnsmasq.log" \
		>"$dir/daemon.log" 2>&1 & ;;
esac
pids="$pids $!"
n=0
until python3 "$TOP/test/dns-load.py" 127.0.0.1 5300 1 >/dev/null 2>&1; do
	n=$((n + 1))
	[ $n -gt 50 ] && say "VERDICT FAIL $daemon never answered:" \
		"$(tail -n 1 "$dir/daemon.log")"
	sleep 0.2
done
# At most 8 queries in flight: the range has 21 ports, 2 or 3 of them
# denied, and BIND gives a query up (SERVFAIL) after about 6 binds that
# fail, denied or busy with another query alike; 20 in flight made that
# happen now and then, guard or not, when few ports were left free.
python3 "$TOP/test/dns-load.py" 127.0.0.1 5300 "$QUERIES" test 8 \
	>"$dir/load1" 2>&1
echo "BATCH1 $(tail -n 1 "$dir/load1")"
cp "$dir/ports" "$dir/ports1"
if [ "$mode" = guard ]; then
	# The policy changes under the running daemon; one sync.
	printf 'reserved_ports = 4500\nreserved_ports = 4495\n' \
		>"$PORTPOOL_CONF"
	$G sync >"$dir/sync2.out" 2>&1 ||
		say "VERDICT FAIL sync: $(tail -n 1 "$dir/sync2.out")"
	sleep 0.2
	lines=$(wc -l <"$dir/ports")
	python3 "$TOP/test/dns-load.py" 127.0.0.1 5300 "$QUERIES" test 8 \
		>"$dir/load2" 2>&1
	echo "BATCH2 $(tail -n 1 "$dir/load2")"
	tail -n +$((lines + 1)) "$dir/ports" >"$dir/ports2"
	$G status --json >"$dir/status.json"
fi
say "VERDICT DONE"
EOF

count() {	# count FILE PORT: queries from PORT
	grep -cx "$2" "$1" 2>/dev/null
}
answered() {	# answered "sent N answered A ...": yes iff A = N
	set -- $1
	[ "$1" = sent ] && [ "$2" = "$4" ] && [ "$2" -gt 0 ]
}

scenario() {	# scenario DAEMON MODE CGROUP
	daemon=$1 mode=$2 cg=$3
	dir=$TMP/$daemon-$mode
	mkdir -p "$dir"
	policy 4500
	# Into the cgroup first, then a new network namespace: the daemon
	# inherits both.  timeout ends the whole process group.
	TOP=$TOP G=$G PRELOAD=$PRELOAD QUERIES=$QUERIES \
		timeout -k 3 240 sh -c 'echo $$ >"$1/cgroup.procs" &&
		shift && exec unshare -n sh "$@"' sh "$cg" "$TMP/scen.sh" \
		"$daemon" "$mode" "$dir" >"$dir/out" 2>&1
	v=$(grep '^VERDICT' "$dir/out" | tail -n 1)
	b1=$(sed -n 's/^BATCH1 //p' "$dir/out")
	b2=$(sed -n 's/^BATCH2 //p' "$dir/out")
	name="$daemon $mode"
	if [ "$v" != "VERDICT DONE" ]; then
		result FAIL "$name" "${v:-no verdict: $(tail -n 1 "$dir/out")}"
		return
	fi
	total=$(wc -l <"$dir/ports1")
	p500=$(count "$dir/ports1" 4500)
	p505=$(count "$dir/ports1" 4505)
	p495=$(count "$dir/ports1" 4495)
	what="$total queries upstream, $p500 from 4500 (policy), $p505 from 4505 (kernel); $b1"
	case $mode in
	plain)
		# The control: without a guard the daemon does use them.
		if [ "$p500" -gt 0 ] && [ "$p505" -gt 0 ]; then
			result PASS "$name" "$what"
		else
			result FAIL "$name" "control did not use the reserved ports: $what"
		fi ;;
	preload)
		if [ "$p500" = 0 ] && [ "$p505" = 0 ] && answered "$b1"; then
			result PASS "$name" "$what"
		else
			result FAIL "$name" "$what"
		fi ;;
	guard)
		if [ "$p500" = 0 ] && [ "$p505" = 0 ] && answered "$b1"; then
			result PASS "$name" "$what"
		else
			result FAIL "$name" "$what"
		fi
		q495=$(count "$dir/ports2" 4495)
		q500=$(count "$dir/ports2" 4500)
		what="4495 used $p495 times before the policy edit, $q495 after sync (4500: $q500); $b2"
		if [ "$p495" -gt 0 ] && [ "$q495" = 0 ] && [ "$q500" = 0 ] &&
		   answered "$b2"; then
			result PASS "$daemon sync" "$what"
		else
			result FAIL "$daemon sync" "$what"
		fi ;;
	esac
}

for daemon in unbound named pdns dnsmasq; do
	scenario $daemon plain "$CGP"
	scenario $daemon guard "$CGG"
done
for daemon in unbound dnsmasq; do
	scenario $daemon preload "$CGP"
done
policy 4500
$G sync >/dev/null 2>&1

# The counter map saw the refusals.
refused=$($G status --json | sed -n 's/.*"refused_total":\([0-9]*\).*/\1/p')
if [ "${refused:-0}" -gt 0 ] &&
   $G status --json | grep -q "\"cgroup\":\"$CGG\",\"bind4\":true,\"bind6\":true"
then
	result PASS status "$refused binds refused, attached to $CGG"
else
	result FAIL status "$($G status 2>&1 | tr '\n' ';')"
fi

# A static binary, TCP and port 0, in namespaces in each cgroup.
${CC:-cc} -static -O2 -o "$TMP/guard-bind" test/guard-bind.c 2>"$TMP/cc.err"
# The guard covers a namespace it was given: a sync run in the new one
# gives it (where the guard is loaded; after unload it fails, quietly).
binds() {	# binds CGROUP [PRELOAD]: the results of five binds
	G=$G BIN=$TMP/guard-bind PRE=${2:-} sh -c 'echo $$ >"$1/cgroup.procs" &&
		exec unshare -n sh -c "
		\$G sync >/dev/null 2>&1
		for b in \"udp 4500\" \"udp6 4500\" \"tcp 4500\" \"udp 0\" \
			 \"udp 4501\"; do
			LD_PRELOAD=\$PRE \$BIN \$b
		done"' sh "$1" 2>&1 | tr '\n' ' '
}
if [ ! -x "$TMP/guard-bind" ]; then
	result FAIL static "cc -static: $(tail -n 1 "$TMP/cc.err")"
else
	got=$(binds "$CGG")
	want="EADDRINUSE EADDRINUSE ok ok ok "
	[ "$got" = "$want" ] && result PASS "static guarded" "udp, udp6, tcp 4500, udp 0, udp 4501: $got" ||
		result FAIL "static guarded" "got '$got', want '$want'"
	got=$(binds "$CGP")
	want="ok ok ok ok ok "
	[ "$got" = "$want" ] && result PASS "static plain" "$got" ||
		result FAIL "static plain" "got '$got', want '$want'"
	# What the preload cannot see: a static binary binds 4500 anyway.
	got=$(binds "$CGP" "$PRELOAD")
	[ "$got" = "$want" ] && result PASS "static preload" "not seen, as documented: $got" ||
		result FAIL "static preload" "got '$got', want '$want'"
fi

# The preload in a dynamic program: same rule, and a policy edit is seen
# within a second or two without restarting the program.
# test/bindprobe.py beside the three preload probes below, which import
# it.
cp test/bindprobe.py "$TMP/"
cat >"$TMP/pre.py" <<'EOF'
import sys, time
from bindprobe import try_bind
out = [try_bind(k, p) for k, p in (("udp", 4500), ("udp6", 4500),
       ("tcp", 4500), ("udp", 0), ("udp", 4496))]
with open(sys.argv[1], "w") as f:
    f.write("reserved_ports = 4500,4496\n")
deadline = time.time() + 5
while time.time() < deadline and try_bind("udp", 4496) == "ok":
    time.sleep(0.2)
out.append(try_bind("udp", 4496))
print(" ".join(out))
EOF
got=$(unshare -n env LD_PRELOAD="$PRELOAD" python3 "$TMP/pre.py" "$PORTPOOL_CONF" 2>&1)
want="EADDRINUSE EADDRINUSE ok ok ok EADDRINUSE"
[ "$got" = "$want" ] && result PASS "preload rule+reload" "udp, udp6, tcp 4500, udp 0, udp 4496, 4496 after edit: $got" ||
	result FAIL "preload rule+reload" "got '$got', want '$want'"
# With no policy file at all, a change of the kernel's list is seen too.
cat >"$TMP/prek.py" <<'EOF'
import time
from bindprobe import udp
out = [udp(4507)]
with open("/proc/sys/net/ipv4/ip_local_reserved_ports", "w") as f:
    f.write("4507\n")
deadline = time.time() + 5
while time.time() < deadline and udp(4507) == "ok":
    time.sleep(0.2)
out.append(udp(4507))
print(" ".join(out))
EOF
got=$(PORTPOOL_CONF=$TMP/no-such-policy unshare -n env LD_PRELOAD="$PRELOAD" \
	python3 "$TMP/prek.py" 2>&1)
want="ok EADDRINUSE"
[ "$got" = "$want" ] && result PASS "preload kernel list" "no policy file, 4507 then reserved in the kernel: $got" ||
	result FAIL "preload kernel list" "got '$got', want '$want'"
# After a chroot to an empty directory (no policy, no /proc) the set read
# before stays: 4507, from the namespace's kernel list, is still refused
# once the shim has looked at its inputs again (a second later).
mkdir "$TMP/emptyroot"
cat >"$TMP/prec.py" <<'EOF'
import os, sys, time
from bindprobe import udp
out = [udp(4507)]
os.chroot(sys.argv[1])
os.chdir("/")
for i in range(2):
    time.sleep(1.2)
    out.append(udp(4507))
print(" ".join(out))
EOF
got=$(PORTPOOL_CONF=$TMP/no-such-policy unshare -n sh -c \
	'echo 4507 >/proc/sys/net/ipv4/ip_local_reserved_ports &&
	exec env LD_PRELOAD="$1" python3 "$2" "$3"' sh "$PRELOAD" \
	"$TMP/prec.py" "$TMP/emptyroot" 2>&1)
want="EADDRINUSE EADDRINUSE EADDRINUSE"
[ "$got" = "$want" ] && result PASS "preload chroot" "no policy file, kernel list 4507, before and after chroot: $got" ||
	result FAIL "preload chroot" "got '$got', want '$want'"
got=$(unshare -n python3 "$TMP/pre.py" "$PORTPOOL_CONF" 2>&1)
policy 4500
want="ok ok ok ok ok ok"
[ "$got" = "$want" ] && result PASS "preload control" "without the shim: $got" ||
	result FAIL "preload control" "got '$got', want '$want'"

# Usage and errors: one line, exit 2 for usage, 1 for a failure.
out=$($GUARD 2>&1); rc=$?
lines=$(printf '%s\n' "$out" | wc -l)
out2=$($G attach "$TMP" 2>&1); rc2=$?
lines2=$(printf '%s\n' "$out2" | wc -l)
if [ $rc = 2 ] && [ "$lines" = 1 ] && [ $rc2 = 1 ] && [ "$lines2" = 1 ]; then
	result PASS usage "$out2"
else
	result FAIL usage "rc $rc ($lines lines), attach to a non-cgroup rc $rc2: $out2"
fi

# sync --kernel: the policy's ports added to the namespace's kernel list,
# the admin's entry kept.
got=$(unshare -n sh -c 'echo 4505 >/proc/sys/net/ipv4/ip_local_reserved_ports &&
	$0 sync --kernel >/dev/null &&
	cat /proc/sys/net/ipv4/ip_local_reserved_ports' "$GUARD --pin-dir $PIN" 2>&1)
[ "$got" = "4500,4505" ] && result PASS "sync --kernel" "kernel list now $got" ||
	result FAIL "sync --kernel" "kernel list '$got', want 4500,4505"

# enable: the drop-in, written to a scratch unit directory.
$G --unit-dir "$TMP/units" enable unbound >/dev/null 2>&1
f=$TMP/units/unbound.service.d/portpool-guard.conf
if grep -qx "BPFProgram=bind4:$PIN/bind4" "$f" 2>/dev/null &&
   grep -qx "BPFProgram=bind6:$PIN/bind6" "$f"; then
	result PASS enable "$f"
else
	result FAIL enable "no BPFProgram lines in $f"
fi

# A failed load leaves nothing behind: a bad --reserve is found before
# any directory is made, and what was made for a pin directory that is not
# on a bpffs is removed.
out=$($GUARD --pin-dir "$TMP/bpf/new/pins" --reserve 45x0 load 2>&1); rc=$?
out2=$($GUARD --pin-dir "$TMP/nobpf/pins" load 2>&1); rc2=$?
lines=$(printf '%s\n' "$out" | wc -l)
if [ $rc = 1 ] && [ "$lines" = 1 ] && [ ! -e "$TMP/bpf/new" ] &&
   [ $rc2 = 1 ] && [ ! -e "$TMP/nobpf" ]; then
	result PASS "failed load" "nothing left: $out"
else
	result FAIL "failed load" "rc $rc, $rc2; left: $(ls -d "$TMP/bpf/new" "$TMP/nobpf" 2>/dev/null | tr '\n' ' ')"
fi

# run: in the foreground for systemd (Type=notify): READY=1 on
# $NOTIFY_SOCKET once the programs are pinned and attached; re-syncs on a
# policy edit and on SIGHUP; SIGTERM ends the command and leaves the pins
# and every attachment (systemd's BPFProgram= ones too) in place.
$G unload >/dev/null 2>&1
cat >"$TMP/notify.py" <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[1] + ".ready", "w").close()
while True:
    msg = s.recv(4096).decode()
    # What is there when the message comes: the pins, the attach line.
    pinned = os.path.exists(sys.argv[2])
    with open(sys.argv[3]) as f:
        attached = "attached to" in f.read()
    with open(sys.argv[4], "a") as f:
        f.write("%s pinned=%s attached=%s\n" % (msg, pinned, attached))
EOF
python3 "$TMP/notify.py" "$TMP/notify" "$PIN/bind4" "$TMP/run.out" \
	"$TMP/notify.log" 2>"$TMP/notify.err" &
notifypid=$!
n=0
until [ -e "$TMP/notify.ready" ]; do
	n=$((n + 1)); [ $n -gt 50 ] && break; sleep 0.1
done
: >"$TMP/run.out"
NOTIFY_SOCKET=$TMP/notify $G run "$CGG" >"$TMP/run.out" 2>&1 &
runpid=$!
n=0
until grep -q READY "$TMP/notify.log" 2>/dev/null; do
	n=$((n + 1)); [ $n -gt 50 ] && break; sleep 0.1
done
ready=$(grep READY "$TMP/notify.log" 2>/dev/null)
[ "$ready" = "READY=1 pinned=True attached=True" ] &&
	result PASS "run notify" "$ready" ||
	result FAIL "run notify" "got '$ready' on NOTIFY_SOCKET"
policy 4500,4497
n=0
until $G status 2>/dev/null | grep -q 'deny set: 2 ports'; do
	n=$((n + 1)); [ $n -gt 50 ] && break; sleep 0.1
done
synced=$($G status 2>/dev/null | grep 'deny set')
# SIGHUP: one more sync, with nothing changed.
before=$(grep -c 'deny set' "$TMP/run.out")
kill -HUP $runpid
n=0
until [ "$(grep -c 'deny set' "$TMP/run.out")" -gt "$before" ]; do
	n=$((n + 1)); [ $n -gt 50 ] && break; sleep 0.1
done
hup=$(($(grep -c 'deny set' "$TMP/run.out") - before))
kill -TERM $runpid
wait $runpid
rc=$?
runpid=
kill $notifypid 2>/dev/null
wait $notifypid 2>/dev/null
notifypid=
if [ "$synced" = "deny set: 2 ports: 4497,4500" ] && [ $rc = 0 ] &&
   [ "$hup" -ge 1 ]; then
	result PASS run "re-synced on an edit ($synced) and on SIGHUP"
else
	result FAIL run "status '$synced', syncs on SIGHUP $hup, exit $rc"
fi
# After SIGTERM the guard still works: attached, and a bind refused.
st=$($G status 2>&1 | grep -c "attached: $CGG (bind4, bind6)")
got=
[ -x "$TMP/guard-bind" ] && got=$(binds "$CGG")
want="EADDRINUSE EADDRINUSE ok ok ok "
if [ -e "$PIN/bind4" ] && [ "$st" = 1 ] && [ "$got" = "$want" ]; then
	result PASS "run SIGTERM" "pins and attachment kept, binds after: $got"
else
	result FAIL "run SIGTERM" "pins: $(ls "$PIN" 2>&1 | tr '\n' ' '); attached $st; binds '$got'"
fi
# The explicit unload removes it.
$G unload >/dev/null 2>&1
got=$([ -x "$TMP/guard-bind" ] && binds "$CGG")
want="ok ok ok ok ok "
[ ! -e "$PIN/bind4" ] && [ "$got" = "$want" ] &&
	result PASS unload "binds after: $got" ||
	result FAIL unload "pins: $(ls "$PIN" 2>&1 | tr '\n' ' '); binds '$got'"

finish guard-e2e
