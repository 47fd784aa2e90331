#!/bin/sh
# Run every check given: cmocka test programs and shell checks (a word
# with arguments, quoted as one).  A failure in one does not hide the
# rest.  A check that by nature needs real root (cgroup BPF, say) exits
# 77 after one line "needs root: REASON" when it is not root: it is
# counted apart, neither passed nor failed (as root it is a failure).
# The last line is the summary
# that CI reads.
passed=0 failed=0 needroot=0
for t in "$@"; do
	sh -c "$t"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
	elif [ "$rc" -eq 77 ] && [ "$(id -u)" != 0 ]; then
		needroot=$((needroot + 1))
		echo "NEEDS ROOT: $t" >&2
	else
		failed=$((failed + 1))
		echo "FAILED: $t" >&2
	fi
done
echo "checks: $passed passed, $failed failed, $needroot need root"
[ "$failed" -eq 0 ]
