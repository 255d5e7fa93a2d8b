#!/usr/bin/env bash
# test/extra/62_cancel_timeout.sh: a writer cancelled or timed out mid-call
# leaves nothing locked or half-written; a deep list with a count honours
# cancellation promptly.
#
# In one database of the scripts/test.sh cluster, test/extra/lib/cancel_timeout.pl
# (DBD::Pg, several connections) makes each writer (revoke, end_session,
# delete_user, create_session, upsert_user) block on a row lock that another
# transaction holds, ends it with statement_timeout or pg_cancel_backend, and
# checks: SQLSTATE 57014; afterwards the cancelled backend holds no lock and
# is idle; the rows it was after are byte for byte as before and the row
# counts unchanged (also when it had written before in the same transaction);
# a savepoint survives it; validate never waits on a held row; every function
# still works in that backend.  Then it generates a large set of users with
# an active session (INSERT ... SELECT as superuser, listed = true), doubled
# until an uncancelled deep list() page with Prefer: count=exact takes at
# least 0.2 s (so the test does not depend on the machine's speed), and
# cancels that call a quarter of the way in, and times it out there: 57014,
# well before the call would have ended.
#
# Short form: from 200,000 users.  AUTHSESSIONS_LONG=1: from 1,000,000 users.
# Prints PASS/FAIL per check and "N passed, N failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if [[ ${AUTHSESSIONS_LONG:-0} == 1 ]]; then BIG=1000000; else BIG=200000; fi
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
DB=authsessions_cancel

if ! perl -MDBD::Pg -e1 2>/dev/null; then
	if ((EUID == 0)); then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libdbd-pg-perl </dev/null >/dev/null ||
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libdbd-pg-perl </dev/null >/dev/null; }
	fi
	perl -MDBD::Pg -e1 || { echo "FAIL: DBD::Pg (libdbd-pg-perl) is not installed"; echo "0 passed, 1 failed"; exit 1; }
fi

cleanup() { "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" 2>/dev/null || true; }
trap cleanup EXIT
cleanup
"${PSQL[@]}" -d postgres -c "CREATE DATABASE $DB"
"${PSQL[@]}" -d "$DB" -c "CREATE EXTENSION authsessions"
perl lib/cancel_timeout.pl "$DB" "$BIG"
