#!/usr/bin/env bash
# scripts/matrix.sh: build authsessions and run its test suites against other
# PostgreSQL major versions, from Debian's own packages, each in a chroot of
# the Debian suite that ships it.
#
#   bash scripts/matrix.sh           # PostgreSQL 17 (trixie) and 18 (sid)
#   bash scripts/matrix.sh 18        # only the versions named
#
# Run as root (debootstrap, mounts, chroot).  For each version:
#   1. chroot   a PRISTINE chroot of its suite, kept in the cache directory
#               and made once by `debootstrap --variant=minbase
#               --include=<packages> SUITE DIR MIRROR`, with the packages of
#               its section of scripts/packages.txt (those marked "?" added
#               after, with apt) and the Debian mirror this host's apt already
#               uses.  It is keyed by the suite and a hash of that section:
#               when the section changes, the next run makes a new one and
#               removes the old.  No test ever runs in it.  (sid moves: remove
#               the cache to test a newer 18.)
#   2. the run  in a private mount and PID namespace (unshare), an overlay of
#               the pristine chroot (its upper directory in this run's
#               temporary directory) with /proc and /dev mounted and a copy of
#               the working tree in /build/authsessions, so that nothing an
#               earlier run installed (an old authsessions--*.sql) can make a
#               test pass.  Inside, this script runs again (--inside MAJOR):
#               build with warnings as errors, make install, a throwaway
#               cluster (scripts/pgenv.sh, on a port this run picks: never
#               5432), then the suites of scripts/test.sh: pg_regress and the
#               isolation specs (make installcheck), each pgTAP file
#               (pg_prove), and the extra suites (test/extra/*.sh) but those
#               listed in MATRIX_SKIP below, which says why each is skipped.
#               The server's version() is logged (sid moves).  When the run
#               ends, the namespace goes and takes every mount and process of
#               the run with it; the temporary directory is removed.
# The chroots' own `main` clusters never exist: the package install is told
# not to create one (create_main_cluster = false) and policy-rc.d stops any
# service from starting.
#
# Prints each version's suites, a table of each stage's time and, as the last
# line, "N passed, N failed" (N counts suites, over all versions; skipped
# suites are listed, not counted).  Exits non-zero when any suite failed.
#
# Environment knobs:
#   AUTHSESSIONS_CHROOT_CACHE  the cache of pristine chroots (default
#                              /var/cache/authsessions/chroots); a lock file
#                              per suite there serialises runs that make or
#                              replace a chroot with the runs using it
#   AUTHSESSIONS_MIRROR        the Debian mirror (default: the host's, from
#                              /etc/apt/sources.list.d/*.sources or
#                              /etc/apt/sources.list)
#   AUTHSESSIONS_MATRIX_KEEP=1 keep the run's temporary directory (the
#                              overlays' upper directories, with the build and
#                              every test output in /build/authsessions)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

# Bump to remake every cached chroot when the way they are made changes
# (their package lists are in the cache key already).
MATRIX_RECIPE=2

# Extra suites not run on the matrix, and why.  Every other test/extra/*.sh
# runs on each version.
declare -A MATRIX_SKIP=(
	[30_nginx_mapping.sh]="needs no database: it checks the nginx site of examples/postgrest/ with nginx and curl, nothing in it depends on the PostgreSQL version (scripts/test.sh runs it on the host)"
	[64_upgrade.sh]="builds the 1.0 library from git history (7525bcf), which the copy of the tree in the chroot leaves out; and 1.0's src/walk.c builds against 15 only (rd_node, storage/buf_internals.h), so 17 and 18 have no 1.0 install to upgrade from"
)

# Where the working tree is copied inside the chroot.
BUILD_DIR=/build/authsessions
# The run's results, inside the chroot (a bind mount of the run's directory).
OUT_DIR=/matrix-out

section() { printf '\n=== %s ===\n' "$*"; }
log() { printf '[matrix] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Microseconds since the epoch.
now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }
# seconds_since T0_US: the seconds elapsed since T0_US, to a tenth.
seconds_since() {
	local d=$(($(now_us) - $1))
	printf '%d.%d' $((d / 1000000)) $((d / 100000 % 10))
}

# -----------------------------------------------------------------------------
# Inside the chroot (--inside MAJOR): build, install, test.  Results go to
# $OUT_DIR/results ("PASS|FAIL|SKIP<tab>suite[<tab>why]"), stage times to
# $OUT_DIR/stages ("stage<tab>seconds") and the server's version() to
# $OUT_DIR/version.
# -----------------------------------------------------------------------------
inside() {
	local major=$1
	export PGENV_PG_BIN=/usr/lib/postgresql/$major/bin
	# a port per version, away from 5432 and from scripts/test.sh's 54329
	export AUTHSESSIONS_TEST_PORT=${AUTHSESSIONS_TEST_PORT:-$((55400 + major))}
	# shellcheck source=scripts/pgenv.sh
	source scripts/pgenv.sh
	export AUTHSESSIONS_ROOT="$PGENV_ROOT"
	export LC_COLLATE=C # glob order of the test files

	local stage="" t0=0
	stage_begin() { stage=$1; t0=$(now_us); section "$major: $1"; }
	stage_end() { printf '%s\t%s\n' "$stage" "$(seconds_since "$t0")" >>"$OUT_DIR/stages"; }
	record() { # record PASS|FAIL|SKIP suite [why]
		printf '%s\t%s\t%s\n' "$1" "$2" "${3:-}" >>"$OUT_DIR/results"
		printf '%s %s%s\n' "$1" "$2" "${3:+: $3}"
	}

	section "$major: environment"
	dpkg-query -W -f='${Package} ${Version}\n' "postgresql-$major" "postgresql-server-dev-$major" \
		"postgresql-$major-pgtap" gcc make libdbd-pg-perl 2>/dev/null || true
	# The package install made no cluster; say so if one appeared anyway.
	if [[ -n $(pg_lsclusters -h 2>/dev/null) ]]; then
		log "the chroot has clusters of its own (never started here):"
		pg_lsclusters >&2 || true
	fi

	stage_begin build
	if make -j"$(nproc)" PG_CONFIG="$PG_CONFIG" PG_CFLAGS="$PGENV_CFLAGS"; then
		stage_end
	else
		stage_end
		record FAIL build
		return 1
	fi
	stage_begin install
	if make install PG_CONFIG="$PG_CONFIG" PG_CFLAGS="$PGENV_CFLAGS"; then
		stage_end
	else
		stage_end
		record FAIL install
		return 1
	fi

	stage_begin cluster
	pgenv_start
	psql -X -At -d postgres -c 'SELECT version()' | tee "$OUT_DIR/version"
	stage_end

	# 1. pg_regress and isolation: each half of make installcheck on its own,
	# as scripts/test.sh runs them.
	shopt -s nullglob
	local regress_tests=(sql/*.sql) isolation_specs=(test/specs/*.spec)
	if ((${#regress_tests[@]} > 0)); then
		stage_begin pg_regress
		rm -f regression.diffs regression.out
		if make installcheck PG_CONFIG="$PG_CONFIG" ISOLATION=; then
			record PASS installcheck-regress
		else
			record FAIL installcheck-regress
			[[ -f regression.diffs ]] && { section regression.diffs; cat regression.diffs; }
		fi
		stage_end
	fi
	if ((${#isolation_specs[@]} > 0)); then
		stage_begin isolation
		rm -f test/output_iso/regression.diffs test/output_iso/regression.out
		if make installcheck PG_CONFIG="$PG_CONFIG" REGRESS=; then
			record PASS installcheck-isolation
		else
			record FAIL installcheck-isolation
			[[ -f test/output_iso/regression.diffs ]] &&
				{ section test/output_iso/regression.diffs; cat test/output_iso/regression.diffs; }
		fi
		stage_end
	fi

	# 2. pgTAP, one pg_prove run per file, when the suite ships pgtap for
	# this version.
	local tap_files=(test/pgtap/*.sql) f
	if ((${#tap_files[@]} > 0)); then
		stage_begin pgtap
		if [[ ! -f $("$PG_CONFIG" --sharedir)/extension/pgtap.control ]]; then
			for f in "${tap_files[@]}"; do
				record SKIP "pg_prove $f" "no postgresql-$major-pgtap in this Debian suite"
			done
		elif psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE authsessions_tap" &&
			psql -X -q -v ON_ERROR_STOP=1 -d authsessions_tap \
				-c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION authsessions"; then
			for f in "${tap_files[@]}"; do
				if pg_prove --dbname authsessions_tap "$f"; then
					record PASS "pg_prove $f"
				else
					record FAIL "pg_prove $f"
				fi
			done
		else
			echo "could not prepare database authsessions_tap: every pgTAP file fails" >&2
			for f in "${tap_files[@]}"; do record FAIL "pg_prove $f"; done
		fi
		stage_end
	fi

	# 3. The extra suites, in name order, but those of MATRIX_SKIP.
	# 61_dump_restore.sh and 65_customised_tables.sh run PostgreSQL 15's
	# pg_dump by its path: in this throwaway chroot that path is this
	# version's.
	if [[ ! -e /usr/lib/postgresql/15 ]]; then
		ln -s "$major" /usr/lib/postgresql/15
		log "/usr/lib/postgresql/15 -> $major (the path some extra suites name)"
	fi
	for f in test/extra/*.sh; do
		local name=${f##*/}
		if [[ -n ${MATRIX_SKIP[$name]:-} ]]; then
			record SKIP "$f" "${MATRIX_SKIP[$name]}"
			continue
		fi
		if [[ ! -x $f ]]; then
			record SKIP "$f" "not executable"
			continue
		fi
		stage_begin "${name%.sh}"
		if "./$f"; then
			record PASS "$f"
		else
			record FAIL "$f"
		fi
		stage_end
	done

	pgenv_stop
}

# -----------------------------------------------------------------------------
# In the run's namespace (--namespace MAJOR CHROOT RUNDIR): the overlay, the
# mounts, the copy of the working tree; then this script inside the chroot.
# Runs as PID 1 of its own PID namespace: when it exits, every process the
# run left is killed and every mount goes.
# -----------------------------------------------------------------------------
in_namespace() {
	local major=$1 lower=$2 run=$3
	local m=$run/merged t0

	t0=$(now_us)
	mkdir -p "$run/upper" "$run/work" "$m" "$run/out"
	mount -t overlay overlay -o "lowerdir=$lower,upperdir=$run/upper,workdir=$run/work" "$m"
	mount -t proc proc "$m/proc"
	# /dev: the host's device nodes, with a private /dev/shm for the servers'
	# shared memory
	mount --bind /dev "$m/dev"
	mount -t tmpfs -o mode=1777,size=2g shm "$m/dev/shm"
	mkdir -p "$m$OUT_DIR" "$m$BUILD_DIR"
	mount --bind "$run/out" "$m$OUT_DIR"
	# The host's name servers, and its certificate authorities for node
	# (NODE_EXTRA_CA_CERTS, below): the npm registry (40_openapi_schema.sh's
	# npm ci) may be reached through a proxy whose certificate only the host's
	# bundle vouches for.  A file of its own, which no package install inside
	# rewrites.
	cp /etc/resolv.conf "$m/etc/resolv.conf"
	if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
		cp /etc/ssl/certs/ca-certificates.crt "$m/etc/matrix-host-ca-certificates.crt"
	else
		: >"$m/etc/matrix-host-ca-certificates.crt"
	fi

	# The working tree as it is (uncommitted changes included), without git
	# metadata or build products.
	tar -C "$ROOT" -cf - --exclude=./.git --exclude='*.o' --exclude='*.bc' --exclude='*.so' \
		--exclude=./results --exclude=./regression.diffs --exclude=./regression.out \
		--exclude=./test/output_iso --exclude=./log --exclude=./tmp_check . |
		tar -C "$m$BUILD_DIR" -xf -
	printf 'setup\t%s\n' "$(seconds_since "$t0")" >>"$run/out/stages"

	# A clean environment, but the suites' own knobs (AUTHSESSIONS_LONG,
	# TRUST_*, CI) pass through.
	local name knobs=()
	for name in $(compgen -e); do
		[[ $name =~ ^(AUTHSESSIONS_|TRUST_|BENCH_|CI$) ]] && knobs+=("$name=${!name}")
	done
	chroot "$m" /usr/bin/env -i HOME=/root USER=root LOGNAME=root LANG=C.UTF-8 TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		NODE_EXTRA_CA_CERTS=/etc/matrix-host-ca-certificates.crt "${knobs[@]}" \
		bash -c "cd $BUILD_DIR && exec bash scripts/matrix.sh --inside $major"
}

# -----------------------------------------------------------------------------
# Making a pristine chroot (--make-chroot SUITE DIR MIRROR PACKAGE...), in a
# private mount namespace: debootstrap's own mounts go with it.
# -----------------------------------------------------------------------------
make_chroot() {
	local suite=$1 dir=$2 mirror=$3
	shift 3
	local pkg required=() optional=() found=() dropped=()
	for pkg in "$@"; do
		if [[ $pkg == *'?' ]]; then optional+=("${pkg%'?'}"); else required+=("$pkg"); fi
	done
	local in_chroot=(chroot "$dir" /usr/bin/env -i HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)

	log "debootstrap $suite into $dir"
	debootstrap --foreign --variant=minbase --components=main \
		--include="$(IFS=,; echo "${required[*]}")" "$suite" "$dir" "$mirror"
	# Before any package is configured: no main cluster (trixie's would be
	# configured on port 5432), and no service started by a package.
	mkdir -p "$dir/etc/postgresql-common/createcluster.d"
	cat >"$dir/etc/postgresql-common/createcluster.d/authsessions-matrix.conf" <<-'EOF'
		# scripts/matrix.sh: the package install makes no cluster of its own;
		# the tests start their own, on ports they pick.
		create_main_cluster = false
	EOF
	mkdir -p "$dir/usr/sbin"
	printf '#!/bin/sh\n# scripts/matrix.sh: no service starts in this chroot\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
	chmod 755 "$dir/usr/sbin/policy-rc.d"
	"${in_chroot[@]}" /debootstrap/debootstrap --second-stage

	# apt in the chroot: no pseudo-terminal for dpkg, and a Release file past
	# its Valid-Until (sid's, by this machine's clock) still read, as
	# debootstrap read it.
	cat >"$dir/etc/apt/apt.conf.d/99authsessions-matrix" <<-'EOF'
		// scripts/matrix.sh
		Acquire::Check-Valid-Until "false";
		Dpkg::Use-Pty "false";
	EOF

	# The packages marked "?": with apt, whose resolver handles what
	# debootstrap's does not (npm's dependencies), where the suite has them.
	if ((${#optional[@]} > 0)); then
		cp /etc/resolv.conf "$dir/etc/resolv.conf"
		mount -t proc proc "$dir/proc"
		"${in_chroot[@]}" apt-get update -qq
		for pkg in "${optional[@]}"; do
			if [[ -n $("${in_chroot[@]}" apt-cache -q=2 show "$pkg" 2>/dev/null) ]]; then
				found+=("$pkg")
			else
				dropped+=("$pkg")
				log "$pkg: not in $suite, not installed"
			fi
		done
		if ((${#found[@]} > 0)); then
			"${in_chroot[@]}" apt-get install -y -qq --no-install-recommends "${found[@]}" </dev/null
		fi
		"${in_chroot[@]}" apt-get clean
		rm -rf "$dir"/var/lib/apt/lists/*
		umount "$dir/proc"
	fi

	# No cluster may be left behind, whatever the packages did.
	local clusters
	clusters=$("${in_chroot[@]}" pg_lsclusters -h 2>/dev/null || true)
	if [[ -n $clusters ]]; then
		log "dropping the clusters the package install made: $clusters"
		while read -r ver name _; do
			"${in_chroot[@]}" pg_dropcluster "$ver" "$name"
		done <<<"$clusters"
	fi

	{
		echo "suite: $suite"
		echo "made: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "packages: $*"
		echo "not in $suite: ${dropped[*]:-none}"
	} >"$dir/.authsessions-chroot"
}

# The Debian mirror this host's apt uses for its own release: the first URI
# of the deb822 stanza (or sources.list line) of its codename.
host_mirror() {
	if [[ -n ${AUTHSESSIONS_MIRROR:-} ]]; then
		echo "$AUTHSESSIONS_MIRROR"
		return 0
	fi
	local codename file line key value types="" uris="" suites=""
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[[ -n $codename ]] || die "no VERSION_CODENAME in /etc/os-release: set AUTHSESSIONS_MIRROR"
	# the end of a stanza: is it the one?
	stanza_end() {
		if [[ " $types " == *" deb "* && " $suites " == *" $codename "* && -n $uris ]]; then
			echo "${uris%% *}"
			return 0
		fi
		types="" uris="" suites=""
		return 1
	}
	for file in /etc/apt/sources.list.d/*.sources; do
		[[ -f $file ]] || continue
		types="" uris="" suites=""
		while IFS= read -r line || [[ -n $line ]]; do
			[[ $line == '#'* ]] && continue
			if [[ -z ${line//[[:space:]]/} ]]; then
				stanza_end && return 0
				continue
			fi
			key=${line%%:*}
			value=${line#*:}
			read -r value <<<"$value"
			case ${key,,} in
			types) types=$value ;;
			uris) uris=$value ;;
			suites) suites=$value ;;
			esac
		done <"$file"
		stanza_end && return 0
	done
	for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -f $file ]] || continue
		while read -r -a words; do
			# deb [options] URI SUITE COMPONENTS...
			if ((${#words[@]} < 3)) || [[ ${words[0]} != deb ]]; then continue; fi
			local i=1
			if [[ ${words[1]} == '['* ]]; then
				while ((i < ${#words[@]})) && [[ ${words[i]} != *']' ]]; do i=$((i + 1)); done
				i=$((i + 1))
			fi
			if [[ ${words[i + 1]:-} == "$codename" ]]; then
				echo "${words[i]}"
				return 0
			fi
		done <"$file"
	done
	die "no Debian mirror for $codename in /etc/apt: set AUTHSESSIONS_MIRROR"
}

# ensure_chroot MAJOR: the pristine chroot of MAJOR's suite, made if it is
# missing or its package list changed, in CHROOT; returns holding a shared
# lock on it (fd CHROOT_LOCK) so that no other run replaces it meanwhile.
ensure_chroot() {
	local major=$1 suite key pkgs=() old
	suite=$(pgenv_suite "$major")
	mapfile -t pkgs < <(pgenv_packages "$major")
	key=$(printf '%s\n' "recipe $MATRIX_RECIPE" "suite $suite" "${pkgs[@]}" | sha256sum | cut -c1-16)
	CHROOT=$CACHE/$suite-$key

	mkdir -p "$CACHE"
	exec {CHROOT_LOCK}>"$CACHE/$suite.lock"
	while :; do
		flock -x "$CHROOT_LOCK"
		if [[ ! -f $CHROOT/.authsessions-chroot ]]; then
			# another package list's chroot, or a half-made one: gone
			for old in "$CACHE/$suite"-*; do
				[[ -e $old ]] || continue
				log "removing $old"
				rm -rf --one-file-system "$old"
			done
			log "making the pristine $suite chroot (${pkgs[*]}); its log: $CACHE/$suite.log"
			if ! unshare -m --propagation private -- \
				bash "$ROOT/scripts/matrix.sh" --make-chroot "$suite" "$CHROOT" "$MIRROR" "${pkgs[@]}" \
				>"$CACHE/$suite.log" 2>&1; then
				log "making the $suite chroot failed; the end of its log:"
				tail -n 60 "$CACHE/$suite.log" >&2
				if [[ -f $CHROOT/debootstrap/debootstrap.log ]]; then
					log "the end of debootstrap's own log:"
					tail -n 40 "$CHROOT/debootstrap/debootstrap.log" >&2
				fi
				rm -rf --one-file-system "$CHROOT"
				return 1
			fi
		fi
		# Downgrade to shared for the run; the downgrade is not atomic, so
		# check that the chroot is still there.
		flock -s "$CHROOT_LOCK"
		[[ -f $CHROOT/.authsessions-chroot ]] && break
	done
	log "pristine chroot: $CHROOT"
	sed 's/^/[matrix]   /' "$CHROOT/.authsessions-chroot" >&2
}

# -----------------------------------------------------------------------------
# The entry points.
# -----------------------------------------------------------------------------
case ${1:-} in
--inside)
	inside "$2"
	exit
	;;
--namespace)
	in_namespace "$2" "$3" "$4"
	exit
	;;
--make-chroot)
	shift
	make_chroot "$@"
	exit
	;;
-h | --help)
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 0
	;;
esac

((EUID == 0)) || die "run as root (debootstrap, mounts and chroot need it)"
# shellcheck source=scripts/pgenv.sh
source scripts/pgenv.sh # pgenv_suite, pgenv_packages
versions=("$@")
((${#versions[@]} > 0)) || versions=(17 18)
for v in "${versions[@]}"; do
	[[ $v =~ ^[0-9]+$ && -n $(pgenv_suite "$v") ]] ||
		die "PostgreSQL $v: scripts/packages.txt has no section for it"
done

CACHE=${AUTHSESSIONS_CHROOT_CACHE:-/var/cache/authsessions/chroots}
if ! command -v debootstrap >/dev/null; then
	log "installing debootstrap"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends debootstrap </dev/null >/dev/null 2>&1 ||
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends debootstrap </dev/null; }
fi
MIRROR=$(host_mirror)

RUN_DIR=$(mktemp -d /tmp/authsessions-matrix.XXXXXX)
cleanup() {
	if [[ ${AUTHSESSIONS_MATRIX_KEEP:-} == 1 ]]; then
		log "kept $RUN_DIR"
	else
		# The mounts lived in the runs' own namespaces: none is here.
		rm -rf --one-file-system "$RUN_DIR"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for v in "${versions[@]}"; do
	run=$RUN_DIR/$v
	mkdir -p "$run/out"
	: >"$run/out/results"

	section "PostgreSQL $v: the pristine $(pgenv_suite "$v") chroot"
	t0=$(now_us)
	if ! ensure_chroot "$v"; then
		printf 'FAIL\tchroot\t\n' >>"$run/out/results"
		continue
	fi
	printf 'chroot\t%s\n' "$(seconds_since "$t0")" >"$run/out/stages"

	section "PostgreSQL $v: the run"
	if ! unshare -m -p --fork --propagation private -- \
		bash "$ROOT/scripts/matrix.sh" --namespace "$v" "$CHROOT" "$run"; then
		# a failure the run did not record itself (its setup, a crash)
		if ! grep -q '^FAIL' "$run/out/results"; then
			printf 'FAIL\trun\t\n' >>"$run/out/results"
		fi
	fi
	exec {CHROOT_LOCK}>&- # release the chroot
done

# -----------------------------------------------------------------------------
# The summary: each version's suites, the stages' times, the count.
# -----------------------------------------------------------------------------
passed=0
failed=0
stage_names=()
section "summary"
for v in "${versions[@]}"; do
	out=$RUN_DIR/$v/out
	echo
	echo "PostgreSQL $v ($(pgenv_suite "$v")): $(cat "$out/version" 2>/dev/null || echo 'no server started')"
	while IFS=$'\t' read -r result suite why; do
		case $result in
		PASS) passed=$((passed + 1)) ;;
		FAIL) failed=$((failed + 1)) ;;
		esac
		printf '  %s %s%s\n' "$result" "$suite" "${why:+ ($why)}"
	done <"$out/results"
	[[ -f $out/stages ]] || continue
	while IFS=$'\t' read -r stage _; do
		[[ " ${stage_names[*]-} " == *" $stage "* ]] || stage_names+=("$stage")
	done <"$out/stages"
done

section "time per stage (seconds)"
printf '%-24s' stage
for v in "${versions[@]}"; do printf '%10s' "$v"; done
echo
for stage in "${stage_names[@]+"${stage_names[@]}"}" total; do
	printf '%-24s' "$stage"
	for v in "${versions[@]}"; do
		out=$RUN_DIR/$v/out
		if [[ $stage == total ]]; then
			value=$(awk -F'\t' '{ s += $2 } END { printf "%.1f", s }' "$out/stages" 2>/dev/null || echo -)
		else
			value=$(awk -F'\t' -v s="$stage" '$1 == s { print $2 }' "$out/stages" 2>/dev/null || true)
		fi
		printf '%10s' "${value:--}"
	done
	echo
done

echo
echo "$passed passed, $failed failed"
((failed == 0))
