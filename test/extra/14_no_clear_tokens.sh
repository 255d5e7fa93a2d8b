#!/usr/bin/env bash
# test/extra/14_no_clear_tokens.sh: no token in clear anywhere.
#
# An application client (test/hostile/tokens.pl, DBD::Pg with server-side
# prepared statements: tokens are bound parameters) opens sessions, validates
# them, logs half of them out, and makes calls that fail while a token is
# one of their parameters (read-only transaction, aborted transaction,
# statement_timeout, a token pasted into a too-long field).  Then:
#   - no column of any table in authsessions_data holds a token, nor its
#     secret bytes (raw or in hex); what is stored is the SHA-256 of the
#     secret (checked, so that the search is not vacuous);
#   - the server log, at the default logging settings, holds no token,
#     although it holds the errors of the failing calls;
#   - no error message the client received holds a token.
# DBD::Pg comes from Debian (libdbd-pg-perl); as root this script installs it
# when it is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/extra/lib/trust_common.sh
source test/extra/lib/trust_common.sh
# shellcheck source=test/extra/lib/dbd_pg.sh
source test/extra/lib/dbd_pg.sh
dbd_need

APP="trust_tokens_app_$$"
tc_createdb trust_tokens
tc_role "$APP"
tc_psql -c "CREATE EXTENSION authsessions"
tc_grant_readme "" "$APP"

q() { tc_psql -c "$1"; }
expect() { # expect NAME EXPECTED QUERY
	local got
	got=$(q "$3" 2>&1) || true
	if [[ $got == "$2" ]]; then tc_pass "$1"; else tc_fail "$1" "expected $2, got $got"; fi
}

# The logging settings the property is stated for: PostgreSQL's defaults.
defaults=$(q "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings
	WHERE (name, setting) NOT IN (('log_statement', 'none'), ('log_min_duration_statement', '-1'),
		('log_min_duration_sample', '-1'), ('log_transaction_sample_rate', '0'),
		('log_parameter_max_length_on_error', '0'), ('log_duration', 'off'),
		('debug_print_parse', 'off'), ('debug_print_rewritten', 'off'), ('debug_print_plan', 'off'),
		('log_min_error_statement', 'error'), ('auto_explain.log_parameter_max_length', '-1'))
	AND name IN ('log_statement', 'log_min_duration_statement', 'log_min_duration_sample',
		'log_transaction_sample_rate', 'log_parameter_max_length_on_error', 'log_duration',
		'debug_print_parse', 'debug_print_rewritten', 'debug_print_plan', 'log_min_error_statement')")
log=$(tc_server_log)
log_offset=0
if [[ -n $log ]]; then log_offset=$(tc_log_offset "$log"); fi

# The application.
if perl test/hostile/tokens.pl "$TC_DB" "$APP" "$TC_TMP/tokens" "$TC_TMP/errors" >"$TC_TMP/client.out" 2>&1; then
	tc_pass "the DBD::Pg client ran its calls and checks"
else
	tc_fail "the DBD::Pg client ran its calls and checks"
fi
sed 's/^/    /' "$TC_TMP/client.out"
ntokens=$(grep -c . "$TC_TMP/tokens" 2>/dev/null || echo 0)
if ((ntokens != 40)); then
	tc_fail "the client issued 40 tokens" "got $ntokens"
	tc_summary
	exit 1
fi

# 1. Tables.
tc_psql -c "CREATE TABLE tok (token text)" -c "\\copy tok FROM '$TC_TMP/tokens'"
tc_psql -c "ALTER TABLE tok ADD COLUMN secret bytea;
	UPDATE tok SET secret = substr(decode(translate(substr(token, 5), '-_', '+/') || '=', 'base64'), 1, 32)"
expect "the tokens decode to 32-byte secrets" "40" "SELECT count(*) FROM tok WHERE length(secret) = 32"
expect "what is stored is the SHA-256 of each secret" "40" \
	"SELECT count(*) FROM tok JOIN authsessions_data.sessions s ON s.token_hash = sha256(tok.secret)"
for table in $(q "SELECT c.oid::regclass FROM pg_class c WHERE c.relnamespace = 'authsessions_data'::regnamespace AND c.relkind IN ('r', 'p') ORDER BY 1"); do
	expect "no column of $table holds a token, or its secret raw or in hex" "0" \
		"SELECT count(*) FROM $table t, tok
		 WHERE strpos(t::text, tok.token) > 0
		    OR strpos(t::text, encode(tok.secret, 'hex')) > 0
		    OR strpos(t::text, encode(convert_to(tok.token, 'UTF8'), 'hex')) > 0
		    OR strpos(t::text, encode(tok.secret, 'base64')) > 0"
done
# every bytea column, byte for byte
nbytea=0
for col in $(q "SELECT format('%s.%I', a.attrelid::regclass, a.attname) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		WHERE c.relnamespace = 'authsessions_data'::regnamespace AND c.relkind IN ('r', 'p')
		  AND a.attnum > 0 AND NOT a.attisdropped
		  AND coalesce((SELECT t.typbasetype FROM pg_type t WHERE t.oid = a.atttypid AND t.typtype = 'd'),
					   a.atttypid) = 'bytea'::regtype"); do
	nbytea=$((nbytea + 1))
	rel=${col%.*}
	att=${col##*.}
	expect "no bytea value in $col holds a secret or token bytes" "0" \
		"SELECT count(*) FROM $rel t, tok WHERE position(tok.secret IN t.$att::bytea) > 0 OR position(convert_to(tok.token, 'UTF8') IN t.$att::bytea) > 0"
done
# sessions.token_hash (a domain over bytea) at least: a search of nothing
# would pass whatever the tables held
expect "the byte-for-byte search covers sessions.token_hash" "t" "SELECT $nbytea >= 1"

# 2. The server log.
if [[ -n $defaults ]]; then
	echo "SKIP the server log: non-default logging settings: $defaults"
elif [[ -z $log ]]; then
	echo "SKIP the server log: not found (set AUTHSESSIONS_SERVER_LOG)"
else
	tc_log_since "$log" "$log_offset" >"$TC_TMP/server.log"
	for needle in "cannot execute authsessions.end_session() in a read-only transaction" \
		"current transaction is aborted" "canceling statement due to statement timeout" \
		'argument "smartphone" is too long' "err_UserNotFound"; do
		if grep -q -F "$needle" "$TC_TMP/server.log"; then
			tc_pass "the server log holds the failing call: $needle"
		else
			tc_fail "the server log holds the failing call: $needle"
		fi
	done
	# control: the same failing call with the token written into the SQL
	# text (what binding avoids) does put the token in the log, and the
	# search finds it
	control=$(q "SELECT authsessions.upsert_user('00000000-0000-4000-8000-0000000000c0', 'control') IS NOT NULL;
		SELECT authsessions.create_session('00000000-0000-4000-8000-0000000000c0')->>'Token'" | tail -1)
	psql -X -q -d "$TC_DB" -c "BEGIN READ ONLY" -c "SELECT authsessions.end_session('$control')" >/dev/null 2>&1 || true
	tc_log_since "$log" "$log_offset" >"$TC_TMP/server.log"
	if grep -q -F "$control" "$TC_TMP/server.log"; then
		tc_pass "control: a token written into failing SQL text is found in the log"
	else
		tc_fail "control: a token written into failing SQL text is found in the log"
	fi
	leaked=$(grep -c -F -f "$TC_TMP/tokens" "$TC_TMP/server.log" || true)
	if [[ $leaked == 0 ]]; then
		tc_pass "the server log holds no token ($(wc -l <"$TC_TMP/server.log") lines searched)"
	else
		tc_fail "the server log holds no token" "$leaked lines hold one"
		grep -F -f "$TC_TMP/tokens" "$TC_TMP/server.log" | head -5 | cut -c1-200 | sed 's/^/    /'
	fi
fi

# 3. The error messages the client saw.
nerrors=$(grep -c . "$TC_TMP/errors" || true)
leaked=$(grep -c -F -f "$TC_TMP/tokens" "$TC_TMP/errors" || true)
if [[ $nerrors -ge 6 && $leaked == 0 ]]; then
	tc_pass "no error message holds a token ($nerrors errors)"
else
	tc_fail "no error message holds a token" "$nerrors errors, $leaked with a token"
	sed 's/^/    /' "$TC_TMP/errors"
fi

tc_summary
