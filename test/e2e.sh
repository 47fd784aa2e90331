#!/bin/sh
# SPDX-License-Identifier: ISC
#
# End-to-end tests of the examples against real services, each scenario in
# its own network namespace so the host is never touched (unshare -n as
# root; as an ordinary user unshare -rn, a user namespace in which we are
# root, around the network one: the daemons must not switch user):
#   a. dns-query against a real Unbound: 200 queries answered, every source
#      port seen on the wire is a candidate, nearly all distinct;
#   b. KB956188 with a real service: pool-daemon holds 2,500 of 1024-5000
#      and socat still binds UDP 4500, 20 runs out of 20;
#   c. give-back without restart: a port the daemon holds is reserved,
#      SIGHUP, and socat binds it within a second.
# The daemons come from `sh test/deps.sh daemons`: as root it installs
# what is missing (starting and enabling no service); as an ordinary user
# it names the missing packages in one line, and the scenarios that need
# them skip.  One line per scenario, then "e2e: N passed, M failed"; exit 1
# on a failure.
# A scenario that cannot run is a SKIP, or a FAIL when CI=true; a build
# that fails (make, the initgroups shim) is a FAIL of every scenario.
#
# Usage: sh test/e2e.sh        (from anywhere; B=dir picks the build dir)

cd "$(dirname "$0")/.." || exit 1
B=${B:-build}
BIN=$(pwd)/$B/examples
. test/e2e-lib.sh
e2e_tmp e2e

# Everything a scenario needs before it can say anything.
can_run=
netns
build

# Installs as root; as an ordinary user, one line naming what is missing.
[ -n "$can_run" ] || sh test/deps.sh daemons

# tcpdump, root in its namespace, switches user (-Z root: to root) with
# initgroups(), and a user namespace that an ordinary user made forbids
# setgroups().  There is no supplementary group to set in it anyway: as an
# ordinary user, tcpdump runs with an initgroups() that does nothing.
PP_PRELOAD=
if [ -z "$can_run" ] && [ "$(id -u)" != 0 ]; then
	printf '%s\n' '#include <grp.h>' \
		'int initgroups(const char *user, gid_t group)' \
		'{ (void)user; (void)group; return 0; }' >"$TMP/nogroups.c"
	if ${CC:-cc} -shared -fPIC -o "$TMP/nogroups.so" "$TMP/nogroups.c" \
		2>"$TMP/nogroups.log"; then
		PP_PRELOAD=$TMP/nogroups.so
	else
		broken="cannot build the initgroups shim for tcpdump: $(
			tail -n 1 "$TMP/nogroups.log")"
	fi
fi
export PP_PRELOAD
if [ -z "$can_run" ] &&
   { ! command -v ip >/dev/null 2>&1 || ! command -v ss >/dev/null 2>&1; }; then
	can_run="iproute2 (ip, ss) missing"
fi

# Shared by the scenario scripts (sourced inside the namespace).
cat >"$TMP/lib.sh" <<'EOF'
. "$E2E_LIB"
trap cleanup EXIT
EOF

# a. A real DNS server, and the source ports on the wire.
cat >"$TMP/a.sh" <<'EOF'
dir=$1 bin=$2
. "${dir%/*}/lib.sh"
cat >"$dir/unbound.conf" <<CONF
server:
	interface: 127.0.0.1
	port: 53
	do-daemonize: no
	chroot: ""
	username: ""
	directory: "$dir"
	pidfile: "$dir/unbound.pid"
	logfile: ""
	use-syslog: no
	verbosity: 1
	num-threads: 1
	do-ip6: no
	access-control: 127.0.0.0/8 allow
	module-config: "iterator"
	local-zone: "test." static
	local-data: "host.test. A 192.0.2.1"
remote-control:
	control-enable: no
CONF
unbound-checkconf "$dir/unbound.conf" >"$dir/checkconf" 2>&1 ||
	verdict FAIL "unbound-checkconf: $(tail -n 1 "$dir/checkconf")"
# --immediate-mode: packets reach the file as they come, not when a ring
# buffer block times out (a TERM before that would lose them); -B: a
# large buffer, or a busy machine makes the kernel drop some.
LD_PRELOAD=$PP_PRELOAD tcpdump -i lo -n -U --immediate-mode -B 32768 -Z root -w "$dir/q.pcap" \
	'udp dst port 53' 2>"$dir/tcpdump.err" &
capture=$!
pids="$pids $capture"
wait_for "$dir/tcpdump.err" 'listening on' 50 ||
	verdict FAIL "tcpdump did not start: $(tail -n 1 "$dir/tcpdump.err")"
unbound -d -c "$dir/unbound.conf" >"$dir/unbound.log" 2>&1 &
pids="$pids $!"
n=0
until "$bin/dns-query" --name host.test --size 1 --timeout 100 \
	>/dev/null 2>&1; do
	n=$((n + 1))
	[ "$n" -gt 50 ] &&
		verdict FAIL "unbound never answered:" \
			"$(tail -n 1 "$dir/unbound.log")"
	sleep 0.1
done
"$bin/dns-query" --count 200 --name host.test --server 127.0.0.1 \
	--size 16 >"$dir/dq.out" 2>"$dir/dq.err"
rc=$?
good='^query [0-9]*: port [0-9]* rcode NOERROR answers 1: 192\.0\.2\.1$'
answered=$(grep -c "$good" "$dir/dq.out")
[ "$rc" -eq 0 ] && [ "$answered" -eq 200 ] ||
	verdict FAIL "dns-query exit $rc, $answered/200 answered with" \
		"192.0.2.1: $(grep -v 'answers 1: 192.0.2.1$' "$dir/dq.out" |
			head -n 1)"
sleep 0.5
kill -INT "$capture"
wait "$capture"
cleanup
LD_PRELOAD=$PP_PRELOAD tcpdump -Z root -nr "$dir/q.pcap" 'udp dst port 53' \
	2>/dev/null |
	sed -n 's/.* IP 127\.0\.0\.1\.\([0-9]*\) > 127\.0\.0\.1\.53: .*/\1/p' \
	>"$dir/wire-ports"
wire=$(wc -l <"$dir/wire-ports")
[ "$wire" -ge 200 ] ||
	verdict FAIL "only $wire queries in the capture, expected >= 200" \
		"(tcpdump: $(grep dropped "$dir/tcpdump.err" | head -n 1))"
# Every port dns-query reported is on the wire: the capture is the truth.
sed -n 's/^query [0-9]*: port \([0-9]*\) .*/\1/p' "$dir/dq.out" |
	sort -u >"$dir/said-ports"
sort -u "$dir/wire-ports" >"$dir/distinct"
missing=$(comm -23 "$dir/said-ports" "$dir/distinct" | head -n 1)
[ -z "$missing" ] ||
	verdict FAIL "port $missing reported by dns-query is not in the capture"
distinct=$(wc -l <"$dir/distinct")
[ "$distinct" -ge 190 ] ||
	verdict FAIL "only $distinct distinct source ports in $wire queries"
# Same configuration as dns-query's, asked in this namespace.
while read -r port; do
	"${bin%/*}/tools/portpool-info" --size 16 --port "$port" >"$dir/why" 2>&1
	grep -q "^port $port is a candidate" "$dir/why" ||
		verdict FAIL "source port $port is not a candidate:" \
			"$(tail -n 1 "$dir/why")"
done <"$dir/distinct"
verdict PASS "200/200 answered by unbound; $wire queries on the wire" \
	"from $distinct distinct ports, every one a candidate"
EOF

# b. KB956188: the pool must leave UDP 4500 to IPsec, every time.
cat >"$TMP/b.sh" <<'EOF'
dir=$1 bin=$2
. "${dir%/*}/lib.sh"
fails=0 runs=20 held=0 first=
i=0
while [ "$i" -lt "$runs" ]; do
	i=$((i + 1))
	"$bin/pool-daemon" --size 2500 --max-user-port 5000 \
		>"$dir/daemon.$i" 2>&1 &
	daemon=$!
	pids="$daemon"
	wait_for "$dir/daemon.$i" '^ready: 2500 members$' 100 ||
		verdict FAIL "run $i: pool-daemon not ready:" \
			"$(tail -n 1 "$dir/daemon.$i")"
	[ "$i" -eq 1 ] && held=$(ss -Huln | wc -l)
	socat -u UDP4-RECV:4500 /dev/null 2>"$dir/socat.$i" &
	pids="$pids $!"
	sleep 0.3
	if ! kill -0 "$!" 2>/dev/null || ! udp_bound 4500 ||
	   ! ss -Hulnp 'sport = :4500' | grep -q socat; then
		fails=$((fails + 1))
		[ -n "$first" ] || first="run $i: $(tail -n 1 "$dir/socat.$i")"
	fi
	cleanup
done
# The test can fail: the daemon really held 2,500 ports of 1024-5000.
[ "$held" -ge 2500 ] ||
	verdict FAIL "pool-daemon held only $held UDP ports, not 2500"
[ "$fails" -eq 0 ] ||
	verdict FAIL "socat could not bind 4500 in $fails of $runs runs" \
		"($first)"
verdict PASS "$runs runs, 0 failures: socat bound 4500 beside 2500 members" \
	"in 1024-5000"
EOF

# c. Give a port back to a service without restarting the daemon.
cat >"$TMP/c.sh" <<'EOF'
dir=$1 bin=$2
. "${dir%/*}/lib.sh"
log=$dir/daemon.log
"$bin/pool-daemon" --range 45000-45019 --size 10 >"$log" 2>&1 &
daemon=$!
pids=$daemon
wait_for "$log" '^ready: 10 members$' 50 ||
	verdict FAIL "pool-daemon not ready: $(tail -n 1 "$log")"
ss -Hulnp | sed -n 's/^[^:]*:\([0-9][0-9]*\) .*pool-daemon.*/\1/p' |
	sort -n >"$dir/held"
[ "$(wc -l <"$dir/held")" -eq 10 ] ||
	verdict FAIL "pool-daemon holds $(wc -l <"$dir/held") ports, not 10"
port=$(head -n 1 "$dir/held")
# Control: while the daemon holds it, the service cannot have it.
timeout 2 socat -u UDP4-RECV:"$port" /dev/null 2>"$dir/socat.before"
grep -q 'Address already in use' "$dir/socat.before" ||
	verdict FAIL "socat was not refused port $port while the daemon held" \
		"it: $(tail -n 1 "$dir/socat.before")"
echo "$port" >/proc/sys/net/ipv4/ip_local_reserved_ports ||
	verdict FAIL "cannot write ip_local_reserved_ports"
start=$(now_ms)
kill -HUP "$daemon"
socat_binds "$port" "$start" "$dir/socat.after" ||
	verdict FAIL "socat could not bind $port within 1 s of SIGHUP:" \
		"$(tail -n 1 "$dir/socat.after"); daemon: $(tail -n 1 "$log")"
sleep 0.3
kill -0 "$socat_pid" 2>/dev/null && ss -Hulnp "sport = :$port" | grep -q socat ||
	verdict FAIL "socat did not keep port $port"
line=$(grep '^refresh: ' "$log")
new=$(echo "$line" |
	sed -n "s/^refresh: moved 1 member(s): member [0-9]* to port \([0-9]*\)$/\1/p")
[ -n "$new" ] && [ "$new" -ge 45000 ] && [ "$new" -le 45019 ] &&
	[ "$new" != "$port" ] && ! grep -qx "$new" "$dir/held" ||
	verdict FAIL "unexpected refresh line: \"$line\""
# The moved member serves on its new port.
reply=$(echo ping | timeout 2 socat -t 1 - UDP4:127.0.0.1:"$new")
[ "$reply" = ping ] ||
	verdict FAIL "no echo from the moved member on port $new"
kill -TERM "$daemon"
wait "$daemon"
rc=$?
pids=${pids#"$daemon"}
[ "$rc" -eq 0 ] && grep -q '^shutdown: ' "$log" ||
	verdict FAIL "pool-daemon exit $rc on SIGTERM: $(tail -n 1 "$log")"
verdict PASS "port $port given back after SIGHUP (moved to $new);" \
	"socat bound it after ${bound} ms; echo works on $new; clean exit"
EOF

scenario a-unbound "$TMP/a.sh" 60 "unbound unbound-checkconf tcpdump" "$BIN"
scenario b-ipsec-4500 "$TMP/b.sh" 60 "socat" "$BIN"
scenario c-give-back "$TMP/c.sh" 20 "socat" "$BIN"
finish e2e
