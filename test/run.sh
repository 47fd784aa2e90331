#!/bin/sh
# Run every check given: cmocka test programs and shell checks (a word
# with arguments, quoted as one).  A failure in one does not hide the
# rest.  A check that by nature needs real root (cgroup BPF, say) exits
# 77 after one line "needs root: REASON" when it is not root: it is
# counted apart, neither passed nor failed (as root it is a failure).
# In a package build (DEB_BUILD_ARCH) or with PORTPOOL_CHECK_NO_HOST=1,
# nothing outside the tree may change, even as root: a check that would
# need that exits 77 too (one line "left out: REASON"), counted apart.
# The last line is the summary that CI reads.
no_host=
if [ -n "${DEB_BUILD_ARCH:-}" ] || [ "${PORTPOOL_CHECK_NO_HOST:-}" = 1 ]; then
	no_host=1
fi
passed=0 failed=0 needroot=0
for t in "$@"; do
	sh -c "$t"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
	elif [ "$rc" -eq 77 ] && { [ "$(id -u)" != 0 ] || [ -n "$no_host" ]; }
	then
		needroot=$((needroot + 1))
		echo "NEEDS ROOT${no_host:+ OR THE HOST}: $t" >&2
	else
		failed=$((failed + 1))
		echo "FAILED: $t" >&2
	fi
done
if [ -n "$no_host" ]; then
	echo "checks: $passed passed, $failed failed, $needroot need root" \
	     "or the host (a package build changes nothing outside the tree)"
else
	echo "checks: $passed passed, $failed failed, $needroot need root"
fi
[ "$failed" -eq 0 ]
