#!/usr/bin/env bash
# test/extra/65_customised_tables.sh: what pg_dump keeps of a DBA's changes
# to the extension's tables (README, "Customising the tables").
#
# The extension's tables are members of the extension: pg_dump writes
# CREATE EXTENSION and then only their rows.  So
#   - a CHECK constraint, a trigger, an index and a row-level security policy
#     added to users or sessions are not in the dump and are missing after a
#     restore, while every row is there; re-applying them from the DBA's own
#     migration script brings them back;
#   - a column added to sessions makes the dump unrestorable: its rows carry
#     one value more than the table CREATE EXTENSION makes.
# Runs against the cluster of scripts/test.sh (PGHOST, PGPORT, PGUSER as a
# superuser).  Prints PASS/FAIL per check and "N passed, N failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PGBIN=${PGENV_PG_BIN:-/usr/lib/postgresql/15/bin}
PSQL=("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1)
# shellcheck source=test/extra/lib/checks.sh
source test/extra/lib/checks.sh

SRC=authsessions_custom_src
DST=authsessions_custom_dst
WORK=$(mktemp -d /tmp/authsessions-custom.XXXXXX)
drop_dbs() { "${PSQL[@]}" -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $SRC WITH (FORCE)" -c "DROP DATABASE IF EXISTS $DST WITH (FORCE)"; }
cleanup() { drop_dbs 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
drop_dbs
"${PSQL[@]}" -d postgres -c "CREATE DATABASE $SRC"

# The DBA's migration: what they add to the extension's tables.
cat >"$WORK/migration.sql" <<'SQL'
ALTER TABLE authsessions_data.sessions
	ADD CONSTRAINT dba_short_agents CHECK (length(user_agent) < 500);
CREATE FUNCTION public.dba_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RETURN NEW; END $$;
CREATE TRIGGER dba_audit BEFORE UPDATE ON authsessions_data.sessions
	FOR EACH ROW EXECUTE FUNCTION public.dba_audit();
CREATE INDEX dba_sessions_ip ON authsessions_data.sessions (ip);
CREATE POLICY dba_all ON authsessions_data.users USING (true);
SQL
COUNT_CUSTOM="SELECT (SELECT count(*) FROM pg_constraint WHERE conname = 'dba_short_agents')
	|| ',' || (SELECT count(*) FROM pg_trigger WHERE tgname = 'dba_audit')
	|| ',' || (SELECT count(*) FROM pg_class WHERE relname = 'dba_sessions_ip')
	|| ',' || (SELECT count(*) FROM pg_policy WHERE polname = 'dba_all')"
ROWS="SELECT (SELECT count(*) FROM authsessions_data.users) || ',' || (SELECT count(*) FROM authsessions_data.sessions)"

"${PSQL[@]}" -d "$SRC" -c "CREATE EXTENSION authsessions"
"${PSQL[@]}" -d "$SRC" >/dev/null <<'SQL'
SELECT authsessions.upsert_user(('00000000-0000-4000-8000-00000000000' || i)::uuid, 'user ' || i)
FROM generate_series(1, 3) AS i;
SELECT authsessions.create_session(('00000000-0000-4000-8000-00000000000' || i)::uuid, user_agent => 'agent', ip => '192.0.2.1')
FROM generate_series(1, 3) AS i, generate_series(1, 2);
SQL
"${PSQL[@]}" -d "$SRC" -f "$WORK/migration.sql"
tc_check "the source has the constraint, trigger, index and policy" eq "$("${PSQL[@]}" -At -d "$SRC" -c "$COUNT_CUSTOM")" "1,1,1,1"

# 1. constraints, triggers, indexes, policies: not dumped
"$PGBIN/pg_dump" -Fc -d "$SRC" -f "$WORK/custom.dump"
"${PSQL[@]}" -d postgres -c "CREATE DATABASE $DST"
"$PGBIN/pg_restore" -d "$DST" "$WORK/custom.dump"
tc_check "after a restore every row is there" eq "$("${PSQL[@]}" -At -d "$DST" -c "$ROWS")" "3,6"
tc_check "after a restore the constraint, trigger, index and policy are gone" eq "$("${PSQL[@]}" -At -d "$DST" -c "$COUNT_CUSTOM")" "0,0,0,0"
"${PSQL[@]}" -d "$DST" -c "DROP FUNCTION IF EXISTS public.dba_audit()" -f "$WORK/migration.sql"
tc_check "re-applying the DBA's migration brings them back" eq "$("${PSQL[@]}" -At -d "$DST" -c "$COUNT_CUSTOM")" "1,1,1,1"
"${PSQL[@]}" -d postgres -c "DROP DATABASE $DST"

# 2. an added column: the dump does not restore
"${PSQL[@]}" -d "$SRC" -c "ALTER TABLE authsessions_data.sessions ADD COLUMN dba_note text DEFAULT 'x'"
"$PGBIN/pg_dump" -Fp -d "$SRC" -f "$WORK/plain.sql"
"${PSQL[@]}" -d postgres -c "CREATE DATABASE $DST"
if "${PSQL[@]}" -d "$DST" -f "$WORK/plain.sql" >"$WORK/restore.log" 2>&1; then
	tc_fail "a dump with a column added to sessions fails to restore" "it restored"
else
	tc_check "a dump with a column added to sessions fails to restore (COPY: $(grep -o 'ERROR: .*' "$WORK/restore.log" | head -1))" \
		grep -q 'ERROR:' "$WORK/restore.log"
fi
tc_check "and leaves no session behind" eq "$("${PSQL[@]}" -At -d "$DST" -c "SELECT count(*) FROM authsessions_data.sessions")" 0

tc_summary
