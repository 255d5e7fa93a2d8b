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
DB=authsessions_cancel
# shellcheck source=test/extra/lib/dbd_pg.sh
source lib/dbd_pg.sh
dbd_need
dbd_createdb "$DB"
perl lib/cancel_timeout.pl "$DB" "$BIG"
