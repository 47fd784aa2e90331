#!/bin/sh
# SPDX-License-Identifier: ISC
#
# End-to-end tests of portpool-info, the administrator's tool, as root or not,
# each scenario in its own network namespace (unshare -n) with real
# holders (socat, pool-daemon, the Debian daemons):
#   a. options: numbers out of range, clustered short options (in the
#      examples too), JSON that stays valid, the size --open uses;
#   b. --who: socat's UDP and TCP sockets found with their pid, a pool
#      recognised, a holder that cannot be seen said so;
#   c. --audit: the services at risk, exit 1, and the reserved_ports
#      line that, pasted into a policy file, makes it exit 0;
#   d. --emit: each daemon's checker accepts the emitted lines;
#   e. --emit unbound end to end: Unbound sends 1000 queries from an
#      outgoing range holding reserved ports and none leaves from them;
#      without the lines, some do (the negative control).
# One line per scenario, then "admin-e2e: N passed, M failed"; exit 1 on
# a failure.  A scenario that cannot run is a SKIP, or a FAIL when
# CI=true; a build that fails is a FAIL of every scenario.
#
# Usage: sh test/admin-e2e.sh   (from anywhere; B=dir picks the build dir)

cd "$(dirname "$0")/.." || exit 1
B=${B:-build}
TOP=$(pwd)
BIN=$TOP/$B
. test/e2e-lib.sh
e2e_tmp admin

can_run=
netns
build
if [ -z "$can_run" ]; then
	for tool in socat ss python3 unbound named-checkconf dnsmasq \
		    pdns_recursor; do
		command -v "$tool" >/dev/null 2>&1 ||
			PATH=$PATH:/usr/sbin command -v "$tool" \
				>/dev/null 2>&1 || missing=1
	done
	[ -z "${missing:-}" ] || sh test/deps.sh daemons >"$TMP/deps.log" 2>&1
fi
PATH=$PATH:/usr/sbin
export PATH

cat >"$TMP/lib.sh" <<'EOF'
. "$E2E_LIB"
info=$bin/tools/portpool-info
trap cleanup EXIT
fail() {
	verdict FAIL "$@"
}
# until PORT (udp|tcp) is bound in this namespace, 5 s at most
wait_bound() {
	n=0
	while ! ss -Han "sport = :$2" 2>/dev/null | grep -q "^$1"; do
		n=$((n + 1))
		[ "$n" -gt 50 ] && return 1
		sleep 0.1
	done
}
json_ok() {	# FILE: one valid JSON document
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1"
}
# jq-less field: json_get FILE EXPR (python on obj "d")
json_get() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]));
print(eval(sys.argv[2]))' "$1" "$2"
}
EOF

# a. Options: issue 10 items 17-20.
cat >"$TMP/a.sh" <<'EOF'
dir=$1 bin=$2
. "${dir%/*}/lib.sh"
# usage PROGRAM ARGS...: exit 2, one line on stderr, nothing on stdout.
usage() {
	"$@" >"$dir/o" 2>"$dir/e"
	rc=$?
	[ "$rc" -eq 2 ] && [ ! -s "$dir/o" ] &&
	[ "$(wc -l <"$dir/e")" -eq 1 ] ||
		fail "$* : exit $rc, $(wc -l <"$dir/o") lines out," \
			"stderr: $(head -n 1 "$dir/e")"
}
n=0
for args in "--range 4294967297-2000" "--range 1024-4294967297" \
	    "--range 70000-2000" "--port 65536" "--port 4294967297" \
	    "--open 4294967296" "--size 4294967297" \
	    "--max-user-port 4294972296" "--who 65536" "--who -1" \
	    "--port 12x" "--range -5-10" "--port"; do
	# shellcheck disable=SC2086
	usage "$info" $args
	n=$((n + 1))
done
usage "$info" --range 4294967297-2000
grep -q '"4294967297" is not a number from 0 to 65535' "$dir/e" ||
	fail "--range 4294967297-2000: $(cat "$dir/e")"
for prog in tools/portpool-info examples/dns-query examples/pool-daemon; do
	usage "$bin/$prog" -xy
	grep -q 'bad option "-x"' "$dir/e" ||
		fail "$prog -xy: $(cat "$dir/e")"
	n=$((n + 1))
done
usage "$info" --audit --who 53
usage "$info" --emit nosuchd
# JSON with a policy path holding a quote, a backslash and a tab.
pol="$dir/po\"l\\i	cy.conf"
printf 'reserved_ports = 4500\n' >"$pol"
"$info" --policy "$pol" --port 4500 --json >"$dir/j" 2>"$dir/e" ||
	fail "--json --policy: exit $?: $(cat "$dir/e")"
json_ok "$dir/j" ||
	fail "--json with a quoted path is not JSON: $(cat "$dir/j")"
why=$(json_get "$dir/j" 'd["port"]["why"]')
# The library's sentence shows the path escaped (one printable line):
# the JSON string must carry that sentence as it is.
pol_escaped="$dir/po\\\"l\\\\i\\tcy.conf"
case $why in
*"$pol_escaped"*) ;;
*) fail "the path did not survive the JSON: $why" ;;
esac
# A failed --open prints nothing to stdout, JSON or not.
for j in --json ""; do
	# shellcheck disable=SC2086
	"$info" --range 45000-45003 --no-well-known --no-etc-services \
		--open 10 $j >"$dir/o" 2>"$dir/e"
	rc=$?
	[ "$rc" -eq 1 ] && [ ! -s "$dir/o" ] && [ -s "$dir/e" ] ||
		fail "failed --open $j: exit $rc, out: $(head -c 80 "$dir/o")"
done
# --open N: the census shows N, and N members are bound.
"$info" --open 1 >"$dir/o" 2>&1 || fail "--open 1: $(tail -n 1 "$dir/o")"
grep -q '^pool size: *1 (' "$dir/o" ||
	fail "--open 1: $(grep 'pool size' "$dir/o")"
grep -q '^pool: *1 distinct' "$dir/o" || fail "--open 1 bound other than 1"
"$info" --open 3 --json >"$dir/j" || fail "--open 3 --json failed"
[ "$(json_get "$dir/j" 'd["size"], d["pool"]["members"]')" = "(3, 3)" ] ||
	fail "--open 3 --json: $(cat "$dir/j")"
verdict PASS "$n bad usages exit 2 naming the option; JSON valid with" \
	"a quoted path; failed --open prints nothing; --open 1 shows 1"
EOF

# b. --who: real holders.
cat >"$TMP/b.sh" <<'EOF'
dir=$1 bin=$2
. "${dir%/*}/lib.sh"
socat -u UDP4-RECV:4500 /dev/null 2>/dev/null &
u=$!
socat -u TCP6-LISTEN:4500,ipv6only=1,fork /dev/null 2>/dev/null &
t=$!
pids="$u $t"
wait_bound udp 4500 && wait_bound tcp 4500 || fail "socat did not bind"
"$info" --who 4500 >"$dir/who" 2>&1 || fail "--who: $(cat "$dir/who")"
grep -q "^udp  0\.0\.0\.0:4500 bound uid 0: pid $u (socat)$" "$dir/who" ||
	fail "no UDP line for socat $u: $(cat "$dir/who")"
grep -q "^tcp6 \[::\]:4500 listen uid 0: pid $t (socat)$" "$dir/who" ||
	fail "no TCP line for socat $t: $(cat "$dir/who")"
"$info" --who 4500 --tcp >"$dir/tcp"
[ "$(grep -c 'pid' "$dir/tcp")" -eq 1 ] && grep -q "pid $t " "$dir/tcp" ||
	fail "--tcp: $(cat "$dir/tcp")"
"$info" --who 4501 >"$dir/none"
grep -q 'no UDP or TCP socket bound' "$dir/none" ||
	fail "--who 4501 (nothing there): $(cat "$dir/none")"
"$info" --who 4500 --udp --json >"$dir/j" && json_ok "$dir/j" ||
	fail "--who --json: $(cat "$dir/j")"
[ "$(json_get "$dir/j" '[(h["pid"], h["command"]) for h in d["holders"]]')" \
	= "[($u, 'socat')]" ] || fail "--who --json: $(cat "$dir/j")"
# --port shows the holders after the explanation.
"$info" --port 4500 --udp >"$dir/port"
grep -q "^  udp  0\.0\.0\.0:4500 bound uid 0: pid $u (socat)$" "$dir/port" ||
	fail "--port 4500: $(tail -n 2 "$dir/port")"
# A holder this process cannot see: its own /proc in a new PID namespace.
unshare -p -f --mount-proc "$info" --who 4500 --udp >"$dir/blind" 2>&1
grep -q 'no process here holds it' "$dir/blind" ||
	fail "unseen holder: $(cat "$dir/blind")"
# A pool: pool-daemon's 100 members.
"$bin/examples/pool-daemon" --range 45000-45199 --size 100 \
	>"$dir/daemon" 2>&1 &
d=$!
pids="$pids $d"
wait_for "$dir/daemon" '^ready: 100 members$' 50 ||
	fail "pool-daemon: $(tail -n 1 "$dir/daemon")"
port=$(ss -Hulnp | sed -n 's/^[^:]*:\([0-9][0-9]*\) .*pool-daemon.*/\1/p' |
	head -n 1)
"$info" --who "$port" >"$dir/pool"
grep -q "pid $d (pool-daemon); a socket pool: it holds 100 UDP sockets" \
	"$dir/pool" || fail "pool not recognised: $(cat "$dir/pool")"
# The same daemon linked to the shared library: the mapping is seen.
top=$3
cc -D_GNU_SOURCE -I"$top/include" -o "$dir/pool-daemon-so" \
	"$top/examples/pool-daemon.c" -L"$bin" -lportpool -lm ||
	fail "cannot build pool-daemon against libportpool.so"
LD_LIBRARY_PATH=$bin "$dir/pool-daemon-so" --range 46000-46199 --size 80 \
	>"$dir/daemon-so" 2>&1 &
pids="$pids $!"
wait_for "$dir/daemon-so" '^ready: 80 members$' 50 ||
	fail "pool-daemon-so: $(tail -n 1 "$dir/daemon-so")"
port=$(ss -Hulnp | sed -n 's/^[^:]*:\(46[0-9]*\) .*/\1/p' | head -n 1)
"$info" --who "$port" >"$dir/pool-so"
grep -q "it holds 80 UDP sockets, libportpool.so mapped$" "$dir/pool-so" ||
	fail "shared pool not recognised: $(cat "$dir/pool-so")"
grep -q 'mapped' "$dir/pool" && fail "a static pool said to map the .so"
# Control: socat's single socket is no pool.
grep -q 'socket pool' "$dir/who" && fail "socat taken for a pool"
verdict PASS "socat's udp and tcp6 holders with pids; --tcp, --json," \
	"--port; unseen holder said so; pool-daemon seen as a pool of 100," \
	"and with libportpool.so when linked to it"
EOF

# c. --audit
cat >"$TMP/c.sh" <<'EOF'
dir=$1 bin=$2
. "${dir%/*}/lib.sh"
cfg="--range 4000-5000"
# shellcheck disable=SC2086
"$info" $cfg --audit >"$dir/empty"
rc=$?
[ "$rc" -eq 0 ] && grep -q '^nothing at risk' "$dir/empty" ||
	fail "empty namespace: exit $rc: $(cat "$dir/empty")"
socat -u UDP4-RECV:4500 /dev/null 2>/dev/null &	# IPsec: not a candidate
a=$!
socat -u UDP6-RECV:4600 /dev/null 2>/dev/null &	# at risk
b=$!
socat -u TCP4-LISTEN:4700,fork /dev/null 2>/dev/null &	# at risk
c=$!
socat -u UDP4-RECV:6000 /dev/null 2>/dev/null &	# outside the range
e=$!
pids="$a $b $c $e"
for p in udp:4500 udp:4600 tcp:4700 udp:6000; do
	wait_bound "${p%:*}" "${p#*:}" || fail "socat did not bind $p"
done
# A connected TCP socket to 4700 is not listening: not listed.
sleep 30 | socat - TCP4:127.0.0.1:4700 &
pids="$pids $!"
sleep 0.3
# shellcheck disable=SC2086
"$info" $cfg --audit >"$dir/audit" 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "--audit exit $rc with two at risk: $(cat "$dir/audit")"
grep -Eq "^4600 +udp6 +\[::\] +$b socat$" "$dir/audit" &&
grep -Eq "^4700 +tcp +0\.0\.0\.0 +$c socat$" "$dir/audit" &&
[ "$(grep -Ec '^[0-9]+ ' "$dir/audit")" -eq 2 ] ||
	fail "--audit lines: $(cat "$dir/audit")"
line=$(tail -n 1 "$dir/audit")
[ "$line" = "reserved_ports = 4600,4700" ] || fail "last line: $line"
# shellcheck disable=SC2086
"$info" $cfg --audit --json >"$dir/j" && [ $? -eq 1 ] || true
json_ok "$dir/j" || fail "--audit --json: $(cat "$dir/j")"
expr='[h["port"] for h in d["at_risk"]], d["reserved_ports"]'
got=$(json_get "$dir/j" "$expr")
[ "$got" = "([4600, 4700], '4600,4700')" ] ||
	fail "--audit --json: $(cat "$dir/j")"
# Many at once (a dump spans several netlink reads): a pool of 300,
# statically linked (64 distinct UDP ports or more: a pool), and a
# libportpool.so pool of 10 (the mapping alone: a pool).  Their members
# are random ports they redraw: never at risk, never in the line.
# Control: a service binding one port 70 times (SO_REUSEPORT, as BIND
# does per thread) holds 64 sockets or more but one port: no pool, at
# risk, in the line.  Bound first: a pool could take 4800.
python3 -c 'import socket, sys, time
s = []
for i in range(70):
    k = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    k.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    k.bind(("0.0.0.0", 4800))
    s.append(k)
open(sys.argv[1], "w").write("bound\n")
time.sleep(60)' "$dir/reuse" &
r=$!
pids="$pids $r"
wait_for "$dir/reuse" '^bound$' 50 || fail "the 70 sockets on 4800"
"$bin/examples/pool-daemon" --range 4000-5000 --size 300 >"$dir/daemon" 2>&1 &
d=$!
pids="$pids $d"
wait_for "$dir/daemon" '^ready: 300 members$' 50 ||
	fail "pool-daemon: $(tail -n 1 "$dir/daemon")"
top=$3
cc -D_GNU_SOURCE -I"$top/include" -o "$dir/pool-daemon-so" \
	"$top/examples/pool-daemon.c" -L"$bin" -lportpool -lm ||
	fail "cannot build pool-daemon against libportpool.so"
LD_LIBRARY_PATH=$bin "$dir/pool-daemon-so" --range 4000-5000 --size 10 \
	>"$dir/daemon-so" 2>&1 &
so=$!
pids="$pids $so"
wait_for "$dir/daemon-so" '^ready: 10 members$' 50 ||
	fail "pool-daemon-so: $(tail -n 1 "$dir/daemon-so")"
# shellcheck disable=SC2086
"$info" $cfg --audit >"$dir/many"
rc=$?
[ "$rc" -eq 1 ] || fail "with the pools, exit $rc: $(cat "$dir/many")"
grep -Eq "^[0-9]+ .* pool-daemon(-so)?$" "$dir/many" &&
	fail "a pool's member listed at risk: $(cat "$dir/many")"
[ "$(grep -Ec "^4800 +udp +0\.0\.0\.0 +$r python3$" "$dir/many")" \
	-eq 70 ] && [ "$(grep -Ec '^[0-9]+ ' "$dir/many")" -eq 72 ] ||
	fail "with the pools: $(grep -Ec '^[0-9]+ ' "$dir/many") lines"
held='held by a socket pool (not at risk, not in the line)'
grep -q "^$held: 310 UDP sockets\$" "$dir/many" ||
	fail "pool count: $(grep '^held' "$dir/many")"
grep -q "^  pid $d (pool-daemon): 300 on candidate ports; it holds 300 UDP\
 sockets on 300 ports\$" "$dir/many" &&
grep -q "^  pid $so (pool-daemon-so): 10 on candidate ports; .*,\
 libportpool.so mapped\$" "$dir/many" ||
	fail "pool lines: $(grep '^  pid' "$dir/many")"
[ "$(tail -n 1 "$dir/many")" = "reserved_ports = 4600,4700,4800" ] ||
	fail "line with the pools: $(tail -n 1 "$dir/many")"
# shellcheck disable=SC2086
"$info" $cfg --audit --json >"$dir/jm" && [ $? -eq 1 ] || true
json_ok "$dir/jm" || fail "--audit --json with pools: $(cat "$dir/jm")"
expr='sorted((p["command"], p["sockets"], p["libportpool_mapped"])
for p in d["pools"]), d["reserved_ports"]'
got=$(json_get "$dir/jm" "$expr")
want="[('pool-daemon', 300, False), ('pool-daemon-so', 10, True)]"
[ "$got" = "($want, '4600,4700,4800')" ] ||
	fail "--audit --json with pools: $got"
kill "$d" "$so" "$r"
wait "$d" "$so" "$r" 2>/dev/null || true
# The line, pasted into a policy file, protects them all.
echo "$line" >"$dir/portpool.conf"
# shellcheck disable=SC2086
"$info" $cfg --policy "$dir/portpool.conf" --audit >"$dir/after"
rc=$?
[ "$rc" -eq 0 ] || fail "with the line pasted, exit $rc: $(cat "$dir/after")"
usage_rc=0
"$info" --audit extra >/dev/null 2>&1 || usage_rc=$?
[ "$usage_rc" -eq 2 ] || fail "bad usage exit $usage_rc"
verdict PASS "exit 0 when empty; 4600/udp6 and 4700/tcp at risk (not" \
	"4500, 6000, a connection), exit 1; pools of 300 (static) and 10" \
	"(libportpool.so) not at risk and not in the line, 70 sockets on" \
	"one port are; the line pasted gives exit 0"
EOF

# d. --emit: the daemons' own checkers.
cat >"$TMP/d.sh" <<'EOF'
dir=$1 bin=$2
. "${dir%/*}/lib.sh"
echo 4505,4520-4522 >/proc/sys/net/ipv4/ip_local_reserved_ports ||
	fail "cannot set ip_local_reserved_ports"
printf 'reserved_ports = 4510\n' >"$dir/pp.conf"
opts="--policy $dir/pp.conf --range 4000-5000"
for d in unbound bind pdns-recursor dnsmasq sysctl systemd; do
	# shellcheck disable=SC2086
	"$info" $opts --emit "$d" >"$dir/$d" 2>"$dir/$d.err" ||
		fail "--emit $d: $(cat "$dir/$d.err")"
done
# unbound
grep -q '^	outgoing-port-avoid: 4505$' "$dir/unbound" &&
grep -q '^	outgoing-port-avoid: 4510$' "$dir/unbound" &&
grep -q '^	outgoing-port-avoid: 4520-4522$' "$dir/unbound" ||
	fail "unbound lines: $(head -n 5 "$dir/unbound")"
cat >"$dir/unbound.conf" <<CONF
server:
	chroot: ""
	username: ""
	directory: "$dir"
	pidfile: ""
CONF
cat "$dir/unbound" >>"$dir/unbound.conf"
unbound-checkconf "$dir/unbound.conf" >"$dir/uc" 2>&1 ||
	fail "unbound-checkconf: $(tail -n 1 "$dir/uc")"
# bind
grep -q 'avoid-v4-udp-ports {.* 4505;.* 4510;.* range 4520 4522;' "$dir/bind" &&
grep -q 'avoid-v6-udp-ports {.* 4505;' "$dir/bind" &&
grep -q '9.21 removed' "$dir/bind" || fail "bind lines: $(cat "$dir/bind")"
{ echo "options {"; echo "	directory \"$dir\";"; cat "$dir/bind"
  echo "};"; } >"$dir/named.conf"
named-checkconf "$dir/named.conf" >"$dir/nc" 2>&1 ||
	fail "named-checkconf: $(tail -n 1 "$dir/nc")"
# pdns-recursor
grep -q '^udp-source-port-min=4000$' "$dir/pdns-recursor" &&
grep -q '^udp-source-port-max=5000$' "$dir/pdns-recursor" &&
grep -Eq '^udp-source-port-avoid=([0-9]+,)*4505,4510,.*4520,4521,4522' \
	"$dir/pdns-recursor" || fail "pdns lines: $(cat "$dir/pdns-recursor")"
mkdir -p "$dir/pdns"
cp "$dir/pdns-recursor" "$dir/pdns/recursor.conf"
pdns_recursor --config-dir="$dir/pdns" --config=check >"$dir/pc" 2>&1 ||
	fail "pdns_recursor --config=check: $(tail -n 1 "$dir/pc")"
# Control: the checker does refuse a bad key.
echo 'udp-source-port-bogus=1' >>"$dir/pdns/recursor.conf"
pdns_recursor --config-dir="$dir/pdns" --config=check >/dev/null 2>&1 &&
	fail "pdns_recursor --config=check accepts anything"
# dnsmasq
grep -q '^#min-port=' "$dir/dnsmasq" || fail "dnsmasq: $(cat "$dir/dnsmasq")"
dnsmasq --test --conf-file="$dir/dnsmasq" >"$dir/dc" 2>&1 ||
	fail "dnsmasq --test: $(tail -n 1 "$dir/dc")"
sed -n 's/^#\(m..-port=\)/\1/p' "$dir/dnsmasq" >"$dir/dnsmasq.on"
dnsmasq --test --conf-file="$dir/dnsmasq.on" >"$dir/dc" 2>&1 ||
	fail "dnsmasq --test with the range: $(tail -n 1 "$dir/dc")"
min=$(sed -n 's/^min-port=//p' "$dir/dnsmasq.on")
max=$(sed -n 's/^max-port=//p' "$dir/dnsmasq.on")
# the run is free of 4505, 4510, 4520-4522 and the well-known ports
[ "$min" -gt 4522 ] || [ "$max" -lt 4505 ] ||
	{ [ "$min" -gt 4510 ] && [ "$max" -lt 4520 ]; } ||
	fail "dnsmasq range $min-$max holds a reserved port"
# sysctl: merged, and the kernel takes it
line=$(grep -v '^#' "$dir/sysctl")
[ "$line" = "net.ipv4.ip_local_reserved_ports = 4505,4510,4520-4522" ] ||
	fail "sysctl: $line"
echo "${line#* = }" >/proc/sys/net/ipv4/ip_local_reserved_ports &&
	[ "$(cat /proc/sys/net/ipv4/ip_local_reserved_ports)" = \
	  "4505,4510,4520-4522" ] || fail "the kernel refused: ${line#* = }"
# systemd
[ "$(sed -n 's/^SocketBindDeny=//p' "$dir/systemd" | tr '\n' ' ')" = \
  "udp:4505 udp:4510 udp:4520-4522 " ] ||
	fail "systemd: $(cat "$dir/systemd")"
grep -q EPERM "$dir/systemd" || fail "systemd: no EPERM caveat"
mkdir -p "$dir/units"
{ printf '[Unit]\nDescription=t\n'; grep -v '^#' "$dir/systemd"
  printf 'ExecStart=/bin/true\n'; } >"$dir/units/pp-test.service"
# systemd is not one of the test packages: without it, the lines only.
sd="systemd-analyze verify"
if command -v systemd-analyze >/dev/null 2>&1; then
	# It ignores a rule it cannot parse, with a warning: none allowed.
	sd_verify --man=no "$dir/units/pp-test.service" \
		>"$dir/sc" 2>&1
	! grep -q SocketBindDeny "$dir/sc" ||
		fail "systemd-analyze verify: $(grep SocketBindDeny "$dir/sc")"
	# Control: a bad rule does draw the warning.
	echo 'SocketBindDeny=udp:70000' >>"$dir/units/pp-test.service"
	sd_verify --man=no "$dir/units/pp-test.service" \
		>"$dir/sc" 2>&1
	grep -q 'parse SocketBindDeny' "$dir/sc" ||
		fail "systemd-analyze verify passes a bad rule silently"
else
	sd="(no systemd-analyze: SocketBindDeny lines checked as text)"
fi
verdict PASS "unbound-checkconf, named-checkconf, pdns_recursor" \
	"--config=check, dnsmasq --test, the kernel, $sd accept the" \
	"emitted lines"
EOF

# e. --emit unbound, end to end, with a negative control.
cat >"$TMP/e.sh" <<'EOF'
dir=$1 bin=$2 top=$3
. "${dir%/*}/lib.sh"
echo 4495,4505 >/proc/sys/net/ipv4/ip_local_reserved_ports ||
	fail "cannot set ip_local_reserved_ports"
ip addr add 127.0.0.2/8 dev lo 2>/dev/null
python3 "$top/test/dns-authority.py" 127.0.0.2 53 "$dir/ports" \
	"$dir/ready" 2>"$dir/auth.err" &
pids=$!
wait_for "$dir/ready" '' 50 || [ -e "$dir/ready" ] ||
	fail "authority: $(tail -n 1 "$dir/auth.err")"
"$info" --emit unbound >"$dir/avoid" || fail "--emit unbound failed"
run() {	# NAME WITH_LINES
	conf=$dir/$1.conf
	cat >"$conf" <<CONF
server:
	interface: 127.0.0.1
	port: 5353
	do-daemonize: no
	chroot: ""
	username: ""
	directory: "$dir"
	pidfile: ""
	logfile: ""
	use-syslog: no
	num-threads: 1
	do-ip6: no
	do-not-query-localhost: no
	access-control: 127.0.0.0/8 allow
	module-config: "iterator"
	local-zone: "test." nodefault
	outgoing-range: 8
	outgoing-port-avoid: 0-65535
	outgoing-port-permit: 4490-4510
forward-zone:
	name: "test."
	forward-addr: 127.0.0.2
remote-control:
	control-enable: no
CONF
	# The emitted lines come after the permit: unbound applies them in
	# order.
	[ "$2" = yes ] && cat "$dir/avoid" >>"$conf"
	unbound-checkconf "$conf" >"$dir/$1.check" 2>&1 ||
		fail "unbound-checkconf $1: $(tail -n 1 "$dir/$1.check")"
	: >"$dir/ports"
	unbound -d -c "$conf" >"$dir/$1.log" 2>&1 &
	ub=$!
	pids="$pids $ub"
	wait_bound udp 5353 || fail "unbound $1 did not start"
	python3 "$top/test/dns-load.py" 127.0.0.1 5353 1000 >"$dir/$1.load" \
		2>&1
	kill "$ub"
	wait "$ub" 2>/dev/null
	sleep 0.2
	cp "$dir/ports" "$dir/$1.ports"
}
run control no
run emitted yes
c_all=$(wc -l <"$dir/control.ports")
c_bad=$(grep -Ec '^(4495|4505)$' "$dir/control.ports")
e_all=$(wc -l <"$dir/emitted.ports")
e_bad=$(grep -Ec '^(4495|4505)$' "$dir/emitted.ports")
answered=$(tail -n 1 "$dir/emitted.load")
[ "$e_all" -ge 1000 ] ||
	fail "with the lines, only $e_all queries reached the authority" \
		"($answered)"
[ "$c_bad" -gt 0 ] ||
	fail "control: none of $c_all queries from 4495/4505, the test" \
		"cannot fail"
[ "$e_bad" -eq 0 ] ||
	fail "$e_bad of $e_all queries left from a reserved port"
tail -n 1 "$dir/emitted.load" | grep -q 'answered 1000 ' ||
	fail "with the lines: $answered"
verdict PASS "with the emitted lines 0 of $e_all queries from 4495/4505" \
	"($answered); without them $c_bad of $c_all"
EOF

scenario a-options "$TMP/a.sh" 60 "python3" "$BIN" "$TOP"
scenario b-who "$TMP/b.sh" 60 "socat ss python3" "$BIN" "$TOP"
scenario c-audit "$TMP/c.sh" 60 "socat ss python3" "$BIN" "$TOP"
scenario d-emit-checkers "$TMP/d.sh" 60 "unbound-checkconf named-checkconf \
	pdns_recursor dnsmasq" "$BIN" "$TOP"
scenario e-emit-unbound "$TMP/e.sh" 120 "unbound python3 ss" "$BIN" "$TOP"
finish admin-e2e
