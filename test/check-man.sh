#!/bin/sh
# The documentation gates: mandoc finds nothing to say about any page, and
# every function the shared library exports has a page naming it.
# usage: check-man.sh libportpool.so.N pages...
so=$1
shift
status=0
lint=$(mandoc -Tlint -Wstyle "$@" 2>&1)
if [ -n "$lint" ]; then
	echo "mandoc -Tlint -Wstyle:" >&2
	echo "$lint" >&2
	status=1
fi
exported=$(nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }' |
	sed 's/@.*//' | sort -u)
[ -n "$exported" ] || { echo "no exported functions in $so" >&2; exit 1; }
undocumented=0
for sym in $exported; do
	if ! grep -qE "^\.(Nm|Fn|Fo) $sym( |\$)" "$@"; then
		echo "exported without a man page: $sym" >&2
		undocumented=$((undocumented + 1))
	fi
done
[ "$undocumented" -eq 0 ] || status=1
n=$(echo "$exported" | wc -l)
if [ "$status" -eq 0 ]; then
	echo "man pages: $# pages lint clean, $n of $n exported functions documented"
fi
exit $status
