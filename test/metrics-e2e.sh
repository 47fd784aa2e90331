#!/bin/sh
# SPDX-License-Identifier: ISC
#
# End-to-end tests of portpool-info --metrics and --svg and of the
# portpool-metrics units, with the real parts from Debian, each scenario
# in its own network namespace (unshare -n, lo up) holding the KB 956188
# case: MaxUserPort 5000, UDP 4500 in the kernel's reserved list, a
# socket pool of 2,500 (portpool-info --open 2500 --hold) and one
# service on a candidate port (3000, at risk):
#   a. --metrics: the values of that case; promtool check metrics accepts
#      them, and refuses them with a wrong TYPE line (negative control);
#   b. node_exporter: the units' own commands write the files into a
#      textfile directory; node_exporter (textfile collector only, on
#      127.0.0.1) serves every portpool sample with the value printed;
#      a malformed file makes it report node_textfile_scrape_error 1;
#   c. the units: systemd-analyze verify accepts both as installed, and
#      refuses a timer with a bad setting; installed, not enabled;
#   d. --svg: valid XML, the legend's counts, and Chromium's screenshot
#      shows 4500, a pool member, the service, a free candidate and a
#      port outside the range in their legend colours;
#   e. --svg worst case: every other port of 1024-65535 reserved stays
#      under 1 MiB and valid; an unwritable FILE fails, leaving nothing;
#   f. (--guard, as root) portpool-guard status --metrics: the guard
#      loaded on a bpffs of our own, for two namespaces of our own beside
#      the host's (K, given by path to load, and S, by a sync run inside
#      it) and attached to a cgroup of our own, with an owner of 4500
#      whose cgroup name holds a quote, a backslash, ESC and 0xff: 4
#      binds to 4500 and 1 to 4507 refused, 2 allowed to the owner;
#      every series (per port, per namespace, per owner) matches
#      status --json and owners --json, promtool accepts them (and
#      refuses the 0xff byte as it is), and node_exporter serves what
#      the unit's command wrote.
# One line per scenario, then "metrics-e2e: N passed, M failed"; exit 1
# on a failure.  A scenario that cannot run is a SKIP (a FAIL under
# CI=true).
#
# With --guard, f alone: it needs real root, and exits 77 after one line
# "needs root: REASON" without it (make check counts that apart).
#
# Usage: sh test/metrics-e2e.sh [--guard]   (B=dir picks the build dir)

part=main
case ${1:-} in
--guard)
	part=guard
	if [ "$(id -u)" != 0 ]; then
		echo "needs root: portpool-guard status --metrics (BPF on a" \
		     "cgroup)"
		exit 77
	fi ;;
"") ;;
*)
	echo "usage: sh test/metrics-e2e.sh [--guard]" >&2
	exit 2 ;;
esac

cd "$(dirname "$0")/.." || exit 1
B=${B:-build}
TOP=$(pwd)
BIN=$TOP/$B
. test/e2e-lib.sh
e2e_tmp metrics

can_run=
netns
build
PATH=$PATH:/usr/sbin:/sbin
export PATH
if [ -z "$can_run" ]; then
	for tool in promtool prometheus-node-exporter xmllint chromium curl \
		    systemd-analyze python3; do
		command -v "$tool" >/dev/null 2>&1 || missing=1
	done
	[ -z "${missing:-}" ] || sh test/deps.sh metrics >"$TMP/deps.log" 2>&1
fi

# The units' commands, runnable here: each ExecStart= of the service,
# with the textfile directory and the tools' paths replaced.
python3 - "$TOP/tools/portpool-metrics.service" "$TMP" "$BIN/tools" <<'EOF'
import re, sys
unit, tmp, tools = sys.argv[1:]
text = open(unit).read().replace('\\\n', ' ')
n = 0
for line in text.splitlines():
    if not line.startswith('ExecStart='):
        continue
    m = re.fullmatch(r"ExecStart=/bin/sh -c '(.*)'", line.strip())
    if not m:
        sys.exit('unexpected ExecStart: ' + line)
    cmd = m.group(1).replace('$$', '$')
    cmd = cmd.replace('/var/lib/prometheus/node-exporter', '"$TEXTFILE"')
    cmd = cmd.replace('/usr/local/sbin/', tools + '/')
    n += 1
    open(f'{tmp}/unit-cmd{n}.sh', 'w').write(cmd + '\n')
if n != 2:
    sys.exit(f'{n} ExecStart= lines, expected 2')
EOF
[ $? -eq 0 ] || can_run="cannot read the ExecStart= lines of the service"

cat >"$TMP/lib.sh" <<'EOF'
. "$E2E_LIB"
info=$bin/tools/portpool-info
trap cleanup EXIT
fail() {
	verdict FAIL "$@"
}
# The KB case: 4500 reserved, a service on UDP 3000, then the pool of
# 2,500 around it; pool_pid is the pool's holder.
kb_setup() {
	sysctl -qw net.ipv4.ip_local_reserved_ports=4500 ||
		fail "cannot write ip_local_reserved_ports"
	python3 -c 'import socket, signal
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 3000))
print("bound", flush=True)
signal.pause()' >"$dir/service.out" 2>&1 &
	pids="$pids $!"
	wait_for "$dir/service.out" '^bound' 50 ||
		fail "the service on 3000 did not start"
	"$info" --max-user-port 5000 --open 2500 --hold >"$dir/pool.out" 2>&1 &
	pool_pid=$!
	pids="$pids $pool_pid"
	wait_for "$dir/pool.out" '^holding 2500 members' 100 ||
		fail "the pool of 2500 is not held: $(tail -n 1 "$dir/pool.out")"
}
# value FILE NAME{LABELS}: the sample's value.
value() {
	awk -v n="$2" '$1 == n { print $2 }' "$1"
}
EOF

# a. --metrics: the KB case's values; promtool accepts them.
cat >"$TMP/a.sh" <<'EOF'
dir=$1 bin=$2
. "${dir%/*}/lib.sh"
kb_setup
"$info" --max-user-port 5000 --metrics >"$dir/m.prom" 2>"$dir/m.err" ||
	fail "--metrics exit $?: $(cat "$dir/m.err")"
for want in portpool_range_first_port@1024 portpool_range_last_port@5000 \
	    portpool_range_ports@3977 \
	    'portpool_excluded_ports{source="kernel"}@1' \
	    'portpool_excluded_ports{source="caller"}@0' \
	    portpool_weak@1 portpool_socket_pools@1 \
	    portpool_socket_pool_member_sockets@2500 \
	    portpool_at_risk_sockets@1 portpool_candidate_udp_sockets@2501; do
	got=$(value "$dir/m.prom" "${want%@*}")
	[ "$got" = "${want#*@}" ] ||
		fail "${want%@*} is \"$got\", not ${want#*@}"
done
# The candidates and the sources agree with the census of --json.
"$info" --max-user-port 5000 --json >"$dir/census.json" ||
	fail "--json failed"
python3 - "$dir/census.json" "$dir/m.prom" <<'PY' || fail "--json and --metrics differ"
import json, sys
d = json.load(open(sys.argv[1]))
m = dict(l.rsplit(' ', 1) for l in open(sys.argv[2])
         if l.strip() and not l.startswith('#'))
assert int(m['portpool_candidate_ports']) == d['candidates'], 'candidates'
for tok, v in d['excluded'].items():
    if tok != 'total':
        key = 'portpool_excluded_ports{source="%s"}' % tok
        assert int(m[key]) == v['ports'], key
PY
# Every family has HELP and TYPE, and no gauge ends in _total.
grep -q '_total' "$dir/m.prom" && fail "a gauge named _total"
promtool check metrics <"$dir/m.prom" >"$dir/promtool.out" 2>&1 ||
	fail "promtool check metrics: $(head -n 1 "$dir/promtool.out")"
# Negative control: promtool refuses a wrong TYPE line.
sed 's/^# TYPE portpool_weak gauge$/# TYPE portpool_weak gaugee/' \
	"$dir/m.prom" >"$dir/bad.prom"
cmp -s "$dir/m.prom" "$dir/bad.prom" && fail "the control did not change"
promtool check metrics <"$dir/bad.prom" >/dev/null 2>&1 &&
	fail "promtool accepts a wrong TYPE line: the check proves nothing"
verdict PASS "$(grep -vc '^#' "$dir/m.prom") samples with the KB values" \
	"(2500 pool members, 1 at risk, kernel 1); promtool accepts them," \
	"refuses a wrong TYPE"
EOF

# b. node_exporter serves what the units' commands wrote.
cat >"$TMP/b.sh" <<'EOF'
dir=$1 bin=$2 tmp=$3
. "${dir%/*}/lib.sh"
kb_setup
TEXTFILE=$dir/textfile
export TEXTFILE
mkdir -p "$TEXTFILE"
# A stale guard file, left from a guard that is no longer loaded: the
# service's second command removes it.
echo 'portpool_guard_deny_ports 7' >"$TEXTFILE/portpool-guard.prom"
# The KB configuration through the host policy's stand-in: the command
# runs portpool-info as the unit does, with these options added.
sed 's|portpool-info --metrics|portpool-info --max-user-port 5000 --metrics|' \
	"$tmp/unit-cmd1.sh" >"$dir/cmd1.sh"
sh "$dir/cmd1.sh" || fail "the unit's --metrics command failed"
sh "$tmp/unit-cmd2.sh" || fail "the unit's guard command failed"
ls -A "$TEXTFILE" >"$dir/ls"
[ "$(cat "$dir/ls")" = portpool.prom ] ||
	fail "the textfile directory holds: $(tr '\n' ' ' <"$dir/ls")"
prometheus-node-exporter --web.listen-address=127.0.0.1:9100 \
	--collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$TEXTFILE" >"$dir/ne.log" 2>&1 &
pids="$pids $!"
scrape() {
	tries=0
	until curl -sf -m 2 http://127.0.0.1:9100/metrics >"$1" 2>/dev/null
	do
		tries=$((tries + 1))
		[ "$tries" -gt 50 ] && fail "node_exporter does not answer:" \
			"$(tail -n 1 "$dir/ne.log")"
		sleep 0.1
	done
}
scrape "$dir/scrape1"
[ "$(value "$dir/scrape1" node_textfile_scrape_error)" = 0 ] ||
	fail "node_textfile_scrape_error is not 0"
# Every sample written is served with the same value.
grep -v '^#' "$TEXTFILE/portpool.prom" >"$dir/samples"
n=0
while read -r name v; do
	got=$(value "$dir/scrape1" "$name")
	[ "$got" = "$v" ] || fail "node_exporter serves $name \"$got\", not $v"
	n=$((n + 1))
done <"$dir/samples"
[ "$n" -ge 15 ] || fail "only $n samples written"
[ "$(value "$dir/scrape1" portpool_socket_pool_member_sockets)" = 2500 ] ||
	fail "node_exporter does not serve the 2500 pool members"
# Negative control: a malformed file is reported.
printf 'portpool_broken{source="kernel" 1\n' >"$TEXTFILE/broken.prom"
scrape "$dir/scrape2"
[ "$(value "$dir/scrape2" node_textfile_scrape_error)" = 1 ] ||
	fail "a malformed file leaves node_textfile_scrape_error" \
	     "$(value "$dir/scrape2" node_textfile_scrape_error)"
verdict PASS "node_exporter serves the $n samples the unit's command wrote" \
	"(2500 pool members); a malformed file: node_textfile_scrape_error 1"
EOF

# d. --svg, rendered by Chromium.
cat >"$TMP/d.sh" <<'EOF'
dir=$1 bin=$2 top=$3
. "${dir%/*}/lib.sh"
kb_setup
svg=$dir/kb.svg
"$info" --max-user-port 5000 --svg "$svg" 2>"$dir/svg.err" ||
	fail "--svg exit $?: $(cat "$dir/svg.err")"
ls -A "$dir" | grep -q '^kb\.svg\.' && fail "a temporary file is left"
xmllint --noout "$svg" 2>"$dir/xmllint.out" ||
	fail "xmllint: $(head -n 1 "$dir/xmllint.out")"
size=$(wc -c <"$svg")
[ "$size" -lt 1048576 ] || fail "$size bytes"
"$info" --max-user-port 5000 --svg - >"$dir/stdout.svg" ||
	fail "--svg - failed"
cmp -s "$svg" "$dir/stdout.svg" || fail "--svg - differs from --svg FILE"
for want in '1 kernel ip_local_reserved_ports (orange)' \
	    '2500 candidate held by a socket pool (blue)' \
	    '1 candidate held by a socket: at risk (vermillion)' \
	    '61559 outside the effective range (light grey)'; do
	grep -qF ">$want<" "$svg" || fail "the legend does not say \"$want\""
done
# The ports to look at: a pool member, a free candidate (neither
# excluded nor bound), away from the range's outline.
ss -Hunlp >"$dir/ss" || fail "ss failed"
"$info" --max-user-port 5000 --json >"$dir/census.json" || fail "--json"
set -- $(python3 - "$dir/ss" "$dir/census.json" "$pool_pid" <<'PY'
import json, re, sys
ss, census, pid = sys.argv[1:]
def inside(p):
    return 1280 <= p < 4864 and 2 <= p % 256 <= 253
bound, member = set(), None
for line in open(ss):
    port = int(line.split()[3].rsplit(':', 1)[1])
    bound.add(port)
    if member is None and f'pid={pid},' in line and inside(port):
        member = port
excl = set()
for tok, v in json.load(open(census))['excluded'].items():
    if tok == 'total' or not v['ranges']:
        continue
    for part in v['ranges'].split(','):
        a, _, b = part.partition('-')
        excl.update(range(int(a), int(b or a) + 1))
free = min(p for p in range(1024, 5001)
           if p not in bound | excl and inside(p))
print(member, free)
PY
)
member=$1 free=$2
[ -n "$member" ] && [ "$member" != None ] || fail "no pool member found"
# Chromium's screenshot, at one pixel per CSS pixel.
sandbox=
[ "$(id -u)" = 0 ] && sandbox=--no-sandbox
timeout 60 chromium --headless $sandbox --disable-gpu --no-first-run \
	--disable-background-networking --disable-component-update \
	--disable-sync --user-data-dir="$dir/profile" --hide-scrollbars \
	--force-device-scale-factor=1 --window-size=1288,864 \
	--screenshot="$dir/kb.png" "file://$svg" >"$dir/chromium.log" 2>&1
[ -s "$dir/kb.png" ] || fail "no screenshot: $(tail -n 1 "$dir/chromium.log")"
# Cell centres (grid at 56,56, 3 px a port) and the legend's swatches
# (at x 856, from y 84, 24 px apart, in the legend's order).
cell() {
	echo $((56 + $1 % 256 * 3 + 1)) $((56 + $1 / 256 * 3 + 1))
}
swatch() {
	echo 856 $((84 + $1 * 24))
}
python3 "$top/test/png-pixel.py" "$dir/kb.png" \
	$(swatch 0) $(swatch 2) $(swatch 6) $(swatch 7) $(swatch 8) \
	$(cell 6000) $(cell 4500) $(cell 3000) $(cell "$free") \
	$(cell "$member") >"$dir/pixels" || fail "cannot read the screenshot"
set -- $(cat "$dir/pixels")
[ $# -eq 10 ] || fail "$# pixels read"
out=$1 kernel=$2 cand=$3 sock=$4 pool=$5
[ "$kernel" = "#e69f00" ] && [ "$cand" = "#56b4e9" ] ||
	fail "legend swatches $kernel, $cand: not the legend's colours"
for c in $out $kernel $cand $sock; do
	for d in $kernel $cand $sock $pool; do
		[ "$c" = "$d" ] || continue
		[ "$c" = "$kernel" ] && [ "$d" = "$kernel" ] && continue
		[ "$c" = "$cand" ] && [ "$d" = "$cand" ] && continue
		[ "$c" = "$sock" ] && [ "$d" = "$sock" ] && continue
		fail "two kinds share the colour $c"
	done
done
[ "$6" = "$out" ] || fail "port 6000 is $6, not outside's $out"
[ "$7" = "$kernel" ] || fail "port 4500 is $7, not the kernel's $kernel"
[ "$8" = "$sock" ] || fail "port 3000 is $8, not at risk's $sock"
[ "$9" = "$cand" ] || fail "free port $free is $9, not candidate's $cand"
[ "${10}" = "$pool" ] || fail "member $member is ${10}, not the pool's $pool"
verdict PASS "Chromium shows 4500 $7, member $member ${10}, service 3000 $8," \
	"free $free $9, 6000 $6, as the legend; $size bytes, valid XML"
EOF

# e. The worst case for size, and a FILE that cannot be written.
cat >"$TMP/e.sh" <<'EOF'
dir=$1 bin=$2 top=$3
. "${dir%/*}/lib.sh"
# Every other port of 1024-65535 reserved by the program (in lists of
# 500, under the 128 KiB an argument may hold), every eighth of 1024-57023
# by the policy file: about 64,500 runs of one port each.
python3 -c '
ps = list(range(1024, 65536, 8))[:7000]
for i in range(0, len(ps), 100):
    print("reserved_ports = " + ",".join(map(str, ps[i:i + 100])))
' >"$dir/policy.conf"
set -- $(python3 -c '
ps = list(range(1025, 65536, 2))
for i in range(0, len(ps), 500):
    print("--reserve", ",".join(map(str, ps[i:i + 500])))
')
"$info" --range 1024-65535 --policy "$dir/policy.conf" "$@" \
	--svg "$dir/worst.svg" 2>"$dir/err" ||
	fail "--svg exit $?: $(cat "$dir/err")"
size=$(wc -c <"$dir/worst.svg")
[ "$size" -lt 1048576 ] || fail "the worst case is $size bytes, over 1 MiB"
xmllint --noout "$dir/worst.svg" 2>"$dir/xmllint.out" ||
	fail "xmllint: $(head -n 1 "$dir/xmllint.out")"
grep -qF '>32256 reserved by the program (reddish purple)<' \
	"$dir/worst.svg" || fail "the legend does not count 32256 reserved"
grep -q '^<path ' "$dir/worst.svg" || fail "not drawn as paths"
# Chromium draws the paths port by port: 10240 the policy's, 10241 the
# program's, 10242 a candidate, 10243 the program's.
sandbox=
[ "$(id -u)" = 0 ] && sandbox=--no-sandbox
timeout 60 chromium --headless $sandbox --disable-gpu --no-first-run \
	--disable-background-networking --disable-component-update \
	--disable-sync --user-data-dir="$dir/profile" --hide-scrollbars \
	--force-device-scale-factor=1 --window-size=1288,864 \
	--screenshot="$dir/worst.png" "file://$dir/worst.svg" \
	>"$dir/chromium.log" 2>&1
y=$((56 + 40 * 3 + 1))
got=$(python3 "$top/test/png-pixel.py" "$dir/worst.png" 57 "$y" 60 "$y" \
	63 "$y" 66 "$y" | tr '\n' ' ')
[ "$got" = "#f0e442 #cc79a7 #56b4e9 #cc79a7 " ] ||
	fail "ports 10240-10243 are $got, not yellow, purple, sky blue, purple"
# Bad usage: exit 2, one line, nothing on stdout, no file.
for args in "--svg" "--svg ''" "--metrics --json" "--svg x.svg --json" \
	    "--metrics --audit" "--metrics --svg x.svg" "--metrics --port 53" \
	    "--svg x.svg --open 10" "--metrics extra"; do
	(cd "$dir" && eval "\"\$info\" $args") >"$dir/o" 2>"$dir/e"
	rc=$?
	[ "$rc" -eq 2 ] && [ ! -s "$dir/o" ] &&
	[ "$(wc -l <"$dir/e")" -eq 1 ] && [ ! -e "$dir/x.svg" ] ||
		fail "portpool-info $args: exit $rc, $(head -n 2 "$dir/e")"
done
# A FILE in a directory that is a file: exit 1, one line, nothing made.
: >"$dir/notadir"
"$info" --svg "$dir/notadir/x.svg" >"$dir/o" 2>"$dir/e"
rc=$?
[ "$rc" -eq 1 ] && [ ! -s "$dir/o" ] && [ "$(wc -l <"$dir/e")" -eq 1 ] ||
	fail "--svg to an unwritable path: exit $rc, $(cat "$dir/e")"
# A FILE whose directory is read-only to an unprivileged user (when we
# can become one: not as root of a user namespace).
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null
then
	mkdir "$dir/ro" && echo old >"$dir/ro/p.svg" && chmod 755 "$dir/ro"
	chmod 755 "$dir"
	# (A copy uid 65534 can run: the tree may sit under /root.)
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$(others_copy "$info" "$dir/others")" --svg "$dir/ro/p.svg" \
		>/dev/null 2>"$dir/e2"
	rc=$?
	[ "$rc" -eq 1 ] && [ "$(cat "$dir/ro/p.svg")" = old ] &&
	[ "$(ls -A "$dir/ro")" = p.svg ] ||
		fail "uid 65534 writing a read-only directory: exit $rc," \
		     "$(ls -A "$dir/ro")"
fi
verdict PASS "every other port reserved: $size bytes, valid XML, drawn" \
	"port by port;" \
	"bad usage: exit 2; an unwritable FILE: exit 1, one line, the old" \
	"file kept"
EOF

main_part() {
scenario metrics "$TMP/a.sh" 60 "promtool python3" "$BIN"
scenario node-exporter "$TMP/b.sh" 60 "prometheus-node-exporter curl" \
	"$BIN" "$TMP"

# c. The units as installed: verified, not enabled.  verify exits 0 on
# a setting it cannot parse ("ignoring"): it must also print nothing.
verify() {	# DIR: both units of DIR pass
	sd_verify --man=no "$1/portpool-metrics.service" \
		"$1/portpool-metrics.timer" >"$TMP/verify.log" 2>&1 &&
	[ ! -s "$TMP/verify.log" ]
}
if [ -n "$can_run" ]; then
	result SKIP units "$can_run"
elif ! command -v systemd-analyze >/dev/null 2>&1; then
	result SKIP units "systemd-analyze is not installed"
else
	root=$TMP/root
	# The unit directory is systemd's own (/lib/systemd/system on
	# bookworm, from systemd.pc): wherever install put the service.
	if ! make -s "B=$B" install DESTDIR="$root" prefix=/usr \
		>"$TMP/install.log" 2>&1; then
		result FAIL units "make install: $(tail -n 1 "$TMP/install.log")"
	elif units=$(find "$root" -name portpool-metrics.service \
			-exec dirname {} \; | head -n 1)
	     [ -z "$units" ]; then
		result FAIL units "make install put no portpool-metrics.service"
	elif ! verify "$units"; then
		result FAIL units "systemd-analyze verify:" \
		       "$(head -n 1 "$TMP/verify.log")"
	elif ! grep -q "^ExecStart=/bin/sh -c 'd=/var/lib/prometheus/node-exporter; \\\\$" \
		"$units/portpool-metrics.service" ||
	     ! grep -q '/usr/sbin/portpool-info --metrics' \
		"$units/portpool-metrics.service"; then
		result FAIL units "the installed service does not name" \
		       "/usr/sbin/portpool-info"
	elif [ -n "$(find "$root" -path '*.wants*' 2>/dev/null)" ]; then
		result FAIL units "make install enabled something:" \
		       "$(find "$root" -path '*.wants*')"
	else
		# Negative control: a setting systemd cannot parse.
		mkdir -p "$TMP/bad"
		sed 's/^OnUnitActiveSec=.*/OnUnitActiveSec=sixty/' \
			"$units/portpool-metrics.timer" \
			>"$TMP/bad/portpool-metrics.timer"
		cp "$units/portpool-metrics.service" "$TMP/bad/"
		if verify "$TMP/bad"; then
			result FAIL units "systemd-analyze verify accepts a" \
			       "broken timer: the check proves nothing"
		else
			result PASS units "systemd-analyze verify accepts the" \
			       "installed service and timer, refuses" \
			       "OnUnitActiveSec=sixty; nothing enabled"
		fi
	fi
	make -s "B=$B" uninstall DESTDIR="$root" prefix=/usr >/dev/null 2>&1
fi

scenario svg-kb "$TMP/d.sh" 120 "xmllint chromium python3 ss" "$BIN" "$TOP"
scenario svg-worst "$TMP/e.sh" 120 "xmllint chromium python3" "$BIN" "$TOP"
}

# f. The guard's metrics: a bpffs and a cgroup of our own, removed after.
guard_metrics() {
	GUARD=$BIN/tools/portpool-guard
	CGROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	if [ -n "$can_run" ]; then
		result SKIP guard-metrics "$can_run"; return
	elif [ ! -x "$GUARD" ]; then
		result SKIP guard-metrics "portpool-guard is not built" \
		       "(sh test/deps.sh guard)"; return
	elif [ -z "$CGROOT" ]; then
		result SKIP guard-metrics "no cgroup2 mount"; return
	fi
	# No dots in the pin path (libbpf): a directory of its own.  It,
	# the bpffs, the cgroup, the guard and the namespace's holder are
	# undone on any exit, a signal's too (e2e_exit).
	gdir=$(mktemp -d /tmp/ppmetricsXXXXXX) || return
	e2e_trap "$gdir"
	pin=$gdir/bpf/pins
	cg=$CGROOT/${gdir##*/}
	holder=
	# An owner file of our own, empty: not the host's.
	G="$GUARD --pin-dir $pin --config $gdir/guard.conf"
	at_exit '[ -n "$holder" ] && kill "$holder" 2>/dev/null
$G detach "$cg" >/dev/null 2>&1
$G unload >/dev/null 2>&1'
	own_cgroup "$cg"
	mkdir -p "$gdir/textfile" || return
	own_bpffs "$gdir/bpf" || {
		result FAIL guard-metrics "cannot mount a bpffs"; return; }
	: >"$gdir/guard.conf"
	printf 'reserved_ports = 4500\n' >"$gdir/policy.conf"
	guard_check "$gdir" "$cg"
}

guard_check() {	# DIR CGROUP: one result line
	dir=$1 cg=$2
	export PORTPOOL_CONF="$dir/policy.conf"
	# Not loaded: status --metrics fails, and prints nothing.
	if $G status --metrics >"$dir/none.prom" 2>"$dir/none.err" ||
	   [ -s "$dir/none.prom" ]; then
		result FAIL guard-metrics "status --metrics without a guard" \
		       "succeeded or printed"; return
	fi
	# Namespace K, kept by path (4507 in its kernel list), given to load.
	unshare -n sh -c 'echo 4507 >/proc/sys/net/ipv4/ip_local_reserved_ports &&
		echo ready && exec sleep 100000' >"$dir/k.out" 2>&1 &
	holder=$!
	n=0
	until grep -q ready "$dir/k.out"; do
		n=$((n + 1)); [ $n -gt 50 ] && break; sleep 0.1
	done
	nsk=/proc/$holder/ns/net
	# The owner of 4500: a cgroup whose name holds a quote, a backslash,
	# ESC, BEL, a tab and 0xff, as a delegated cgroup's may (cgroupfs
	# refuses only a newline).
	odd=$cg/$(printf 'own"\\\033]2;x\007\tz\377')
	if ! $G load --netns "$nsk" >"$dir/load.out" 2>&1 || ! mkdir "$cg" ||
	   ! mkdir "$odd" || ! mkdir "$cg/plain" ||
	   ! $G attach "$cg" >>"$dir/load.out" 2>&1 ||
	   ! $G own 4500 "$odd" >>"$dir/load.out" 2>&1; then
		result FAIL guard-metrics "load: $(tail -n 1 "$dir/load.out")"
		kill "$holder"; wait "$holder" 2>/dev/null; holder=
		return
	fi
	# Each line: the binds' results, by test/bindprobe.py.
	# Three binds to 4500 from the plain cgroup, in namespace S that a
	# sync run inside it gives the guard (known by cookie alone); one
	# refused in K, two the owner makes there.
	G=$G PY=$TOP/test/bindprobe.py sh -c 'echo $$ >"$1/cgroup.procs" &&
		exec unshare -n sh -c "\$G sync >/dev/null &&
			exec python3 \$PY 4:4500 4:4500 4:4500"' sh "$cg/plain" \
		>"$dir/binds" 2>&1
	sh -c 'echo $$ >"$1/cgroup.procs" && exec nsenter --net="$2" \
		python3 "$3" 4:4500 4:4507' sh "$cg/plain" "$nsk" \
		"$TOP/test/bindprobe.py" \
		>>"$dir/binds" 2>&1
	sh -c 'echo $$ >"$1/cgroup.procs" && exec nsenter --net="$2" \
		python3 "$3" 4:4500 4:4500' sh "$odd" "$nsk" \
		"$TOP/test/bindprobe.py" \
		>>"$dir/binds" 2>&1
	$G status --metrics >"$dir/g.prom" 2>"$dir/g.err" || {
		result FAIL guard-metrics "status --metrics: $(cat "$dir/g.err")"
		kill "$holder"; wait "$holder" 2>/dev/null; holder=
		return; }
	$G status --json >"$dir/g.json" 2>&1
	$G owners --json >"$dir/o.json" 2>&1
	kill "$holder"; wait "$holder" 2>/dev/null; holder=
	want="EADDRINUSE EADDRINUSE EADDRINUSE / EADDRINUSE EADDRINUSE / ok ok"
	if [ "$(tr '\n' / <"$dir/binds" | sed 's|/| / |g; s| / $||')" != "$want" ]
	then
		result FAIL guard-metrics "binds: $(tr '\n' / <"$dir/binds")," \
		       "want $want"
		return
	fi
	# Every series against status --json and owners --json, and the
	# values these binds make.
	python3 - "$dir/g.prom" "$dir/g.json" "$dir/o.json" "$nsk" \
		>"$dir/cmp.out" 2>&1 <<'EOF'
import json, re, sys
prom, st, ow, nsk = sys.argv[1:]
st, ow = json.load(open(st)), json.load(open(ow))
text = open(prom, encoding="utf-8").read()	# fails on bad UTF-8
m = {}
lab = re.compile(r'([a-z_]+)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)')
esc = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}
for line in text.split("\n"):
    if not line or line.startswith("#"):
        continue
    name, rest = re.match(r"([a-z_]+)(.*)", line).groups()
    labels = {}
    if rest.startswith("{"):
        body, rest = rest[1:].split("} ", 1)
        pos = 0
        while pos < len(body):
            k = lab.match(body, pos)
            assert k, "bad labels: %r" % body
            labels[k.group(1)] = re.sub(r'\\[\\"n]',
                                        lambda e: esc[e.group(0)],
                                        k.group(2))
            pos = k.end()
    else:
        rest = rest.strip()
    key = (name, tuple(sorted(labels.items())))
    assert key not in m, "twice: %r" % (key,)
    m[key] = int(rest)
def one(name, **labels):
    return m[(name, tuple(sorted((k, str(v)) for k, v in labels.items())))]
def series(name):
    return {k[1]: v for k, v in m.items() if k[0] == name}
# Per port, refused and allowed, as status --json.
for kind in ("refused", "allowed"):
    got = {dict(l)["port"]: v for l, v in
           series("portpool_guard_binds_%s_total" % kind).items()}
    assert got == st[kind], (kind, got, st[kind])
    assert one("portpool_guard_binds_%s_all_total" % kind) == \
        st[kind + "_total"], kind
assert st["refused"] == {"4500": 4, "4507": 1}, st["refused"]
assert st["allowed"] == {"4500": 2}, st["allowed"]
# Per namespace: cookie, path when kept, the deny set, refused, allowed.
ns = st["netns"]
assert len(ns) == 3, ns
for n in ns:
    labels = {"netns": n["cookie"]}
    if n["path"] is not None:
        labels["path"] = n["path"]
    for f, k in (("deny_ports", "deny_ports"), ("binds_refused_total",
                 "refused"), ("binds_allowed_total", "allowed")):
        assert one("portpool_guard_netns_" + f, **labels) == n[k], (f, n)
    if n["path"] == nsk:
        assert (n["deny_ports"], n["refused"], n["allowed"]) == (2, 2, 2), n
    elif not n["this"]:
        assert (n["deny_ports"], n["refused"], n["allowed"]) == (1, 3, 0), n
for name in ("portpool_guard_netns_deny_ports",
             "portpool_guard_netns_binds_refused_total",
             "portpool_guard_netns_binds_allowed_total"):
    assert len(series(name)) == 3, name
# Per owner, as owners --json: the odd name whole, as JSON decodes it.
got = {(dict(l).get("cgroup"), dict(l)["cgroup_id"], dict(l)["port"]): v
       for l, v in series("portpool_guard_owner_binds_allowed_total").items()}
want = {(o["cgroup"], str(o["id"]), str(o["port"])): o["allowed"]
        for o in ow["owners"]}
assert got == want, (got, want)
assert list(got.values()) == [2], got
path = list(got)[0][0]
assert path.endswith('/own"\\\x1b]2;x\x07\tz\ufffd'), repr(path)
print(len(m), "series")
EOF
	if [ $? -ne 0 ]; then
		result FAIL guard-metrics "--metrics and --json differ:" \
		       "$(tail -n 1 "$dir/cmp.out")"
		return
	fi
	grep -q '^portpool_guard_attached_cgroups{hook="bind4"} 1$' \
		"$dir/g.prom" || {
		result FAIL guard-metrics "not attached to 1 cgroup"; return; }
	if ! promtool check metrics <"$dir/g.prom" >"$dir/promtool.out" 2>&1
	then
		result FAIL guard-metrics "promtool check metrics:" \
		       "$(head -n 1 "$dir/promtool.out")"
		return
	fi
	# Negative control: the owner's label with its 0xff byte as it is
	# (not U+FFFD) is refused, so the check sees the name's bytes.
	LC_ALL=C sed "s/$(printf '\357\277\275')/$(printf '\377')/" \
		"$dir/g.prom" >"$dir/bad.prom"
	if cmp -s "$dir/g.prom" "$dir/bad.prom" ||
	   promtool check metrics <"$dir/bad.prom" >/dev/null 2>&1; then
		result FAIL guard-metrics "promtool accepts a label that is not" \
		       "UTF-8: the check proves nothing"
		return
	fi
	# The unit's command, on our pins, then node_exporter serves it.
	sed "s|portpool-guard status|portpool-guard --pin-dir $pin status|" \
		"$TMP/unit-cmd2.sh" >"$dir/cmd2.sh"
	TEXTFILE=$dir/textfile sh "$dir/cmd2.sh"
	[ -s "$dir/textfile/portpool-guard.prom" ] || {
		result FAIL guard-metrics "the unit's command wrote nothing"
		return; }
	cat >"$dir/ne.sh" <<'NE'
ip link set lo up
prometheus-node-exporter --web.listen-address=127.0.0.1:9100 \
	--collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$1" >"$2/ne.log" 2>&1 &
ne=$!
# Ended by its PID however this ends: timeout signals this shell alone.
trap '[ -z "$ne" ] || kill "$ne" 2>/dev/null' EXIT
trap 'exit 1' INT TERM HUP
n=0
until curl -sf -m 2 http://127.0.0.1:9100/metrics >"$2/scrape"; do
	n=$((n + 1)); [ "$n" -gt 50 ] && break
	sleep 0.1
done
kill "$ne"; wait "$ne"; ne=
NE
	timeout -k 3 30 unshare -n sh "$dir/ne.sh" "$dir/textfile" "$dir" \
		>"$dir/ne.out" 2>&1
	# node_exporter serves every sample written, with its value (the
	# labels in its own order and escapes: compared as parsed; a label
	# left out is the empty one it adds).
	python3 - "$dir/textfile/portpool-guard.prom" "$dir/scrape" \
		>"$dir/ne.cmp" 2>&1 <<'EOF'
import re, sys
def parse(f):
    out = {}
    for line in open(f, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.startswith("portpool_guard_"):
            continue
        name, rest = re.match(r"([a-z_]+)(.*)", line).groups()
        labels = ()
        if rest.startswith("{"):
            body, rest = rest[1:].rsplit("} ", 1)
            labels = tuple(sorted((k, re.sub(r'\\(.)', lambda e:
                {"n": "\n"}.get(e.group(1), e.group(1)), v))
                for k, v in re.findall(r'([a-z_]+)="((?:[^"\\]|\\.)*)"',
                                       body) if v))
        out[(name, labels)] = float(rest)
    return out
a, b = parse(sys.argv[1]), parse(sys.argv[2])
assert a and a == b, (set(a.items()) ^ set(b.items()))
print(len(a))
EOF
	if [ $? -ne 0 ] ||
	   ! grep -q '^node_textfile_scrape_error 0$' "$dir/scrape"; then
		result FAIL guard-metrics "node_exporter does not serve the" \
		       "guard's samples: $(tail -n 1 "$dir/ne.cmp")"
		return
	fi
	result PASS guard-metrics "$(cat "$dir/cmp.out") as status --json and" \
	       "owners --json say (4500: 4 refused, 2 allowed to an owner" \
	       "named with a quote, a backslash, ESC and 0xff; 3 namespaces); promtool" \
	       "accepts them, refuses 0xff as it is; node_exporter serves" \
	       "all $(cat "$dir/ne.cmp") samples the unit's command wrote"
}
if [ "$part" = guard ]; then
	guard_metrics
	finish "metrics-e2e --guard"
fi
main_part
finish metrics-e2e
