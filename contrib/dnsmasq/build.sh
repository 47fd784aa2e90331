#!/bin/sh
# SPDX-License-Identifier: ISC
#
# Build Debian 12's dnsmasq 2.90 with the patches beside this script, so
# that it draws its random query ports from a libportpool pool.
#
#   contrib/dnsmasq/build.sh OUTDIR
#
# Leaves OUTDIR/dnsmasq, which runs from any directory (an rpath names the
# library it was linked with).  The source comes from `apt-get source`
# with a private apt configuration under OUTDIR/apt: a deb-src entry for
# each of the host's bookworm sources, its own lists and cache; the
# host's apt configuration, lists and cache are never touched.  Running it
# again does only what changed: the source is fetched once, the patches
# are applied again only when they changed, and dnsmasq's own make
# rebuilds what is out of date.
#
# DNSMASQ_SOURCE=DIR names an unpacked dnsmasq 2.90 source (what
# `apt-get source dnsmasq` or `dpkg-source -x` unpacked, with its debian/
# directory) to use instead: then nothing is fetched, and the private apt
# configuration is not made.
#
# The library: by default the one built in this tree (make, then a
# generated libportpool.pc naming its build directory, B=build); with
# LIBPORTPOOL=installed, the one pkg-config finds.
#
# One line per step; a failing step prints what failed and where its log
# is, and the script exits 1.  Bad usage exits 2.

usage() {
	echo "usage: build.sh OUTDIR" >&2
	exit 2
}
[ $# -eq 1 ] && [ -n "$1" ] || usage
case ${LIBPORTPOOL:-tree} in
tree|installed) ;;
*)	echo "build.sh: LIBPORTPOOL=\"$LIBPORTPOOL\": tree or installed" >&2
	exit 2 ;;
esac

HERE=$(cd "$(dirname "$0")" && pwd) || exit 1
TREE=$(cd "$HERE/../.." && pwd) || exit 1
mkdir -p "$1" || exit 1
OUT=$(cd "$1" && pwd) || exit 1
VERSION=2.90
SRC=$OUT/src/dnsmasq-$VERSION
WORK=$OUT/work/dnsmasq-$VERSION
LOG=$OUT/log
mkdir -p "$LOG" || exit 1

step() {	# step NAME: say what runs; fail() names it on the way out
	STEP=$1
	printf '%s\n' "dnsmasq build: $STEP"
}
fail() {	# fail REASON [LOGFILE]
	if [ -n "${2:-}" ]; then
		echo "dnsmasq build: $STEP failed: $1 (log: $2; last line:" \
		     "$(tail -n 1 "$2"))" >&2
	else
		echo "dnsmasq build: $STEP failed: $1" >&2
	fi
	exit 1
}

# ---- 1. a private apt configuration -----------------------------------
# One deb-src stanza per host source stanza whose suites are bookworm's,
# with the host's URIs, suites, components and keyring.  Only the
# values are taken from the host; nothing there is written.
host_sources() {
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && cat "$f" && echo
	done
	# One-line entries become stanzas of the same fields.
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -n 's/^[[:space:]]*deb\(-src\)\{0,1\}[[:space:]]\{1,\}//p' \
			"$f" | while read -r a b c d; do
			signed=
			case $a in
			\[*\])	signed=$(printf '%s\n' "$a" |
				    sed -n 's/.*signed-by=\([^] ]*\).*/\1/p')
				set -- $b $c $d ;;
			*)	set -- $a $b $c $d ;;
			esac
			printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: %s\n' \
				"$1" "$2" "${3:-main}"
			[ -z "$signed" ] || printf 'Signed-By: %s\n' "$signed"
			echo
		done
	done
}

if [ -n "${DNSMASQ_SOURCE:-}" ]; then
	SRC=$(cd "$DNSMASQ_SOURCE" && pwd) || {
		echo "build.sh: DNSMASQ_SOURCE=$DNSMASQ_SOURCE: no such directory" >&2
		exit 2
	}
	[ -f "$SRC/debian/changelog" ] || {
		echo "build.sh: DNSMASQ_SOURCE=$SRC has no debian/changelog:" \
		     "not an unpacked dnsmasq source" >&2
		exit 2
	}
fi

if [ -z "${DNSMASQ_SOURCE:-}" ]; then
	step "private apt configuration in $OUT/apt"
	APT=$OUT/apt
	mkdir -p "$APT/sources.list.d" "$APT/lists/partial" \
		"$APT/cache/archives/partial" "$APT/conf.d" ||
		fail "cannot make $APT"
	host_sources | awk '
		function flush() {
			if (uris != "" && bookworm) {
				print "Types: deb-src"
				print "URIs: " uris
				print "Suites: " suites
				print "Components: " comps
				if (signed != "") print "Signed-By: " signed
				print ""
			}
			uris = suites = comps = signed = ""; bookworm = 0
		}
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		{
			key = $1; sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
			if (key == "URIs") uris = $0
			else if (key == "Suites") {
				suites = $0; bookworm = ($0 ~ /(^| )bookworm/)
			} else if (key == "Components") comps = $0
			else if (key == "Signed-By") signed = $0
		}
		END { flush() }' >"$APT/sources.list.d/host-src.sources.new" ||
		fail "cannot write $APT/sources.list.d"
	[ -s "$APT/sources.list.d/host-src.sources.new" ] ||
		fail "the host's apt sources have no bookworm entry to take a deb-src from"
	mv "$APT/sources.list.d/host-src.sources.new" \
		"$APT/sources.list.d/host-src.sources" || fail "cannot write $APT"

	# The host's own settings that decide whether its mirror can be read at
	# all (an archive snapshot's Release files are past their Valid-Until;
	# a proxy), carried over; the host's apt.conf.d is not read, so none of
	# its update hooks runs.
	conf_value() {
		apt-config dump 2>/dev/null |
			sed -n "s|^$1 \"\\(.*\\)\";\$|\\1|p" | tail -n 1
	}
	{
		echo "Dir::Etc::main \"/dev/null\";"
		echo "Dir::Etc::parts \"$APT/conf.d\";"
		echo "Dir::Etc::sourcelist \"/dev/null\";"
		echo "Dir::Etc::sourceparts \"$APT/sources.list.d\";"
		echo "Dir::State::lists \"$APT/lists\";"
		echo "Dir::State::status \"/dev/null\";"
		echo "Dir::Cache \"$APT/cache\";"
		echo "Dir::Cache::archives \"$APT/cache/archives\";"
		echo "APT::Sandbox::User \"root\";"
		for key in Acquire::Check-Valid-Until Acquire::Check-Date \
			   Acquire::http::Proxy Acquire::https::Proxy; do
			v=$(conf_value "$key")
			[ -z "$v" ] || echo "$key \"$v\";"
		done
	} >"$APT/apt.conf" || fail "cannot write $APT/apt.conf"
fi

# ---- 2. the source ------------------------------------------------------
if [ ! -f "$SRC/debian/changelog" ]; then
	export APT_CONFIG="$APT/apt.conf"
	step "apt-get update (private lists)"
	apt-get -q update >"$LOG/apt-update.log" 2>&1 ||
		fail "apt-get update" "$LOG/apt-update.log"
	step "apt-get source dnsmasq"
	rm -rf "$OUT/src" && mkdir -p "$OUT/src" || fail "cannot make $OUT/src"
	(cd "$OUT/src" && apt-get -q source dnsmasq) \
		>"$LOG/apt-source.log" 2>&1 ||
		fail "apt-get source dnsmasq" "$LOG/apt-source.log"
	# The patches are against 2.90: another upstream version fails here
	# rather than at a rejected hunk.
	[ -f "$SRC/debian/changelog" ] ||
		fail "no dnsmasq-$VERSION in what apt-get source unpacked" \
		     "$LOG/apt-source.log"
else
	step "source: $(sed -n '1s/^dnsmasq (\([^)]*\)).*/dnsmasq \1/p' \
		"$SRC/debian/changelog") already in $OUT/src"
fi

# ---- 3. the patches -----------------------------------------------------
# A copy of the pristine source gets them; it is made again only when a
# patch or the library's header changed.
stamp=$(cat "$HERE"/*.patch "$TREE/include/portpool.h" | cksum)
if [ "$(cat "$WORK/.portpool-stamp" 2>/dev/null)" != "$stamp" ]; then
	step "apply $(cd "$HERE" && echo *.patch)"
	rm -rf "$WORK" && mkdir -p "$OUT/work" &&
		cp -a "$SRC" "$WORK" || fail "cannot copy $SRC to $WORK"
	: >"$LOG/patch.log"
	for p in "$HERE"/*.patch; do
		patch -d "$WORK" -p1 --batch --no-backup-if-mismatch \
			<"$p" >>"$LOG/patch.log" 2>&1 ||
			fail "$(basename "$p") does not apply" "$LOG/patch.log"
	done
	echo "$stamp" >"$WORK/.portpool-stamp"
else
	step "patches already applied in $WORK"
fi

# ---- 4. the library -----------------------------------------------------
if [ "${LIBPORTPOOL:-tree}" = tree ]; then
	B=${B:-build}
	step "libportpool in $TREE/$B"
	make -s -C "$TREE" "B=$B" all >"$LOG/libportpool.log" 2>&1 ||
		fail "make in $TREE" "$LOG/libportpool.log"
	mkdir -p "$OUT/pkgconfig" || fail "cannot make $OUT/pkgconfig"
	# The Makefile's own .pc rule, pointed at the tree's build.
	make -s -C "$TREE" "B=$B" "prefix=$TREE" "libdir=$TREE/$B" \
		"includedir=$TREE/include" "$B/libportpool.pc" \
		>>"$LOG/libportpool.log" 2>&1 &&
	cp "$TREE/$B/libportpool.pc" "$OUT/pkgconfig/libportpool.pc" ||
		fail "cannot write $OUT/pkgconfig/libportpool.pc" \
			"$LOG/libportpool.log"
	PKG_CONFIG_PATH=$OUT/pkgconfig
	export PKG_CONFIG_PATH
else
	step "libportpool from pkg-config"
fi
pkg-config --print-errors --exists libportpool 2>"$LOG/pkg-config.log" &&
	libdir=$(pkg-config --variable=libdir libportpool) ||
	fail "pkg-config finds no libportpool" "$LOG/pkg-config.log"

# ---- 5. dnsmasq ---------------------------------------------------------
# dnsmasq's default build options, plus HAVE_PORTPOOL; the rpath lets the
# binary run from anywhere with the library it was linked against.
# The header's directory goes in COPTS as well: dnsmasq preprocesses
# dnsmasq.h with COPTS alone to tell when the options changed.
step "make dnsmasq (COPTS=-DHAVE_PORTPOOL, rpath $libdir)"
make -C "$WORK" LDFLAGS="-Wl,-rpath,$libdir" \
	COPTS="-DHAVE_PORTPOOL $(pkg-config --cflags libportpool)" \
	>"$LOG/make.log" 2>&1 || fail "make" "$LOG/make.log"
cp "$WORK/src/dnsmasq" "$OUT/dnsmasq.new" &&
	mv "$OUT/dnsmasq.new" "$OUT/dnsmasq" ||
	fail "cannot copy the binary to $OUT/dnsmasq"
"$OUT/dnsmasq" --version 2>"$LOG/version.log" | grep -q ' portpool ' ||
	fail "$OUT/dnsmasq --version does not list portpool" "$LOG/version.log"
step "done: $OUT/dnsmasq"
