#!/bin/sh
# dns-query --dscp sets the DSCP through the socket hook: every query, from
# the first members and from those rotated in after each answer, arrives
# with that TOS byte.  Negative control: without --dscp the byte is 0.
# Runs in its own network namespace (unshare -n; as an ordinary user
# unshare -rn, a user namespace around it), so the host sees nothing.
# usage: check-dscp.sh build-dir
set -eu
bin=$1/examples
ns=-n
[ "$(id -u)" = 0 ] || ns=-rn
if ! unshare $ns true 2>/dev/null; then
	[ "${CI:-}" = true ] && { echo "dscp: no network namespace" >&2; exit 1; }
	echo "dscp: skipped, no network namespace"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/tos.py" <<'PY'
# Answer each DNS query with an empty NOERROR; log "port tos" per query.
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
s.bind(("127.0.0.1", 5353))
open(sys.argv[2], "w").close()
log = open(sys.argv[1], "a", buffering=1)
while True:
    msg, anc, _, peer = s.recvmsg(512, socket.CMSG_SPACE(4))
    tos = -1
    for level, kind, data in anc:
        if level == socket.IPPROTO_IP and kind == socket.IP_TOS:
            tos = data[0]
    log.write("%d %d\n" % (peer[1], tos))
    if len(msg) >= 12:
        flags = struct.unpack("!H", msg[2:4])[0]
        s.sendto(msg[:2] + struct.pack("!H", 0x8000 | (flags & 0x0100))
                 + msg[4:6] + b"\0" * 6 + msg[12:], peer)
PY
cat >"$tmp/run.sh" <<'RUN'
set -eu
bin=$1 tmp=$2
ip link set lo up
python3 "$tmp/tos.py" "$tmp/queries.log" "$tmp/ready" &
py=$!
trap 'kill $py 2>/dev/null' EXIT
i=0
while [ ! -e "$tmp/ready" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
"$bin/dns-query" --port 5353 --count 30 --size 4 --dscp 46 \
	--range 42000-42999 >"$tmp/with.out"
"$bin/dns-query" --port 5353 --count 10 --size 4 \
	--range 42000-42999 >"$tmp/without.out"
sleep 0.1
head -n 30 "$tmp/queries.log" >"$tmp/with.done"
tail -n +31 "$tmp/queries.log" >"$tmp/without.done"
RUN
unshare $ns sh "$tmp/run.sh" "$bin" "$tmp"
with=$(awk '$2 != 184' "$tmp/with.done" | wc -l)
ports=$(awk '{ print $1 }' "$tmp/with.done" | sort -u | wc -l)
n=$(wc -l <"$tmp/with.done")
without=$(awk '$2 != 0' "$tmp/without.done" | wc -l)
m=$(wc -l <"$tmp/without.done")
if [ "$n" -ne 30 ] || [ "$with" -ne 0 ] || [ "$ports" -le 4 ] ||
   [ "$m" -ne 10 ] || [ "$without" -ne 0 ]; then
	echo "dscp: with --dscp 46: $n queries, $with not TOS 184, from $ports" \
		"ports; without: $m queries, $without not TOS 0" >&2
	exit 1
fi
echo "dscp: 30 queries from $ports ports all carried DSCP 46 (TOS 184);" \
	"without --dscp all 10 carried 0"
