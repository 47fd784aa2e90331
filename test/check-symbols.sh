#!/bin/sh
# SPDX-License-Identifier: ISC
# The static archive's global symbols are the API (portpool_*) and the
# internal functions under the reserved prefix __portpool_ (lib/symbols.h),
# nothing else: a daemon linking libportpool.a statically cannot collide
# with them.  The shared library exports the API alone.
#   check-symbols.sh ARCHIVE SHARED
archive=$1 shared=$2
bad=$(nm -g --defined-only "$archive" |
	awk 'NF == 3 && $3 !~ /^(portpool_|__portpool_)/ { print $3 }' |
	sort -u)
if [ -n "$bad" ]; then
	echo "$archive: global symbols outside portpool_ and __portpool_" \
	     "(add them to lib/symbols.h):" $bad >&2
	exit 1
fi
exported=$(nm -D --defined-only "$shared" |
	awk 'NF == 3 && $3 !~ /^portpool_/ && $3 !~ /^LIBPORTPOOL_/ { print $3 }')
if [ -n "$exported" ]; then
	echo "$shared exports more than the API:" $exported >&2
	exit 1
fi
n=$(nm -g --defined-only "$archive" | awk 'NF == 3 && $3 ~ /^__portpool_/' |
	sort -u | wc -l)
echo "symbols: the archive's $n internal symbols are all __portpool_*;" \
     "the shared library exports the API alone"
