# SPDX-License-Identifier: ISC
"""The end-to-end tests' one bind probe.

As a module: try_bind(kind, port) is "ok", "EADDRINUSE" or the error's
text, for a socket of kind udp, udp6 or tcp bound to the wildcard
address; udp(port) is try_bind("udp", port).  As a program:

    python3 test/bindprobe.py SPEC...

prints the result of each SPEC on one line, space-separated; SPEC is
FAM:PORT, FAM 4 or 6 for UDP over IPv4 or IPv6, or tcp.  Each socket is
closed before the next bind, so a port a bind took is free again.
"""
import socket
import sys

KINDS = {"4": "udp", "6": "udp6", "tcp": "tcp"}


def try_bind(kind, port):
    fam = socket.AF_INET6 if kind == "udp6" else socket.AF_INET
    typ = socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(fam, typ)
    try:
        s.bind(("::" if kind == "udp6" else "0.0.0.0", port))
        return "ok"
    except OSError as e:
        return "EADDRINUSE" if e.errno == 98 else e.strerror
    finally:
        s.close()


def udp(port):
    return try_bind("udp", port)


if __name__ == "__main__":
    out = []
    for spec in sys.argv[1:]:
        fam, port = spec.split(":")
        out.append(try_bind(KINDS[fam], int(port)))
    print(" ".join(out))
