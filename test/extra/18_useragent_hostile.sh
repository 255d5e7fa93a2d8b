#!/usr/bin/env bash
# test/extra/18_useragent_hostile.sh: the User-Agent matcher (parse_user_agent,
# create_session's derived fields) on input a client controls, beyond the
# regress test's 1 kB agents of repeated patterns (sql/useragent.sql).
#
# Passes when
#   - in a SQL_ASCII database, an agent that is not valid UTF-8 is the unknown
#     agent ("-", "Other- v. ", "Other- v. "), in parse_user_agent and in
#     what create_session stores, and a valid UTF-8 one parses as in UTF8;
#   - in a LATIN1 database an agent is converted to UTF-8 for the rules and
#     its fields back: the same answer as in UTF8, accented letters included;
#   - a NUL cannot reach the function: text refuses it before the call
#     (22021, from E'\x00' and from convert_from of a bytea), in SQL_ASCII too;
#   - a long loop of parses ends with 57014 on statement_timeout and on
#     pg_cancel_backend, and the same backend then answers correctly; a
#     cancel that may land during the first compile of the rules leaves a
#     backend that compiles them again and answers correctly;
#   - the server did not restart.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/extra/lib/trust_common.sh
source test/extra/lib/trust_common.sh

tc_createdb trust_ua
ASCII_DB="${TC_DB}_sql_ascii"
LATIN1_DB="${TC_DB}_latin1"
drop_dbs() {
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$ASCII_DB\"" \
		-c "DROP DATABASE IF EXISTS \"$LATIN1_DB\"" >/dev/null 2>&1 || true
	_tc_cleanup
}
trap drop_dbs EXIT
psql -X -q -v ON_ERROR_STOP=1 -d postgres \
	-c "CREATE DATABASE \"$ASCII_DB\" ENCODING 'SQL_ASCII' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'" \
	-c "CREATE DATABASE \"$LATIN1_DB\" ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'" >/dev/null
for db in "$TC_DB" "$ASCII_DB" "$LATIN1_DB"; do
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "CREATE EXTENSION authsessions" \
		-c "SELECT authsessions.upsert_user('00000000-0000-4000-8000-0000000000a1', 'u')" >/dev/null
done
started=$(tc_psql -c "SELECT pg_postmaster_start_time()")
# psql in DB, the client speaking UTF-8 (converted to LATIN1 where it is)
q() {
	local db=$1
	shift
	PGCLIENTENCODING=UTF8 psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"
}

UNKNOWN='{"Smartphone": "-", "Application": "Other- v. ", "OperatingSystem": "Other- v. "}'
IPHONE='Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1'
IPHONE_FIELDS='{"Smartphone": "Apple iPhone", "Application": "Mobile Safari- v. 17.1", "OperatingSystem": "iOS- v. 17.1"}'
ACCENTED='Mozilla/5.0 (Linux; Android 10; Téléphone) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/85.0.4183.101 Mobile Safari/537.36'
ACCENTED_FIELDS='{"Smartphone": "Generic_Android Téléphone", "Application": "Chrome Mobile- v. 85.0.4183", "OperatingSystem": "Android- v. 10"}'

# 1. SQL_ASCII: bytes of no known encoding.
tc_check "SQL_ASCII: invalid UTF-8 (0xff 0xfe) is the unknown agent" eq \
	"$(q "$ASCII_DB" -c "SELECT authsessions.parse_user_agent(E'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) \\xff\\xfe Safari/604.1')")" \
	"$UNKNOWN"
tc_check "SQL_ASCII: a truncated UTF-8 sequence (0xc3) is the unknown agent" eq \
	"$(q "$ASCII_DB" -c "SELECT authsessions.parse_user_agent(E'$IPHONE \\xc3')")" "$UNKNOWN"
tc_check "SQL_ASCII: an encoded surrogate (0xed 0xa0 0x80) is the unknown agent" eq \
	"$(q "$ASCII_DB" -c "SELECT authsessions.parse_user_agent(E'$IPHONE \\xed\\xa0\\x80')")" "$UNKNOWN"
tc_check "SQL_ASCII: create_session stores the unknown agent's fields for invalid UTF-8" eq \
	"$(q "$ASCII_DB" -c "SELECT authsessions.create_session('00000000-0000-4000-8000-0000000000a1', user_agent => E'$IPHONE \\xff') IS NOT NULL" \
		-c "SELECT format('%s|%s|%s', smartphone, operating_system, application) FROM authsessions_data.sessions")" \
	"t
-|Other- v. |Other- v. "
tc_check "SQL_ASCII: a valid UTF-8 agent parses as in UTF8" eq \
	"$(q "$ASCII_DB" -c "SELECT authsessions.parse_user_agent('$IPHONE')")" "$IPHONE_FIELDS"
tc_check "SQL_ASCII: accented UTF-8 bytes parse as in UTF8" eq \
	"$(q "$ASCII_DB" -c "SELECT authsessions.parse_user_agent('$ACCENTED')")" "$ACCENTED_FIELDS"

# 2. LATIN1: converted to UTF-8 for the rules, the fields converted back.
tc_check "UTF8: the accented agent" eq \
	"$(q "$TC_DB" -c "SELECT authsessions.parse_user_agent('$ACCENTED')")" "$ACCENTED_FIELDS"
tc_check "LATIN1: the accented agent gives UTF8's answer" eq \
	"$(q "$LATIN1_DB" -c "SELECT authsessions.parse_user_agent('$ACCENTED')")" "$ACCENTED_FIELDS"
tc_check "LATIN1: create_session stores the accented fields" eq \
	"$(q "$LATIN1_DB" -c "SELECT authsessions.create_session('00000000-0000-4000-8000-0000000000a1', user_agent => '$ACCENTED') IS NOT NULL" \
		-c "SELECT smartphone FROM authsessions_data.sessions")" \
	"t
Generic_Android Téléphone"

# 3. NUL: text cannot hold one, so it never reaches the matcher.
for db in "$TC_DB" "$ASCII_DB"; do
	out=$(q "$db" -v ON_ERROR_STOP=0 -v VERBOSITY=sqlstate 2>&1 <<-'SQL'
		SELECT authsessions.parse_user_agent(E'Mozilla/5.0\x00 (iPhone)');
		SELECT authsessions.parse_user_agent(convert_from('\x4d6f7a696c6c6100'::bytea, 'UTF8'));
		SELECT authsessions.parse_user_agent(convert_from('\x4d6f7a696c6c6100'::bytea, 'SQL_ASCII'));
		SELECT authsessions.parse_user_agent('Mozilla') IS NOT NULL;
	SQL
	)
	tc_check "$db: a NUL is refused before the call (22021 three times), the backend goes on" eq \
		"$(tr '\n' ' ' <<<"$out")" "ERROR:  22021 ERROR:  22021 ERROR:  22021 t "
done

# 4. Cancels.  A loop of uncached parses (parse_user_agent_raw) is long.
LOOP="SELECT count(authsessions.parse_user_agent_raw('Mozilla/5.0 (Linux; Android 10; ' || i || ')')) FROM generate_series(1, 100000000) i"
out=$(q "$TC_DB" -v ON_ERROR_STOP=0 -v VERBOSITY=sqlstate 2>&1 <<-SQL
	SET statement_timeout = '300ms';
	$LOOP;
	RESET statement_timeout;
	SELECT authsessions.parse_user_agent('$IPHONE');
	SELECT authsessions.parse_user_agent_raw('$IPHONE');
SQL
)
tc_check "statement_timeout during a loop of parses: 57014, then the backend answers" eq "$out" \
	"ERROR:  57014
$IPHONE_FIELDS
{\"Mobile Safari\",17,1,NULL,iOS,17,1,NULL,NULL,iPhone,Apple,iPhone}"

app="authsessions_ua_cancel_$$"
PGAPPNAME=$app q "$TC_DB" -v ON_ERROR_STOP=0 -v VERBOSITY=sqlstate >"$TC_TMP/cancel.out" 2>&1 <<-SQL &
	$LOOP;
	SELECT authsessions.parse_user_agent('$IPHONE');
SQL
loop_pid=$!
cancelled=f
for _ in $(seq 1 200); do
	cancelled=$(tc_psql -c "SELECT coalesce(bool_or(pg_cancel_backend(pid)), false) FROM pg_stat_activity
		WHERE application_name = '$app' AND state = 'active' AND query LIKE '%generate_series%'")
	[[ $cancelled == t ]] && break
	sleep 0.05
done
wait "$loop_pid" || true
tc_check "pg_cancel_backend found the loop" eq "$cancelled" t
tc_check "pg_cancel_backend during a loop of parses: 57014, then the backend answers" eq \
	"$(cat "$TC_TMP/cancel.out")" "ERROR:  57014
$IPHONE_FIELDS"

# A first call under a 1 ms timeout may be cancelled while it compiles the
# rules (or before, or not at all): either way the next call compiles them
# whole.  Run a few fresh backends.
ok=0
for _ in 1 2 3 4 5; do
	out=$(q "$TC_DB" -v ON_ERROR_STOP=0 -v VERBOSITY=sqlstate 2>&1 <<-SQL
		SET statement_timeout = '1ms';
		SELECT authsessions.parse_user_agent_raw('$ACCENTED') IS NOT NULL;
		RESET statement_timeout;
		SELECT authsessions.parse_user_agent_raw('$IPHONE');
		SELECT authsessions.parse_user_agent('$ACCENTED');
	SQL
	)
	out=${out#ERROR:  57014$'\n'}
	out=${out#t$'\n'}
	[[ $out == "{\"Mobile Safari\",17,1,NULL,iOS,17,1,NULL,NULL,iPhone,Apple,iPhone}
$ACCENTED_FIELDS" ]] && ok=$((ok + 1))
done
tc_check "a cancel around the first compile: the next calls answer correctly (5 backends)" eq "$ok" 5

tc_check "the server did not restart" eq "$(tc_psql -c "SELECT pg_postmaster_start_time()")" "$started"
tc_summary
