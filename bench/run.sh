#!/usr/bin/env bash
# bench/run.sh: the authsessions benchmark, in one command.
#
#   bash bench/run.sh                      # writes BENCHMARKS.md
#   BENCH_SCALES="100000" BENCH_SECONDS=5 bash bench/run.sh
#   BENCH_VERSIONS="15 17 18" bash bench/run.sh   # (root) three servers at once
#
# It builds the extension into a private copy of the PostgreSQL 15
# installation, starts a throwaway cluster from it (scripts/pgenv.sh) with
# enough shared_buffers for every data set; for each other major version of
# BENCH_VERSIONS it starts `scripts/matrix.sh --serve MAJOR PORT CONF` (a
# cluster of that version in its Debian chroot, the extension built from the
# working tree, CONF the settings the 15 cluster gets by ALTER SYSTEM), all
# servers up at once.  With more than one version every client (the host's
# pgbench and psql 15, for every server) connects over TCP to 127.0.0.1.  On
# every server it loads each scale and shape into a database of its own
# (BENCH_DB_<scale>_<shape>): the data (bench/generate.sql) into the
# extension's tables, the SQL reference's (bench/reference.sql) and the
# limits' copy, then checks that the reference answers as the extension does
# (bench/check.sql).  Then BENCH_RUNS rounds, each running every pgbench
# script of bench/pgbench/ once, interleaved: for each operation, at every
# scale and shape, on every version in turn, the extension, the reference,
# the floor where there is one and the limit.  So the runs a ratio compares
# are seconds apart, also those of list's latency at 1M and at 100k, and the
# versions alternate.  Then the memory check (bench/memcheck.sql) on each
# version, then BENCHMARKS.md (bench/report.sql, the versions side by side,
# followed by the hand-written analysis in bench/analysis.md).  A failed
# pgbench run (any error in a script) stops everything with a non-zero exit
# status.
#
# Environment:
#   BENCH_VERSIONS      PostgreSQL major versions, side by side (default
#                       "15": the host's, as before); any other needs root
#                       (scripts/matrix.sh's chroots) and BENCH_SOURCE=tree
#   BENCH_PORT_BASE     the other versions' servers listen on 127.0.0.1 at
#                       the first free port from BENCH_PORT_BASE + MAJOR
#                       (default 55600)
#   BENCH_SERVE_TIMEOUT seconds to wait for them (default 1800: the first
#                       run makes the chroots)
#   BENCH_SCALES        sessions per data set (default "10000 100000 1000000")
#   BENCH_SHAPES        "dense sparse" (default); sparse runs only list
#   BENCH_OPS           only these operations (e.g. "list_keyset list_offset";
#                       default: all); a partial run's report shows the
#                       others as missing
#   BENCH_SECONDS       length of each pgbench run (default 3)
#   BENCH_TRANSACTIONS  if set, each client runs this many transactions
#                       instead (pgbench -t; the smoke test uses it)
#   BENCH_RUNS          runs per figure, the median is reported (default 3)
#   BENCH_CLIENTS, BENCH_THREADS   pgbench -c and -j (default 2 and 2)
#   BENCH_MEM_CALLS     calls per function in the memory check (default
#                       100000; 0 skips it), after BENCH_MEM_WARMUP (1000)
#   BENCH_MEM_SCALE     sessions in the memory check's data set (10000)
#   BENCH_OUT           the report (default BENCHMARKS.md at the top level;
#                       "-" for none)
#   BENCH_CLUSTER       own (default): a throwaway cluster; env: the server
#                       the PG* variables name (a superuser; the extension
#                       installed), whose settings are left alone
#   BENCH_DB            database to create and drop (default authsessions_bench),
#                       and the prefix of the data sets' databases
#   BENCH_SOURCE        what BENCH_CLUSTER=own builds: tree (default, the
#                       working tree as it is) or a git revision (HEAD, ...)
#   BENCH_SHARED_BUFFERS  shared_buffers of the throwaway cluster (4GB: every
#                       data set at once)
#   BENCH_WORKDIR       where logs and raw figures go (default: a temp dir,
#                       kept and named at the end)
#   BENCH_REPORT_FROM   a BENCH_WORKDIR of an earlier run: only write the
#                       report again from its raw figures (with today's
#                       bench/report.sql and bench/analysis.md)
set -euo pipefail

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$BENCH_ROOT"

BENCH_VERSIONS_SET=${BENCH_VERSIONS+set}
BENCH_VERSIONS=${BENCH_VERSIONS:-15}
BENCH_PORT_BASE=${BENCH_PORT_BASE:-55600}
BENCH_SERVE_TIMEOUT=${BENCH_SERVE_TIMEOUT:-1800}
BENCH_SCALES=${BENCH_SCALES:-"10000 100000 1000000"}
BENCH_SHAPES=${BENCH_SHAPES:-"dense sparse"}
BENCH_OPS=${BENCH_OPS:-}
BENCH_SECONDS=${BENCH_SECONDS:-3}
BENCH_TRANSACTIONS=${BENCH_TRANSACTIONS:-}
BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_CLIENTS=${BENCH_CLIENTS:-2}
BENCH_THREADS=${BENCH_THREADS:-2}
BENCH_MEM_CALLS=${BENCH_MEM_CALLS:-100000}
BENCH_MEM_WARMUP=${BENCH_MEM_WARMUP:-1000}
BENCH_MEM_SCALE=${BENCH_MEM_SCALE:-10000}
BENCH_OUT=${BENCH_OUT:-$BENCH_ROOT/BENCHMARKS.md}
BENCH_CLUSTER=${BENCH_CLUSTER:-own}
BENCH_DB=${BENCH_DB:-authsessions_bench}
BENCH_SHARED_BUFFERS=${BENCH_SHARED_BUFFERS:-4GB}
BENCH_SOURCE=${BENCH_SOURCE:-tree}
BENCH_WORKDIR=${BENCH_WORKDIR:-${BENCH_REPORT_FROM:-$(mktemp -d /tmp/authsessions-bench.XXXXXX)}}
mkdir -p "$BENCH_WORKDIR"

# The client programs: the host's PostgreSQL 15 ones, for every server.
PG_BIN=${PGENV_PG_BIN:-/usr/lib/postgresql/15/bin}
PGBENCH=$PG_BIN/pgbench
PSQL=$PG_BIN/psql

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for v in BENCH_SECONDS BENCH_RUNS BENCH_CLIENTS BENCH_THREADS BENCH_MEM_CALLS BENCH_MEM_WARMUP BENCH_MEM_SCALE \
	BENCH_PORT_BASE BENCH_SERVE_TIMEOUT; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number, not '${!v}'"
done
[[ -z $BENCH_TRANSACTIONS || $BENCH_TRANSACTIONS =~ ^[1-9][0-9]*$ ]] ||
	die "BENCH_TRANSACTIONS must be a positive number"
for s in $BENCH_SCALES; do
	if ! [[ $s =~ ^[0-9]+$ ]] || ((s < 1000 || s % 1000 != 0)); then
		die "each of BENCH_SCALES must be a multiple of 1000, not '$s'"
	fi
done
for s in $BENCH_SHAPES; do
	[[ $s == dense || $s == sparse ]] || die "BENCH_SHAPES takes dense and sparse, not '$s'"
done
((BENCH_RUNS >= 1)) || die "BENCH_RUNS must be at least 1"
[[ $BENCH_DB =~ ^[a-z_][a-z0-9_]*$ ]] || die "BENCH_DB must be a plain lower-case name"
read -r -a VERSIONS <<<"$BENCH_VERSIONS"
((${#VERSIONS[@]} > 0)) || die "BENCH_VERSIONS names no version"
declare -A seen_version=()
OTHERS=() # the versions served by scripts/matrix.sh
for v in "${VERSIONS[@]}"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || die "BENCH_VERSIONS takes major versions (15 17 18), not '$v'"
	[[ -z ${seen_version[$v]:-} ]] || die "BENCH_VERSIONS names $v twice"
	seen_version[$v]=1
	[[ $v == 15 ]] || OTHERS+=("$v")
done
MULTI=0
((${#VERSIONS[@]} == 1)) || MULTI=1
if [[ -z ${BENCH_REPORT_FROM:-} ]] && ((${#OTHERS[@]} > 0)); then
	[[ $BENCH_CLUSTER == own ]] || die "BENCH_CLUSTER=env measures one server: leave BENCH_VERSIONS alone"
	((EUID == 0)) || die "PostgreSQL ${OTHERS[*]}: run as root (scripts/matrix.sh --serve: chroots and mounts)"
	[[ $BENCH_SOURCE == tree ]] ||
		die "BENCH_SOURCE: PostgreSQL ${OTHERS[*]} are built from the working tree (scripts/matrix.sh), so only tree"
fi
if [[ $BENCH_SOURCE != tree ]]; then
	# resolved once: the branch may move while the benchmark runs
	BENCH_SOURCE=$(git -C "$BENCH_ROOT" rev-parse --verify -q "$BENCH_SOURCE^{commit}") ||
		die "BENCH_SOURCE must be tree or a git revision"
fi

# Where each version's server listens (vhost, vport: unset for the server of
# the PG* variables); run_on V command...: the command, a client of V's server.
declare -A vhost=() vport=()
run_on() {
	local v=$1
	shift
	if [[ -n ${vport[$v]:-} ]]; then
		PGHOST=${vhost[$v]} PGPORT=${vport[$v]} "$@"
	else
		"$@"
	fi
}
psql_db() { # psql_db V database [psql arguments]
	local v=$1
	shift
	run_on "$v" "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$@"
}
# the server the report is written on (any will do)
REPORT_V=${VERSIONS[0]}

# Drop our databases at the end (the throwaway clusters go anyway).
cleanup_dbs() {
	local scale shape drops=() v
	for scale in $BENCH_SCALES; do
		for shape in $BENCH_SHAPES; do
			drops+=(-c "DROP DATABASE IF EXISTS ${BENCH_DB}_${scale}_$shape WITH (FORCE)")
		done
	done
	for v in "${VERSIONS[@]}"; do
		run_on "$v" "$PSQL" -X -q -d postgres -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" \
			-c "DROP DATABASE IF EXISTS ${BENCH_DB}_mem WITH (FORCE)" \
			-c "DROP DATABASE IF EXISTS ${BENCH_DB}_mem_purge WITH (FORCE)" \
			"${drops[@]}" >/dev/null 2>&1 || true
	done
}
# write_report dir: BENCHMARKS.md (BENCH_OUT) from the raw figures in dir
# (results.tsv, datasets.tsv, memory.tsv, servers.tsv, meta.tsv), through
# bench/report.sql in database BENCH_DB, followed by bench/http.md (the last
# bench/http.sh run's section), bench/useragent.md (bench/useragent.sh's)
# and bench/analysis.md.
# Raw figures of runs before BENCH_VERSIONS (no version column, no
# servers.tsv) are read as figures of the version meta.tsv's server names.
write_report() {
	local dir=$1 key value vars=() f old=""
	psql_db "$REPORT_V" "$BENCH_DB" <<-'EOF'
		SET client_min_messages = warning;
		DROP SCHEMA IF EXISTS bench_report CASCADE;
		CREATE SCHEMA bench_report;
		CREATE TABLE bench_report.results (version int, scale bigint, shape text, op text, impl text,
			run int, tps float8, lat_ms float8);
		CREATE TABLE bench_report.datasets (version int, scale bigint, shape text, nusers bigint,
			active_users bigint, active_sessions bigint, load_seconds numeric);
		CREATE TABLE bench_report.memory (version int, ord int, function text, calls bigint,
			bytes_before bigint, bytes_half bigint, bytes_3q bigint, bytes_after bigint,
			seconds numeric);
		CREATE TABLE bench_report.servers (version int, server text, settings text);
	EOF
	if [[ ! -f $dir/servers.tsv ]]; then
		old=$(sed -n 's/^server\tPostgreSQL \([0-9]*\).*/\1/p' "$dir/meta.tsv")
		[[ -n $old ]] || die "$dir/meta.tsv names no server"
	fi
	for f in results datasets memory servers; do
		if [[ -z $old ]]; then
			cat "$dir/$f.tsv"
		elif [[ $f == servers ]]; then
			sed -n 's/^server\t\([^;]*\); \{0,1\}\(.*\)$/'"$old"'\t\1\t\2/p' "$dir/meta.tsv"
		else
			awk -v v="$old" '{ print v "\t" $0 }' "$dir/$f.tsv"
		fi | psql_db "$REPORT_V" "$BENCH_DB" -c "COPY bench_report.$f FROM STDIN"
	done
	# defaults for the keys of older meta.tsv files
	vars=(-v "connect=–")
	while IFS=$'\t' read -r key value; do
		vars+=(-v "$key=$value")
	done <"$dir/meta.tsv"
	{
		psql_db "$REPORT_V" "$BENCH_DB" -A -t -f bench/report.sql "${vars[@]}"
		# bench/http.sh's figures, kept from its last run
		if [[ -f bench/http.md ]]; then
			echo
			cat bench/http.md
		fi
		# bench/useragent.sh's figures, kept from its last run
		if [[ -f bench/useragent.md ]]; then
			echo
			cat bench/useragent.md
		fi
		if [[ -f bench/analysis.md ]]; then
			echo
			cat bench/analysis.md
		fi
	} >"$BENCH_OUT.tmp"
	mv "$BENCH_OUT.tmp" "$BENCH_OUT"
	log "wrote $BENCH_OUT"
}

# Only the report again, from the raw figures of an earlier run: any server
# will do (no extension needed).
if [[ -n ${BENCH_REPORT_FROM:-} ]]; then
	for f in results datasets memory meta; do
		[[ -f $BENCH_REPORT_FROM/$f.tsv ]] || die "BENCH_REPORT_FROM: no $f.tsv in $BENCH_REPORT_FROM"
	done
	[[ $BENCH_OUT != - ]] || die "BENCH_REPORT_FROM needs a BENCH_OUT"
	VERSIONS=(report)
	REPORT_V=report
	if [[ $BENCH_CLUSTER == own ]]; then
		# shellcheck source=scripts/pgenv.sh
		source "$BENCH_ROOT/scripts/pgenv.sh"
		pgenv_start
	else
		trap cleanup_dbs EXIT
	fi
	psql_db "$REPORT_V" postgres -c "SET client_min_messages = warning" \
		-c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" -c "CREATE DATABASE $BENCH_DB"
	write_report "$BENCH_REPORT_FROM"
	exit 0
fi

# --- the servers ----------------------------------------------------------------
# The settings of every server: ALTER SYSTEM on the 15 cluster, CONF of the
# others (which scripts/pgenv.sh starts too, inside their chroots, with the
# same settings of its own: port, listen_addresses 127.0.0.1, timezone...).
# Room for every data set (each holds the extension's tables, the
# reference's, and at the dense shape the limits' copy and the floor
# tables), and no checkpoint in the middle of a run.  Durability as users
# run it: pgenv_start turns fsync, synchronous_commit and full_page_writes
# off for the tests; the benchmark turns them back on.
SETTINGS=(
	"fsync=on"
	"synchronous_commit=on"
	"full_page_writes=on"
	"shared_buffers='$BENCH_SHARED_BUFFERS'"
	"max_wal_size='16GB'"
	"checkpoint_timeout='1h'"
)
# JIT: the chroot's PostgreSQL 18 has no JIT provider (sid ships llvmjit in
# postgresql-18-jit, which scripts/packages.txt does not install), 15 and 17
# have; beside other versions JIT is off on every server, so that the
# reference's long queries run alike everywhere.
if ((MULTI)); then SETTINGS+=("jit=off"); fi
# what every server must agree on (checked before anything is measured)
CHECKED_SETTINGS="'fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'max_wal_size',
	'checkpoint_timeout', 'jit', 'autovacuum', 'max_connections', 'max_prepared_transactions', 'TimeZone',
	'work_mem', 'wal_level', 'listen_addresses'"

declare -A serve_pid=()
priv=""
on_exit() {
	local v
	for v in "${!serve_pid[@]}"; do kill -TERM "${serve_pid[$v]}" 2>/dev/null || true; done
	for v in "${!serve_pid[@]}"; do wait "${serve_pid[$v]}" 2>/dev/null || true; done
	if declare -F pgenv_stop >/dev/null; then pgenv_stop; fi
	if [[ -n $priv ]]; then rm -rf "$priv" "$BENCH_WORKDIR/src"; fi
	if [[ $BENCH_CLUSTER == env ]]; then cleanup_dbs; fi
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The other versions first: making their chroots (the first time) and
# building the extension in them overlaps the build of the 15 one.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if ((${#OTHERS[@]} > 0)); then
	conf=$BENCH_WORKDIR/server.conf
	{
		echo "# bench/run.sh: the settings every server of the benchmark gets"
		for s in "${SETTINGS[@]}"; do echo "${s%%=*} = ${s#*=}"; done
	} >"$conf"
	for v in "${OTHERS[@]}"; do
		port=$((BENCH_PORT_BASE + v))
		while port_busy "$port" || [[ " ${vport[*]} " == *" $port "* ]]; do port=$((port + 1)); done
		vhost[$v]=127.0.0.1 vport[$v]=$port
		log "starting PostgreSQL $v on 127.0.0.1:$port (scripts/matrix.sh --serve; its log: $BENCH_WORKDIR/serve-$v.log)"
		bash "$BENCH_ROOT/scripts/matrix.sh" --serve "$v" "$port" "$conf" >"$BENCH_WORKDIR/serve-$v.log" 2>&1 &
		serve_pid[$v]=$!
	done
fi

case $BENCH_CLUSTER in
own)
	tree_commit=$(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
	if [[ -n $(git -C "$BENCH_ROOT" status --porcelain -- src ./*.sql Makefile ./*.control 2>/dev/null) ]]; then
		tree_commit="$tree_commit (with uncommitted changes to the extension's sources)"
	fi
	if [[ -n ${seen_version[15]:-} ]]; then
		# A private copy of the PostgreSQL 15 installation with this build of
		# the extension in it: PostgreSQL finds its share and lib directories
		# next to its binaries, so nothing installed system-wide (nor a later
		# make install during the run) changes what is measured.  No root
		# needed.
		log "building the extension ($BENCH_SOURCE) into a private PostgreSQL installation"
		chmod 755 "$BENCH_WORKDIR"
		priv=$BENCH_WORKDIR/pg
		sys_bin=${PGENV_PG_BIN:-/usr/lib/postgresql/15/bin}
		sys_share=$("$sys_bin/pg_config" --sharedir)
		sys_lib=$("$sys_bin/pg_config" --pkglibdir)
		[[ $sys_lib == */lib && $(dirname "$sys_bin") == $(dirname "$sys_lib") ]] ||
			die "unexpected layout of $sys_bin and $sys_lib"
		rm -rf "$priv" "$BENCH_WORKDIR/src"
		mkdir -p "$priv$(dirname "$(dirname "$sys_bin")")" "$priv$(dirname "$sys_share")" "$BENCH_WORKDIR/src"
		cp -a "$(dirname "$sys_bin")" "$priv$(dirname "$(dirname "$sys_bin")")/"
		cp -a "$sys_share" "$priv$(dirname "$sys_share")/"
		rm -f "$priv$sys_lib"/authsessions.so "$priv$sys_share"/extension/authsessions[.-]*
		if [[ $BENCH_SOURCE == tree ]]; then
			cp -a Makefile ./*.control ./*--*.sql src scripts "$BENCH_WORKDIR/src/"
			rm -f "$BENCH_WORKDIR"/src/src/*.o "$BENCH_WORKDIR"/src/src/*.bc "$BENCH_WORKDIR"/src/*.so
		else
			git archive "$BENCH_SOURCE" | tar -x -C "$BENCH_WORKDIR/src"
		fi
		{
			make -C "$BENCH_WORKDIR/src" -j"$(nproc)" PG_CONFIG="$sys_bin/pg_config" \
				PG_CFLAGS="-Wall -Wextra -Wno-unused-parameter -Werror" &&
				make -C "$BENCH_WORKDIR/src" install DESTDIR="$priv" PG_CONFIG="$sys_bin/pg_config"
		} >"$BENCH_WORKDIR/build.log" 2>&1 || { cat "$BENCH_WORKDIR/build.log" >&2; die "build failed"; }
		[[ $("$priv$sys_bin/pg_config" --pkglibdir) == "$priv$sys_lib" && -f $priv$sys_lib/authsessions.so ]] ||
			die "the private installation in $priv does not find its own files"

		PGENV_PG_BIN=$priv$sys_bin
		# shellcheck source=scripts/pgenv.sh
		source "$BENCH_ROOT/scripts/pgenv.sh"
		pgenv_start
		# pgenv_start's traps stop the cluster; ours stop it and the others
		trap on_exit EXIT
		trap 'exit 130' INT
		trap 'exit 143' TERM
		alter=()
		for s in "${SETTINGS[@]}"; do alter+=(-c "ALTER SYSTEM SET ${s%%=*} = ${s#*=}"); done
		psql_db 15 postgres "${alter[@]}"
		_pgenv_as_owner pg_ctl -D "$PGENV_DIR/data" -l "$PGENV_DIR/server.log" -w -t 120 restart >/dev/null ||
			{ cat "$PGENV_DIR/server.log" >&2; die "the cluster did not restart"; }
		# beside other versions, every client connects the same way: TCP
		if ((MULTI)); then vhost[15]=127.0.0.1; else vhost[15]=$PGHOST; fi
		vport[15]=$PGPORT
	fi
	# the other versions, waited for
	for v in "${OTHERS[@]}"; do
		t0=$SECONDS
		until grep -q '^ready: ' "$BENCH_WORKDIR/serve-$v.log"; do
			if ! kill -0 "${serve_pid[$v]}" 2>/dev/null || ((SECONDS - t0 > BENCH_SERVE_TIMEOUT)); then
				tail -n 40 "$BENCH_WORKDIR/serve-$v.log" >&2
				die "PostgreSQL $v: scripts/matrix.sh --serve did not start it"
			fi
			sleep 1
		done
		psql_db "$v" postgres -A -t -c "SELECT 1" >/dev/null || die "PostgreSQL $v: no connection to 127.0.0.1:${vport[$v]}"
		log "$(grep -m 1 '^ready: ' "$BENCH_WORKDIR/serve-$v.log")"
	done
	;;
env)
	[[ -n ${PGHOST:-}${PGPORT:-} ]] || log "BENCH_CLUSTER=env: using the libpq defaults"
	[[ $(psql_db env postgres -A -t -c "SELECT rolsuper FROM pg_roles WHERE rolname = current_user") == t ]] ||
		die "BENCH_CLUSTER=env needs a superuser connection"
	# the server's own major version labels its figures
	env_major=$(psql_db env postgres -A -t -c "SELECT current_setting('server_version_num')::int / 10000")
	if [[ -n $BENCH_VERSIONS_SET && $BENCH_VERSIONS != "$env_major" ]]; then
		die "BENCH_CLUSTER=env: the server is PostgreSQL $env_major, BENCH_VERSIONS says '$BENCH_VERSIONS'"
	fi
	VERSIONS=("$env_major")
	REPORT_V=$env_major
	;;
*) die "BENCH_CLUSTER is own or env, not '$BENCH_CLUSTER'" ;;
esac

# Each server is the version it is labelled, and every server has the same
# settings (the benchmark's own ones in BENCH_CLUSTER=env, as they are).
declare -A server_settings=()
for v in "${VERSIONS[@]}"; do
	[[ $(psql_db "$v" postgres -A -t -c "SELECT current_setting('server_version_num')::int / 10000") == "$v" ]] ||
		die "the server of PostgreSQL $v is another version"
	server_settings[$v]=$(psql_db "$v" postgres -A -t -c "
		SELECT string_agg(name || ' ' || setting || coalesce(' ' || unit, ''), ', ' ORDER BY lower(name))
		FROM pg_settings WHERE name IN ($CHECKED_SETTINGS)")
	if [[ ${server_settings[$v]} != "${server_settings[$REPORT_V]}" ]]; then
		die "PostgreSQL $v's settings differ from $REPORT_V's: ${server_settings[$v]} against ${server_settings[$REPORT_V]}"
	fi
done

make_db() { # make_db V name: a fresh database with the extension
	psql_db "$1" postgres -c "SET client_min_messages = warning" \
		-c "DROP DATABASE IF EXISTS $2 WITH (FORCE)" -c "CREATE DATABASE $2"
	psql_db "$1" "$2" -c "SET client_min_messages = warning" -c "CREATE EXTENSION authsessions"
}

make_db "$REPORT_V" "$BENCH_DB"

if [[ -n $BENCH_TRANSACTIONS ]]; then
	duration=(-t "$BENCH_TRANSACTIONS")
	duration_text="$BENCH_TRANSACTIONS transactions per client"
else
	duration=(-T "$BENCH_SECONDS")
	duration_text="$BENCH_SECONDS s"
fi

# --- one pgbench run -------------------------------------------------------------
# run_script version scale shape script run: runs bench/pgbench/<script>.sql
# on the data set of that scale and shape on that version's server and
# records its TPS and mean latency; any error stops the benchmark.  A limit's
# script may be named limit_<x>/<operation>: limit_<x>.sql, recorded as the
# limit of that operation alone (list's operations each run SELECT 1 next to
# them).
run_script() {
	local v=$1 scale=$2 shape=$3 script=$4 run=$5 out op impl tps lat rc=0 db params
	local file=${script%%/*}
	db=${BENCH_DB}_${scale}_$shape
	read -r -a params <<<"${dataset_params[$v-$scale-$shape]}"
	out="$BENCH_WORKDIR/$v-$scale-$shape-${script//\//-}-$run.log"
	run_on "$v" "$PGBENCH" -n -M prepared -c "$BENCH_CLIENTS" -j "$BENCH_THREADS" "${duration[@]}" \
		"${params[@]}" -f "bench/pgbench/$file.sql" "$db" >"$out" 2>&1 || rc=$?
	tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' "$out")
	lat=$(sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p' "$out")
	if ((rc != 0)) || [[ -z $tps || -z $lat ]] || grep -qE 'aborted|ERROR' "$out"; then
		cat "$out" >&2
		die "pgbench failed on bench/pgbench/$file.sql (PostgreSQL $v, scale $scale, $shape, run $run)"
	fi
	case $script in
	limit_*) op=$script impl=limit ;;
	*) op=${script%.*} impl=${script##*.} ;;
	esac
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$v" "$scale" "$shape" "$op" "$impl" "$run" "$tps" "$lat" \
		>>"$BENCH_WORKDIR/results.tsv"
	log "  $v $scale $shape run $run: $(printf '%-20s %10.1f tps %9.3f ms' "$script" "$tps" "$lat")"
	case $script in
	create_session.* | limit_insert) psql_db "$v" "$db" -c "SELECT bench.reset()" >/dev/null ;;
	esac
}

# The operations, each with its scripts (extension, reference, floor,
# limit); a round runs each operation at every scale and shape, on every
# version in turn.
OPS=(
	"validate.ext validate.ref validate.floor limit_token"
	"user_sessions.ext user_sessions.ref user_sessions.floor limit_guid"
	"list_first.ext list_first.ref limit_select1/list_first"
	"list_keyset.ext list_keyset.ref limit_select1/list_keyset"
	"list_offset.ext list_offset.ref limit_select1/list_offset"
	"list_last.ext list_last.ref limit_select1/list_last"
	"revoke.ext revoke.ref limit_update"
	"create_session.ext create_session.ref limit_insert"
)
# only list runs in the sparse shape
sparse_op() { [[ $1 == list_* ]]; }
# chosen_op "OP.ext ...": is the operation in BENCH_OPS (or BENCH_OPS empty)?
chosen_op() {
	local name=${1%%.*}
	[[ -z $BENCH_OPS || " $BENCH_OPS " == *" $name "* ]]
}

: >"$BENCH_WORKDIR/results.tsv"
: >"$BENCH_WORKDIR/datasets.tsv"
t_start=$SECONDS
log "PostgreSQL ${VERSIONS[*]}; scales: $BENCH_SCALES; shapes: $BENCH_SHAPES; $BENCH_RUNS runs of $duration_text each; logs in $BENCH_WORKDIR"

# --- the data sets, each in a database of its own, on every server ---------------
declare -A dataset_params
for scale in $BENCH_SCALES; do
	for shape in $BENCH_SHAPES; do
		for v in "${VERSIONS[@]}"; do
			db=${BENCH_DB}_${scale}_$shape
			log "loading $scale sessions, $shape, into $db on PostgreSQL $v"
			make_db "$v" "$db"
			psql_db "$v" "$db" -c "SET client_min_messages = warning" -f bench/reference.sql >/dev/null
			# No touch is due in the benchmark's validate (the generated sessions were
			# last used "in the future" anyway, see generate.sql).
			psql_db "$v" "$db" -c "ALTER DATABASE $db SET authsessions.touch_interval = '1d'"
			# sparse runs only list, whose limit is SELECT 1: no copy for the limits
			if [[ $shape == dense ]]; then limits=on; else limits=off; fi
			psql_db "$v" "$db" -v scale="$scale" -v shape="$shape" -v limits="$limits" -f bench/generate.sql \
				>"$BENCH_WORKDIR/generate-$v-$scale-$shape.log" 2>&1 ||
				{ cat "$BENCH_WORKDIR/generate-$v-$scale-$shape.log" >&2; die "generate.sql failed"; }
			tail -n 1 "$BENCH_WORKDIR/generate-$v-$scale-$shape.log" >&2
			psql_db "$v" "$db" -f bench/check.sql >/dev/null ||
				die "bench/check.sql: the data set or the SQL reference is not what the scripts expect (PostgreSQL $v)"
			dataset_params[$v-$scale-$shape]=$(psql_db "$v" "$db" -A -t -c "
				SELECT format('-D nusers=%s -D period=%s -D nact=%s -D ncursors=%s',
							  nusers, period, nact, (SELECT count(*) FROM bench.cursors))
				FROM bench.dataset")
			psql_db "$v" "$db" -A -t -F $'\t' -c "
				SELECT $v, d.scale, d.shape, d.nusers,
					   (SELECT count(*) FROM authsessions_data.users WHERE listed),
					   (SELECT count(*) FROM authsessions_data.sessions
						WHERE revoked_at IS NULL AND expires_at > now()),
					   d.load_seconds
				FROM bench.dataset d" >>"$BENCH_WORKDIR/datasets.tsv"
		done
	done
done
for v in "${VERSIONS[@]}"; do
	log "data sets on PostgreSQL $v: $(psql_db "$v" postgres -A -t -c "
		SELECT pg_size_pretty(sum(pg_database_size(datname))) || ' in all, shared_buffers '
			   || current_setting('shared_buffers')
		FROM pg_database WHERE datname LIKE '${BENCH_DB}\\_%'")"
done

# --- the rounds -------------------------------------------------------------------
for ((run = 1; run <= BENCH_RUNS; run++)); do
	for op in "${OPS[@]}"; do
		chosen_op "$op" || continue
		for scale in $BENCH_SCALES; do
			for shape in $BENCH_SHAPES; do
				if [[ $shape == sparse ]] && ! sparse_op "$op"; then continue; fi
				for v in "${VERSIONS[@]}"; do
					for script in $op; do
						run_script "$v" "$scale" "$shape" "$script" "$run"
					done
				done
			done
		done
	done
	# The create_session runs come last in a round; bench.reset() deleted
	# their sessions, but dead index entries would slow the next round's
	# reads of the same users (at 10k sessions a run adds several times
	# the table): vacuum them away before it.
	if ((run < BENCH_RUNS)); then
		for scale in $BENCH_SCALES; do
			if [[ " $BENCH_SHAPES " == *" dense "* ]]; then
				for v in "${VERSIONS[@]}"; do
					psql_db "$v" "${BENCH_DB}_${scale}_dense" -c "VACUUM (ANALYZE) authsessions_data.sessions,
						authsessions_data.users, ref.sessions, bench_limit.sessions"
				done
			fi
		done
	fi
done
log "benchmark runs done in $((SECONDS - t_start)) s"

# --- memory ----------------------------------------------------------------------
: >"$BENCH_WORKDIR/memory.tsv"
# memcall V db fn: the memory check of one function, in one backend
memcall() {
	local v=$1 db=$2 fn=$3 out="$BENCH_WORKDIR/memcheck-$1-$3.log" rc=0
	psql_db "$v" "$db" -c "SELECT bench.memcheck_prepare('$fn')" >/dev/null
	PGOPTIONS="-c authsessions.touch_interval=0" run_on "$v" "$PGBENCH" -n -M prepared -c 1 -j 1 \
		-t $((BENCH_MEM_WARMUP + BENCH_MEM_CALLS + 1)) \
		-D fn="$fn" -D calls="$BENCH_MEM_CALLS" -D warmup="$BENCH_MEM_WARMUP" \
		-f bench/pgbench/memcall.sql "$db" >"$out" 2>&1 || rc=$?
	if ((rc != 0)) || grep -qE 'aborted|ERROR' "$out"; then
		cat "$out" >&2
		log "memory check failed for $fn (PostgreSQL $v)"
		return 1
	fi
}
if ((BENCH_MEM_CALLS > 0)); then
	mem_db=${BENCH_DB}_mem
	for v in "${VERSIONS[@]}"; do
		log "memory check on PostgreSQL $v: $BENCH_MEM_CALLS calls of each function in one backend"
		# purge, the slowest, runs beside the others in a database of its own, so
		# that what it finds to do does not depend on their timing
		for db in "$mem_db" "${mem_db}_purge"; do
			make_db "$v" "$db"
			psql_db "$v" "$db" -v scale="$BENCH_MEM_SCALE" -v shape=sparse -v limits=off -f bench/generate.sql >/dev/null
			psql_db "$v" "$db" -f bench/memcheck.sql >/dev/null
		done
		memcall "$v" "${mem_db}_purge" purge &
		purge_pid=$!
		for fn in upsert_user create_session validate user_sessions list revoke end_session delete_user; do
			memcall "$v" "$mem_db" "$fn" || die "memory check failed for $fn (PostgreSQL $v)"
		done
		wait "$purge_pid" || die "memory check failed for purge (PostgreSQL $v)"
		for db in "${mem_db}_purge" "$mem_db"; do
			psql_db "$v" "$db" -A -t -F $'\t' -c "
				SELECT $v, array_position(ARRAY['purge', 'upsert_user', 'create_session', 'validate',
												'user_sessions', 'list', 'revoke', 'end_session',
												'delete_user'], function),
					   function, calls, bytes_before, bytes_half, bytes_3q, bytes_after, seconds
				FROM bench.memcheck ORDER BY 2"
		done >>"$BENCH_WORKDIR/memory.tsv"
		psql_db "$v" postgres -c "DROP DATABASE $mem_db WITH (FORCE)" -c "DROP DATABASE ${mem_db}_purge WITH (FORCE)"
	done
	while IFS=$'\t' read -r v _ fn calls before half q3 after _; do
		log "  $v $fn: $calls calls, $before -> $half -> $q3 -> $after bytes"
	done <"$BENCH_WORKDIR/memory.tsv"
fi

# --- the report ------------------------------------------------------------------
# What the report says about the run, kept beside the raw figures (so that
# BENCH_REPORT_FROM can write the report again later).
if [[ $BENCH_CLUSTER == env ]]; then
	commit="(the extension installed in the server named by the PG* variables; the tree is at $(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown))"
elif [[ $BENCH_SOURCE != tree ]]; then
	commit=${BENCH_SOURCE:0:7}
else
	commit=$tree_commit
fi
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mem=$(awk '/^MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo)
os=$(uname -s)
if [[ -r /etc/os-release ]]; then os=$(. /etc/os-release && echo "$PRETTY_NAME"); fi
machine="$(nproc) × $cpu, $mem RAM, $os, Linux $(uname -r)"
if [[ $(awk '{ print $1 }' /proc/loadavg) != 0.* ]]; then
	machine="$machine (load average $(cut -d ' ' -f 1-3 /proc/loadavg) at the end: other work shared the machine)"
fi
if [[ -n $BENCH_TRANSACTIONS ]]; then seconds_text="$BENCH_TRANSACTIONS transactions per client"; else seconds_text="$BENCH_SECONDS s"; fi
client_version=$("$PSQL" --version | awk '{ print $3 }')
if [[ $BENCH_CLUSTER == env ]]; then
	connect="the host's pgbench and psql $client_version connect as the PG* variables say"
elif ((MULTI)); then
	others_text=${OTHERS[*]}
	others_text=${others_text// /, }
	if ((${#OTHERS[@]} > 1)); then others_text="${others_text%, *} and ${others_text##*, }"; fi
	connect="the servers run at once, each on its own port; every client, the host's pgbench and psql $client_version for every server, connects over TCP to 127.0.0.1 (trust authentication, no SSL); PostgreSQL $others_text run in Debian chroots (\`scripts/matrix.sh --serve\`), the extension built from the same tree"
else
	connect="the host's pgbench and psql $client_version connect over the cluster's Unix socket"
fi
for v in "${VERSIONS[@]}"; do
	psql_db "$v" postgres -A -t -F $'\t' -c "
		SELECT $v, split_part(version(), ',', 1),
			   'shared_buffers ' || current_setting('shared_buffers')
			   || ', fsync ' || current_setting('fsync') || ', synchronous_commit '
			   || current_setting('synchronous_commit') || ', full_page_writes '
			   || current_setting('full_page_writes') || ', jit ' || current_setting('jit')
			   || CASE WHEN current_setting('jit')::bool AND NOT pg_jit_available() THEN ' (not installed)' ELSE '' END
			   || ', autovacuum ' || current_setting('autovacuum')"
done >"$BENCH_WORKDIR/servers.tsv"
{
	printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf 'commit\t%s\n' "$commit"
	printf 'machine\t%s\n' "$machine"
	printf 'connect\t%s\n' "$connect"
	printf 'pgbench\t%s\n' "pgbench $("$PGBENCH" --version | awk '{ print $3 }')"
	printf 'seconds\t%s\n' "$seconds_text"
	printf 'runs\t%s\n' "$BENCH_RUNS"
	printf 'clients\t%s\n' "$BENCH_CLIENTS"
	printf 'threads\t%s\n' "$BENCH_THREADS"
	printf 'mem_scale\t%s\n' "$BENCH_MEM_SCALE"
	printf 'mem_warmup\t%s\n' "$BENCH_MEM_WARMUP"
} >"$BENCH_WORKDIR/meta.tsv"

if [[ $BENCH_OUT != - ]]; then
	write_report "$BENCH_WORKDIR"
fi
log "done in $((SECONDS - t_start)) s; raw figures and logs in $BENCH_WORKDIR"
