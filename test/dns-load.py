#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Send COUNT A queries, each for a name never asked before (so that no
resolver answers from its cache and every one goes upstream), to a
resolver, WINDOW at a time, and tell how they were answered.

    dns-load.py SERVER PORT COUNT [ZONE] [WINDOW]

ZONE defaults to "test", WINDOW to 20.  The last line is
    sent N answered A servfail S refused R other O timeout T
where "answered" is NOERROR with the address 192.0.2.1.  Exit 0 when
every query was answered, 1 otherwise.
"""
import os
import select
import socket
import struct
import sys
import time


def query(qid, name):
    head = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    labels = b"".join(bytes([len(p)]) + p.encode()
                      for p in name.split(".") if p)
    return head + labels + b"\0" + struct.pack("!HH", 1, 1)


def main():
    if len(sys.argv) < 4 or len(sys.argv) > 6:
        sys.stderr.write(__doc__)
        sys.exit(2)
    server, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    zone = sys.argv[4] if len(sys.argv) > 4 else "test"
    window = int(sys.argv[5]) if len(sys.argv) > 5 else 20
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.connect((server, port))
    tag = os.urandom(4).hex()
    want = socket.inet_aton("192.0.2.1")
    pending = {}            # id -> (time sent, tries)
    tally = dict(answered=0, servfail=0, refused=0, other=0, timeout=0)
    next_q = 0
    while next_q < count or pending:
        while next_q < count and len(pending) < window:
            qid = next_q & 0xFFFF
            sock.send(query(qid, "q%d-%s.%s" % (next_q, tag, zone)))
            pending[qid] = (time.monotonic(), next_q)
            next_q += 1
        ready, _, _ = select.select([sock], [], [], 0.2)
        if ready:
            msg = sock.recv(4096)
            if len(msg) < 12:
                continue
            qid, flags = struct.unpack("!HH", msg[:4])
            if qid not in pending or not flags & 0x8000:
                continue
            del pending[qid]
            rcode = flags & 0xF
            if rcode == 0 and want in msg[12:]:
                tally["answered"] += 1
            elif rcode == 2:
                tally["servfail"] += 1
            elif rcode == 5:
                tally["refused"] += 1
            else:
                tally["other"] += 1
        now = time.monotonic()
        for qid, (sent, _) in list(pending.items()):
            if now - sent > 5:
                del pending[qid]
                tally["timeout"] += 1
    print("sent %d answered %d servfail %d refused %d other %d timeout %d"
          % (count, tally["answered"], tally["servfail"], tally["refused"],
             tally["other"], tally["timeout"]))
    sys.exit(0 if tally["answered"] == count else 1)


if __name__ == "__main__":
    main()
