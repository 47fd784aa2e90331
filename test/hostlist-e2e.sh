#!/bin/sh
# SPDX-License-Identifier: ISC
#
# End to end: the kernel's ip_local_reserved_ports read and written whole.
# In network namespaces whose list holds 3,000 ports (20001-25999, odd:
# 18,000 bytes of text) and every other port from 1025 (32,256 ports,
# 189,048 bytes), the library (candidate map, census, is_excluded),
# portpool-info (text, --json, --emit sysctl), portpool-guard
# (--sources kernel, on a cgroup made here, pins on a bpffs of its own)
# and libportpool-preload.so agree with the kernel on every port; the
# shim refuses each bind form the kernel accepts (AF_UNSPEC with
# INADDR_ANY on an IPv4 socket, a 24-byte sockaddr_in6) and leaves the
# ones it refuses to the kernel; with a malformed policy the shim still
# refuses the kernel's ports and says so once; sync --kernel leaves the
# union of the list and the policy, and on a write failed on purpose
# (test/pwrite-fault.c) the list as it was.  Negative controls: the same
# binds outside the cgroup and without the shim all succeed.
# One line per check, then "hostlist-e2e: N passed, M failed".  Exit 77
# (needs root) when not root.
#
# Usage: sh test/hostlist-e2e.sh      (B=dir picks the build directory)

cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
B=${B:-build}

. test/e2e-lib.sh
need_root "BPF programs on cgroups (CAP_BPF, CAP_NET_ADMIN)"
unshare -n true 2>/dev/null || skip "needs root: cannot make a network namespace"
cgroot
command -v python3 >/dev/null 2>&1 || skip "needs python3 (sh test/deps.sh daemons)"
if ! make -s B="$B" all guard >/dev/null 2>&1; then
	echo "FAIL build: make B=$B all guard failed"
	exit 1
fi
GUARD=$TOP/$B/tools/portpool-guard
PRELOAD=$TOP/$B/libportpool-preload.so
INFO=$TOP/$B/tools/portpool-info
[ -x "$GUARD" ] ||
	skip "needs clang, libbpf-dev, bpftool to build portpool-guard" \
	     "(sh test/deps.sh guard)"

# A unique name for the cgroup.
host_tmp pphost
CG=$CGROOT/$tag-hostlist
PIN=$TMP/bpf/pins
at_exit '"$GUARD" --pin-dir "$PIN" unload >/dev/null 2>&1'
own_cgroup -m "$CG"
own_bpffs "$TMP/bpf" ||
	skip "needs root: cannot mount a bpffs"
chmod 700 "$TMP/bpf"

CFLAGS_T="-D_GNU_SOURCE -std=c11 -Wall -Wextra -Werror -O2 -Iinclude"
# shellcheck disable=SC2086
if ! ${CC:-cc} $CFLAGS_T -o "$TMP/probe" test/hostlist-probe.c \
	"$B/libportpool.a" -lm 2>"$TMP/cc.err" ||
   ! ${CC:-cc} $CFLAGS_T -shared -fPIC -o "$TMP/pwrite-fault.so" \
	test/pwrite-fault.c -ldl 2>>"$TMP/cc.err"; then
	result FAIL build "$(head -n 1 "$TMP/cc.err")"
	finish hostlist-e2e
fi
export TOP GUARD PRELOAD INFO PIN CG TMP
PORTPOOL_CONF=$TMP/no-policy.conf
export PORTPOOL_CONF

# The checks run in a namespace print "PASS|FAIL NAME: DETAIL" lines.
cat >"$TMP/lib.sh" <<'EOF2'
# set_list TEXT: the list, written as the kernel takes it (a page per
# write(), going on where it stopped); get_list: read in one read().
# The text goes through a pipe: 189,048 bytes is more than one argument
# of a command may hold.
set_list() {
	printf '%s\n' "$1" | python3 -c '
import os, sys
text = sys.stdin.buffer.read()
fd = os.open("/proc/sys/net/ipv4/ip_local_reserved_ports", os.O_WRONLY)
done = 0
while done < len(text):
    done += os.write(fd, text[done:])
os.close(fd)'
}
get_list() {
	python3 -c '
import os
fd = os.open("/proc/sys/net/ipv4/ip_local_reserved_ports", os.O_RDONLY)
t = os.read(fd, 1 << 20)
assert os.read(fd, 1 << 20) == b""
print(t.decode().strip() or "-")'
}
# ports FIRST LAST STEP: "FIRST,FIRST+STEP,..." as the kernel prints them.
ports() {
	python3 -c "import sys; a = [int(x) for x in sys.argv[1:]]
print(','.join(str(p) for p in range(a[0], a[1] + 1, a[2])))" "$@"
}
# check NAME GOT WANT: one line; a difference shows where it starts.
check() {
	if [ "$2" = "$3" ]; then
		echo "PASS $1: ${#3} bytes alike"
	else
		echo "FAIL $1: got ${#2} bytes, want ${#3}; got" \
		     "'$(printf %s "$2" | cut -c1-60)...'" \
		     "want '$(printf %s "$3" | cut -c1-60)...'"
	fi
}
EOF2

# One list in one namespace: $1 name, $2-$4 first last step.
cat >"$TMP/case.sh" <<'EOF2'
. "$TMP/lib.sh"
name=$1
want=$(ports "$2" "$3" "$4")
n=$(( ($3 - $2) / $4 + 1 ))
set_list "$want"
check "$name: the kernel's list" "$(get_list)" "$want"

# The library, every port.
"$TMP/probe" lib >"$TMP/$name.lib" 2>&1
check "$name: library candidate map" "$(sed -n 1p "$TMP/$name.lib")" "$want"
check "$name: library census" "$(sed -n 2p "$TMP/$name.lib")" "$n"
sample=$(python3 -c "import sys; f, l, s = map(int, sys.argv[1:])
want = set(range(f, l + 1, s))
ps = []
p = 1
while p < 65536:
    ps.append(p); p += 997 if p < 65000 else 1
print(','.join(str(p) for p in ps if p in want) or '-')" "$2" "$3" "$4")
check "$name: library is_excluded (sample)" \
	"$(sed -n 3p "$TMP/$name.lib")" "$sample"

# portpool-info: --json's kernel ranges, the text's count, --port, the
# sysctl line.
json=$("$INFO" --range 1-65535 --json 2>&1 | python3 -c '
import json, sys
k = json.load(sys.stdin)["excluded"]["kernel"]
print(k["ranges"], k["ports"])')
check "$name: portpool-info --json" "$json" "$want $n"
got=$("$INFO" --range 1-65535 2>&1 |
	awk '/kernel ip_local_reserved_ports/ { print $3 }')
check "$name: portpool-info text" "$got" "$n"
for p in "$3" $(($3 - 1)); do
	got=$("$INFO" --range 1-65535 --port "$p" 2>&1 | grep "^port $p is")
	case $p:$got in
	"$3:port $3 is never bound: kernel ip_local_reserved_ports"*|\
	"$p:port $p is a candidate"*)
		echo "PASS $name: portpool-info --port $p: $got" ;;
	*)	echo "FAIL $name: portpool-info --port $p: $got" ;;
	esac
done
got=$("$INFO" --emit sysctl 2>&1 | grep '^net\.ipv4')
check "$name: portpool-info --emit sysctl" "$got" \
	"net.ipv4.ip_local_reserved_ports = $want"

# The guard, kernel source only, on the test's cgroup: every port.
if "$GUARD" --pin-dir "$PIN" --sources kernel load >"$TMP/$name.load" 2>&1 &&
   "$GUARD" --pin-dir "$PIN" attach "$CG" >>"$TMP/$name.load" 2>&1; then
	got=$(sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" bind inet all' \
		sh "$CG" "$TMP/probe" 2>&1)
	check "$name: guard (--sources kernel)" "$got" "$want"
else
	echo "FAIL $name: guard load: $(tail -n 1 "$TMP/$name.load")"
fi
"$GUARD" --pin-dir "$PIN" unload >/dev/null 2>&1
got=$("$TMP/probe" bind inet all 2>&1)
check "$name: no guard, no shim (negative control)" "$got" "-"

# The shim, every port, in each form the kernel accepts.
for form in inet unspec inet6 inet6-24; do
	got=$(LD_PRELOAD=$PRELOAD "$TMP/probe" bind $form all 2>&1)
	check "$name: shim, bind form $form" "$got" "$want"
done
EOF2

# Forms the kernel refuses, and a malformed policy, with the 3,000 list.
cat >"$TMP/shim.sh" <<'EOF2'
. "$TMP/lib.sh"
set_list "$(ports 20001 25999 2)"
for form in unspec-lo inet-15 inet6-23; do
	plain=$("$TMP/probe" bind $form 25001 2>&1)
	got=$(LD_PRELOAD=$PRELOAD "$TMP/probe" bind $form 25001 2>&1)
	case $plain in
	ok|EADDRINUSE) echo "FAIL shim, refused form $form: the kernel said $plain" ;;
	*) check "shim, refused form $form: the kernel's error" "$got" "$plain" ;;
	esac
done
printf 'reserved_ports = 4500\nthis is not a setting\n' >"$TMP/bad.conf"
chmod 644 "$TMP/bad.conf"
got=$(PORTPOOL_CONF=$TMP/bad.conf LD_PRELOAD=$PRELOAD "$TMP/probe" \
	bind inet 25001,25999,25000,4500 2>"$TMP/bad.err" | tr '\n' ' ')
check "shim, malformed policy: kernel ports refused, the rest bound" \
	"$got" "EADDRINUSE EADDRINUSE ok ok "
said=$(grep -c '^libportpool-preload: cannot read host policy file: .*bad\.conf:2:' "$TMP/bad.err")
lines=$(wc -l <"$TMP/bad.err")
check "shim, malformed policy: said once on stderr" "$said $lines" "1 1"
got=$(PORTPOOL_CONF=$TMP/bad.conf "$TMP/probe" bind inet 25001 2>&1)
check "shim, malformed policy: without the shim (negative control)" "$got" ok
EOF2

# sync --kernel: the union, and the list as before on a failed write.
cat >"$TMP/sync.sh" <<'EOF2'
. "$TMP/lib.sh"
export PORTPOOL_CONF=$TMP/policy.conf
policy=$(ports 30001 30399 2)
printf 'reserved_ports = %s\n' "$policy" >"$PORTPOOL_CONF"
chmod 644 "$PORTPOOL_CONF"
G="$GUARD --pin-dir $PIN"
$G load >"$TMP/sync.load" 2>&1 || echo "FAIL sync: load: $(tail -n 1 "$TMP/sync.load")"
set_list 4500
$G sync --kernel >"$TMP/sync.out" 2>&1 || echo "FAIL sync --kernel (4500): $(tail -n 1 "$TMP/sync.out")"
check "sync --kernel: 4500 and a 200-port policy" "$(get_list)" "4500,$policy"
list=$(ports 20001 25999 2)
set_list "$list"
$G sync --kernel >"$TMP/sync.out" 2>&1 || echo "FAIL sync --kernel (3,000): $(tail -n 1 "$TMP/sync.out")"
check "sync --kernel: 3,000 ports and the policy" "$(get_list)" "$list,$policy"
for at in 1 2 4; do
	set_list "$list"
	LD_PRELOAD=$TMP/pwrite-fault.so PWRITE_FAIL_AT=$at $G sync --kernel \
		>"$TMP/sync.out" 2>&1
	rc=$?
	check "sync --kernel, write $at failed: the list as before" \
		"$(get_list)" "$list"
	case $rc:$(cat "$TMP/sync.out") in
	1:*"as before"*) echo "PASS sync --kernel, write $at failed: exit 1, said so" ;;
	*) echo "FAIL sync --kernel, write $at failed: exit $rc: $(tail -n 1 "$TMP/sync.out")" ;;
	esac
done
$G unload >/dev/null 2>&1
EOF2

run() {	# run SCRIPT ARGS...: in a fresh network namespace, count its lines
	timeout -k 3 300 unshare -n sh "$@" >"$TMP/run.out" 2>&1
	rc=$?
	grep -E '^(PASS|FAIL) ' "$TMP/run.out" >"$TMP/run.lines"
	while read -r status line; do
		result "$status" "${line%%:*}" "${line#*: }"
	done <"$TMP/run.lines"
	[ "$rc" -eq 0 ] || result FAIL "$1" "exit $rc: $(tail -n 1 "$TMP/run.out")"
}
run "$TMP/case.sh" 3000-ports 20001 25999 2
run "$TMP/case.sh" every-other-port 1025 65535 2
run "$TMP/shim.sh"
run "$TMP/sync.sh"
finish hostlist-e2e
