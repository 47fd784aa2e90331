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

skip() {
	echo "$*"
	[ "${CI:-}" = true ] && { echo "(a skip is a failure under CI)"; exit 1; }
	exit 77
}
if [ "$(id -u)" != 0 ]; then
	echo "needs root: BPF programs on cgroups, a bpffs, uid 65534"
	exit 77
fi
PATH=$PATH:/usr/sbin:/sbin
export PATH
CGROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$CGROOT" ] || skip "needs cgroup v2: no cgroup2 mount in /proc/mounts"
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

. test/e2e-lib.sh
E2E_SEP=

# No dots in pin paths (libbpf); TMP is searchable, so that uid 65534
# reaches the bpffs mounted in it.
TMP=$(mktemp -d /tmp/ppedgesXXXXXX) || exit 1
chmod 755 "$TMP"
tag=${TMP##*/}
BPF=$TMP/bpf
CGA=$CGROOT/$tag-a
# ESC, BEL, a tab and 0xff in a cgroup's name (a newline the kernel
# refuses).
CGN=$CGROOT/$(printf '%s-n\377\033]2;x\007\tz' "$tag")
mkdir "$BPF" "$CGA" "$CGN" || exit 1
cleanup() {
	for d in "$BPF"/*/; do
		[ -e "$d" ] && "$GUARD" --pin-dir "${d%/}" unload >/dev/null 2>&1
	done
	umount "$BPF" 2>/dev/null
	for cg in "$CGA" "$CGN"; do
		[ -f "$cg/cgroup.procs" ] || continue
		for p in $(cat "$cg/cgroup.procs"); do kill -9 "$p"; done
		sleep 0.1
		rmdir "$cg"
	done
	[ -n "${E2E_KEEP:-}" ] && echo "kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
# The kernel's default mode, the one a plain "mount -t bpf" gives.
mount -t bpf -o mode=1777 bpf "$BPF" || skip "needs root: cannot mount a bpffs"
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
