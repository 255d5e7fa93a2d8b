#!/usr/bin/env bash
# bench/run.sh: the authsessions benchmark, in one command.
#
#   bash bench/run.sh                      # writes BENCHMARKS.md
#   BENCH_SCALES="100000" BENCH_SECONDS=5 bash bench/run.sh
#
# It builds the extension into a private copy of the PostgreSQL 15
# installation, starts a throwaway cluster from it (scripts/pgenv.sh) with
# enough shared_buffers for every data set, and loads each scale and shape
# into a database of its own (BENCH_DB_<scale>_<shape>): the data
# (bench/generate.sql) into the extension's tables, the SQL reference's
# (bench/reference.sql) and the limits' copy, then checks that the reference
# answers as the extension does (bench/check.sql).  Then BENCH_RUNS rounds,
# each running every pgbench script of bench/pgbench/ once, interleaved: for
# each operation, at every scale and shape in turn, the extension, the
# reference, the floor where there is one and the limit.  So the runs a ratio
# compares are seconds apart, also those of list's latency at 1M and at 100k.
# Then the memory check (bench/memcheck.sql), then BENCHMARKS.md
# (bench/report.sql, followed by the hand-written analysis in
# bench/analysis.md).  A failed pgbench run (any error in a script) stops
# everything with a non-zero exit status.
#
# Environment:
#   BENCH_SCALES        sessions per data set (default "10000 100000 1000000")
#   BENCH_SHAPES        "dense sparse" (default); sparse runs only list
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

BENCH_SCALES=${BENCH_SCALES:-"10000 100000 1000000"}
BENCH_SHAPES=${BENCH_SHAPES:-"dense sparse"}
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

PG_BIN=${PGENV_PG_BIN:-/usr/lib/postgresql/15/bin}
PGBENCH=$PG_BIN/pgbench
PSQL=$PG_BIN/psql

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for v in BENCH_SECONDS BENCH_RUNS BENCH_CLIENTS BENCH_THREADS BENCH_MEM_CALLS BENCH_MEM_WARMUP BENCH_MEM_SCALE; do
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
if [[ $BENCH_SOURCE != tree ]]; then
	# resolved once: the branch may move while the benchmark runs
	BENCH_SOURCE=$(git -C "$BENCH_ROOT" rev-parse --verify -q "$BENCH_SOURCE^{commit}") ||
		die "BENCH_SOURCE must be tree or a git revision"
fi

psql_db() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$@"; }

# Drop our databases at the end (the throwaway cluster goes anyway).
cleanup_dbs() {
	local scale shape drops=()
	for scale in $BENCH_SCALES; do
		for shape in $BENCH_SHAPES; do
			drops+=(-c "DROP DATABASE IF EXISTS ${BENCH_DB}_${scale}_$shape WITH (FORCE)")
		done
	done
	"$PSQL" -X -q -d postgres -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" \
		-c "DROP DATABASE IF EXISTS ${BENCH_DB}_mem WITH (FORCE)" \
		-c "DROP DATABASE IF EXISTS ${BENCH_DB}_mem_purge WITH (FORCE)" \
		"${drops[@]}" >/dev/null 2>&1 || true
}
# write_report dir: BENCHMARKS.md (BENCH_OUT) from the raw figures in dir
# (results.tsv, datasets.tsv, memory.tsv, meta.tsv), through bench/report.sql
# in database BENCH_DB, followed by bench/analysis.md.
write_report() {
	local dir=$1 key value vars=()
	psql_db "$BENCH_DB" <<-'EOF'
		SET client_min_messages = warning;
		DROP SCHEMA IF EXISTS bench_report CASCADE;
		CREATE SCHEMA bench_report;
		CREATE TABLE bench_report.results (scale bigint, shape text, op text, impl text,
			run int, tps float8, lat_ms float8);
		CREATE TABLE bench_report.datasets (scale bigint, shape text, nusers bigint,
			active_users bigint, active_sessions bigint, load_seconds numeric);
		CREATE TABLE bench_report.memory (ord int, function text, calls bigint,
			bytes_before bigint, bytes_half bigint, bytes_3q bigint, bytes_after bigint,
			seconds numeric);
	EOF
	psql_db "$BENCH_DB" -c "COPY bench_report.results FROM STDIN" <"$dir/results.tsv"
	psql_db "$BENCH_DB" -c "COPY bench_report.datasets FROM STDIN" <"$dir/datasets.tsv"
	psql_db "$BENCH_DB" -c "COPY bench_report.memory FROM STDIN" <"$dir/memory.tsv"
	while IFS=$'\t' read -r key value; do
		vars+=(-v "$key=$value")
	done <"$dir/meta.tsv"
	{
		psql_db "$BENCH_DB" -A -t -f bench/report.sql "${vars[@]}"
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
	if [[ $BENCH_CLUSTER == own ]]; then
		# shellcheck source=scripts/pgenv.sh
		source "$BENCH_ROOT/scripts/pgenv.sh"
		pgenv_start
	else
		trap cleanup_dbs EXIT
	fi
	psql_db postgres -c "SET client_min_messages = warning" \
		-c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" -c "CREATE DATABASE $BENCH_DB"
	write_report "$BENCH_REPORT_FROM"
	exit 0
fi

# --- the server ---------------------------------------------------------------
case $BENCH_CLUSTER in
own)
	# A private copy of the PostgreSQL 15 installation with this build of the
	# extension in it: PostgreSQL finds its share and lib directories next to
	# its binaries, so nothing installed system-wide (nor a later make install
	# during the run) changes what is measured.  No root needed.
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
		tree_commit=$(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
		if [[ -n $(git -C "$BENCH_ROOT" status --porcelain -- src ./*.sql Makefile ./*.control 2>/dev/null) ]]; then
			tree_commit="$tree_commit (with uncommitted changes to the extension's sources)"
		fi
		cp -a Makefile ./*.control ./*--*.sql src "$BENCH_WORKDIR/src/"
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
	# pgenv_start's EXIT trap stops the cluster; drop the private copy too
	trap 'pgenv_stop; rm -rf "$priv" "$BENCH_WORKDIR/src"' EXIT
	# Room for every data set (each holds the extension's tables, the
	# reference's, and at the dense shape the limits' copy and the floor
	# tables), and no checkpoint in the middle of a run.  Durability as
	# users run it: pgenv_start turns fsync, synchronous_commit and
	# full_page_writes off for the tests; the benchmark turns them back on.
	psql_db postgres \
		-c "ALTER SYSTEM SET fsync = on" \
		-c "ALTER SYSTEM SET synchronous_commit = on" \
		-c "ALTER SYSTEM SET full_page_writes = on" \
		-c "ALTER SYSTEM SET shared_buffers = '$BENCH_SHARED_BUFFERS'" \
		-c "ALTER SYSTEM SET max_wal_size = '16GB'" \
		-c "ALTER SYSTEM SET checkpoint_timeout = '1h'"
	_pgenv_as_owner pg_ctl -D "$PGENV_DIR/data" -l "$PGENV_DIR/server.log" -w -t 120 restart >/dev/null ||
		{ cat "$PGENV_DIR/server.log" >&2; die "the cluster did not restart"; }
	;;
env)
	[[ -n ${PGHOST:-}${PGPORT:-} ]] || log "BENCH_CLUSTER=env: using the libpq defaults"
	[[ $(psql_db postgres -A -t -c "SELECT rolsuper FROM pg_roles WHERE rolname = current_user") == t ]] ||
		die "BENCH_CLUSTER=env needs a superuser connection"
	;;
*) die "BENCH_CLUSTER is own or env, not '$BENCH_CLUSTER'" ;;
esac
PGDATABASE=$BENCH_DB
export PGDATABASE

if [[ $BENCH_CLUSTER == env ]]; then trap cleanup_dbs EXIT; fi

make_db() { # make_db name: a fresh database with the extension
	psql_db postgres -c "SET client_min_messages = warning" \
		-c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
	psql_db "$1" -c "SET client_min_messages = warning" -c "CREATE EXTENSION authsessions"
}

make_db "$BENCH_DB"

if [[ -n $BENCH_TRANSACTIONS ]]; then
	duration=(-t "$BENCH_TRANSACTIONS")
	duration_text="$BENCH_TRANSACTIONS transactions per client"
else
	duration=(-T "$BENCH_SECONDS")
	duration_text="$BENCH_SECONDS s"
fi

# --- one pgbench run -------------------------------------------------------------
# run_script scale shape script run: runs bench/pgbench/<script>.sql on the
# data set of that scale and shape and records its TPS and mean latency; any
# error stops the benchmark.  A limit's script may be named
# limit_<x>/<operation>: limit_<x>.sql, recorded as the limit of that
# operation alone (list's operations each run SELECT 1 next to them).
run_script() {
	local scale=$1 shape=$2 script=$3 run=$4 out op impl tps lat rc=0 db params
	local file=${script%%/*}
	db=${BENCH_DB}_${scale}_$shape
	read -r -a params <<<"${dataset_params[$scale-$shape]}"
	out="$BENCH_WORKDIR/$scale-$shape-${script//\//-}-$run.log"
	"$PGBENCH" -n -M prepared -c "$BENCH_CLIENTS" -j "$BENCH_THREADS" "${duration[@]}" \
		"${params[@]}" -f "bench/pgbench/$file.sql" "$db" >"$out" 2>&1 || rc=$?
	tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' "$out")
	lat=$(sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p' "$out")
	if ((rc != 0)) || [[ -z $tps || -z $lat ]] || grep -qE 'aborted|ERROR' "$out"; then
		cat "$out" >&2
		die "pgbench failed on bench/pgbench/$file.sql (scale $scale, $shape, run $run)"
	fi
	case $script in
	limit_*) op=$script impl=limit ;;
	*) op=${script%.*} impl=${script##*.} ;;
	esac
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scale" "$shape" "$op" "$impl" "$run" "$tps" "$lat" \
		>>"$BENCH_WORKDIR/results.tsv"
	log "  $scale $shape run $run: $(printf '%-20s %10.1f tps %9.3f ms' "$script" "$tps" "$lat")"
	case $script in
	create_session.* | limit_insert) psql_db "$db" -c "SELECT bench.reset()" >/dev/null ;;
	esac
}

# The operations, each with its scripts (extension, reference, floor,
# limit); a round runs each operation at every scale and shape in turn.
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

: >"$BENCH_WORKDIR/results.tsv"
: >"$BENCH_WORKDIR/datasets.tsv"
t_start=$SECONDS
log "scales: $BENCH_SCALES; shapes: $BENCH_SHAPES; $BENCH_RUNS runs of $duration_text each; logs in $BENCH_WORKDIR"

# --- the data sets, each in a database of its own ----------------------------------
declare -A dataset_params
for scale in $BENCH_SCALES; do
	for shape in $BENCH_SHAPES; do
		db=${BENCH_DB}_${scale}_$shape
		log "loading $scale sessions, $shape, into $db"
		make_db "$db"
		psql_db "$db" -c "SET client_min_messages = warning" -f bench/reference.sql >/dev/null
		# No touch is due in the benchmark's validate (the generated sessions were
		# last used "in the future" anyway, see generate.sql).
		psql_db "$db" -c "ALTER DATABASE $db SET authsessions.touch_interval = '1d'"
		# sparse runs only list, whose limit is SELECT 1: no copy for the limits
		if [[ $shape == dense ]]; then limits=on; else limits=off; fi
		psql_db "$db" -v scale="$scale" -v shape="$shape" -v limits="$limits" -f bench/generate.sql \
			>"$BENCH_WORKDIR/generate-$scale-$shape.log" 2>&1 ||
			{ cat "$BENCH_WORKDIR/generate-$scale-$shape.log" >&2; die "generate.sql failed"; }
		tail -n 1 "$BENCH_WORKDIR/generate-$scale-$shape.log" >&2
		psql_db "$db" -f bench/check.sql >/dev/null ||
			die "bench/check.sql: the data set or the SQL reference is not what the scripts expect"
		dataset_params[$scale-$shape]=$(psql_db "$db" -A -t -c "
			SELECT format('-D nusers=%s -D period=%s -D nact=%s -D ncursors=%s',
						  nusers, period, nact, (SELECT count(*) FROM bench.cursors))
			FROM bench.dataset")
		psql_db "$db" -A -t -F $'\t' -c "
			SELECT d.scale, d.shape, d.nusers,
				   (SELECT count(*) FROM authsessions_data.users WHERE listed),
				   (SELECT count(*) FROM authsessions_data.sessions
					WHERE revoked_at IS NULL AND expires_at > now()),
				   d.load_seconds
			FROM bench.dataset d" >>"$BENCH_WORKDIR/datasets.tsv"
	done
done
log "data sets: $(psql_db postgres -A -t -c "
	SELECT pg_size_pretty(sum(pg_database_size(datname))) || ' in all, shared_buffers '
		   || current_setting('shared_buffers')
	FROM pg_database WHERE datname LIKE '${BENCH_DB}\\_%'")"

# --- the rounds -------------------------------------------------------------------
for ((run = 1; run <= BENCH_RUNS; run++)); do
	for op in "${OPS[@]}"; do
		for scale in $BENCH_SCALES; do
			for shape in $BENCH_SHAPES; do
				if [[ $shape == sparse ]] && ! sparse_op "$op"; then continue; fi
				for script in $op; do
					run_script "$scale" "$shape" "$script" "$run"
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
				psql_db "${BENCH_DB}_${scale}_dense" -c "VACUUM (ANALYZE) authsessions_data.sessions,
					authsessions_data.users, ref.sessions, bench_limit.sessions"
			fi
		done
	fi
done
log "benchmark runs done in $((SECONDS - t_start)) s"

# --- memory ----------------------------------------------------------------------
: >"$BENCH_WORKDIR/memory.tsv"
if ((BENCH_MEM_CALLS > 0)); then
	mem_db=${BENCH_DB}_mem
	log "memory check: $BENCH_MEM_CALLS calls of each function in one backend"
	# purge, the slowest, runs beside the others in a database of its own, so
	# that what it finds to do does not depend on their timing
	for db in "$mem_db" "${mem_db}_purge"; do
		make_db "$db"
		psql_db "$db" -v scale="$BENCH_MEM_SCALE" -v shape=sparse -v limits=off -f bench/generate.sql >/dev/null
		psql_db "$db" -f bench/memcheck.sql >/dev/null
	done
	# memcall db fn: the memory check of one function, in one backend
	memcall() {
		local db=$1 fn=$2 out="$BENCH_WORKDIR/memcheck-$2.log" rc=0
		psql_db "$db" -c "SELECT bench.memcheck_prepare('$fn')" >/dev/null
		PGOPTIONS="-c authsessions.touch_interval=0" "$PGBENCH" -n -M prepared -c 1 -j 1 \
			-t $((BENCH_MEM_WARMUP + BENCH_MEM_CALLS + 1)) \
			-D fn="$fn" -D calls="$BENCH_MEM_CALLS" -D warmup="$BENCH_MEM_WARMUP" \
			-f bench/pgbench/memcall.sql "$db" >"$out" 2>&1 || rc=$?
		if ((rc != 0)) || grep -qE 'aborted|ERROR' "$out"; then
			cat "$out" >&2
			log "memory check failed for $fn"
			return 1
		fi
	}
	memcall "${mem_db}_purge" purge &
	purge_pid=$!
	for fn in upsert_user create_session validate user_sessions list revoke end_session delete_user; do
		memcall "$mem_db" "$fn" || die "memory check failed for $fn"
	done
	wait "$purge_pid" || die "memory check failed for purge"
	for db in "${mem_db}_purge" "$mem_db"; do
		psql_db "$db" -A -t -F $'\t' -c "
			SELECT array_position(ARRAY['purge', 'upsert_user', 'create_session', 'validate',
										'user_sessions', 'list', 'revoke', 'end_session',
										'delete_user'], function),
				   function, calls, bytes_before, bytes_half, bytes_3q, bytes_after, seconds
			FROM bench.memcheck ORDER BY 1"
	done >"$BENCH_WORKDIR/memory.tsv"
	while IFS=$'\t' read -r _ fn calls before half q3 after _; do
		log "  $fn: $calls calls, $before -> $half -> $q3 -> $after bytes"
	done <"$BENCH_WORKDIR/memory.tsv"
	psql_db postgres -c "DROP DATABASE $mem_db WITH (FORCE)" -c "DROP DATABASE ${mem_db}_purge WITH (FORCE)"
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
server=$(psql_db "$BENCH_DB" -A -t -c "
	SELECT split_part(version(), ',', 1) || '; shared_buffers ' || current_setting('shared_buffers')
		   || ', fsync ' || current_setting('fsync') || ', synchronous_commit '
		   || current_setting('synchronous_commit') || ', full_page_writes '
		   || current_setting('full_page_writes') || ', jit ' || current_setting('jit')
		   || ', autovacuum ' || current_setting('autovacuum')")
{
	printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf 'commit\t%s\n' "$commit"
	printf 'machine\t%s\n' "$machine"
	printf 'server\t%s\n' "$server"
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
