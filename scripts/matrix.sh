#!/usr/bin/env bash
# scripts/matrix.sh: build authsessions and run its test suites against other
# PostgreSQL major versions, from Debian's own packages, each in a chroot of
# the Debian suite that ships it.
#
#   bash scripts/matrix.sh           # PostgreSQL 17 (trixie) and 18 (sid)
#   bash scripts/matrix.sh 18        # only the versions named
#   bash scripts/matrix.sh --serve 18 PORT [CONF]
#                                    # (bench/run.sh) no tests: a cluster of
#                                    # that version with the extension built
#                                    # from the tree, on 127.0.0.1:PORT, CONF's
#                                    # lines added to its postgresql.conf;
#                                    # "ready" in the log; runs until stopped
#
# Run as root (debootstrap, mounts, chroot).  For each version:
#   1. chroot   a PRISTINE chroot of its suite, kept in the cache directory
#               and made once by `debootstrap --variant=minbase
#               --include=<packages> SUITE DIR MIRROR`, with the packages of
#               its section of scripts/packages.txt (those marked "+" or "?"
#               added after, with apt) and the Debian mirror this host's apt already
#               uses.  It is keyed by the suite and a hash of that section:
#               when the section changes, the next run makes a new one and
#               removes the old.  No test ever runs in it.  (sid moves: remove
#               the cache to test a newer 18.)
#   2. the run  in a private mount and PID namespace (unshare), an overlay of
#               the pristine chroot (its upper directory in this run's
#               temporary directory) with /proc and /dev mounted and a copy of
#               the working tree in /build/authsessions, so that nothing an
#               earlier run installed (an old authsessions--*.sql) can make a
#               test pass.  Inside, this script runs again (--inside MAJOR)
#               and runs scripts/test.sh with PGENV_PG_BIN set to MAJOR's
#               binaries and AUTHSESSIONS_MATRIX=1: the same suites, build and
#               package stage as on the host, on a port this run picks (never
#               5432), but the extra suites marked "# matrix-skip: why" in
#               their header (the log says why).
#               The server's version() is logged (sid moves).  When the run
#               ends, the namespace goes and takes every mount and process of
#               the run with it; the temporary directory is removed.
# The chroots' own `main` clusters never exist: the package install is told
# not to create one (create_main_cluster = false) and policy-rc.d stops any
# service from starting.
#
# Prints each version's suites, a table of each stage's time (the chroot's
# making or checking, the run's setup, then scripts/test.sh's stages) and, as
# the last line, "N passed, N failed" (N counts suites, over all versions; skipped
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
#   AUTHSESSIONS_RESULTS=DIR   leave each version's result files in DIR/MAJOR
#                              (scripts/report.sh; .ci/run reports them with
#                              the host's)
#   AUTHSESSIONS_MATRIX_KEEP=1 keep the run's temporary directory (the
#                              overlays' upper directories, with the build and
#                              every test output in /build/authsessions)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

# Bump to remake every cached chroot when the way they are made changes
# (their package lists are in the cache key already).
MATRIX_RECIPE=3

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
# Inside the chroot (--inside MAJOR): scripts/test.sh for that version, which
# leaves its results in $OUT_DIR (results, stages, version).
# -----------------------------------------------------------------------------
inside() {
	local major=$1
	section "$major: environment"
	dpkg-query -W -f='${Package} ${Version}\n' "postgresql-$major" "postgresql-server-dev-$major" \
		"postgresql-$major-pgtap" gcc make libdbd-pg-perl dpkg-dev debhelper 2>/dev/null || true
	# The package install made no cluster; say so if one appeared anyway.
	if [[ -n $(pg_lsclusters -h 2>/dev/null) ]]; then
		log "the chroot has clusters of its own (never started here):"
		pg_lsclusters >&2 || true
	fi
	# a port per version, away from 5432 and from the host run's 54329
	PGENV_PG_BIN=/usr/lib/postgresql/$major/bin \
		AUTHSESSIONS_TEST_PORT=${AUTHSESSIONS_TEST_PORT:-$((55400 + major))} \
		AUTHSESSIONS_MATRIX=1 AUTHSESSIONS_RESULTS=$OUT_DIR \
		bash scripts/test.sh
}

# -----------------------------------------------------------------------------
# Inside the chroot, for the benchmark (--serve-inside MAJOR PORT): build and
# install the extension, start a throwaway cluster on 127.0.0.1:PORT with the
# settings of $OUT_DIR/server.conf added, write $OUT_DIR/ready, and serve
# until killed (the end of the run's PID namespace stops the server).
# -----------------------------------------------------------------------------
serve_inside() {
	local major=$1 port=$2
	export PGENV_PG_BIN=/usr/lib/postgresql/$major/bin AUTHSESSIONS_TEST_PORT=$port
	# shellcheck source=scripts/pgenv.sh
	source scripts/pgenv.sh
	pgenv_build_install >"$OUT_DIR/build.log" 2>&1 || { cat "$OUT_DIR/build.log" >&2; exit 1; }
	pgenv_start
	[[ $PGPORT == "$port" ]] || die "port $port is busy"
	if [[ -s $OUT_DIR/server.conf ]]; then
		cat "$OUT_DIR/server.conf" >>"$PGENV_DIR/data/postgresql.conf"
		_pgenv_as_owner pg_ctl -D "$PGENV_DIR/data" -l "$PGENV_DIR/server.log" -w -t 120 restart >/dev/null ||
			{ cat "$PGENV_DIR/server.log" >&2; exit 1; }
	fi
	psql -X -At -d postgres -c 'SELECT version()' >"$OUT_DIR/version"
	echo "$port" >"$OUT_DIR/ready"
	log "PostgreSQL $major with authsessions on 127.0.0.1:$port"
	while :; do sleep 3600; done
}

# -----------------------------------------------------------------------------
# In the run's namespace (--namespace MAJOR CHROOT RUNDIR): the overlay, the
# mounts, the copy of the working tree; then this script inside the chroot.
# Runs as PID 1 of its own PID namespace: when it exits, every process the
# run left is killed and every mount goes.
# -----------------------------------------------------------------------------
in_namespace() {
	local major=$1 lower=$2 run=$3 inside_args=${4:-"--inside $1"}
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
	printf 'setup\t%s\n' "$(seconds_since "$t0")" >>"$run/outer-stages"

	# A clean environment, but the suites' own knobs (AUTHSESSIONS_LONG,
	# TRUST_*, CI) pass through.
	local name knobs=()
	for name in $(compgen -e); do
		[[ $name =~ ^(AUTHSESSIONS_|TRUST_|BENCH_|CI$) ]] && knobs+=("$name=${!name}")
	done
	chroot "$m" /usr/bin/env -i HOME=/root USER=root LOGNAME=root LANG=C.UTF-8 TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		NODE_EXTRA_CA_CERTS=/etc/matrix-host-ca-certificates.crt "${knobs[@]}" \
		bash -c "cd $BUILD_DIR && exec bash scripts/matrix.sh $inside_args"
}

# -----------------------------------------------------------------------------
# Making a pristine chroot (--make-chroot SUITE DIR MIRROR PACKAGE...), in a
# private mount namespace: debootstrap's own mounts go with it.
# -----------------------------------------------------------------------------
make_chroot() {
	local suite=$1 dir=$2 mirror=$3
	shift 3
	local pkg required=() by_apt=() optional=() found=() dropped=()
	for pkg in "$@"; do
		case $pkg in
		*'?') optional+=("${pkg%'?'}") ;;
		*+) by_apt+=("${pkg%+}") ;;
		*) required+=("$pkg") ;;
		esac
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

	# The packages marked "+" and "?": with apt, whose resolver handles what
	# debootstrap's does not (alternatives, npm's dependencies); those marked
	# "?" only where the suite has them.
	if ((${#by_apt[@]} + ${#optional[@]} > 0)); then
		cp /etc/resolv.conf "$dir/etc/resolv.conf"
		mount -t proc proc "$dir/proc"
		"${in_chroot[@]}" apt-get update -qq
		for pkg in "${optional[@]+"${optional[@]}"}"; do
			if [[ -n $("${in_chroot[@]}" apt-cache -q=2 show "$pkg" 2>/dev/null) ]]; then
				found+=("$pkg")
			else
				dropped+=("$pkg")
				log "$pkg: not in $suite, not installed"
			fi
		done
		found+=("${by_apt[@]+"${by_apt[@]}"}")
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
		# A run that finds the chroot made only shares it (runs and
		# --serve use it side by side); making or replacing one is
		# exclusive.
		flock -s "$CHROOT_LOCK"
		[[ -f $CHROOT/.authsessions-chroot ]] && break
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
		# Back to shared for the run; the conversion is not atomic, so the
		# loop checks that the chroot is still there.
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
--serve-inside)
	serve_inside "$2" "$3"
	exit
	;;
--namespace)
	in_namespace "$2" "$3" "$4" "${5:-}"
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
serve=()
if [[ ${1:-} == --serve ]]; then
	# --serve MAJOR PORT [CONF]: see the header
	(($# >= 3)) && [[ $3 =~ ^[0-9]+$ ]] || die "usage: $0 --serve MAJOR PORT [CONF]"
	serve=("$3" "${4:-}")
	set -- "$2"
fi
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

if ((${#serve[@]} > 0)); then
	v=${versions[0]}
	run=$RUN_DIR/$v
	mkdir -p "$run/out"
	[[ -z ${serve[1]} ]] || cp "${serve[1]}" "$run/out/server.conf"
	ensure_chroot "$v" || die "no $v chroot"
	log "serving PostgreSQL $v on port ${serve[0]} until stopped (SIGTERM)"
	# --kill-child: when unshare dies, the namespace's first process is
	# killed, and with it the server.  unshare blocks SIGTERM and SIGINT
	# while it waits for its child, so when this script is stopped it kills
	# unshare with SIGKILL (else the server would outlive it).
	unshare -m -p --fork --kill-child=SIGKILL --propagation private -- \
		bash "$ROOT/scripts/matrix.sh" --namespace "$v" "$CHROOT" "$run" "--serve-inside $v ${serve[0]}" &
	serve_pid=$!
	trap 'kill -KILL "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; cleanup' EXIT
	until [[ -f $run/out/ready ]]; do
		kill -0 "$serve_pid" 2>/dev/null || die "PostgreSQL $v: the server did not start"
		sleep 0.5
	done
	echo "ready: PostgreSQL $v ($(cat "$run/out/version")) on 127.0.0.1:${serve[0]}"
	wait "$serve_pid" || die "PostgreSQL $v: the server stopped"
	exit 0
fi

# Each version's results, for scripts/report.sh: in AUTHSESSIONS_RESULTS/MAJOR
# when set (.ci/run reports all versions at once), else in the run's directory.
RESULTS_DIR=${AUTHSESSIONS_RESULTS:-$RUN_DIR/results}

for v in "${versions[@]}"; do
	run=$RUN_DIR/$v
	res=$RESULTS_DIR/$v
	mkdir -p "$run/out" "$res"
	: >"$run/out/results"
	: >"$run/outer-stages"

	section "PostgreSQL $v: the pristine $(pgenv_suite "$v") chroot"
	t0=$(now_us)
	if ensure_chroot "$v"; then
		printf 'chroot\t%s\n' "$(seconds_since "$t0")" >>"$run/outer-stages"
		section "PostgreSQL $v: the run"
		if ! unshare -m -p --fork --propagation private -- \
			bash "$ROOT/scripts/matrix.sh" --namespace "$v" "$CHROOT" "$run"; then
			# a failure the run did not record itself (its setup, a crash)
			if ! grep -q '^FAIL' "$run/out/results"; then
				printf 'FAIL\trun\t\n' >>"$run/out/results"
			fi
		fi
		exec {CHROOT_LOCK}>&- # release the chroot
	else
		printf 'FAIL\tchroot\t\n' >>"$run/out/results"
	fi
	cat "$run/outer-stages" "$run/out/stages" >"$res/stages" 2>/dev/null || true
	cp "$run/out/results" "$res/results"
	[[ ! -f $run/out/version ]] || cp "$run/out/version" "$res/version"
done

# -----------------------------------------------------------------------------
# The summary: each version's suites, the stages' times, the count.
# -----------------------------------------------------------------------------
report_args=()
for v in "${versions[@]}"; do report_args+=("$v=$RESULTS_DIR/$v"); done
bash scripts/report.sh "${report_args[@]}"
