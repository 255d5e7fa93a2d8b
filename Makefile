# authsessions: PGXS build.  The version lives in authsessions.control only.
EXTENSION = authsessions
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big = authsessions
# src/uap_rules.c is generated (below), so it is named even before it exists
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c) src/uap_rules.c))
# the User-Agent matcher (src/useragent.c)
SHLIB_LINK += -lpcre2-8
# Install and upgrade scripts sit at the top level, as in contrib; sql/ holds
# the pg_regress inputs and expected/ their outputs.
DATA = $(sort $(wildcard $(EXTENSION)--*.sql))

# uap-core's licence travels with the rules compiled in (generated below)
DOCS = authsessions-uap-core-LICENSE

# Tests register themselves: every file in sql/ is a pg_regress test and every
# spec in test/specs an isolation test (outputs in test/expected).
REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --outputdir=.
ISOLATION = $(patsubst test/specs/%.spec,%,$(sort $(wildcard test/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test --outputdir=test/output_iso

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# rebuild every object when any header of src/ changes: fewer rules than
# tracking which file includes which
$(OBJS): $(wildcard src/*.h)

EXTRA_CLEAN = results regression.diffs regression.out test/output_iso \
	src/uap_rules.c authsessions-uap-core-LICENSE

# The ua-parser rules: uap-core's regexes.yaml, fetched (npm, pinned sha256,
# cached: scripts/uap-core.sh) and turned into a C table at build time.
src/uap_rules.c: scripts/uap_gen.py scripts/uap-core.sh
	yaml=$$(bash scripts/uap-core.sh rules) && \
	version=$$(sed -n 's/^UAP_CORE_VERSION=//p' scripts/uap-core.sh) && \
	python3 scripts/uap_gen.py "$$yaml" "$$version" >$@.tmp && mv $@.tmp $@
authsessions-uap-core-LICENSE: scripts/uap-core.sh
	yaml=$$(bash scripts/uap-core.sh rules) && \
	cp "$$(dirname "$$yaml")/LICENSE" $@.tmp && mv $@.tmp $@
all: authsessions-uap-core-LICENSE

# Memory checks: the suites under valgrind against a cassert PostgreSQL 15
# built from Debian's source (slow the first time; cached), or cassert only.
.PHONY: valgrind valgrind-cassert
valgrind:
	bash scripts/valgrind.sh
valgrind-cassert:
	bash scripts/valgrind.sh --cassert

.PHONY: print-version
print-version:
	@echo $(EXTVERSION)
