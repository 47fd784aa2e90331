# libportpool: one non-recursive GNU make file.
#
#   make                 the libraries, the tools and the examples, in build/
#   make demo            run tools/portpool-info on the default pool
#   make check           every test; as root, test/deps.sh first installs
#                        the Debian packages they use (not in a package
#                        build, nor with PORTPOOL_CHECK_NO_HOST=1); as an
#                        ordinary user, in user namespaces
#   make bench           the benchmarks (root: they use network namespaces)
#   make install         DESTDIR and any directory name below given on
#                        the command line (prefix=/usr, libdir=...)
#   make uninstall       removes exactly what install put there, then the
#                        directories it made, if empty
#   make dist            libportpool-VERSION.tar.gz from git (git archive)
#   make deb             Debian packages from that tarball and
#                        distro/debian, in build/deb/ (dpkg-buildpackage)

# The version, in this one place: test/check-version.sh (make check) fails
# when the header, the symbol map or the pkg-config file say otherwise.
# SOVERSION is the major number: it changes only with an incompatible ABI.
VERSION   := 1.0.0
SOVERSION := $(firstword $(subst ., ,$(VERSION)))

# The directory names, GNU's.  Only what is given on the command line
# changes them: debhelper's dh_auto_install passes DESTDIR alone to a
# plain Makefile, so a package's debian/rules passes the others itself
# (distro/debian/rules: prefix=/usr, libdir with the multiarch triplet).
# PREFIX is the older spelling of prefix.  sysconfdir is where the
# library looks for the host policy (portpool.conf and portpool.conf.d):
# /etc, not $(prefix)/etc, because the policy is the host's, whoever
# installed the library; nothing is installed there.  The preload shim
# is no library to link: it goes to a directory of its own, pkglibdir,
# and preloadpath, the path its manual page names, is where
# it lands (a multiarch package may name it as '/usr/$$LIB/...', which
# ld.so expands for each architecture).  systemd's unit directory: where
# pkg-config's systemd.pc says (Debian 12: /lib/systemd/system) when
# installing into systemd's own prefix, else $(prefix)/lib/systemd/system.
PREFIX      ?= /usr/local
prefix      ?= $(PREFIX)
exec_prefix ?= $(prefix)
bindir      ?= $(exec_prefix)/bin
sbindir     ?= $(exec_prefix)/sbin
libdir      ?= $(exec_prefix)/lib
pkglibdir   ?= $(libdir)/portpool
preloadpath ?= $(pkglibdir)/libportpool-preload.so
includedir  ?= $(prefix)/include
datarootdir ?= $(prefix)/share
datadir     ?= $(datarootdir)
mandir      ?= $(datarootdir)/man
docdir      ?= $(datarootdir)/doc/libportpool
sysconfdir  ?= /etc
systemdunitdir ?= $(if $(filter $(prefix),$(call systemd_pc,prefix)),$(call \
	systemd_pc,systemdsystemunitdir),$(prefix)/lib/systemd/system)
systemd_pc = $(shell pkg-config --variable=$(1) systemd 2>/dev/null)
pkgconfigdir ?= $(libdir)/pkgconfig
PROJECT_URL ?= https://example.org/libportpool

CFLAGS   ?= -O2 -g
WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	    -Wformat=2 -Wvla
# 64-bit off_t, stat and rlim_t on 32-bit hosts too.
CPPFLAGS_ALL := -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Iinclude \
		-DPP_SYSCONFDIR='"$(sysconfdir)"' $(CPPFLAGS)
CFLAGS_ALL := -std=c11 $(WARNINGS) -fPIC -fvisibility=hidden $(CFLAGS)

B := build
SONAME  := libportpool.so.$(SOVERSION)
SHARED  := $(B)/libportpool.so.$(VERSION)
STATIC  := $(B)/libportpool.a

LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:lib/%.c=$(B)/lib/%.o)
EXAMPLES := $(patsubst examples/%.c,$(B)/examples/%,$(wildcard examples/*.c))
TESTS := $(patsubst test/%.c,$(B)/test/%,$(wildcard test/test_*.c))
TEST_UTIL := $(B)/test/util.o
MAN_PAGES := $(wildcard man/*.[358])
# Admin programs installed in $(sbindir): each NAME is built as
# $(B)/tools/NAME by the rules of the tool (TOOLS += NAME beside them).
TOOLS :=
# The sample policy file, installed as documentation when there is one.
DOC_EXAMPLES := $(wildcard examples/portpool.conf)

all: $(SHARED) $(STATIC) $(EXAMPLES)

$(B)/lib/%.o: lib/%.c lib/*.h include/portpool.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -c -o $@ $<

$(SHARED): $(LIB_OBJ) lib/libportpool.map
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,-z,defs \
		-Wl,--version-script=lib/libportpool.map $(LDFLAGS) \
		-o $@ $(LIB_OBJ) -lm
	ln -sf libportpool.so.$(VERSION) $(B)/$(SONAME)
	ln -sf $(SONAME) $(B)/libportpool.so

$(STATIC): $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

# Examples and tests link the static library: the tests reach internal
# functions and wrap system calls (-Wl,--wrap) that a .so would hide.
$(B)/examples/%: examples/%.c $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $< $(STATIC) -lm

# The tools link the shared library, as a distribution wants them (one
# library to patch); TOOLS_STATIC=1 links libportpool.a into them instead.
# Each tool NAME is linked twice, from the same objects: $(B)/tools/NAME,
# with the RUNPATH $ORIGIN/.. that finds $(B)/libportpool.so.1, runs from
# the build tree (make demo, the tests); $(B)/tools/inst/NAME, with no
# RUNPATH, is the copy make install installs, which finds the library
# where ld.so looks.  tool_link OUT, OBJECTS...: the two links' recipe.
# TOOL_LIB names the library and $(B)/tools/link-mode the knob, which is
# rewritten only when it changes: a make with the other TOOLS_STATIC
# relinks the tools rather than keep the other kind.
ifeq ($(TOOLS_STATIC),1)
TOOL_LIB  := $(STATIC) $(B)/tools/link-mode
TOOL_LINK  = $(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $(1) $(2) $(STATIC) $(3) -lm
else
TOOL_LIB  := $(SHARED) $(B)/tools/link-mode
TOOL_LINK  = $(CC) $(CFLAGS_ALL) -L$(B) $(LDFLAGS) -o $(1) $(2) -lportpool \
	$(3) -lm
TOOL_RPATH := -Wl,-rpath,'$$ORIGIN/..'
endif
$(B)/tools/link-mode: FORCE
	@mkdir -p $(@D)
	@echo 'TOOLS_STATIC=$(TOOLS_STATIC)' | cmp -s - $@ || \
		echo 'TOOLS_STATIC=$(TOOLS_STATIC)' >$@
FORCE:
.PHONY: FORCE
tool_link = $(call TOOL_LINK,$(1),$(2) $(TOOL_RPATH),$(3)) && \
	mkdir -p $(B)/tools/inst && \
	$(call TOOL_LINK,$(B)/tools/inst/$(notdir $(1)),$(2),$(3))

# portpool-info is tools/portpool-info.c and its tools/info-*.c parts.
INFO_SRC := tools/portpool-info.c $(wildcard tools/info-*.c)
$(B)/tools/%.o: tools/%.c tools/*.h include/portpool.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) -I$(B)/tools $(CFLAGS_ALL) -c -o $@ $<

# out.c is the tools' one output writer (JSON and terminal-safe text),
# linked into each tool and into its test; it decodes UTF-8 with the
# library's own lib/utf8.h (static inline: the .so exports no internals).
$(B)/tools/out.o: lib/utf8.h
$(B)/tools/portpool-info: $(INFO_SRC:tools/%.c=$(B)/tools/%.o) \
		$(B)/tools/out.o $(TOOL_LIB)
	$(call tool_link,$@,$(filter %.o,$^))
TOOLS += portpool-info

$(TEST_UTIL): test/util.c test/util.h include/portpool.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) -Ilib $(CFLAGS_ALL) -c -o $@ $<

$(B)/test/%: test/%.c $(TEST_UTIL) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) -Ilib $(CFLAGS_ALL) $(LDFLAGS) $(TEST_LDFLAGS) \
		-o $@ $< $(TEST_UTIL) $(STATIC) -lcmocka -lm

# The fault-injection test fails the library's system calls on purpose.
$(B)/test/test_faults: TEST_LDFLAGS = $(foreach f,socket bind close \
	setsockopt getrandom open open64 read,-Wl,--wrap=$(f))

# The output writer's test links the writer.
$(B)/test/test_out: $(B)/tools/out.o
$(B)/test/test_out: TEST_LDFLAGS = $(B)/tools/out.o

# The contract test counts the bytes memmove() shifts while lists build.
$(B)/test/test_contract: TEST_LDFLAGS = -Wl,--wrap=memmove

# The benchmark needs no cmocka and no test/util.o.
$(B)/test/bench: test/bench.c test/floor.h $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $< $(STATIC) -lm

# bench-floor: portpool_open() against a bare loop of its calls, in a
# process of its own (test/bench-floor.c says how); built, not run, here.
# test/floor.h is the namespace both floors run in.
$(B)/test/bench-floor: test/bench-floor.c test/floor.h $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $< $(STATIC) -lm

bench: $(B)/test/bench $(B)/test/bench-floor $(B)/tools/portpool-info
	$(B)/test/bench

# The default pool needs PORTPOOL_DEFAULT_SIZE descriptors; where the hard
# limit is lower, show the largest pool that fits (leaving the library's
# 64 spare descriptors) and say why, rather than fail.
DEMO_POOL := 2500
demo: $(B)/tools/portpool-info
	@n=0; hard=$$(ulimit -Hn); \
	if [ "$$hard" != unlimited ] && [ "$$hard" -lt $$(($(DEMO_POOL) + 64)) ]; then \
		n=$$((hard - 64)); [ "$$n" -ge 1 ] || n=1; \
		echo "demo: the hard descriptor limit (ulimit -Hn) is $$hard," \
		     "too low for the default pool of $(DEMO_POOL): showing a pool of $$n"; \
	fi; \
	echo "$(B)/tools/portpool-info --open $$n"; \
	$(B)/tools/portpool-info --open $$n

# ---- fuzz: libFuzzer targets (test/fuzz/) --------------------------------
#   make fuzz [FUZZ_SECONDS=60]   each target, clang sanitizers, on a scratch
#                                 copy of its corpus in $(B)/fuzz/corpus-NAME
# The replay binaries run a target's corpus with $(CC) and no libFuzzer;
# FUZZ_CHECKS holds one run.sh command per target, for `make check`.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN     := -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined
FUZZ_TARGETS := $(patsubst test/fuzz/%.c,%,$(wildcard test/fuzz/fuzz_*.c))
FUZZ_BIN     := $(FUZZ_TARGETS:%=$(B)/fuzz/%)
FUZZ_REPLAY  := $(FUZZ_TARGETS:%=$(B)/fuzz/replay_%)
FUZZ_CHECKS  := $(foreach t,$(FUZZ_TARGETS),\
		"$(B)/fuzz/replay_$(t) test/fuzz/corpus/$(t)")

$(B)/fuzz/fuzz_%: test/fuzz/fuzz_%.c test/fuzz/fuzz.h $(LIB_SRC) lib/*.h \
		include/portpool.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS_ALL) -Ilib -std=c11 $(WARNINGS) -g -O1 \
		$(FUZZ_SAN) -o $@ $< $(LIB_SRC) -lm

$(B)/fuzz/replay_%: test/fuzz/%.c test/fuzz/replay.c test/fuzz/fuzz.h \
		$(STATIC)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) -Ilib $(CFLAGS_ALL) $(LDFLAGS) -o $@ $< \
		test/fuzz/replay.c $(STATIC) -lm

fuzz: $(FUZZ_BIN)
	@set -e; for t in $(FUZZ_TARGETS); do \
		rm -rf $(B)/fuzz/corpus-$$t; \
		mkdir -p $(B)/fuzz/corpus-$$t $(B)/fuzz/artifacts-$$t; \
		cp test/fuzz/corpus/$$t/* $(B)/fuzz/corpus-$$t/; \
		echo "fuzz $$t: $(FUZZ_SECONDS)s"; \
		$(B)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) \
			-artifact_prefix=$(B)/fuzz/artifacts-$$t/ \
			-print_final_stats=1 $(B)/fuzz/corpus-$$t; \
	done

fuzz-replay: $(FUZZ_REPLAY)
	@sh test/run.sh $(FUZZ_CHECKS)

.PHONY: fuzz fuzz-replay
# ---- end fuzz ---------------------------------------------------------------

# Hardening, run by CI after make check: the test programs under
# AddressSanitizer + UndefinedBehaviorSanitizer and under valgrind, the
# threads test under ThreadSanitizer, and two static analysers.
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
VALGRIND := valgrind -q --error-exitcode=1 --leak-check=full \
	--child-silent-after-fork=yes \
	--errors-for-leak-kinds=definite,indirect
TIDY_CHECKS := -*,clang-analyzer-*,bugprone-*,-bugprone-easily-swappable-parameters,\
	-bugprone-reserved-identifier,-bugprone-narrowing-conversions,\
	-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling,\
	-clang-analyzer-valist.Uninitialized

test-programs: $(TESTS)

check-asan:
	$(MAKE) -s B=build-asan CC=clang LDFLAGS='$(SAN)' \
		CFLAGS='-O1 -g -fno-omit-frame-pointer $(SAN)' test-programs \
		$(FUZZ_REPLAY:$(B)/%=build-asan/%)
	@sh test/run.sh $(TESTS:$(B)/%=build-asan/%) \
		$(subst $(B)/fuzz,build-asan/fuzz,$(FUZZ_CHECKS))

check-valgrind: $(TESTS)
	@sh test/run.sh $(foreach t,$(TESTS),"$(VALGRIND) $(t)")

check-tsan:
	$(MAKE) -s B=build-tsan CC=clang LDFLAGS=-fsanitize=thread \
		CFLAGS='-O1 -g -fsanitize=thread' build-tsan/test/test_threads
	build-tsan/test/test_threads

lint:
	cppcheck --quiet --error-exitcode=1 --std=c11 -Iinclude -Ilib \
		--enable=warning,portability,performance \
		--suppress=missingIncludeSystem \
		-itools/portpool-guard.bpf.c lib examples tools
	clang-tidy --quiet --warnings-as-errors='*' \
		-checks='$(subst $(eval) ,,$(TIDY_CHECKS))' $(LIB_SRC) -- \
		$(CPPFLAGS_ALL) -std=c11 2>/dev/null

# ABI: abi/libportpool.abi is the 1.0 interface as libabigail's abidw
# reads it from a -g build of the shared library.  abi-check fails on any
# change abidiff reports that abi/libportpool.abignore does not allow;
# that file allows only fields appended to the structs the caller passes
# with their size (portpool(3)).  Added functions are compatible and are
# not reported (--no-added-syms).  abi-dump rewrites the dump: only when
# the interface is meant to change (a new minor version adding symbols).
ABI_DUMP := abi/libportpool.abi
ABI_LIB  := $(B)/$(SONAME)

abi-lib: $(SHARED)
	@readelf -S $(ABI_LIB) | grep -q '\.debug_info' || { \
		echo "abi: $(ABI_LIB) has no debug info: build with -g" >&2; \
		exit 1; }

abi-dump: abi-lib
	abidw --no-corpus-path --no-comp-dir-path --headers-dir include \
		--out-file $(ABI_DUMP) \
		$(ABI_LIB)

abi-check: abi-lib
	@abidiff --no-added-syms --suppressions abi/libportpool.abignore \
		--headers-dir2 include \
		$(ABI_DUMP) $(ABI_LIB) >$(B)/abidiff.txt; rc=$$?; \
	if [ $$rc -ne 0 ]; then cat $(B)/abidiff.txt; \
		echo "abi-check: $(ABI_LIB) is not compatible with" \
		     "$(ABI_DUMP) (abidiff exit $$rc)" >&2; exit 1; fi; \
	echo "abi-check: $(ABI_LIB) keeps the ABI of $(ABI_DUMP)"

# make check runs in two steps.  check-deps first: test/deps.sh installs
# the packages the tests use, when missing, as root; as an ordinary user,
# in a package build or with PORTPOOL_CHECK_NO_HOST=1 it installs nothing
# and names what is missing in one line (exit 77).  Then a second make,
# which reads this file afresh and so sees what check-deps installed (the
# guard is built when clang, libbpf and bpftool are there), builds and
# runs check-run: the checks whose packages are present (have).
#
# A package build (dpkg-buildpackage sets DEB_BUILD_ARCH) or
# PORTPOOL_CHECK_NO_HOST=1 touches nothing outside the tree, even as
# root: no apt-get, no policy-rc.d, no BPF on the host's cgroups, no
# network.  A check that would need that exits 77 with one line saying
# why, and test/run.sh counts it apart, as "need root" is counted.
ifneq ($(DEB_BUILD_ARCH),)
PORTPOOL_CHECK_NO_HOST ?= 1
endif
export PORTPOOL_CHECK_NO_HOST

check: check-deps
	@$(MAKE) --no-print-directory check-run

check-deps:
	@sh test/deps.sh metrics || [ $$? -eq 77 ]

have = $(shell $(1) >/dev/null 2>&1 && echo y)
CHECK_TESTS = $(if $(call have,test -f /usr/include/cmocka.h),$(TESTS))
CHECK_MAN = $(if $(call have,command -v mandoc),\
	"sh test/check-man.sh $(SHARED) $(MAN_PAGES)")
CHECK_INSTALL = $(if $(call have,command -v pkg-config),\
	"TOOLS_STATIC=$(TOOLS_STATIC) sh test/check-install.sh $(B)")

check-run: all $(CHECK_TESTS) $(FUZZ_REPLAY) $(B)/libportpool.pc
	@PATH="$$PATH:/usr/sbin:/sbin" sh test/run.sh $(CHECK_TESTS) \
		$(FUZZ_CHECKS) $(CHECK_MAN) \
		"sh test/check-version.sh $(VERSION) $(SHARED) \
			$(B)/libportpool.pc" \
		"sh test/check-symbols.sh $(STATIC) $(SHARED)" \
		$(CHECK_INSTALL) "sh test/e2e.sh" "sh test/admin-e2e.sh" \
		"sh test/check-dscp.sh $(B)" $(GUARD_CHECKS) \
		"sh test/dnsmasq-e2e.sh" "sh test/metrics-e2e.sh"

# portpool-info --metrics (and the guard's) for node_exporter, every
# minute: installed, not enabled.
METRICS_UNITS := tools/portpool-metrics.service tools/portpool-metrics.timer

# Made at install time, so that it names the prefix given there.
$(B)/libportpool.pc: libportpool.pc.in
	@mkdir -p $(@D)
	sed -e 's|@prefix@|$(prefix)|' -e 's|@exec_prefix@|$(exec_prefix)|' \
	    -e 's|@libdir@|$(libdir)|' -e 's|@includedir@|$(includedir)|' \
	    -e 's|@version@|$(VERSION)|' -e 's|@url@|$(PROJECT_URL)|' \
	    $< > $(B)/libportpool.pc

# Every name in a page's .Nm lines gets a link to that page.
man_aliases = for page in $(MAN_PAGES); do \
	sec=$${page\#\#*.}; base=$${page\#\#*/}; \
	for name in $$(sed -n 's/^\.Nm \([a-z0-9_.-]*\).*/\1/p' $$page | sort -u); do \
		[ "$$name.$$sec" = "$$base" ] || echo "$$sec $$base $$name.$$sec"; \
	done; done

# The directories install needs.  It notes in $(INSTALLED_DIRS) each one
# it makes (ancestors too), and uninstall removes those of its own
# DESTDIR and directories that are empty again, deepest first (the notes
# of other installs stay): directories that were there before stay.
INSTALL_DIRS = $(libdir) $(includedir) $(pkgconfigdir) \
	$(sort $(foreach p,$(MAN_PAGES),$(mandir)/man$(subst .,,$(suffix $(p))))) \
	$(if $(TOOLS),$(sbindir)) $(if $(DOC_EXAMPLES),$(docdir)/examples) \
	$(pkglibdir) $(systemdunitdir)
INSTALLED_DIRS = $(B)/installed-dirs

install: all $(B)/libportpool.pc
	@for d in $(INSTALL_DIRS:%=$(DESTDIR)%); do \
		p=$$d; while [ -n "$$p" ] && [ ! -d "$$p" ]; do \
			echo "$$p"; \
			case $$p in */*) p=$${p%/*} ;; *) p= ;; esac; \
		done; \
	done >>$(INSTALLED_DIRS)
	install -d $(INSTALL_DIRS:%=$(DESTDIR)%)
	install -m 644 include/portpool.h $(DESTDIR)$(includedir)/
	install -m 755 $(SHARED) $(DESTDIR)$(libdir)/
	ln -sf libportpool.so.$(VERSION) $(DESTDIR)$(libdir)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(libdir)/libportpool.so
	install -m 644 $(STATIC) $(DESTDIR)$(libdir)/
	install -m 644 $(B)/libportpool.pc $(DESTDIR)$(pkgconfigdir)/
	for page in $(MAN_PAGES); do \
		sed 's|/usr/local/lib/portpool/libportpool-preload\.so|$(preloadpath)|g' \
			$$page >$(DESTDIR)$(mandir)/man$${page##*.}/$${page##*/} && \
		chmod 644 $(DESTDIR)$(mandir)/man$${page##*.}/$${page##*/} || \
		exit 1; done
	$(man_aliases) | while read sec page alias; do \
		ln -sf $$page $(DESTDIR)$(mandir)/man$$sec/$$alias; done
	$(if $(TOOLS),install -m 755 $(TOOLS:%=$(B)/tools/inst/%) \
		$(DESTDIR)$(sbindir)/)
	$(if $(DOC_EXAMPLES),install -m 644 $(DOC_EXAMPLES) \
		$(DESTDIR)$(docdir)/examples/)
	install -m 644 $(PRELOAD) $(DESTDIR)$(pkglibdir)/
	$(if $(filter portpool-guard,$(TOOLS)),sed \
		's|/usr/local/sbin|$(sbindir)|' tools/portpool-guard.service \
		>$(DESTDIR)$(systemdunitdir)/portpool-guard.service && \
		chmod 644 $(DESTDIR)$(systemdunitdir)/portpool-guard.service)
	for u in $(METRICS_UNITS); do \
		sed 's|/usr/local/sbin|$(sbindir)|' $$u \
			>$(DESTDIR)$(systemdunitdir)/$${u##*/} && \
		chmod 644 $(DESTDIR)$(systemdunitdir)/$${u##*/} || exit 1; done

uninstall:
	rm -f $(DESTDIR)$(includedir)/portpool.h \
		$(DESTDIR)$(libdir)/libportpool.so.$(VERSION) \
		$(DESTDIR)$(libdir)/$(SONAME) $(DESTDIR)$(libdir)/libportpool.so \
		$(DESTDIR)$(libdir)/libportpool.a \
		$(DESTDIR)$(pkgconfigdir)/libportpool.pc \
		$(DESTDIR)$(pkglibdir)/libportpool-preload.so \
		$(DESTDIR)$(systemdunitdir)/portpool-guard.service \
		$(METRICS_UNITS:tools/%=$(DESTDIR)$(systemdunitdir)/%)
	for page in $(MAN_PAGES); do \
		rm -f $(DESTDIR)$(mandir)/man$${page##*.}/$${page##*/}; done
	$(man_aliases) | while read sec page alias; do \
		rm -f $(DESTDIR)$(mandir)/man$$sec/$$alias; done
	rm -f $(addprefix $(DESTDIR)$(sbindir)/,$(sort $(TOOLS) portpool-guard)) \
		$(DOC_EXAMPLES:examples/%=$(DESTDIR)$(docdir)/examples/%)
	@[ ! -f $(INSTALLED_DIRS) ] || { \
		LC_ALL=C sort -ru $(INSTALLED_DIRS) | while read -r d; do \
			mine=; for t in $(INSTALL_DIRS:%=$(DESTDIR)%); do \
				case $$t/ in "$$d"/*) mine=1 ;; esac; done; \
			if [ -n "$$mine" ]; then rmdir "$$d" 2>/dev/null || :; \
			else echo "$$d"; fi; \
		done >$(INSTALLED_DIRS).kept; \
		mv $(INSTALLED_DIRS).kept $(INSTALLED_DIRS); \
		[ -s $(INSTALLED_DIRS) ] || rm -f $(INSTALLED_DIRS); }

# The release tarball: what git has committed at HEAD, in one directory;
# outside a git checkout (an unpacked tarball), the files of the tree,
# less $(B) and the tarball itself.  Files 0644, directories 0755.
DIST := libportpool-$(VERSION)
dist:
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		git -c tar.umask=0022 archive --format=tar.gz \
			--prefix=$(DIST)/ -o $(DIST).tar.gz HEAD && \
		echo "$(DIST).tar.gz: HEAD $$(git rev-parse --short HEAD)"; \
	else \
		mkdir -p $(B) && \
		tar -czf $(B)/$(DIST).tar.gz --exclude=./$(B) \
			--exclude=./$(DIST).tar.gz --sort=name --owner=0 \
			--group=0 --numeric-owner --mode=u+rw,go-w,a+rX \
			--transform='s,^\.,$(DIST),' . && \
		mv $(B)/$(DIST).tar.gz $(DIST).tar.gz && \
		echo "$(DIST).tar.gz: the files of this tree (no git)"; \
	fi

# Debian packages, built as a build daemon would: the make dist tarball
# unpacked in $(B)/deb/ (and beside it as the .orig.tar.gz), the tarball's
# distro/debian copied in as its debian/, then dpkg-buildpackage -us -uc
# -b as the user running make (Rules-Requires-Root: no), whose make check
# runs without network and touches nothing outside the tree.  The .debs
# land in $(B)/deb/.  The Build-Depends must be installed first: as root,
# sh test/deps.sh deb (dpkg-buildpackage names any that are missing).
DEB_DIR := $(B)/deb
deb: dist
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)
	cp $(DIST).tar.gz $(DEB_DIR)/libportpool_$(VERSION).orig.tar.gz
	tar -xzf $(DIST).tar.gz -C $(DEB_DIR)
	cp -R $(DEB_DIR)/$(DIST)/distro/debian $(DEB_DIR)/$(DIST)/debian
	cd $(DEB_DIR)/$(DIST) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		dpkg-buildpackage -us -uc -b
	@ls $(DEB_DIR)/*.deb

clean:
	rm -rf $(B)

# Every tool's rules have added its name to TOOLS by now.
all: $(TOOLS:%=$(B)/tools/%)

.PHONY: all bench demo check check-deps check-run deb install uninstall \
	clean dist \
	test-programs check-asan check-valgrind check-tsan lint \
	abi-lib abi-dump abi-check \
	$(B)/libportpool.pc
.DELETE_ON_ERROR:

# ---- guard: portpool-guard and libportpool-preload.so (tools/) ------------
#   make guard           both, when clang, libbpf and bpftool are present
# The guard's BPF object is built with clang whatever CC is, and embedded
# in the tool as a libbpf skeleton.  Without the BPF tools the rest of
# the build goes on and says how to get them.
BPF_CLANG ?= clang
# bpftool is in /usr/sbin, which an ordinary user's PATH may lack.
BPFTOOL   ?= $(firstword $(wildcard /usr/sbin/bpftool) bpftool)
GUARD     := $(B)/tools/portpool-guard
PRELOAD   := $(B)/libportpool-preload.so
GUARD_HAVE := $(shell command -v $(BPF_CLANG) >/dev/null 2>&1 && \
	command -v $(BPFTOOL) >/dev/null 2>&1 && \
	test -f /usr/include/bpf/libbpf.h && echo yes)
ifeq ($(GUARD_HAVE),yes)
TOOLS += portpool-guard
GUARD_ALL := $(GUARD) $(PRELOAD)
else
GUARD_ALL := $(PRELOAD) guard-missing
endif
GUARD_CHECKS := "sh test/guard-e2e.sh" "sh test/guard-edges-e2e.sh" \
	"sh test/hostlist-e2e.sh" "sh test/metrics-e2e.sh --guard" \
	"sh test/owners-e2e.sh" "sh test/upgrade-e2e.sh"
MAN_PAGES += $(filter-out $(MAN_PAGES),man/portpool-guard.8 \
	man/libportpool-preload.8)

all: $(GUARD_ALL)

guard: $(GUARD_ALL)

guard-missing:
	@echo "portpool-guard not built: it needs clang, libbpf-dev and" \
	      "bpftool (as root: sh test/deps.sh guard)"

# clang -target bpf does not search the multiarch include directory,
# where <asm/types.h> lives (gcc-multilib's /usr/include/asm link hides
# that); the build path is mapped out of the DWARF that bpftool embeds in
# the tool, so that two builds of one tree are the same bytes.
BPF_MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
BPF_CFLAGS := -target bpf -O2 -g -Wall -Wextra \
	$(if $(BPF_MULTIARCH),-idirafter /usr/include/$(BPF_MULTIARCH)) \
	-ffile-prefix-map=$(CURDIR)=.

$(B)/tools/portpool-guard.bpf.o: tools/portpool-guard.bpf.c
	@mkdir -p $(@D)
	$(BPF_CLANG) $(BPF_CFLAGS) -c -o $@ $<

$(B)/tools/portpool-guard.skel.h: $(B)/tools/portpool-guard.bpf.o
	$(BPFTOOL) gen skeleton $< name guard_bpf > $@

# The deny set's parts, shared by the guard and the shim, read the host
# through the library's public API only (include/portpool.h), so that the
# guard links the shared library.  DENY_EACH, the shim's alone, reads the
# kernel's list without the policy through the library's internal reader
# (lib/internal.h), which only libportpool.a has.
DENY_OBJ  := $(B)/tools/denyset.o $(B)/tools/kernlist.o $(B)/tools/denygen.o \
	$(B)/tools/ranges.o
DENY_EACH := $(B)/tools/denyeach.o

$(DENY_OBJ): $(B)/tools/%.o: tools/%.c tools/denyset.h tools/kernlist.h \
		tools/denygen.h tools/ranges.h include/portpool.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -c -o $@ $<

$(DENY_EACH): $(B)/tools/%.o: tools/%.c tools/denyset.h tools/kernlist.h \
		tools/ranges.h include/portpool.h lib/internal.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) -Ilib $(CFLAGS_ALL) -c -o $@ $<

# portpool-guard is tools/portpool-guard.c and its tools/guard-*.c parts,
# linked as portpool-info is (tool_link: the shared library, the build
# tree's copy and the inst/ copy; TOOLS_STATIC=1 for libportpool.a).
GUARD_OBJ := $(patsubst tools/%.c,$(B)/tools/%.o,tools/portpool-guard.c \
	$(wildcard tools/guard-*.c))
$(GUARD_OBJ): $(B)/tools/portpool-guard.skel.h

$(GUARD): $(GUARD_OBJ) $(DENY_OBJ) $(B)/tools/out.o $(TOOL_LIB)
	$(call tool_link,$@,$(filter %.o,$^),-lbpf)

# The shim exports bind() and nothing else, and carries libportpool.a
# inside it: preloaded into any program, it adds no libportpool.so.1 to
# that program's link map, so it cannot clash with a program that links
# another libportpool itself, and it is one file to preload.
$(PRELOAD): tools/portpool-preload.c tools/preload.map $(DENY_OBJ) \
		$(DENY_EACH) $(STATIC)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -shared -Wl,-z,defs \
		-Wl,--version-script=tools/preload.map $(LDFLAGS) -o $@ $< \
		$(DENY_OBJ) $(DENY_EACH) $(STATIC) -lm

# The deny set's unit test links its parts and fails the kernel list's
# writes on purpose.
$(B)/test/test_hostlist: $(DENY_OBJ) $(DENY_EACH)
$(B)/test/test_hostlist: TEST_LDFLAGS = $(DENY_OBJ) $(DENY_EACH) \
	-lpthread -Wl,--wrap=pwrite -Wl,--wrap=pwrite64

# The bench's "guard" scenario runs the tool and dlopens the shim.
bench: $(GUARD_ALL)

# make check builds and tests the guard: its packages come first.
check-deps: guard-deps
guard-deps:
	@sh test/deps.sh guard daemons || [ $$? -eq 77 ]

.PHONY: guard guard-missing guard-deps
# ---- end guard --------------------------------------------------------------
