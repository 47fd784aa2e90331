#!/bin/sh
# SPDX-License-Identifier: ISC
#
# End to end: dnsmasq 2.90 patched to take its random query ports from
# libportpool (contrib/dnsmasq), against Debian's own dnsmasq, forwarding
# to test/dns-authority.py, which logs each query's source port.  Each
# scenario runs in its own network namespace, with lo up, outgoing range
# --min-port=4490 --max-port=4510, and three ports of it kept from
# pools: 4495 in the namespace's ip_local_reserved_ports, 4505 in the
# policy file (PORTPOOL_CONF), and 4500 (IPsec NAT-T) by the built-in
# well-known table and /etc/services.  No guard is attached.
#   a. patched: 1000 queries, all answered, none from 4495, 4500 or 4505;
#   b. control: Debian's /usr/sbin/dnsmasq, the same run: every one of
#      the three ports is used;
#   c. give-back: a port the running patched dnsmasq holds is added to
#      the policy file, SIGHUP: socat binds it within a second; then 500
#      queries, none from it; a TCP client keeps a forked child of
#      dnsmasq alive meanwhile;
#   d. well-known: range 4780-4800, where only the built-in table keeps
#      4789 (VXLAN) and 4791 (RoCEv2) out: Debian's dnsmasq uses both,
#      the patched one neither, in 1000 queries each;
#   e. a server with its own source address (@127.0.0.1), which the
#      pools do not serve: 1000 queries, none from 4495, 4500 or 4505.
#
# What needs what: the build (contrib/dnsmasq/build.sh, cached in
# $B/dnsmasq) needs gcc, make, dpkg-dev and patch, installed by
# test/deps.sh dnsmasq-build daemons as root, and dnsmasq's source.  Only
# root fetches it (apt-get source, through the network to Debian's
# archive), and never in a package build (DEB_BUILD_ARCH) or with
# PORTPOOL_CHECK_NO_HOST=1; otherwise the source must be there already:
# in the cache $B/dnsmasq/src from an earlier run, or an unpacked
# dnsmasq 2.90 source named by DNSMASQ_SOURCE=DIR.  Without it the whole
# script is counted apart (one line saying why, exit 77), as test/run.sh
# counts what needs root; a build that fails is a FAIL.  The
# scenarios need a network namespace with its own sysctls: as root
# `unshare -n`; as another user `unshare -rn` (a user namespace too),
# which works where unprivileged user namespaces are allowed (dnsmasq
# runs with --user=root --group=, which keeps the namespace's root).  As
# another user, the packages must already be there and the tree must be
# writable (the build goes to $B/dnsmasq); nothing else needs root.
# A scenario that cannot run is a SKIP, or a FAIL when CI=true.
# One line per scenario, then "dnsmasq-e2e: N passed, M failed".
#
# Usage: sh test/dnsmasq-e2e.sh        (B=dir picks the build dir)

cd "$(dirname "$0")/.." || exit 1
B=${B:-build}
ROOT=$(pwd)
OUT=$ROOT/$B/dnsmasq
. test/e2e-lib.sh
e2e_tmp dnsmasq
chmod 755 "$TMP"

# Who may fetch: root, outside a package build.
fetch=
if [ "$(id -u)" != 0 ]; then
	nofetch="needs root: only root fetches dnsmasq's source (apt-get"
	nofetch="$nofetch source); or name an unpacked one: DNSMASQ_SOURCE=DIR"
elif [ -n "${DEB_BUILD_ARCH:-}" ] ||
     [ "${PORTPOOL_CHECK_NO_HOST:-}" = 1 ]; then
	nofetch="left out: a package build or PORTPOOL_CHECK_NO_HOST=1 fetches"
	nofetch="$nofetch nothing, and dnsmasq's source is not in $OUT/src"
	nofetch="$nofetch (DNSMASQ_SOURCE=DIR names an unpacked one)"
else
	fetch=1
fi
if [ -z "$fetch" ] && [ -z "${DNSMASQ_SOURCE:-}" ] &&
   [ ! -f "$OUT/src/dnsmasq-2.90/debian/changelog" ]; then
	echo "$nofetch"
	exit 77
fi

can_run=
if [ -n "$fetch" ]; then
	sh test/deps.sh dnsmasq-build daemons >"$TMP/deps.log" 2>&1 ||
		can_run="test/deps.sh: $(tail -n 1 "$TMP/deps.log")"
fi
netns
build
for tool in python3 socat ss ip pgrep gcc make patch /usr/sbin/dnsmasq; do
	[ -n "$can_run" ] || command -v "$tool" >/dev/null 2>&1 ||
		can_run="$tool is not installed"
done
# A build that fails is a failure, not a skip.
if [ -z "$can_run$broken" ] &&
   ! sh contrib/dnsmasq/build.sh "$OUT" >"$TMP/build.log" 2>&1; then
	broken="contrib/dnsmasq/build.sh: $(tail -n 1 "$TMP/build.log")"
fi

# Shared by the scenario scripts (sourced inside the namespace): the
# reservations, the authority, dnsmasq, the load, and what the log says.
cat >"$TMP/lib.sh" <<'EOF'
dir=$1 root=$2 patched=$3
. "$E2E_LIB"
trap cleanup EXIT
# policy PORTS: the policy file reserves PORTS (a portpool.conf list).
policy() {
	printf 'reserved_ports = %s\n' "$1" >"$dir/portpool.conf.new" &&
		chmod 600 "$dir/portpool.conf.new" &&
		mv "$dir/portpool.conf.new" "$dir/portpool.conf" ||
		verdict FAIL "cannot write $dir/portpool.conf"
}
PORTPOOL_CONF=$dir/portpool.conf
export PORTPOOL_CONF
echo 4495 >/proc/sys/net/ipv4/ip_local_reserved_ports ||
	verdict FAIL "cannot write the namespace's ip_local_reserved_ports"
policy 4505
python3 "$root/test/dns-authority.py" 127.0.0.2 53 "$dir/ports" \
	"$dir/authority.ready" >"$dir/authority.log" 2>&1 &
pids="$pids $!"
n=0
until [ -e "$dir/authority.ready" ]; do
	n=$((n + 1))
	[ "$n" -gt 50 ] && verdict FAIL "the authority did not start:" \
		"$(tail -n 1 "$dir/authority.log")"
	sleep 0.1
done
# start_dnsmasq BINARY [MIN MAX [SOURCE]]: forward test. to the
# authority, from MIN-MAX (4490-4510), from the address SOURCE if given.
start_dnsmasq() {
	: >"$dir/dnsmasq.log"
	"$1" -k --conf-file=/dev/null --port=5353 \
		--listen-address=127.0.0.1 --bind-interfaces --no-resolv \
		--no-hosts --server="/test/127.0.0.2${4:+@$4}" \
		--min-port="${2:-4490}" \
		--max-port="${3:-4510}" --user=root --group= --pid-file= \
		--log-facility="$dir/dnsmasq.log" 2>"$dir/dnsmasq.err" &
	dnsmasq=$!
	pids="$pids $dnsmasq"
	n=0
	until ss -Hulnp 'sport = :5353' | grep -q dnsmasq; do
		n=$((n + 1))
		[ "$n" -gt 50 ] && verdict FAIL "dnsmasq did not start:" \
			"$(cat "$dir/dnsmasq.err") $(tail -n 1 "$dir/dnsmasq.log")"
		sleep 0.1
	done
}
# load COUNT: queries through dnsmasq; fails unless every one is answered.
load() {
	: >"$dir/ports"
	python3 "$root/test/dns-load.py" 127.0.0.1 5353 "$1" test \
		>"$dir/load.$1" 2>&1 ||
		verdict FAIL "not all $1 queries answered:" \
			"$(tail -n 1 "$dir/load.$1")"
}
# from PORT: queries the authority saw from PORT.
from() {
	grep -cx "$1" "$dir/ports"
}
# spread [MIN MAX]: "N queries from P ports in MIN-MAX" (4490-4510), or
# the odd one out.
spread() {
	awk -v lo="${1:-4490}" -v hi="${2:-4510}" '
	     $1 < lo + 0 || $1 > hi + 0 { bad = $1 } { n++; seen[$1] = 1 }
	     END { for (p in seen) k++
		   if (bad) print "query from " bad ", outside " lo "-" hi
		   else print n " queries from " k " ports in " lo "-" hi }' \
		"$dir/ports"
}
EOF

# a. The patched dnsmasq never sends from a reserved port.
cat >"$TMP/a.sh" <<'EOF'
. "${1%/*}/lib.sh"
start_dnsmasq "$patched"
load 1000
s=$(spread)
case $s in *outside*) verdict FAIL "$s" ;; esac
k=$(($(from 4495) + $(from 4500) + $(from 4505)))
[ "$k" -eq 0 ] ||
	verdict FAIL "$k queries from reserved ports: 4495 (kernel)" \
		"$(from 4495), 4500 (well-known) $(from 4500), 4505" \
		"(policy) $(from 4505)"
# 18 candidates, pools of 9 rotating after each answer: most are used.
[ "$(sort -u "$dir/ports" | wc -l)" -ge 12 ] ||
	verdict FAIL "too few ports used: $s"
verdict PASS "1000 answered, $s, 0 from 4495 (kernel), 4500" \
	"(well-known), 4505 (policy)"
EOF

# b. Negative control: Debian's dnsmasq, same setup, uses all three.
cat >"$TMP/b.sh" <<'EOF'
. "${1%/*}/lib.sh"
start_dnsmasq /usr/sbin/dnsmasq
load 1000
for p in 4495 4500 4505; do
	[ "$(from "$p")" -gt 0 ] ||
		verdict FAIL "Debian's dnsmasq never used $p: $(spread)"
done
verdict PASS "Debian's dnsmasq sent from 4495 $(from 4495), 4500" \
	"$(from 4500), 4505 $(from 4505) times in 1000"
EOF

# c. Give a port back without a restart.
cat >"$TMP/c.sh" <<'EOF'
. "${1%/*}/lib.sh"
start_dnsmasq "$patched"
load 100
# A TCP client that stays connected: dnsmasq forks a child to serve it,
# which must not keep the members' ports (the parent's give them back).
python3 -c 'import socket, time
s = socket.create_connection(("127.0.0.1", 5353))
time.sleep(30)' 2>"$dir/tcp.err" &
pids="$pids $!"
n=0
until pgrep -P "$dnsmasq" -x dnsmasq >/dev/null; do
	n=$((n + 1))
	[ "$n" -gt 50 ] && verdict FAIL "no TCP child of dnsmasq:" \
		"$(tail -n 1 "$dir/tcp.err")"
	sleep 0.1
done
# The IPv4 members now, idle: each holds its port until a query uses it.
ss -Hulnp -4 | grep dnsmasq |
	sed -n 's/^[^:]*:\(4[45][0-9][0-9]\) .*/\1/p' | sort -nu >"$dir/held"
[ "$(wc -l <"$dir/held")" -ge 2 ] ||
	verdict FAIL "dnsmasq holds $(wc -l <"$dir/held") ports in 4490-4510"
port=$(head -n 1 "$dir/held")
timeout 2 socat -u UDP4-RECV:"$port" /dev/null 2>"$dir/socat.before"
grep -q 'Address already in use' "$dir/socat.before" ||
	verdict FAIL "socat was not refused port $port while dnsmasq held" \
		"it: $(tail -n 1 "$dir/socat.before")"
policy "4505 $port"
start=$(now_ms)
kill -HUP "$dnsmasq"
socat_binds "$port" "$start" "$dir/socat.after" ||
	verdict FAIL "socat could not bind $port within 1 s of SIGHUP:" \
		"$(tail -n 1 "$dir/socat.after");" \
		"dnsmasq: $(tail -n 1 "$dir/dnsmasq.log")"
kill "$socat_pid"
wait "$socat_pid" 2>/dev/null
grep -q 'moved [0-9]* random ports off reserved ones' "$dir/dnsmasq.log" ||
	verdict FAIL "no refresh in dnsmasq's log:" \
		"$(tail -n 1 "$dir/dnsmasq.log")"
# The port is free again: the pool must not take it back.
load 500
[ "$(from "$port")" -eq 0 ] ||
	verdict FAIL "$(from "$port") of 500 queries from $port after SIGHUP"
verdict PASS "port $port given back with a TCP child alive: socat bound" \
	"it ${bound} ms after SIGHUP; then 500 answered, 0 from $port"
EOF

# d. The built-in well-known table alone: VXLAN 4789 and RoCEv2 4791 are
# not in Debian's /etc/services.  Debian's dnsmasq first, as the control.
cat >"$TMP/d.sh" <<'EOF'
. "${1%/*}/lib.sh"
start_dnsmasq /usr/sbin/dnsmasq 4780 4800
load 1000
debian="$(from 4789) and $(from 4791)"
[ "$(from 4789)" -gt 0 ] && [ "$(from 4791)" -gt 0 ] ||
	verdict FAIL "Debian's dnsmasq sent $debian queries from 4789 and" \
		"4791: the control does not show the problem"
kill "$dnsmasq"
wait "$dnsmasq" 2>/dev/null
start_dnsmasq "$patched" 4780 4800
load 1000
s=$(spread 4780 4800)
case $s in *outside*) verdict FAIL "$s" ;; esac
[ "$(from 4789)" -eq 0 ] && [ "$(from 4791)" -eq 0 ] ||
	verdict FAIL "patched: $(from 4789) queries from 4789 (VXLAN) and" \
		"$(from 4791) from 4791 (RoCEv2)"
verdict PASS "patched: 1000 answered, $s, 0 from 4789 (VXLAN) and 4791" \
	"(RoCEv2); Debian's: $debian of 1000"
EOF

# e. A server with its own source address is not served by the pools:
# dnsmasq draws its port itself, skipping what the host reserved.
cat >"$TMP/e.sh" <<'EOF'
. "${1%/*}/lib.sh"
start_dnsmasq "$patched" 4490 4510 127.0.0.1
load 1000
s=$(spread)
case $s in *outside*) verdict FAIL "$s" ;; esac
k=$(($(from 4495) + $(from 4500) + $(from 4505)))
[ "$k" -eq 0 ] ||
	verdict FAIL "$k queries from reserved ports: 4495 $(from 4495)," \
		"4500 $(from 4500), 4505 $(from 4505)"
# The idle IPv4 pool holds 9 of the 18 candidates; the rest are drawn.
[ "$(sort -u "$dir/ports" | wc -l)" -ge 6 ] ||
	verdict FAIL "too few ports used: $s"
verdict PASS "server=/test/127.0.0.2@127.0.0.1: 1000 answered, $s," \
	"0 from 4495, 4500, 4505"
EOF

scenario a-patched "$TMP/a.sh" 60 "" "$ROOT" "$OUT/dnsmasq"
scenario b-debian-control "$TMP/b.sh" 60 "" "$ROOT" "$OUT/dnsmasq"
scenario c-give-back "$TMP/c.sh" 60 "" "$ROOT" "$OUT/dnsmasq"
scenario d-well-known "$TMP/d.sh" 60 "" "$ROOT" "$OUT/dnsmasq"
scenario e-source-address "$TMP/e.sh" 60 "" "$ROOT" "$OUT/dnsmasq"
finish dnsmasq-e2e
