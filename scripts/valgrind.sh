#!/usr/bin/env bash
# scripts/valgrind.sh: run the authsessions regression suites (pg_regress in
# sql/ + expected/, isolation specs in test/specs/ + test/expected/) against a
# PostgreSQL 15 built for valgrind, with the server running under valgrind,
# and report every memory error valgrind saw.  Independent of the Makefile:
#
#   bash scripts/valgrind.sh              # full run: suites under valgrind
#   bash scripts/valgrind.sh --cassert    # quick: same build, no valgrind
#                                         # (assertions + memory-context checks)
#   bash scripts/valgrind.sh --build-only # only build/cache PostgreSQL
#
# PostgreSQL 15 is built once from Debian's own source package
# (`apt-get source postgresql-15`, the version the system server runs) with
#   --enable-cassert --enable-debug --with-openssl CFLAGS="-O1 -g -DUSE_VALGRIND"
# into a cache directory ($AUTHSESSIONS_VALGRIND_CACHE, default
# ~/.cache/authsessions/pg15-valgrind) and reused by later runs (about 17
# minutes on 2 cores the first time; nothing afterwards).  A run then takes
# about 10 minutes under valgrind, 15 seconds with --cassert.  Debian's
# patches pin the module directory to /usr/lib/postgresql/15/lib; the build
# puts upstream's rule back and installs through a staging directory, so it
# never writes outside the cache.  OpenSSL is
# used because Debian's build uses it, and so the extension's pg_cryptohash
# (SHA-256) and pg_strong_random take the same code paths as in production.
#
# Each run works in a fresh temporary directory: a copy of the cached
# installation (PostgreSQL installations are relocatable), a copy of this
# repository (the working tree's own build products are never touched), the
# cluster, and the valgrind logs (one per process, %p.log).  The extension is
# built with the cached installation's pg_config, so it gets its assertions
# and USE_VALGRIND too.  The server runs as the postgres OS user when we are
# root (PostgreSQL refuses root).
#
# Output: the pg_regress/isolation results, then one line per valgrind error
# found (with the log file), and a last line "N passed, N failed" counting the
# checks (build, suites, valgrind errors).  Exit status non-zero on failure.
#
# Environment knobs:
#   AUTHSESSIONS_VALGRIND_CACHE  build cache (default ~/.cache/authsessions/pg15-valgrind)
#   AUTHSESSIONS_VALGRIND_KEEP=1 keep the run directory (logs, cluster) afterwards
#   AUTHSESSIONS_VALGRIND_PORT   preferred port (default 54339)
#   AUTHSESSIONS_VALGRIND_JOBS   make -j for the PostgreSQL build (default nproc)
#   AUTHSESSIONS_VALGRIND_EXTRA  extra suites to run against the server too,
#                                e.g. "test/extra/11_hostile_input.sh"
set -euo pipefail

mode=valgrind
for arg in "$@"; do
	case $arg in
	--cassert) mode=cassert ;;
	--build-only) mode=build ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "unknown argument: $arg (try --help)" >&2
		exit 2
		;;
	esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${AUTHSESSIONS_VALGRIND_CACHE:-$HOME/.cache/authsessions/pg15-valgrind}
JOBS=${AUTHSESSIONS_VALGRIND_JOBS:-$(nproc)}
PG_CFLAGS_VALGRIND="-O1 -g -DUSE_VALGRIND"
# Written into the cache once the build is complete; a different recipe
# (flags, source version) in this script means a rebuild.
BUILD_RECIPE="v2 --enable-cassert --enable-debug --with-openssl CFLAGS=$PG_CFLAGS_VALGRIND"

log() { printf '[valgrind.sh] %s\n' "$*" >&2; }

passed=0
failed=0
check() { # check PASS|FAIL message
	echo "$1: $2"
	if [[ $1 == PASS ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}
finish() {
	echo "$passed passed, $failed failed"
	((failed == 0))
	exit $?
}

# --- dependencies -----------------------------------------------------------

# Debian packages needed to build PostgreSQL from source and to run valgrind;
# a minimal set rather than `apt-get build-dep postgresql-15`, which pulls in
# docs, LLVM, Perl/Python/Tcl dev packages and more.
PACKAGES=(build-essential bison flex libreadline-dev zlib1g-dev libssl-dev
	valgrind dpkg-dev ca-certificates)

pkg_installed() { [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]; }

# apt-get source needs deb-src entries.  Debian 12 images usually carry only
# binary ones; add the matching source entries in a file of their own.
ensure_deb_src() {
	if [[ "$(apt-cache showsrc postgresql-15 2>/dev/null)" == *"Package: postgresql-15"* ]]; then
		return 0
	fi
	((EUID == 0)) || {
		log "no deb-src entries for postgresql-15; as root, add deb-src lines for bookworm, bookworm-updates and bookworm-security"
		exit 1
	}
	local f=/etc/apt/sources.list.d/authsessions-deb-src.sources
	log "adding $f"
	cat >"$f" <<-'EOF'
		# Added by authsessions scripts/valgrind.sh: apt-get source postgresql-15
		Types: deb-src
		URIs: http://deb.debian.org/debian
		Suites: bookworm bookworm-updates
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

		Types: deb-src
		URIs: http://deb.debian.org/debian-security
		Suites: bookworm-security
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	apt-get update -qq
}

install_deps() {
	local p missing=()
	for p in "${PACKAGES[@]}"; do pkg_installed "$p" || missing+=("$p"); done
	if ((${#missing[@]} > 0)); then
		if ((EUID != 0)); then
			log "missing packages: ${missing[*]} (install them as root)"
			exit 1
		fi
		log "installing: ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
	fi
}

# --- PostgreSQL build (cached) ----------------------------------------------

build_postgres() {
	if [[ -f $CACHE/install/.complete ]] && [[ "$(cat "$CACHE/install/.complete")" == "$BUILD_RECIPE" ]]; then
		log "cached PostgreSQL build: $CACHE/install"
		return 0
	fi
	if [[ ! -f $CACHE/source/configure ]]; then
		ensure_deb_src
		rm -rf "$CACHE"
		mkdir -p "$CACHE/src"
		log "fetching Debian's postgresql-15 source package into $CACHE/src"
		# The newest version first; a mirror may lack some source files (the
		# security archive's, say), so fall back to the next version: any
		# 15.x serves, the extension is built against whichever one this is.
		local v got=""
		for v in $(apt-cache showsrc postgresql-15 | sed -n 's/^Version: //p' | sort -rV | uniq); do
			if (cd "$CACHE/src" && apt-get source -qq "postgresql-15=$v" >>apt-source.log 2>&1); then
				got=$v
				break
			fi
			log "apt-get source postgresql-15=$v failed, trying an older version"
			find "$CACHE/src" -mindepth 1 -maxdepth 1 ! -name apt-source.log -exec rm -rf {} +
		done
		[[ -n $got ]] || {
			cat "$CACHE/src/apt-source.log" >&2
			exit 1
		}
		log "got postgresql-15 $got"
		local dir
		dir=$(find "$CACHE/src" -maxdepth 1 -mindepth 1 -type d -name 'postgresql-15*' | head -n1)
		[[ -n $dir ]] || { log "apt-get source produced no postgresql-15 directory"; exit 1; }
		ln -sfn "$dir" "$CACHE/source"
	fi
	local srcdir
	srcdir=$(readlink -f "$CACHE/source")

	# Debian's 50-per-version-dirs.patch pins pkglibdir to the absolute
	# /usr/lib/postgresql/15/lib whatever --prefix says: `make install` would
	# overwrite the system server's modules.  Put upstream's rule back, so
	# that every file lands under the prefix.
	sed -i 's|^override pkglibdir := /usr/lib/postgresql/.*$|override pkglibdir := $(pkglibdir)/postgresql|' \
		"$srcdir/src/Makefile.global.in"
	if grep -n '/usr/lib/postgresql' "$srcdir/src/Makefile.global.in" >&2; then
		log "src/Makefile.global.in still names /usr/lib/postgresql: refusing to build"
		exit 1
	fi

	log "configure + build $(basename "$srcdir") (make -j$JOBS; build log: $CACHE/build.log)"
	rm -rf "$CACHE/install" "$CACHE/stage"
	(
		cd "$srcdir"
		# a half-done or older build: start clean (without --enable-depend,
		# make would not notice changed headers such as pg_config_paths.h)
		if [[ -f config.status ]]; then make distclean; fi
		./configure --prefix="$CACHE/install" --enable-cassert --enable-debug \
			--with-openssl --without-icu --with-readline --with-zlib \
			CFLAGS="$PG_CFLAGS_VALGRIND"
		make -j"$JOBS"
		make -C contrib -j"$JOBS"
		make -C src/test/isolation -j"$JOBS"
		# Install into a staging directory first (DESTDIR): nothing of this
		# build may land outside the prefix.  Then pg_isolation_regress +
		# isolationtester for PGXS's ISOLATION tests, and contrib (amcheck,
		# pgcrypto, ...) for tests that want them.
		make install DESTDIR="$CACHE/stage"
		make -C src/test/isolation install DESTDIR="$CACHE/stage"
		make -C contrib install DESTDIR="$CACHE/stage"
	) >"$CACHE/build.log" 2>&1 || {
		tail -n 60 "$CACHE/build.log" >&2
		log "PostgreSQL build failed; full log in $CACHE/build.log"
		exit 1
	}
	local stray
	stray=$(find "$CACHE/stage" -mindepth 1 \( -type f -o -type l \) ! -path "$CACHE/stage$CACHE/install/*" | head)
	if [[ -n $stray ]]; then
		log "the build installs files outside $CACHE/install (not installed):"
		echo "$stray" >&2
		exit 1
	fi
	mv "$CACHE/stage$CACHE/install" "$CACHE/install"
	rm -rf "$CACHE/stage"
	if [[ "$("$CACHE/install/bin/pg_config" --pkglibdir)" != "$CACHE/install/"* ]]; then
		log "pg_config --pkglibdir is outside the prefix: $("$CACHE/install/bin/pg_config" --pkglibdir)"
		exit 1
	fi
	echo "$BUILD_RECIPE" >"$CACHE/install/.complete"
	log "PostgreSQL built into $CACHE/install"
}

install_deps
build_postgres
if [[ $mode == build ]]; then
	check PASS "PostgreSQL 15 valgrind build cached in $CACHE/install"
	finish
fi

# --- the run directory ------------------------------------------------------

RUN=$(mktemp -d /tmp/authsessions-valgrind.XXXXXX)
chmod 755 "$RUN"
PGDATA_DIR=$RUN/data
SERVER_PID=""
as_owner() { # run a server-side command as the cluster owner
	if ((EUID == 0)); then (cd "$RUN" && runuser -u postgres -- "$@"); else (cd "$RUN" && "$@"); fi
}
cleanup() {
	if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
		as_owner "$RUN/pg/bin/pg_ctl" -D "$PGDATA_DIR" -m immediate -w -t 120 stop >/dev/null 2>&1 || true
	fi
	if [[ ${AUTHSESSIONS_VALGRIND_KEEP:-0} == 1 ]]; then
		log "kept $RUN"
	else
		rm -rf "$RUN"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A private copy of the installation: the extension goes into it, never into
# the cache.
cp -a "$CACHE/install" "$RUN/pg"
PGBIN=$RUN/pg/bin
export PG_CONFIG=$PGBIN/pg_config
SUPP=$RUN/valgrind.supp
cp "$CACHE/source/src/tools/valgrind.supp" "$SUPP"

# A private copy of the repository (sources and tests only): the working
# tree's .o files, built against the system server, stay as they are.
mkdir "$RUN/repo"
tar -C "$ROOT" --exclude=.git --exclude='*.o' --exclude='*.bc' --exclude='*.so' \
	--exclude=results --exclude=regression.diffs --exclude=regression.out \
	--exclude=test/output_iso -cf - . | tar -C "$RUN/repo" -xf -
# The extension must go into the private copy and nowhere else.
for d in pkglibdir sharedir; do
	if [[ "$("$PG_CONFIG" --$d)" != "$RUN/pg/"* ]]; then
		check FAIL "pg_config --$d of the copy points outside it: $("$PG_CONFIG" --$d)"
		finish
	fi
done
log "building the extension with $PG_CONFIG"
if make -C "$RUN/repo" -j"$JOBS" PG_CONFIG="$PG_CONFIG" >"$RUN/ext-build.log" 2>&1 &&
	make -C "$RUN/repo" install PG_CONFIG="$PG_CONFIG" >>"$RUN/ext-build.log" 2>&1; then
	check PASS "extension builds and installs against the cassert/valgrind PostgreSQL"
else
	cat "$RUN/ext-build.log"
	check FAIL "extension builds and installs against the cassert/valgrind PostgreSQL"
	finish
fi
# pgtap is plain SQL: borrow Debian's copy if installed, for tests that use it.
cp /usr/share/postgresql/15/extension/pgtap* "$RUN/pg/share/extension/" 2>/dev/null || true

# --- the cluster ------------------------------------------------------------

port=${AUTHSESSIONS_VALGRIND_PORT:-54339}
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
while port_busy "$port"; do port=$((port + 1)); done

if ((EUID == 0)); then
	id postgres >/dev/null 2>&1 || useradd --system --user-group --home-dir /var/lib/postgresql postgres
	chown postgres: "$RUN"
	mkdir -p "$RUN/vglogs" && chown postgres: "$RUN/vglogs"
else
	mkdir -p "$RUN/vglogs"
fi
as_owner "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres -A trust -E UTF8 --no-locale \
	--no-sync --no-instructions >"$RUN/initdb.log" 2>&1 || {
	cat "$RUN/initdb.log"
	check FAIL initdb
	finish
}
# The JWT signing key that issue_jwt and check_request read, as
# scripts/pgenv.sh writes it: random bytes as text, no trailing newline.
key_file=$RUN/jwt.key
(umask 077 && head -c 48 /dev/urandom | base64 -w0 | tr "+/" "-_" >"$key_file")
((EUID == 0)) && chown postgres: "$key_file"
cat >>"$PGDATA_DIR/postgresql.conf" <<EOF
authsessions.jwt_secret_file = '$key_file'
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$RUN'
fsync = off
synchronous_commit = off
full_page_writes = off
huge_pages = off
shared_buffers = 32MB
autovacuum = off
max_connections = 30
max_prepared_transactions = 10
timezone = 'UTC'
log_min_messages = warning
log_line_prefix = '%m [%p] '
EOF

server_log=$RUN/server.log
if [[ $mode == valgrind ]]; then
	# --error-exitcode: a backend with an error exits non-zero, which the
	# postmaster treats as a crash, so the suites notice too.  The logs are
	# the verdict either way.
	# shellcheck disable=SC2054 # the comma in --error-markers is meant
	VALGRIND=(valgrind --trace-children=yes --track-origins=yes
		--read-var-info=yes --leak-check=no --gen-suppressions=all
		--num-callers=30 --suppressions="$SUPP" --error-exitcode=97
		--error-markers=VALGRINDERROR-BEGIN,VALGRINDERROR-END
		--log-file="$RUN/vglogs/%p.log")
	log "starting postgres under valgrind (port $port, logs in $RUN/vglogs)"
else
	VALGRIND=()
	log "starting postgres (cassert build, no valgrind; port $port)"
fi
if ((EUID == 0)); then
	(cd "$RUN" && exec runuser -u postgres -- "${VALGRIND[@]}" "$PGBIN/postgres" -D "$PGDATA_DIR") >"$server_log" 2>&1 &
else
	(cd "$RUN" && exec "${VALGRIND[@]}" "$PGBIN/postgres" -D "$PGDATA_DIR") >"$server_log" 2>&1 &
fi
SERVER_PID=$!
export PGHOST=$RUN PGPORT=$port PGUSER=postgres PGDATABASE=postgres
export AUTHSESSIONS_SERVER_LOG=$server_log # for extra suites that read it
for _ in $(seq 1 300); do
	"$PGBIN/pg_isready" -q && break
	kill -0 "$SERVER_PID" 2>/dev/null || break
	sleep 1
done
if ! "$PGBIN/pg_isready" -q; then
	cat "$server_log"
	check FAIL "server starts"
	finish
fi

# --- the suites -------------------------------------------------------------

shopt -s nullglob
regress_tests=("$RUN"/repo/sql/*.sql)
isolation_specs=("$RUN"/repo/test/specs/*.spec)
suite_out=$RUN/suites.log
if ((${#regress_tests[@]} > 0)); then
	log "pg_regress: ${#regress_tests[@]} tests"
	if make -C "$RUN/repo" installcheck PG_CONFIG="$PG_CONFIG" ISOLATION= 2>&1 | tee -a "$suite_out"; then
		check PASS "pg_regress (${#regress_tests[@]} tests) under $mode"
	else
		[[ -f $RUN/repo/regression.diffs ]] && cat "$RUN/repo/regression.diffs"
		check FAIL "pg_regress (${#regress_tests[@]} tests) under $mode"
	fi
else
	log "no pg_regress tests in sql/"
fi
if ((${#isolation_specs[@]} > 0)); then
	log "isolation: ${#isolation_specs[@]} specs"
	# Under valgrind every step is slow: give the isolation tester room.
	if PGISOLATIONTIMEOUT=900 make -C "$RUN/repo" installcheck PG_CONFIG="$PG_CONFIG" REGRESS= 2>&1 | tee -a "$suite_out"; then
		check PASS "isolation (${#isolation_specs[@]} specs) under $mode"
	else
		[[ -f $RUN/repo/test/output_iso/regression.diffs ]] && cat "$RUN/repo/test/output_iso/regression.diffs"
		check FAIL "isolation (${#isolation_specs[@]} specs) under $mode"
	fi
else
	log "no isolation specs in test/specs/"
fi

# Optional: extra suites (e.g. the hostile-input battery) against the same
# server, named in AUTHSESSIONS_VALGRIND_EXTRA (paths relative to the
# repository, space-separated), run like scripts/test.sh runs them.
for f in ${AUTHSESSIONS_VALGRIND_EXTRA:-}; do
	log "extra suite: $f"
	if (cd "$RUN/repo" && PATH="$PGBIN:$PATH" "./$f") 2>&1 | tee -a "$suite_out"; then
		check PASS "$f under $mode"
	else
		check FAIL "$f under $mode"
	fi
done

# Stop the server cleanly: every process then writes its valgrind summary.
as_owner "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 300 stop >/dev/null 2>&1 || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""

# The server log: no backend may have died by a signal or failed an
# assertion (TRAP: in a cassert build).
if grep -E 'TRAP:|terminated by signal|was terminated by exception|exited with exit code 97' "$server_log"; then
	check FAIL "server log: a backend failed an assertion, crashed or hit a valgrind error"
else
	check PASS "server log: no failed assertion, no backend killed by a signal"
fi

if [[ $mode == valgrind ]]; then
	logs=("$RUN"/vglogs/*.log)
	nerr=0
	for f in "${logs[@]}"; do
		if grep -qE 'ERROR SUMMARY: [1-9]|VALGRINDERROR-BEGIN|Invalid (read|write|free)|uninitialised|Mismatched free|overlap' "$f"; then
			nerr=$((nerr + 1))
			echo "---- valgrind errors in $(basename "$f") ----"
			sed -n '/VALGRINDERROR-BEGIN/,/VALGRINDERROR-END/p' "$f" | head -n 200
			grep -E 'ERROR SUMMARY' "$f" || true
		fi
	done
	summaries=$(cat "${logs[@]}" /dev/null | grep -c 'ERROR SUMMARY' || true)
	echo "valgrind: ${#logs[@]} process logs, $summaries with an error summary, $nerr with errors"
	if ((${#logs[@]} == 0)); then
		check FAIL "valgrind produced no logs (was the server running under it?)"
	elif ((nerr == 0)); then
		check PASS "valgrind: zero memory errors in ${#logs[@]} processes"
	else
		check FAIL "valgrind: errors in $nerr of ${#logs[@]} processes"
		AUTHSESSIONS_VALGRIND_KEEP=1
	fi
fi
finish
