#!/usr/bin/env bash
# bench/notify.sh: what authsessions.notify_channel costs the writers that
# end sessions.  revoke and end_session, each committing (a NOTIFY is sent,
# and its cluster-wide lock taken, only at commit: a rolled back call would
# measure nothing), at 2 and 8 clients, with notifications off and on.
# Prints a markdown table: per function and clients, the median tps of the
# runs off and on (and the range of the runs) and the ratio of the medians.
#
#   bash bench/notify.sh
#   NOTIFY_BENCH_TX=1000 NOTIFY_BENCH_REPS=3 bash bench/notify.sh   # shorter
#
# A throwaway cluster (scripts/pgenv.sh) with fsync, synchronous_commit and
# full_page_writes on, as bench/run.sh sets them; the extension installed
# in PGENV_PG_BIN's installation (make install).  The data: NOTIFY_BENCH_USERS
# users (default 10,000) and, for each function, one active session per
# transaction to come, spread round robin over the users (about 8 active
# sessions a user), each ended by exactly one transaction: the next ID of a
# sequence (revoke) or the token stored with it (end_session, looked up by
# primary key in a statement of its own, as the sequence is: the same
# overhead off and on).  Each run is pgbench -M prepared -c CLIENTS -j
# CLIENTS, NOTIFY_BENCH_TX transactions in all (default 4,000); the runs
# interleave: for each of NOTIFY_BENCH_REPS rounds (default 5), each
# function and client count runs off and on back to back, in alternating
# order.  "on" is PGOPTIONS=-c authsessions.notify_channel=... for pgbench's
# connections; a listener (DBD::Pg) LISTENs and drains the channel the whole
# time, and must have received exactly one notification per transaction run
# with notifications on.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/pgenv.sh
source scripts/pgenv.sh
TX=${NOTIFY_BENCH_TX:-4000}
REPS=${NOTIFY_BENCH_REPS:-5}
USERS=${NOTIFY_BENCH_USERS:-10000}
CLIENTS=${NOTIFY_BENCH_CLIENTS:-"2 8"}
CHANNEL=authsessions_ended
PGBENCH=$PGENV_PG_BIN/pgbench
export AUTHSESSIONS_TEST_PORT=${AUTHSESSIONS_TEST_PORT:-56329}
perl -MDBD::Pg -e 1 2>/dev/null || { echo "bench/notify.sh needs DBD::Pg (libdbd-pg-perl)" >&2; exit 1; }

pgenv_start >/dev/null 2>&1
psql -X -q -d postgres -c "ALTER SYSTEM SET fsync = on" -c "ALTER SYSTEM SET synchronous_commit = on" \
	-c "ALTER SYSTEM SET full_page_writes = on" -c "ALTER SYSTEM SET shared_buffers = '256MB'" \
	-c "ALTER SYSTEM SET max_wal_size = '4GB'" -c "ALTER SYSTEM SET checkpoint_timeout = '1h'" >/dev/null
_pgenv_as_owner pg_ctl -D "$PGENV_DIR/data" -l "$PGENV_DIR/server.log" -w restart >/dev/null
work=$(mktemp -d /tmp/authsessions-notify-bench.XXXXXX)
listener=""
cleanup() {
	[[ -n $listener ]] && kill "$listener" 2>/dev/null
	rm -rf "$work"
	pgenv_stop
}
trap cleanup EXIT
export PGDATABASE=postgres

# --- the data ------------------------------------------------------------------
nclients=$(wc -w <<<"$CLIENTS")
per_fn=$((REPS * nclients * 2 * TX)) # sessions each function ends
per_user=$(((per_fn + USERS - 1) / USERS))
psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
CREATE EXTENSION authsessions;
CREATE SCHEMA notify_bench;
SELECT count(authsessions.upsert_user(gen_random_uuid(), 'user ' || i)) FROM generate_series(1, $USERS) i;
-- pool 1 (revoke), then pool 2 (end_session): consecutive IDs belong to
-- different users, so concurrent clients rarely wait for one user row
CREATE TABLE notify_bench.tokens (id bigint PRIMARY KEY, token text NOT NULL);
SELECT count(authsessions.create_session(q.guid, 'revoke')) FROM
	(SELECT u.guid FROM generate_series(1, $per_user) g, authsessions_data.users u ORDER BY g, u.id) q;
SELECT max(id) AS last_revoke FROM authsessions_data.sessions \gset
INSERT INTO notify_bench.tokens
SELECT (s ->> 'ID')::bigint, s ->> 'Token' FROM
	(SELECT authsessions.create_session(q.guid, 'logout') AS s FROM
		(SELECT u.guid FROM generate_series(1, $per_user) g, authsessions_data.users u ORDER BY g, u.id) q) x;
CREATE SEQUENCE notify_bench.revoke_next MAXVALUE :last_revoke;
CREATE SEQUENCE notify_bench.logout_next START WITH :last_revoke MINVALUE :last_revoke;
SELECT nextval('notify_bench.logout_next');
VACUUM ANALYZE;
CHECKPOINT;
SQL
cat >"$work/revoke.sql" <<'SQL'
SELECT nextval('notify_bench.revoke_next') AS id \gset
SELECT authsessions.revoke(:id);
SQL
# (the ID first: nextval in a WHERE would be evaluated per row of a scan)
cat >"$work/end_session.sql" <<'SQL'
SELECT nextval('notify_bench.logout_next') AS id \gset
SELECT token FROM notify_bench.tokens WHERE id = :id \gset
SELECT authsessions.end_session(:token);
SQL

# --- the listener --------------------------------------------------------------
perl - "$CHANNEL" "$work/received" <<'PERL' &
use strict;
use warnings;
use DBI;
use IO::Select;
my ($chan, $out) = @ARGV;
my $dbh = DBI->connect('dbi:Pg:', '', '', { AutoCommit => 1, RaiseError => 1 });
$dbh->do("LISTEN $chan");
open(my $sock, '<&=', $dbh->{pg_socket}) or die;
my $sel = IO::Select->new($sock);
my $n = 0;
my $write = sub { open(my $f, '>', "$out.tmp") or die; print $f "$n\n"; close $f; rename("$out.tmp", $out); };
$SIG{TERM} = sub { $write->(); exit 0 };
$write->();
while (1) {
	$sel->can_read(1);
	my $got = 0;
	while (my $x = $dbh->pg_notifies) { $n++; $got++ }
	$write->() if $got;
}
PERL
listener=$!
for _ in $(seq 100); do [[ -s $work/received ]] && break; sleep 0.1; done

# --- the runs ------------------------------------------------------------------
declare -A tps=()
expected=0
run() { # run FN CLIENTS MODE REP
	local fn=$1 c=$2 mode=$3 rep=$4 opts="" t
	[[ $mode == on ]] && opts="-c authsessions.notify_channel=$CHANNEL"
	t=$(PGOPTIONS="$opts" "$PGBENCH" -n -M prepared -c "$c" -j "$c" -t $((TX / c)) \
		-f "$work/$fn.sql" 2>"$work/err" | sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p') ||
		true
	[[ -n $t ]] || { cat "$work/err" >&2; echo "pgbench failed: $fn $c $mode" >&2; exit 1; }
	tps[$fn,$c,$mode]+="$t "
	[[ $mode == on ]] && expected=$((expected + (TX / c) * c))
	return 0
}
for ((rep = 1; rep <= REPS; rep++)); do
	for fn in revoke end_session; do
		for c in $CLIENTS; do
			if ((rep % 2)); then run "$fn" "$c" off "$rep"; run "$fn" "$c" on "$rep"
			else run "$fn" "$c" on "$rep"; run "$fn" "$c" off "$rep"; fi
		done
	done
done

# every notification of the "on" runs, and nothing else, reached the listener
for _ in $(seq 300); do (($(cat "$work/received") >= expected)) && break; sleep 0.1; done
received=$(cat "$work/received")
ended=$(psql -X -At -c "SELECT count(*) FROM authsessions_data.sessions WHERE revoked_at IS NOT NULL")

median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
range() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.0f–%.0f", lo, hi}'; }
version=$(psql -X -At -c "SHOW server_version")
echo "PostgreSQL $version, $(nproc) cores; fsync, synchronous_commit and full_page_writes on;"
echo "$REPS interleaved runs of $TX committed calls each per cell, medians; $USERS users."
echo
echo "| function | clients | tps, notifications off (runs) | tps, on (runs) | on / off |"
echo "|---|---:|---:|---:|---:|"
for fn in revoke end_session; do
	for c in $CLIENTS; do
		off=$(median <<<"${tps[$fn,$c,off]}")
		on=$(median <<<"${tps[$fn,$c,on]}")
		printf '| %s | %d | %.0f (%s) | %.0f (%s) | %.2f |\n' "$fn" "$c" "$off" "$(range <<<"${tps[$fn,$c,off]}")" \
			"$on" "$(range <<<"${tps[$fn,$c,on]}")" "$(awk -v a="$on" -v b="$off" 'BEGIN {print a / b}')"
	done
done
echo
echo "Sessions ended: $ended; notifications received by the listener: $received (expected $expected, one per call made with notifications on)."
((received == expected)) || { echo "the listener received $received notifications, expected $expected" >&2; exit 1; }
