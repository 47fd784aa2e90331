#!/bin/sh
# Run every check given: cmocka test programs and shell checks (a word
# with arguments, quoted as one).  A failure in one does not hide the
# rest.  The last line is the summary that CI reads.
passed=0 failed=0
for t in "$@"; do
	if sh -c "$t"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAILED: $t" >&2
	fi
done
echo "checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
