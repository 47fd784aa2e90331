#!/bin/sh
# SPDX-License-Identifier: ISC
#
# End to end for the edges of portpool-guard and portpool-info that an
# unprivileged user or an odd host reaches, with a real bpffs, real
# cgroups and real BPF programs:
#   takeover    on a bpffs mounted with the kernel's default mode 1777,
#               uid 65534 makes the pin directory, or a symlink to a
#               directory of its own, before root loads: load refuses and
#               pins nothing; a directory others may write is refused; a
#               directory root made stays root's
#   foreign     a map that is not the guard's, pinned as DIR/deny: load
#               fails with a sentence and the map stays pinned; a second
#               load of a real guard keeps its programs
#   aliases     the cgroup2 tree mounted twice and a cgroup bind-mounted
#               (in a private mount namespace): status lists the cgroup
#               once, detach works through another path, unload succeeds
#   names       a cgroup whose name holds ESC, BEL, a tab and a byte that is
#               not UTF-8: status --json is valid JSON, status text holds
#               no control byte
#   comm        a process renamed to ESC ] 2 ; pwn BEL ESC [ 2 J holds a
#               port: portpool-info --who and --audit print it escaped;
#               with another named with SOH, 0xff, ESC and DEL holding one
#               too, --svg is XML that xmllint accepts
#   netns files a FIFO, a regular file, a directory and /dev/null given
#               as a network namespace: refused at once, nothing pinned
#   reused pid  /proc/200/ns/net given, its process ended and PID 200
#               given to a process in another namespace (ns_last_pid, in a
#               PID namespace of the test's own): that one is not guarded;
#               the owner file follows a name made again, --netns does not
#   escapes     names with control bytes in every sentence the tools print
#               (pin directory, unit directory, unit, --sources, options)
#   usage       own and disown with bad PORTS: exit 2, one line
#   enable      bad unit names and pin directories are refused, nothing
#               written; a pin directory with a space and a "%" gives a
#               drop-in that systemd-analyze verify accepts (and, as the
#               negative control, rejects with the "%" left unescaped)
# One line per check, then "guard-edges-e2e: N passed, M failed".  Exit
# 77 (needs root) when not root; a skip is exit 77, or 1 under CI=true.
#
# Usage: sh test/guard-edges-e2e.sh      (B=dir picks the build directory)

cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
B=${B:-build}

. test/e2e-lib.sh
E2E_SEP=
need_root "BPF programs on cgroups, a bpffs, uid 65534"
PATH=$PATH:/usr/sbin:/sbin
export PATH
cgroot
for t in python3 bpftool setpriv systemd-analyze unshare; do
	command -v $t >/dev/null 2>&1 ||
		skip "needs $t (sh test/deps.sh guard daemons)"
done
make -s B="$B" guard >/dev/null 2>&1
GUARD=$TOP/$B/tools/portpool-guard
INFO=$TOP/$B/tools/portpool-info
[ -x "$GUARD" ] && [ -x "$INFO" ] ||
	skip "needs clang, libbpf-dev, bpftool to build portpool-guard" \
	     "(sh test/deps.sh guard)"

# TMP is searchable, so that uid 65534 reaches the bpffs mounted in it.
host_tmp ppedges
chmod 755 "$TMP"
BPF=$TMP/bpf
CGA=$CGROOT/$tag-a
# ESC, BEL, a tab and 0xff in a cgroup's name (a newline the kernel
# refuses).
CGN=$CGROOT/$(printf '%s-n\377\033]2;x\007\tz' "$tag")
# Every guard loaded on our bpffs, whatever its pin directory.
at_exit 'for d in "$BPF"/*/; do
	[ -e "$d" ] && "$GUARD" --pin-dir "${d%/}" unload >/dev/null 2>&1
done'
own_cgroup -m "$CGA" "$CGN"
# The kernel's default mode, the one a plain "mount -t bpf" gives.
own_bpffs "$BPF" -o mode=1777 ||
	skip "needs root: cannot mount a bpffs"
export PORTPOOL_CONF="$TMP/policy.conf"
printf 'reserved_ports = 4500\n' >"$PORTPOOL_CONF"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
oneline() {	# oneline TEXT: TEXT is exactly one line
	[ "$(printf '%s\n' "$1" | wc -l)" = 1 ]
}
# check NAME CONDITION DETAIL: PASS or FAIL with DETAIL.
check() {
	if eval "$2"; then result PASS "$1" "$3"; else result FAIL "$1" "$3"; fi
}

# ---- takeover -------------------------------------------------------------
nobody mkdir "$BPF/taken" && nobody mkdir "$BPF/mine" &&
	nobody ln -s "$BPF/mine" "$BPF/link" ||
	result FAIL takeover "uid 65534 could not write the bpffs (mode 1777)"
out=$("$GUARD" --pin-dir "$BPF/taken" load 2>&1); rc=$?
check "takeover dir" '[ $rc = 1 ] && oneline "$out" &&
	[ -z "$(ls -A "$BPF/taken")" ] &&
	case $out in *"owned by uid 65534"*) ;; *) false ;; esac' \
	"rc $rc, pins: $(ls -A "$BPF/taken" | tr '\n' ' '): $out"
out=$("$GUARD" --pin-dir "$BPF/link/pins" load 2>&1); rc=$?
out2=$("$GUARD" --pin-dir "$BPF/link" load 2>&1); rc2=$?
check "takeover symlink" '[ $rc = 1 ] && [ $rc2 = 1 ] && oneline "$out" &&
	[ -z "$(ls -A "$BPF/mine")" ] &&
	case $out$out2 in *"symbolic link"*"symbolic link"*) ;; *) false ;; esac' \
	"rc $rc, $rc2, in uid 65534's directory: $(ls -A "$BPF/mine" | tr '\n' ' '): $out"
mkdir "$BPF/open" && chmod 777 "$BPF/open"
out=$("$GUARD" --pin-dir "$BPF/open/pins" load 2>&1); rc=$?
out2=$("$GUARD" --pin-dir "$BPF/open" status 2>&1); rc2=$?
check "takeover writable" '[ $rc = 1 ] && [ $rc2 = 1 ] &&
	[ ! -e "$BPF/open/pins" ] &&
	case $out in *"mode 0777"*"mode=0700"*) ;; *) false ;; esac' \
	"rc $rc, status rc $rc2: $out"
# The control: a directory root makes in the same sticky bpffs loads, and
# uid 65534 can neither remove its pins nor the directory.
out=$("$GUARD" --pin-dir "$BPF/pins" load 2>&1); rc=$?
nobody rm -f "$BPF/pins/deny" 2>/dev/null
nobody rmdir "$BPF/pins" 2>/dev/null
nobody mv "$BPF/pins" "$BPF/stolen" 2>/dev/null
check "takeover control" '[ $rc = 0 ] && [ -e "$BPF/pins/deny" ] &&
	[ ! -e "$BPF/stolen" ] &&
	[ "$(stat -c %a "$BPF/pins")" = 700 ]' \
	"root's directory loads and keeps its pins: $(ls "$BPF/pins" | tr '\n' ' ')"
out=$("$GUARD" --pin-dir "$TMP/nobpf/pins" load 2>&1)
check "takeover hint" 'case $out in *"mount -t bpf -o mode=0700 bpf /sys/fs/bpf"*) ;; *) false ;; esac' \
	"$out"

# ---- foreign --------------------------------------------------------------
mkdir -m 700 "$BPF/foreign" "$BPF/foreign2"
bpftool map create "$BPF/foreign/deny" type array key 4 value 8 entries 1 \
	name notours 2>"$TMP/bpftool.err"
# Same name, other shape: still not ours.
bpftool map create "$BPF/foreign2/deny" type array key 4 value 8 \
	entries 1 name deny 2>>"$TMP/bpftool.err"
out=$("$GUARD" --pin-dir "$BPF/foreign" load 2>&1); rc=$?
out2=$("$GUARD" --pin-dir "$BPF/foreign2" load 2>&1); rc2=$?
left=$(ls "$BPF/foreign" "$BPF/foreign2" | tr '\n' ' ')
name=$(bpftool -j map show pinned "$BPF/foreign/deny" 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
check "foreign load" '[ $rc = 1 ] && [ $rc2 = 1 ] && oneline "$out" &&
	[ "$name" = notours ] && [ -e "$BPF/foreign2/deny" ] &&
	[ ! -e "$BPF/foreign/bind4" ] && [ ! -e "$BPF/foreign2/bind4" ] &&
	case $out in *"is not portpool-guard'"'"'s"*) ;; *) false ;; esac' \
	"rc $rc, $rc2, the foreign map still pinned ($name), left: $left: $out"
out=$("$GUARD" --pin-dir "$BPF/foreign" status 2>&1); rc=$?
out2=$("$GUARD" --pin-dir "$BPF/foreign" unload 2>&1); rc2=$?
check "foreign status/unload" '[ $rc = 1 ] && [ $rc2 = 1 ] &&
	[ -e "$BPF/foreign/deny" ] &&
	case $out in *"not portpool-guard'"'"'s"*) ;; *) false ;; esac' \
	"status rc $rc, unload rc $rc2, the map kept: $out"
# Loaded before: recognised, its programs kept, its deny set refreshed.
id1=$(bpftool -j prog show pinned "$BPF/pins/bind4" | python3 -c \
	'import json,sys; print(json.load(sys.stdin)["id"])')
printf 'reserved_ports = 4500,4501\n' >"$PORTPOOL_CONF"
out=$("$GUARD" --pin-dir "$BPF/pins" load 2>&1); rc=$?
id2=$(bpftool -j prog show pinned "$BPF/pins/bind4" | python3 -c \
	'import json,sys; print(json.load(sys.stdin)["id"])')
printf 'reserved_ports = 4500\n' >"$PORTPOOL_CONF"
check "foreign reload" '[ $rc = 0 ] && [ "$id1" = "$id2" ] &&
	[ "$out" = "deny set: 2 ports: 4500-4501" ]' \
	"program $id1 then $id2: $out"

# ---- aliases --------------------------------------------------------------
G="$GUARD --pin-dir $BPF/pins"
mkdir "$TMP/cg2" "$TMP/cgb"
# shellcheck disable=SC2016
unshare -m sh -c '
	mount -t cgroup2 cgroup2 "$1/cg2" || exit 3
	mount --bind "$2" "$1/cgb" || exit 3
	G=$3
	$G attach "$2" >"$1/alias.attach" 2>&1 || exit 4
	$G status >"$1/alias.status" 2>&1
	$G status --json >"$1/alias.json" 2>&1
	$G detach "$1/cg2/${2##*/}" >"$1/alias.detach" 2>&1 || exit 5
	$G attach "$1/cgb" >>"$1/alias.attach" 2>&1 || exit 6
	$G unload >"$1/alias.unload" 2>&1 || exit 7
	[ ! -e "$4/bind4" ] || exit 8
' sh "$TMP" "$CGA" "$G" "$BPF/pins"
rc=$?
n=$(grep -c "^attached: " "$TMP/alias.status")
nj=$(python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(len(d["attached"]), d["attached"][0]["cgroup"] == sys.argv[2])' \
	"$TMP/alias.json" "$CGA" 2>&1)
check "aliases" '[ $rc = 0 ] && [ "$n" = 1 ] && [ "$nj" = "1 True" ]' \
	"exit $rc, one cgroup in 3 mounts: $n text line(s), json: $nj; $(cat "$TMP/alias.unload" 2>/dev/null)"

# ---- names ----------------------------------------------------------------
$G load >/dev/null 2>&1 && $G attach "$CGN" >"$TMP/names.attach" 2>&1 &&
	$G attach "$CGA" >/dev/null 2>&1 ||
	result FAIL names "load and attach to the odd cgroup failed"
$G status --json >"$TMP/names.json" 2>&1
$G status >"$TMP/names.txt" 2>&1
valid=$(python3 -c 'import json,sys
raw = open(sys.argv[1], "rb").read()
d = json.loads(raw.decode("utf-8"))
names = sorted(a["cgroup"] for a in d["attached"])
want = sys.argv[2].encode("utf-8", "surrogateescape").decode("utf-8", "replace")
print("ok" if want in names and all(b >= 0x20 for b in raw[:-1]) else names)' \
	"$TMP/names.json" "$CGN" 2>&1)
esc=$(printf '\033')
bel=$(printf '\007')
tab=$(printf '\t')
ctl=$(cat "$TMP/names.txt" "$TMP/names.attach" | grep -c "[$esc$bel$tab]")
want="attached: $CGROOT/$tag-n\\xff\\x1b]2;x\\x07\\tz (bind4, bind6)"
check "names json" '[ "$valid" = ok ] && python3 -m json.tool "$TMP/names.json" >/dev/null' \
	"status --json parses, the name with U+FFFD: $valid"
check "names text" '[ "$ctl" = 0 ] && grep -qxF "$want" "$TMP/names.txt"' \
	"$ctl lines with a control byte; $(grep -F "$tag-n" "$TMP/names.txt"); $(cat "$TMP/names.attach")"
$G unload >/dev/null 2>&1

# ---- comm -----------------------------------------------------------------
cat >"$TMP/comm.py" <<'EOF'
import socket, sys, time
with open("/proc/self/comm", "wb") as f:
    f.write(bytes.fromhex(sys.argv[3]))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[2])))
open(sys.argv[1], "w").close()
time.sleep(30)
EOF
# shellcheck disable=SC2016
PORTPOOL_CONF=$TMP/no-policy unshare -n sh -c '
	ip link set lo up
	python3 "$1/comm.py" "$1/comm.ready" 50000 1b5d323b70776e071b5b324a &
	p=$!
	python3 "$1/comm.py" "$1/comm2.ready" 50001 01ff1b5b324a7f & p2=$!
	n=0
	until [ -e "$1/comm.ready" ] && [ -e "$1/comm2.ready" ]; do
		n=$((n + 1)); [ $n -gt 50 ] && break; sleep 0.1
	done
	"$2" --who 50000 >"$1/who.txt" 2>&1
	"$2" --who 50000 --json >"$1/who.json" 2>&1
	"$2" --audit >"$1/audit.txt" 2>&1
	"$2" --audit --json >"$1/audit.json" 2>&1
	"$2" --who 50001 >"$1/who2.txt" 2>&1
	"$2" --svg - >"$1/ports.svg" 2>&1
	kill $p $p2; wait $p $p2
' sh "$TMP" "$INFO" 2>/dev/null
shown='(\x1b]2;pwn\x07\x1b[2J)'
ctl=$(cat "$TMP/who.txt" "$TMP/audit.txt" | grep -c "[$esc$bel]")
jn=$(python3 -c 'import json,sys
w = json.load(open(sys.argv[1])); a = json.load(open(sys.argv[2]))
print(w["holders"][0]["command"] == "\x1b]2;pwn\x07\x1b[2J",
      a["at_risk"][0]["command"] == "\x1b]2;pwn\x07\x1b[2J")' \
	"$TMP/who.json" "$TMP/audit.json" 2>&1)
check "comm who" '[ "$ctl" = 0 ] && grep -qF "$shown" "$TMP/who.txt"' \
	"$ctl lines with ESC or BEL; $(head -n 1 "$TMP/who.txt")"
check "comm audit" 'grep -qF "\\x1b]2;pwn\\x07\\x1b[2J" "$TMP/audit.txt"' \
	"$(grep -F 50000 "$TMP/audit.txt")"
check "comm json" '[ "$jn" = "True True" ]' "the name as it is in --json: $jn"
if command -v xmllint >/dev/null 2>&1; then
	xml=$(xmllint --noout "$TMP/ports.svg" 2>&1); rc=$?
	check "comm svg" '[ $rc = 0 ] && grep -q "<svg" "$TMP/ports.svg" &&
		grep -qF "(\x01\xff\x1b[2J\x7f)" "$TMP/who2.txt"' \
		"xmllint rc $rc $xml; $(grep -c '<rect' "$TMP/ports.svg") rects; $(grep -F 'x01' "$TMP/who2.txt" | head -n 1)"
else
	result SKIP "comm svg" "needs xmllint (sh test/deps.sh metrics)"
fi

# ---- netns files ----------------------------------------------------------
# What is not a network namespace, given as one: refused at once (a FIFO
# is not opened, which would block under the pin directory's lock), one
# line, exit 1, and a refused load pins nothing.  In the owner file the
# same paths are skipped, each with one line.
mkfifo "$TMP/fifo" && : >"$TMP/regular" && mkdir "$TMP/adir"
bad=0 detail=
for p in fifo:FIFO regular:"regular file" adir:directory \
	/dev/null:"character device"; do
	path=$TMP/${p%%:*}
	[ "${p%%:*}" = /dev/null ] && path=/dev/null
	out=$(timeout 5 "$GUARD" --pin-dir "$BPF/nsfile" --config "$TMP/none" \
		load --netns "$path" 2>&1); rc=$?
	case $rc:$out in
	"1:portpool-guard: --netns $path: not a network namespace but a ${p#*:} "*)
		oneline "$out" && [ ! -e "$BPF/nsfile" ] && continue ;;
	esac
	bad=$((bad + 1)); detail="$detail [${p%%:*}: rc $rc, $(ls "$BPF/nsfile" 2>&1 | tr '\n' ' '): $out]"
done
check "netns files load" '[ $bad = 0 ]' \
	"a FIFO, a regular file, a directory, /dev/null refused at once, nothing pinned$detail"
$G --config "$TMP/none" load >/dev/null 2>&1
out=$(timeout 5 $G --config "$TMP/none" sync --netns "$TMP/fifo" 2>&1); rc=$?
printf 'netns %s\nnetns /dev/null\n' "$TMP/fifo" >"$TMP/fifo.conf"
out2=$(timeout 5 $G --config "$TMP/fifo.conf" sync 2>&1 >/dev/null); rc2=$?
check "netns files sync" '[ $rc = 1 ] && oneline "$out" && [ $rc2 = 0 ] &&
	[ "$(printf "%s\n" "$out2" | grep -c "(owner file): not a network namespace but a .*; skipped$")" = 2 ]' \
	"sync --netns rc $rc: $out / owner file rc $rc2: $(printf '%s' "$out2" | tr '\n' '|')"

# ---- reused pid -----------------------------------------------------------
# /proc/PID/ns/net names a process: once it ends, its PID goes to another,
# whose namespace is not the one the guard was given.  In a PID namespace
# of our own, ns_last_pid (written there only) brings PID 200 back in
# another network namespace: a sync drops the namespace and does not take
# the new one, whose binds of 4500 pass; given again with --netns it is
# guarded (the control).  A /proc link in the owner file is skipped.
# Names (a namespace bind-mounted on a file, as "ip netns add" does): the
# owner file follows one made again, --netns does not.
$G attach "$CGA" >/dev/null 2>&1
cp test/bindprobe.py "$TMP/probe.py"
cat >"$TMP/reused.sh" <<'EOF'
T=$1 G=$2 CG=$3
# probe NETNS PORT: a bind of PORT in cgroup CG and that namespace.
probe() {
	sh -c 'echo $$ >"$1/cgroup.procs" &&
		exec nsenter --net="$2" python3 "$3/probe.py" "4:$4"' \
		sh "$CG" "$1" "$T" "$2" 2>&1
}
# at200 LIST: PID 200, in a new network namespace with LIST in its
# kernel list; pid is what it got.
at200() {
	echo 199 >/proc/sys/kernel/ns_last_pid
	unshare -n sh -c 'echo "$1" >/proc/sys/net/ipv4/ip_local_reserved_ports &&
		exec sleep 100' sh "$1" &
	pid=$!
	n=0
	until [ "$(nsenter --net=/proc/$pid/ns/net \
		cat /proc/sys/net/ipv4/ip_local_reserved_ports 2>/dev/null)" = "$1" ]
	do
		n=$((n + 1)); [ $n -gt 50 ] && break; sleep 0.1
	done
}
# named NAME: a new network namespace bind-mounted on T/NAME.
named() {
	unshare -n sleep 100 &
	p=$!
	sleep 0.2
	umount "$T/$1" 2>/dev/null
	: >"$T/$1"
	mount --bind /proc/$p/ns/net "$T/$1"
	kill $p; wait $p
}
NS=/proc/200/ns/net
at200 4507; pid1=$pid
$G sync --netns $NS >"$T/r.sync1" 2>&1
r1="$(probe $NS 4500) $(probe $NS 4507)"
kill $pid1; wait $pid1
at200 4508; pid2=$pid
$G sync >"$T/r.sync2" 2>&1
$G status >"$T/r.status2" 2>&1
r2="$(probe $NS 4500) $(probe $NS 4508)"
$G sync --netns $NS >"$T/r.sync3" 2>&1
r3="$(probe $NS 4500) $(probe $NS 4508)"
$G sync --no-netns $NS >/dev/null 2>&1
printf 'netns %s\n' $NS >"$T/r.conf"
$G --config "$T/r.conf" sync >"$T/r.sync4" 2>&1
r4=$(probe $NS 4500)
kill $pid2; wait $pid2
echo "pids $pid1 $pid2"
echo "r1 $r1"
echo "r2 $r2"
echo "r3 $r3"
echo "r4 $r4"
named blue; named red
printf 'netns %s\n' "$T/blue" >"$T/n.conf"
$G --config "$T/n.conf" sync --netns "$T/red" >"$T/n.sync1" 2>&1
n1="$(probe "$T/blue" 4500) $(probe "$T/red" 4500)"
named blue; named red
$G --config "$T/n.conf" sync >"$T/n.sync2" 2>&1
n2="$(probe "$T/blue" 4500) $(probe "$T/red" 4500)"
$G --config "$T/none" sync >/dev/null 2>&1
umount "$T/blue" "$T/red"
echo "n1 $n1"
echo "n2 $n2"
EOF
unshare --pid --fork --mount-proc sh "$TMP/reused.sh" "$TMP" \
	"$GUARD --pin-dir $BPF/pins --config $TMP/none" "$CGA" \
	>"$TMP/reused.out" 2>&1
got() { sed -n "s/^$1 //p" "$TMP/reused.out"; }
c1=$(sed -n 's/^netns .* (cookie \([0-9]*\)).*/\1/p' "$TMP/r.sync1")
check "reused pid" '[ "$(got pids)" = "200 200" ] &&
	[ "$(got r1)" = "EADDRINUSE EADDRINUSE" ] &&
	[ "$(got r2)" = "ok ok" ] &&
	grep -q "^netns /proc/200/ns/net: names another namespace now (cookie [0-9]*), not the one given (cookie $c1); dropped$" "$TMP/r.sync2" &&
	! grep -q "/proc/200" "$TMP/r.status2"' \
	"PID $(got pids), guarded: $(got r1); PID 200 again: $(got r2); $(grep /proc/200 "$TMP/r.sync2")"
check "reused pid control" '[ "$(got r3)" = "EADDRINUSE EADDRINUSE" ]' \
	"the new namespace given with --netns: 4500, 4508 $(got r3)"
check "reused pid owner file" '[ "$(got r4)" = ok ] &&
	grep -q "^portpool-guard: netns /proc/200/ns/net (owner file): a link to a process.s namespace.*; skipped$" "$TMP/r.sync4"' \
	"4500: $(got r4); $(cat "$TMP/r.sync4" | grep -v '^deny set')"
check "names" '[ "$(got n1)" = "EADDRINUSE EADDRINUSE" ] &&
	[ "$(got n2)" = "EADDRINUSE ok" ] &&
	grep -q "^netns $TMP/blue: a new namespace there" "$TMP/n.sync2" &&
	grep -q "^netns $TMP/red: names another namespace now" "$TMP/n.sync2"' \
	"owner file name, --netns name: $(got n1); both made again: $(got n2)"
$G detach "$CGA" >/dev/null 2>&1

# ---- escapes --------------------------------------------------------------
# Every sentence that quotes a name from outside escapes it: one line,
# no control byte, the escape as the library writes it.  say RC WANT CMD...:
# CMD's stdout and stderr, with exit RC, hold WANT and nothing else
# unsafe.
bad=0 detail= n=0
say() {
	want_rc=$1 want=$2
	shift 2
	n=$((n + 1))
	out=$("$@" 2>&1); rc=$?
	ctl=$(printf '%s' "$out" | LC_ALL=C tr -d '\040-\176\200-\377' | wc -c)
	case $out in *"$want"*) found=1 ;; *) found= ;; esac
	if [ $rc != "$want_rc" ] || [ "$ctl" != 0 ] || [ -z "$found" ]; then
		bad=$((bad + 1))
		detail="$detail [$n: rc $rc, $ctl control bytes: $(printf '%s' "$out" | od -c | head -n 3 | tr '\n' ' ')]"
	fi
}
nl='
'
esc=$(printf '\033')
say 1 'not a unit name (".service\nExecStartPre=/bin/evil" is not' \
	"$GUARD" --unit-dir "$TMP/u1" enable "x.service${nl}ExecStartPre=/bin/evil"
say 1 "not loaded in /tmp/a\\nb\\x1b[2J (run" \
	"$GUARD" --pin-dir "/tmp/a${nl}b$esc[2J" status
say 1 'nobpf\x1b[2J/pins is not on a BPF filesystem' \
	"$GUARD" --pin-dir "$TMP/nobpf$esc[2J/pins" load
mkdir -m 777 "$TMP/w$esc[2J"
say 1 "w\\x1b[2J is writable by group or others" \
	"$GUARD" --pin-dir "$TMP/w$esc[2J/pins" status
say 0 "wrote $TMP/u\\x1b[2J/foo.service.d/portpool-guard.conf" \
	"$GUARD" --unit-dir "$TMP/u$esc[2J" enable foo
say 1 "pin directory /x.y\\x1b[2J: a path without dots" \
	"$GUARD" --pin-dir "/x.y$esc[2J" --unit-dir "$TMP/u2" own 4500 --unit foo
say 2 '--sources "\x1b[2J": known are' \
	"$GUARD" --sources "$esc[2J" status
say 2 '--range: "a\x1b[2J" is not A-B' "$INFO" --range "a$esc[2J"
say 2 'unexpected argument "\x1b]2;x"' "$INFO" "$esc]2;x"
say 2 '--emit: "x\ny" is not' "$INFO" --emit "x${nl}y"
say 2 '--family: "\x01" is not 4 or 6' "$INFO" --family "$(printf '\001')"
say 1 "cannot write $TMP/nodir\\x1b[2J/x.svg: No such file" \
	"$INFO" --svg "$TMP/nodir$esc[2J/x.svg"
check escapes '[ $bad = 0 ] && [ ! -e "$TMP/nobpf$esc[2J" ]' \
	"$n sentences with control bytes in their names, one line each, escaped$detail"

# ---- usage ----------------------------------------------------------------
# A PORTS that does not parse is bad usage: exit 2, one line that says
# the list once.
bad=0 detail= n=0
say 2 'portpool-guard: own PORTS: reserve list "abc": expected a port number at offset 0' \
	"$GUARD" --pin-dir "$BPF/pins" own abc "$CGA"
[ "$(printf '%s' "$out" | grep -o abc | wc -l)" = 1 ] || bad=$((bad + 1))
say 2 'portpool-guard: own PORTS ",": no port in the list' \
	"$GUARD" --pin-dir "$BPF/pins" own , "$CGA"
say 2 'disown PORTS: reserve list "45x"' "$GUARD" --pin-dir "$BPF/pins" disown 45x
say 2 'own PORTS: reserve list "4500,70000": port number above 65535' \
	"$GUARD" --unit-dir "$TMP/u3" own 4500,70000 --unit foo
check usage '[ $bad = 0 ] && [ ! -e "$TMP/u3" ]' \
	"$n bad PORTS: exit 2, one line$detail"

# ---- enable ---------------------------------------------------------------
U=$TMP/units
bad=0 detail=
for unit in . .. foo.bar @x.service .service a/b "a b" foo.target \
	"$(printf 'a\nExecStartPre=/bin/sh')" \
	"$(python3 -c 'print("a" * 250)')" -.slice system.slice foo@.service \
	bar@.socket; do
	out=$("$GUARD" --unit-dir "$U" enable "$unit" 2>&1); rc=$?
	if [ $rc != 1 ] || ! oneline "$out"; then
		bad=$((bad + 1)); detail="$detail [$unit: rc $rc $out]"
	fi
	case $unit:$out in
	*.slice:*"(a cycle)"*|*@.*:*"a template, which never runs itself"*) ;;
	*.slice:*|*@.*:*) bad=$((bad + 1)); detail="$detail [$unit: $out]" ;;
	esac
done
for dir in "$(printf '/x\nExecStartPre=/bin/sh -c id')" "$(printf '/x\033y')" \
	"$(printf '/x\377y')" /x/y.z; do
	out=$("$GUARD" --pin-dir "$dir" --unit-dir "$U" enable foo 2>&1); rc=$?
	if [ $rc != 1 ] || ! oneline "$out"; then
		bad=$((bad + 1)); detail="$detail [$dir: rc $rc $out]"
	fi
done
files=$(find "$U" -type f 2>/dev/null | wc -l)
check "enable refuses" '[ $bad = 0 ] && [ "$files" = 0 ]' \
	"14 unit names, 4 pin directories refused, $files files written$detail"
mkdir -p "$U"
printf '[Service]\nExecStart=/bin/true\n' >"$U/foo.service"
printf '[Service]\nType=oneshot\nExecStart=/bin/true\n' \
	>"$U/portpool-guard.service"
pd="$TMP/pins with space%Zn 'q\"/x\\y"
out=$("$GUARD" --pin-dir "$pd" --unit-dir "$U" enable foo 2>&1); rc=$?
conf=$U/foo.service.d/portpool-guard.conf
esc_pd=$(printf '%s' "$pd" | sed 's/%/%%/g')
line=$(grep -cxF "BPFProgram=bind4:$esc_pd/bind4" "$conf")
verify=$(systemd-analyze verify "$U/foo.service" 2>&1)
# The negative control: the same drop-in with the "%" as it is.
sed 's/%%/%/g' "$conf" >"$TMP/raw.conf" && cp "$TMP/raw.conf" "$conf"
verify2=$(systemd-analyze verify "$U/foo.service" 2>&1)
check "enable verify" '[ $rc = 0 ] && [ "$line" = 1 ] && [ -z "$verify" ] &&
	[ -n "$verify2" ]' \
	"systemd-analyze verify: '$verify'; with the % unescaped: $(echo "$verify2" | head -n 1)"
out=$("$GUARD" --unit-dir "$U" enable bar.socket 2>&1); rc=$?
check "enable socket" '[ $rc = 0 ] &&
	grep -qx "\[Socket\]" "$U/bar.socket.d/portpool-guard.conf"' "$out"
out=$("$GUARD" --unit-dir "$U" enable foo@bar 2>&1); rc=$?
check "enable instance" '[ $rc = 0 ] &&
	grep -qx "\[Service\]" "$U/foo@bar.service.d/portpool-guard.conf"' "$out"

finish guard-edges-e2e
