# Barrage — one non-recursive Makefile.
#
# Every top-level module keeps its sources in its own folder and is picked up by wildcard, so
# adding a .c file needs no edit here. A folder may add rules of its own in module.mk.
#
#   make                 release build into bin/ (barrage, barrage-agent, barrage-target)
#   make test            structure check, ASan+UBSan build of everything, unit tests, fuzz-corpus replay,
#                        integration tests; the agent's threading again under TSan
#   make test-repeat N=5 the ASan unit, fuzz-replay and integration suites N times; lists every
#                        test that failed in any round, with counts (flaky-test hunting)
#   make bench           benchmarks against wrk and Tsung (installs them if missing)
#   make soak            long runs that do not belong in the test suite
#   make fuzz            libFuzzer builds of the decoders (clang)
#   make valgrind        unit tests under valgrind
#   make format-check    clang-format and the banned-function check
#   make structure-check no file over 800 lines, no function over 120, no include cycle in a folder
#
# VARIANT selects the build flavour (release, asan, tsan); each has its own object tree in
# build/VARIANT so switching never mixes objects.

VARIANT ?= release
B := build/$(VARIANT)

CC ?= cc
PKGS := libcurl zlib libevent libevent_openssl libevent_pthreads yaml-0.1 libssh2 jansson libpcre2-8 openssl expat
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# -Wno-format-truncation: snprintf into a fixed buffer truncating is the intended, safe
# behaviour wherever we use it (labels, messages); GCC's guess at -O2 would flag them all.
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
        -Wformat=2 -Wno-unused-parameter -Wno-format-nonliteral -Wvla -Wno-format-truncation
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -I. $(PKG_CFLAGS) $(WARN) -g -MMD -MP

ifeq ($(VARIANT),release)
  VFLAGS := -O2
  BIN := bin
else ifeq ($(VARIANT),asan)
  VFLAGS := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
  BIN := $(B)/bin
else ifeq ($(VARIANT),tsan)
  VFLAGS := -O1 -fno-omit-frame-pointer -fsanitize=thread
  BIN := $(B)/bin
else
  $(error unknown VARIANT '$(VARIANT)': use release, asan or tsan)
endif

CFLAGS += $(BASE_CFLAGS) $(VFLAGS)
LDFLAGS += $(VFLAGS)
LDLIBS += $(PKG_LIBS) -lhttp_parser -lpthread -lm

# Modules: everything but main.c goes into the module's archive, so tests can link any of it.
MODULES := common agent controller reports servers
define module_rules
$(1)_SRCS := $$(filter-out $(1)/main.c,$$(wildcard $(1)/*.c))
$(1)_OBJS := $$(patsubst %.c,$(B)/%.o,$$($(1)_SRCS))
$(B)/lib$(1).a: $$($(1)_OBJS)
	@mkdir -p $$(@D)
	rm -f $$@ && $$(AR) rcs $$@ $$^
endef
$(foreach m,$(MODULES),$(eval $(call module_rules,$(m))))

# Link order: users before what they use.
LIBS_ALL := $(B)/libcontroller.a $(B)/libreports.a $(B)/libagent.a $(B)/libservers.a $(B)/libcommon.a

PROGRAMS := $(BIN)/barrage $(BIN)/barrage-agent $(BIN)/barrage-target

$(BIN)/barrage: $(B)/controller/main.o $(B)/libcontroller.a $(B)/libreports.a $(B)/libcommon.a
$(BIN)/barrage-agent: $(B)/agent/main.o $(B)/libagent.a $(B)/libcommon.a
$(BIN)/barrage-target: $(B)/servers/main.o $(B)/libservers.a $(B)/libcommon.a
$(PROGRAMS):
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(LDLIBS)

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

.DEFAULT_GOAL := all
# Keep object files that are only intermediates of test binaries.
.SECONDARY:
.PHONY: all clean test unit integration fuzz-replay bench soak fuzz valgrind format format-check \
        install check-banned structure-check tsan-test test-repeat repeat-suites
all: $(PROGRAMS)

# Unit tests: tests/unit/test_NAME.c, one cmocka driver per module, linked against every archive.
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))
$(B)/tests/%: $(B)/tests/unit/%.o $(LIBS_ALL)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBS_ALL) $(LDLIBS) -lcmocka

# Fuzz targets: tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput. For `make test` they are
# linked with a small replay driver that feeds every file of tests/fuzz/corpus/NAME/ to them.
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REPLAY_BINS := $(patsubst tests/fuzz/%.c,$(B)/tests/replay_%,$(FUZZ_SRCS))
$(B)/tests/replay_%: $(B)/tests/fuzz/%.o $(B)/tests/fuzz/replay_main.o $(LIBS_ALL)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(B)/tests/fuzz/replay_main.o $(LIBS_ALL) $(LDLIBS)
$(B)/tests/fuzz/replay_main.o: tests/fuzz/replay_main.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

-include $(foreach m,$(MODULES) tests,$(m)/module.mk)

unit: $(UNIT_BINS)
	@tests/run-unit.sh $(UNIT_BINS)

fuzz-replay: $(FUZZ_REPLAY_BINS)
	@tests/run-fuzz-replay.sh $(FUZZ_REPLAY_BINS)

integration: $(PROGRAMS)
	@BARRAGE_BIN=$(abspath $(BIN)) tests/run-integration.sh

# The whole suite: the release build must compile (-O2 finds warnings -O1 does not), then the
# sanitizer build and its tests, then the agent's threads under TSan.
test:
	$(MAKE) check-banned structure-check
	$(MAKE) VARIANT=release all
	$(MAKE) VARIANT=asan all unit fuzz-replay
	$(MAKE) VARIANT=asan integration
	$(MAKE) VARIANT=tsan tsan-test

# The suites of `make test` that run on the ASan build, N times over (tests/run-repeat.sh).
# TESTS=pattern narrows the integration scripts; UNIT=0 / FUZZ=0 leave those suites out.
N ?= 5
test-repeat:
	$(MAKE) VARIANT=asan repeat-suites N=$(N)

repeat-suites: $(PROGRAMS) $(UNIT_BINS) $(FUZZ_REPLAY_BINS)
	@BARRAGE_BIN=$(abspath $(BIN)) tests/run-repeat.sh $(N) "$(UNIT_BINS)" "$(FUZZ_REPLAY_BINS)"

tsan-test: $(BIN)/barrage-agent $(BIN)/barrage $(BIN)/barrage-target
	@BARRAGE_BIN=$(abspath $(BIN)) TESTS_ONLY=tsan tests/run-integration.sh

# Load generators against wrk and Tsung, then the reference servers' durable throughput.
bench: all
	@bench/run.sh
	@bench/servers.sh
	@bench/queue.sh

soak: all
	@tests/soak/run.sh

fuzz:
	@tests/fuzz/build-libfuzzer.sh

valgrind:
	$(MAKE) VARIANT=release $(patsubst tests/unit/%.c,build/release/tests/%,$(UNIT_SRCS))
	@for t in $(patsubst tests/unit/%.c,build/release/tests/%,$(UNIT_SRCS)); do \
	  valgrind -q --error-exitcode=1 --leak-check=full $$t || exit 1; done

# Functions the project does not use: they have safer forms (snprintf, memcpy with a length,
# strtol with error checking).
check-banned:
	@! grep -nE '\b(sprintf|vsprintf|strcpy|strcat|atoi|atol|gets)\(' \
	    $$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]') \
	  || { echo "banned function used (see Makefile: check-banned)"; exit 1; }

# File and function sizes and include cycles within a folder (docs/architecture.md).
structure-check:
	@python3 scripts/structure-check.py

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check: check-banned
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

PREFIX ?= /usr/local
install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(PROGRAMS) $(DESTDIR)$(PREFIX)/bin/

clean:
	rm -rf build bin

-include $(shell find $(B) -name "*.d" 2>/dev/null)
