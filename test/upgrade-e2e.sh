#!/bin/sh
# SPDX-License-Identifier: ISC
#
# End to end for an upgrade from portpool-guard 1.0: a 1.0 guard's pins
# (one deny set, no namespaces) attached to a cgroup tree this script
# made, then the new "load" takes them over.  The 1.0 guard is made from
# test/guard10.bpf.c, 1.0's programs, loaded and pinned with bpftool as
# the 1.0 tool pinned them (bind4, bind6, deny, refused), so that a
# release tarball without git history runs it too; PORTPOOL_GUARD_10=PATH
# makes it with a 1.0 portpool-guard binary instead.
#   legacy      the new tool sees the 1.0 guard: status and sync refuse
#               with a sentence, the 1.0 programs refuse binds of 4500
#   failed      a takeover that cannot finish (one 1.0 program attached
#               without BPF_F_ALLOW_MULTI, as only bpftool does, two
#               levels down): load fails, and the 1.0 guard is as it was,
#               its pins and attachments the same ids, nothing new left
#   takeover    load takes it over while a process binds 4500 (IPv4 and
#               IPv6) in a loop in the guarded cgroup: no bind succeeds
#               before, during or after it
#   layout      status shows the new layout (a namespace, both cgroups
#               attached, new programs); the 1.0 pins and programs are
#               gone; the new counters count the loop's binds
#   gap         the negative control: unload, then load and attach again,
#               with the loop running: it binds 4500 in that gap
#   run         a 1.0 guard made again, and "run CGROUP", the service's
#               command, takes it over with the loop running: no bind
# Binds run in a network namespace of the script's own, which the new
# guard is given (load runs there); BPF objects are pinned on a private
# bpffs; all of it is removed after.  One line per check, then
# "upgrade-e2e: N passed, M failed".  Exit 77 (needs root) when not root;
# any other skip is exit 77, or 1 under CI=true.
#
# Usage: sh test/upgrade-e2e.sh      (B=dir picks the build directory)

cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
B=${B:-build}

. test/e2e-lib.sh
E2E_SEP=
need_root "BPF programs on cgroups (CAP_BPF, CAP_NET_ADMIN)"
PATH=$PATH:/usr/sbin:/sbin
export PATH
unshare -n true 2>/dev/null || skip "needs root: cannot make a network namespace"
cgroot
for t in python3 bpftool clang nsenter; do
	command -v $t >/dev/null 2>&1 || skip "needs $t (sh test/deps.sh guard)"
done
make -s B="$B" guard >/dev/null 2>&1
GUARD=$TOP/$B/tools/portpool-guard
[ -x "$GUARD" ] ||
	skip "needs clang, libbpf-dev, bpftool to build portpool-guard" \
	     "(sh test/deps.sh guard)"

host_tmp ppupgrade
CG=$CGROOT/$tag
PLAIN=$CGROOT/$tag-plain
PIN=$TMP/bpf/pins
holder=
# These alone: a bare wait would wait for the bind loop too, which
# runs until told to stop (its cgroup's turn ends it).
at_exit 'for p in $pids $holder ${loop_pid:-}; do kill "$p" 2>/dev/null; done
wait $pids $holder ${loop_pid:-} 2>/dev/null'
# Either layout: unload detaches what it finds attached, 1.0's too.
at_exit '"$GUARD" --pin-dir "$PIN" unload >/dev/null 2>&1'
own_cgroup -m "$CG" "$PLAIN"
mkdir "$CG/a" "$CG/a/x" || exit 1
own_bpffs "$TMP/bpf" -o mode=0700 ||
	skip "needs root: cannot mount a bpffs"
export PORTPOOL_CONF="$TMP/policy.conf"
printf 'reserved_ports = 4500\n' >"$PORTPOOL_CONF"
: >"$TMP/guard.conf"
G="$GUARD --pin-dir $PIN --config $TMP/guard.conf"

# The network namespace the binds and the new load run in.
unshare -n sh -c 'ip link set lo up; echo up; exec sleep 100000' \
	>"$TMP/ns.out" 2>&1 &
holder=$!
n=0
until grep -q up "$TMP/ns.out"; do
	n=$((n + 1)); [ $n -gt 50 ] && break; sleep 0.1
done
NS=/proc/$holder/ns/net

# inside CGROUP CMD...: CMD in that cgroup and in NS.
inside() {
	sh -c 'echo $$ >"$1/cgroup.procs" && shift &&
		exec nsenter --net="'"$NS"'" "$@"' sh "$@"
}
# probe CGROUP: a bind of 4500 there, IPv4 then IPv6.
probe() {
	inside "$1" python3 "$TOP/test/bindprobe.py" 4:4500 6:4500 2>&1
}
# The loop: binds 4500, IPv4 and IPv6 in turn, until STOP exists; then
# "binds N bound M window W": W binds between the two times in WINDOW
# (ns since the epoch), M of all that succeeded.
cat >"$TMP/loop.py" <<'EOF'
import os, socket, sys, time
stop, ready, window = sys.argv[1:]
times, bound, n = [], 0, 0
fams = ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::"))
while not os.path.exists(stop):
    for i in range(200):
        fam, addr = fams[n & 1]
        s = socket.socket(fam, socket.SOCK_DGRAM)
        try:
            s.bind((addr, 4500))
            bound += 1
        except OSError:
            pass
        s.close()
        n += 1
        times.append(time.time_ns())
    if n == 200:
        open(ready, "w").close()
a, b = map(int, open(window).read().split()) if os.path.exists(window) \
    else (0, 0)
print("binds", n, "bound", bound, "window",
      sum(1 for t in times if a <= t <= b))
EOF
# loop_start CGROUP / loop_stop: the loop in CGROUP; looped its line.
loop_start() {
	rm -f "$TMP/stop" "$TMP/ready" "$TMP/window"
	inside "$1" python3 "$TMP/loop.py" "$TMP/stop" "$TMP/ready" \
		"$TMP/window" >"$TMP/loop.out" 2>&1 &
	loop_pid=$!
	n=0
	until [ -e "$TMP/ready" ]; do
		n=$((n + 1)); [ $n -gt 50 ] && break; sleep 0.1
	done
}
loop_stop() {
	sleep 0.3
	: >"$TMP/stop"
	wait "$loop_pid"
	looped=$(tail -n 1 "$TMP/loop.out")
}
# timed CMD...: CMD, its start and end written to the loop's window; its
# output in out, its status in rc.
timed() {
	t0=$(date +%s%N)
	out=$("$@" 2>&1)
	rc=$?
	echo "$t0 $(date +%s%N)" >"$TMP/window"
}
# check NAME GOT WANT DETAIL
check() {
	if [ "$2" = "$3" ]; then
		result PASS "$1" "${4:+$4: }$2"
	else
		result FAIL "$1" "got '$2', want '$3'${4:+ ($4)}"
	fi
}
# ids CGROUP: the program ids attached there, both hooks, sorted.
ids() {
	bpftool cgroup show "$1" 2>/dev/null |
		awk '$1 ~ /^[0-9]+$/ { print $1 }' | sort -n | tr '\n' ' '
}
pins() {
	echo $(ls -A "$PIN" 2>/dev/null)
}
pin_id() {	# pin_id NAME: the id of the object pinned there
	bpftool -j "$1" show pinned "$PIN/$2" 2>/dev/null |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'
}

# ---- the 1.0 guard ------------------------------------------------------
# old10: a 1.0 guard pinned in PIN, attached to CG and CG/a; 1 (after a
# FAIL line) when it cannot be made.
if [ -n "${PORTPOOL_GUARD_10:-}" ]; then
	made="with $PORTPOOL_GUARD_10"
else
	made="from test/guard10.bpf.c"
	# A build failure is a failure, never a skip.
	arch=$(cc -print-multiarch 2>/dev/null)
	clang -target bpf -O2 -g ${arch:+-idirafter /usr/include/$arch} \
		-c -o "$TMP/guard10.o" test/guard10.bpf.c >"$TMP/old.out" 2>&1 ||
		{ result FAIL legacy "building 1.0's programs:" \
		       "$(head -n 1 "$TMP/old.out")"; finish upgrade-e2e; }
fi
old10() {
	if [ -n "${PORTPOOL_GUARD_10:-}" ]; then
		{ "$PORTPOOL_GUARD_10" --pin-dir "$PIN" load &&
		  "$PORTPOOL_GUARD_10" --pin-dir "$PIN" attach "$CG" &&
		  "$PORTPOOL_GUARD_10" --pin-dir "$PIN" attach "$CG/a"; } \
			>"$TMP/old.out" 2>&1
	else
		# Loaded, then pinned under the names 1.0 gave them; its deny
		# set {4500} (bit 4500 % 64 of word 4500 / 64: byte 562, 0x10).
		value=$(python3 -c 'print(" ".join("10" if i == 562 else "00"
			for i in range(8192)))')
		{ mkdir -m 700 "$PIN" &&
		  bpftool prog loadall "$TMP/guard10.o" "$TMP/bpf/p" \
			pinmaps "$TMP/bpf/m" &&
		  mv "$TMP/bpf/p/guard_bind4" "$PIN/bind4" &&
		  mv "$TMP/bpf/p/guard_bind6" "$PIN/bind6" &&
		  mv "$TMP/bpf/m/deny" "$PIN/deny" &&
		  mv "$TMP/bpf/m/refused" "$PIN/refused" &&
		  rmdir "$TMP/bpf/p" "$TMP/bpf/m" &&
		  bpftool map update pinned "$PIN/deny" key 0 0 0 0 \
			value hex $value &&
		  for cg in "$CG" "$CG/a"; do
			bpftool cgroup attach "$cg" bind4 pinned \
				"$PIN/bind4" multi &&
			bpftool cgroup attach "$cg" bind6 pinned \
				"$PIN/bind6" multi || exit 1
		  done; } >"$TMP/old.out" 2>&1
	fi || {
		result FAIL "$1" "the 1.0 guard: $(tail -n 1 "$TMP/old.out")"
		return 1; }
}
old10 legacy || finish upgrade-e2e
old4=$(pin_id prog bind4) old6=$(pin_id prog bind6)
olddeny=$(pin_id map deny)
oldids=$(ids "$CG")

# ---- legacy: what the new tool says of it ---------------------------------
st=$($G status 2>&1); st_rc=$?
sy=$(nsenter --net="$NS" $G sync 2>&1); sy_rc=$?
case $st in
*"earlier portpool-guard's"*'"portpool-guard load" takes it over') st=said ;;
esac
check legacy "$st_rc $st $sy_rc / $(probe "$CG/a") / $(probe "$PLAIN") / $(pins)" \
	"1 said 1 / EADDRINUSE EADDRINUSE / ok ok / bind4 bind6 deny refused" \
	"1.0 guard $made (programs $old4 $old6): status, sync; 4500 guarded, unguarded; pins"

# ---- failed: a takeover that cannot finish leaves 1.0 as it was ----------
bpftool cgroup attach "$CG/a/x" bind4 pinned "$PIN/bind4" >/dev/null 2>&1
xids=$(ids "$CG/a/x")
loop_start "$CG/a"
timed nsenter --net="$NS" $G load
loop_stop
left="$(pin_id prog bind4) $(pin_id prog bind6) $(pin_id map deny)"
case $out in
*"taking over the guard on $CG/a/x: "*"the earlier guard is left as it was"*)
	out=said ;;
esac
check failed "$rc $out / $left / $(ids "$CG") / $(ids "$CG/a") / $(ids "$CG/a/x") / $(pins) / ${looped#binds * }" \
	"1 said / $old4 $old6 $olddeny / $oldids / $oldids / $xids / bind4 bind6 deny refused / bound 0 window ${looped##* }" \
	"load's status and sentence / the pins' ids / attached to $CG, a, a/x / pins / the loop, $looped"
bpftool cgroup detach "$CG/a/x" bind4 pinned "$PIN/bind4" >/dev/null 2>&1

# ---- takeover: no bind of 4500 gets through -----------------------------
loop_start "$CG/a"
timed nsenter --net="$NS" $G load
loop_stop
set -- $looped
if [ "$rc" = 0 ] && [ "$#" = 6 ] && [ "$4" = 0 ] && [ "$6" -gt 0 ] &&
   [ "$2" -gt "$6" ]; then
	result PASS takeover "load: $(echo "$out" | tail -n 1); the loop: $looped"
else
	result FAIL takeover "load: rc $rc, $(echo "$out" | tail -n 1);" \
	       "the loop: $looped (want bound 0, binds within load's run)"
fi

# ---- layout: the new guard, and nothing left of the old -----------------
nsenter --net="$NS" $G status --json >"$TMP/status.json" 2>&1
got=$(python3 - "$TMP/status.json" "$CG" "$old4 $old6" <<'EOF' 2>&1
import json, sys
st = json.load(open(sys.argv[1]))
cg = sys.argv[2]
att = sorted((a["cgroup"], a["bind4"], a["bind6"]) for a in st["attached"])
print(len(st["netns"]), st["netns"][0]["this"], st["deny_ports"],
      att == [(cg, True, True), (cg + "/a", True, True)],
      st["refused"].get("4500", 0) > 0)
EOF
)
new4=$(pin_id prog bind4)
n=0
while bpftool prog show id "$old4" >/dev/null 2>&1 ||
      bpftool prog show id "$old6" >/dev/null 2>&1 ||
      bpftool map show id "$olddeny" >/dev/null 2>&1; do
	n=$((n + 1)); [ $n -gt 30 ] && break; sleep 0.1
done
gone=yes
bpftool prog show id "$old4" >/dev/null 2>&1 && gone="bind4 $old4 alive"
bpftool map show id "$olddeny" >/dev/null 2>&1 && gone="deny $olddeny alive"
[ "$new4" != "$old4" ] && case " $(ids "$CG") " in
	*" $new4 "*) ;; *) new4="$new4 not attached" ;; esac
check layout "$got / $(pins) / $gone / $(probe "$CG/a") / $(probe "$PLAIN")" \
	"1 True 1 True True / bind4 bind6 deny netns nsinfo owners refused / yes / EADDRINUSE EADDRINUSE / ok ok" \
	"status: namespaces, this one, deny set, $CG and a attached, 4500 refused; pins; 1.0's objects freed; 4500 guarded, unguarded (program $new4)"

# ---- gap: the negative control ------------------------------------------
# An upgrade by unload and load again leaves a moment without a guard:
# the loop finds it, so its "bound 0" above means something.
loop_start "$CG/a"
timed sh -c "$G unload && sleep 0.1 && nsenter --net=$NS $G load &&
	$G attach $CG/a"
loop_stop
set -- $looped
if [ "$rc" = 0 ] && [ "$#" = 6 ] && [ "$4" -gt 0 ]; then
	result PASS gap "unload, then load: the loop bound 4500: $looped"
else
	result FAIL gap "rc $rc, $(echo "$out" | tail -n 1); the loop:" \
	       "$looped (want some bound)"
fi

# ---- run: the service's command takes a 1.0 guard over ----------------
# After a package upgrade systemd starts the new "run" on the old pins.
$G unload >/dev/null 2>&1
if old10 run; then
	old4=$(pin_id prog bind4)
	loop_start "$CG/a"
	t0=$(date +%s%N)
	nsenter --net="$NS" $G run "$CG" >"$TMP/run.out" 2>&1 &
	run_pid=$!
	pids="$pids $run_pid"
	wait_for "$TMP/run.out" '^attached|failed|portpool-guard:' 50
	echo "$t0 $(date +%s%N)" >"$TMP/window"
	loop_stop
	st=$(nsenter --net="$NS" $G status --json 2>&1 | python3 -c '
import json, sys
st = json.load(sys.stdin)
print(len(st["netns"]), sorted(a["cgroup"] for a in st["attached"]))' 2>&1)
	kill -TERM "$run_pid"
	wait "$run_pid"
	rc=$?
	set -- $looped
	if [ "$rc" = 0 ] && [ "$#" = 6 ] && [ "$4" = 0 ] && [ "$6" -gt 0 ] &&
	   grep -q '^took over the guard of an earlier' "$TMP/run.out" &&
	   [ "$st" = "1 ['$CG', '$CG/a']" ] &&
	   [ "$(pins)" = "bind4 bind6 deny netns nsinfo owners refused" ] &&
	   [ "$(pin_id prog bind4)" != "$old4" ]; then
		result PASS run "$(head -n 1 "$TMP/run.out"); the loop: $looped"
	else
		result FAIL run "rc $rc, $(tr '\n' ' ' <"$TMP/run.out");" \
		       "status: $st; pins: $(pins); the loop: $looped"
	fi
fi

finish upgrade-e2e
