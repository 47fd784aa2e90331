#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""A tiny authoritative DNS server for the end-to-end tests.

It answers every A question with 192.0.2.1 (TEST-NET-1), every other
question with an empty NOERROR, and writes the UDP source port of each
query it gets, one per line, to the log file: the resolver under test
chose that port, so the log is what the tests count, more reliably than
a capture on lo, which can drop packets.

    dns-authority.py ADDRESS PORT LOGFILE [READYFILE]

READYFILE, when given, is written once the socket is bound.  It runs
until it is signalled (SIGTERM or SIGINT).
"""
import signal
import socket
import struct
import sys


def question_end(msg):
    """Offset just past the first question, or None if malformed."""
    pos = 12
    while pos < len(msg):
        n = msg[pos]
        if n == 0:
            end = pos + 5
            return end if end <= len(msg) else None
        if n & 0xC0:
            return None
        pos += 1 + n
    return None


def answer(msg):
    if len(msg) < 12:
        return None
    qid, flags, qdcount = struct.unpack("!HHH", msg[:6])
    if flags & 0x8000 or qdcount != 1:
        return None
    end = question_end(msg)
    if end is None:
        return None
    qtype = struct.unpack("!H", msg[end - 4:end - 2])[0]
    rd = flags & 0x0100
    reply_flags = 0x8000 | 0x0400 | rd      # QR, AA, RD copied
    ancount = 1 if qtype == 1 else 0
    head = struct.pack("!HHHHHH", qid, reply_flags, 1, ancount, 0, 0)
    body = msg[12:end]
    if ancount:
        # name: pointer to the question (offset 12), A, IN, TTL 60
        body += struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4)
        body += socket.inet_aton("192.0.2.1")
    return head + body


def main():
    if len(sys.argv) not in (4, 5):
        sys.stderr.write(__doc__)
        sys.exit(2)
    addr, port, logname = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    sock.bind((addr, port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if len(sys.argv) == 5:
        with open(sys.argv[4], "w") as ready:
            ready.write("ready\n")
    with open(logname, "a", buffering=1) as log:
        while True:
            msg, peer = sock.recvfrom(4096)
            log.write("%d\n" % peer[1])
            reply = answer(msg)
            if reply:
                sock.sendto(reply, peer)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
