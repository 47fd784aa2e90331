# libportpool: one non-recursive GNU make file.
#
#   make                 the libraries and the examples, in build/
#   make demo            run examples/portpool-info on the default pool
#   make check           every test (installs its Debian packages as root)
#   make bench           the benchmarks (root: they use network namespaces)
#   make install         PREFIX, DESTDIR, libdir, includedir, mandir
#   make uninstall       removes exactly what install put there

# The version, in this one place: test/check-version.sh (make check) fails
# when the header, the symbol map or the pkg-config file say otherwise.
# SOVERSION is the major number: it changes only with an incompatible ABI.
VERSION   := 1.0.0
SOVERSION := $(firstword $(subst ., ,$(VERSION)))

PREFIX     ?= /usr/local
libdir     ?= $(PREFIX)/lib
includedir ?= $(PREFIX)/include
mandir     ?= $(PREFIX)/share/man
pkgconfigdir ?= $(libdir)/pkgconfig

CFLAGS   ?= -O2 -g
WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	    -Wformat=2 -Wvla
# 64-bit off_t, stat and rlim_t on 32-bit hosts too.
CPPFLAGS_ALL := -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Iinclude $(CPPFLAGS)
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
MAN_PAGES := $(wildcard man/*.[35])

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

# The benchmark needs no cmocka and no test/util.o.
$(B)/test/bench: test/bench.c $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $< $(STATIC) -lm

bench: $(B)/test/bench
	$(B)/test/bench

demo: $(B)/examples/portpool-info
	$(B)/examples/portpool-info --open 0

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
		--suppress=missingIncludeSystem lib examples
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

# The packages the tests use, installed when missing (see test/deps.sh).
check-deps:
	@sh test/deps.sh

check: check-deps all $(TESTS) $(FUZZ_REPLAY) $(B)/libportpool.pc
	@sh test/run.sh $(TESTS) $(FUZZ_CHECKS) \
		"sh test/check-man.sh $(SHARED) $(MAN_PAGES)" \
		"sh test/check-version.sh $(VERSION) $(SHARED) \
			$(B)/libportpool.pc" \
		"sh test/check-install.sh" "sh test/e2e.sh" \
		"sh test/check-dscp.sh $(B)" \
		"sh test/dnsmasq-e2e.sh"

# Made at install time, so that it names the PREFIX given there.
$(B)/libportpool.pc: libportpool.pc.in
	@mkdir -p $(@D)
	sed -e 's|@prefix@|$(PREFIX)|' -e 's|@libdir@|$(libdir)|' \
	    -e 's|@includedir@|$(includedir)|' -e 's|@version@|$(VERSION)|' \
	    $< > $(B)/libportpool.pc

# Every name in a page's .Nm lines gets a link to that page.
man_aliases = for page in $(MAN_PAGES); do \
	sec=$${page\#\#*.}; base=$${page\#\#*/}; \
	for name in $$(sed -n 's/^\.Nm \([a-z_.]*\).*/\1/p' $$page | sort -u); do \
		[ "$$name.$$sec" = "$$base" ] || echo "$$sec $$base $$name.$$sec"; \
	done; done

install: all $(B)/libportpool.pc
	install -d $(DESTDIR)$(libdir) $(DESTDIR)$(includedir) \
		$(DESTDIR)$(pkgconfigdir) $(DESTDIR)$(mandir)/man3 \
		$(DESTDIR)$(mandir)/man5
	install -m 644 include/portpool.h $(DESTDIR)$(includedir)/
	install -m 755 $(SHARED) $(DESTDIR)$(libdir)/
	ln -sf libportpool.so.$(VERSION) $(DESTDIR)$(libdir)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(libdir)/libportpool.so
	install -m 644 $(STATIC) $(DESTDIR)$(libdir)/
	install -m 644 $(B)/libportpool.pc $(DESTDIR)$(pkgconfigdir)/
	for page in $(MAN_PAGES); do \
		install -m 644 $$page $(DESTDIR)$(mandir)/man$${page##*.}/; done
	$(man_aliases) | while read sec page alias; do \
		ln -sf $$page $(DESTDIR)$(mandir)/man$$sec/$$alias; done

uninstall:
	rm -f $(DESTDIR)$(includedir)/portpool.h \
		$(DESTDIR)$(libdir)/libportpool.so.$(VERSION) \
		$(DESTDIR)$(libdir)/$(SONAME) $(DESTDIR)$(libdir)/libportpool.so \
		$(DESTDIR)$(libdir)/libportpool.a \
		$(DESTDIR)$(pkgconfigdir)/libportpool.pc
	for page in $(MAN_PAGES); do \
		rm -f $(DESTDIR)$(mandir)/man$${page##*.}/$${page##*/}; done
	$(man_aliases) | while read sec page alias; do \
		rm -f $(DESTDIR)$(mandir)/man$$sec/$$alias; done

clean:
	rm -rf $(B)

.PHONY: all bench demo check check-deps install uninstall clean \
	test-programs check-asan check-valgrind check-tsan lint \
	abi-lib abi-dump abi-check \
	$(B)/libportpool.pc
.DELETE_ON_ERROR:
