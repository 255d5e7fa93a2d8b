#!/usr/bin/env bash
# test/extra/69_pg_cron_purge.sh: purge on a pg_cron schedule, as README
# shows it.
#
# A private cluster (lib/owncluster.sh) with shared_preload_libraries =
# 'pg_cron', cron.database_name = its test database and
# cron.use_background_workers = on (jobs run in background workers: no
# connection, no password), restarted once the database exists.  In it:
# the extensions pg_cron and authsessions, sessions that purge must delete
# (expired, and revoked, more than 7 days ago, purge's default older_than)
# and sessions it must keep (active; expired or revoked a day ago).  Then
# README's cron.schedule('authsessions-purge', '* * * * *', ...), a wait of
# at most 75 s for a 'succeeded' row of the job in cron.job_run_details
# (polled every second: pg_cron 1.4 schedules by the minute, so the first
# run comes at the next minute; the bound is that, not a timing
# assertion), the rows checked, and cron.unschedule.
#
# Needs pg_cron for the PostgreSQL under test (postgresql-NN-cron, in
# scripts/packages.txt): without it the suite skips (exit 77, and the reason
# in $AUTHSESSIONS_SKIP_FILE for scripts/test.sh).  Binaries:
# ${PGENV_PG_BIN:-/usr/lib/postgresql/15/bin}, with the extension installed
# there.  Prints PASS/FAIL per check and "N passed, N failed".
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=test/extra/lib/owncluster.sh
source lib/owncluster.sh
# shellcheck source=test/extra/lib/checks.sh
source lib/checks.sh

DB=authsessions_cron
WAIT_SECONDS=75

skip() {
	echo "SKIP: $*"
	if [[ -n ${AUTHSESSIONS_SKIP_FILE:-} ]]; then printf '%s\n' "$*" >"$AUTHSESSIONS_SKIP_FILE"; fi
	exit 77
}

pg_config_bin=${PG_CONFIG:-$OC_BIN/pg_config}
major=$("$pg_config_bin" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
if [[ ! -f $("$pg_config_bin" --pkglibdir)/pg_cron.so ||
	! -f $("$pg_config_bin" --sharedir)/extension/pg_cron.control ]]; then
	skip "pg_cron is not installed for PostgreSQL $major (apt-get install postgresql-$major-cron)"
fi

oc_init "log_min_messages = warning" \
	"shared_preload_libraries = 'pg_cron'" \
	"cron.database_name = '$DB'" \
	"cron.use_background_workers = on" \
	"max_worker_processes = 20"
oc_start
oc_psql -d postgres -c "CREATE DATABASE $DB"
# pg_cron's scheduler connects to cron.database_name when it starts: restart
# now that the database exists.
oc_stop
oc_start
q() { oc_psql -d "$DB" -At "$@"; }

q -c "SELECT extversion FROM pg_extension" >/dev/null
oc_psql -d "$DB" <<'SQL' >/dev/null
CREATE EXTENSION pg_cron;
CREATE EXTENSION authsessions;
SELECT authsessions.upsert_user('00000000-0000-4000-8000-0000000000c1', 'cron one', false);
SELECT authsessions.upsert_user('00000000-0000-4000-8000-0000000000c2', 'cron two', false);
-- k names each session; keep says whether purge('7 days') must leave it.
CREATE TABLE plan (k text PRIMARY KEY, id bigint, keep boolean);
INSERT INTO plan
SELECT k, (authsessions.create_session(g::uuid) ->> 'ID')::bigint, keep
FROM (VALUES ('active', '00000000-0000-4000-8000-0000000000c1', true),
             ('expired 30 days ago', '00000000-0000-4000-8000-0000000000c1', false),
             ('revoked 30 days ago', '00000000-0000-4000-8000-0000000000c1', false),
             ('expired a day ago', '00000000-0000-4000-8000-0000000000c2', true),
             ('revoked a day ago', '00000000-0000-4000-8000-0000000000c2', true),
             ('revoked 20 days ago', '00000000-0000-4000-8000-0000000000c2', false))
     AS v(k, g, keep);
SELECT authsessions.revoke(id) FROM plan WHERE k LIKE 'revoked%';
-- Age them as time would have: an ended session's expiry, end and
-- purge_hint (its first expiry) in the past.
UPDATE authsessions_data.sessions s
SET created_at = now() - p.age - interval '2 days', last_updated = now() - p.age - interval '2 days',
	expires_at = now() - p.age, purge_hint = now() - p.age,
	revoked_at = CASE WHEN s.revoked_at IS NOT NULL THEN now() - p.age END
FROM (SELECT id, CASE WHEN k LIKE '%30 days ago' THEN interval '30 days'
                      WHEN k LIKE '%20 days ago' THEN interval '20 days'
                      ELSE interval '1 day' END AS age
      FROM plan WHERE k <> 'active') p
WHERE s.id = p.id;
SQL
tc_check "pg_cron and authsessions are installed in $DB" \
	eq "$(q -c "SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension WHERE extname IN ('pg_cron', 'authsessions')")" "authsessions,pg_cron"
tc_check "six sessions, one of them active" \
	eq "$(q -c "SELECT count(*), count(*) FILTER (WHERE revoked_at IS NULL AND expires_at > now()) FROM authsessions_data.sessions")" "6|1"

# README's schedule, every minute.
jobid=$(q -c "SELECT cron.schedule('authsessions-purge', '* * * * *', \$\$SELECT authsessions.purge('7 days', 10000)\$\$)")
tc_check "cron.schedule returns the job's id" eval '[[ $jobid =~ ^[0-9]+$ ]]'

status=""
for ((i = 0; i < WAIT_SECONDS; i++)); do
	status=$(q -c "SELECT coalesce(string_agg(DISTINCT status, ','), '') FROM cron.job_run_details WHERE jobid = $jobid AND status IN ('succeeded', 'failed')")
	[[ -z $status ]] || break
	sleep 1
done
tc_check "within ${WAIT_SECONDS} s the job ran and succeeded (waited ${i} s)" eq "$status" succeeded
tc_check "the run executed purge and it returned its row" \
	eq "$(q -c "SELECT command, return_message FROM cron.job_run_details WHERE jobid = $jobid AND status = 'succeeded' ORDER BY runid LIMIT 1")" \
	"SELECT authsessions.purge('7 days', 10000)|SELECT 1"
tc_check "the sessions that ended more than 7 days ago are gone, the others remain" \
	eq "$(q -c "SELECT string_agg(format('%s=%s', p.k, s.id IS NOT NULL), ', ' ORDER BY p.id) FROM plan p LEFT JOIN authsessions_data.sessions s ON s.id = p.id")" \
	"active=t, expired 30 days ago=f, revoked 30 days ago=f, expired a day ago=t, revoked a day ago=t, revoked 20 days ago=f"
tc_check "every kept session is the one planned (keep = still there)" \
	eq "$(q -c "SELECT count(*) FROM plan p WHERE p.keep <> EXISTS (SELECT FROM authsessions_data.sessions s WHERE s.id = p.id)")" 0
tc_check "the session summary is right after the scheduled purge (repair_summary: 0)" \
	eq "$(q -c "SELECT authsessions.repair_summary()")" 0
tc_check "list shows the user of the active session only" \
	eq "$(q -c "SELECT string_agg(e ->> 'UserName', ',') FROM jsonb_array_elements(authsessions.list()) e")" "cron one"

tc_check "cron.unschedule removes the job" \
	eq "$(q -c "SELECT cron.unschedule('authsessions-purge')" -c "SELECT count(*) FROM cron.job")" "$(printf 't\n0')"

tc_summary
