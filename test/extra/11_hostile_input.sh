#!/usr/bin/env bash
# test/extra/11_hostile_input.sh: the generated battery of hostile and broken
# calls (test/hostile/battery.sql) against every authsessions function.
#
# Passes when
#   - every call gave the outcome the documentation promises (its SQLSTATE,
#     and its result where one is fixed);
#   - every SQLSTATE is one the function documents (22004, 22023, 22001,
#     PT404, 25006 where they apply), or a cast error of the caller's own
#     arguments (22P02, 22007); none is XX000, 54000 or any other class;
#   - the server survived: the battery's connection was never lost, the
#     postmaster did not restart, and its log shows no backend terminated by
#     a signal or an exit code, no PANIC, no failed assertion, no leak warning;
#   - accepted text (user names, device fields, user agent) comes back byte for
#     byte through validate, user_sessions, list and the table.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/extra/lib/trust_common.sh
source test/extra/lib/trust_common.sh

tc_createdb trust_hostile
tc_psql -c "CREATE EXTENSION authsessions"

log=$(tc_server_log)
log_offset=0
if [[ -n $log ]]; then
	log_offset=$(tc_log_offset "$log")
	echo "server log: $log"
else
	echo "server log: not found (set AUTHSESSIONS_SERVER_LOG to check it)"
fi
started=$(tc_psql -c "SELECT pg_postmaster_start_time()")

# A sentinel connection idles through the battery: a backend that crashes
# makes the postmaster end every other backend too (and restart them without
# changing pg_postmaster_start_time), so the sentinel must still be there.
sentinel="trust_sentinel_$$"
PGAPPNAME=$sentinel psql -X -q -d "$TC_DB" -c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
sentinel_pid=$!
for _ in $(seq 1 100); do
	[[ $(tc_psql -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$sentinel'") == 1 ]] && break
	sleep 0.05
done
sentinel_backend=$(tc_psql -c "SELECT pid FROM pg_stat_activity WHERE application_name = '$sentinel'")

# 1. The battery, in one connection: a backend crash would cut it.
battery_status=0
t0=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 -d "$TC_DB" -f test/hostile/battery.sql \
	-o /dev/null >"$TC_TMP/battery.out" 2>&1 || battery_status=$?
echo "battery: $(($(date +%s) - t0)) s"
if ((battery_status == 0)); then
	tc_pass "the battery ran to the end in one connection"
else
	tc_fail "the battery ran to the end in one connection" "psql exit $battery_status"
	tail -20 "$TC_TMP/battery.out"
fi

q() { tc_psql -c "$1"; }
expect() { # expect NAME EXPECTED QUERY [DETAIL_QUERY]
	local got
	got=$(q "$3" 2>&1) || true
	if [[ $got == "$2" ]]; then
		tc_pass "$1"
	else
		tc_fail "$1" "expected $2, got $got"
		if [[ -n ${4:-} ]]; then q "$4" | head -40 | sed 's/^/    /'; fi
	fi
}

if ((battery_status == 0)); then
	total=$(q "SELECT count(*) FROM hb_cases")
	echo "cases: $total"
	expect "every case ran" "0" "SELECT count(*) FROM hb_cases WHERE sqlstate IS NULL"
	expect "the battery has at least 1500 cases" "t" "SELECT count(*) >= 1500 FROM hb_cases"

	# 2. Each function: the documented outcome for every call.
	for fn in list user_sessions ended_sessions revoke revoke_user upsert_user delete_user create_session validate check_token issue_jwt parse_user_agent end_session purge; do
		n=$(q "SELECT count(*) FROM hb_cases WHERE fn = '$fn'")
		expect "$fn: every call ($n) gave its documented SQLSTATE and result" "0" \
			"SELECT count(*) FROM hb_cases WHERE fn = '$fn' AND (sqlstate IS DISTINCT FROM expected
			   OR (expect_result IS NOT NULL AND sqlstate = '00000' AND result IS DISTINCT FROM expect_result))" \
			"SELECT format('%s | %s | expected %s%s, got %s %s%s', id, label, expected,
			     coalesce(' ' || left(expect_result, 40), ''), sqlstate, coalesce(left(message, 120), ''),
			     coalesce(' result ' || left(result, 80), ''))
			 FROM hb_cases WHERE fn = '$fn' AND (sqlstate IS DISTINCT FROM expected
			   OR (expect_result IS NOT NULL AND sqlstate = '00000' AND result IS DISTINCT FROM expect_result))
			 ORDER BY id"
	done

	# 3. Only documented SQLSTATEs, never an internal error.
	expect "no call raised XX000, 54000 or any other internal or resource error" "0" \
		"SELECT count(*) FROM hb_cases WHERE sqlstate = '54000' OR left(sqlstate, 2) IN ('XX', '53', '54', '55', '57', '58', 'F0', 'P0')" \
		"SELECT format('%s | %s.%s | %s %s', id, fn, label, sqlstate, message) FROM hb_cases
		 WHERE sqlstate = '54000' OR left(sqlstate, 2) IN ('XX', '53', '54', '55', '57', '58', 'F0', 'P0') ORDER BY id"
	expect "every SQLSTATE is documented for its function (or the caller's own cast error)" "0" \
		"SELECT count(*) FROM hb_cases c WHERE NOT EXISTS (SELECT FROM hb_documented d WHERE d.fn = c.fn AND d.sqlstate = c.sqlstate)
		   AND NOT (c.caller_side AND c.sqlstate IN ('22P02', '22007'))" \
		"SELECT format('%s | %s.%s | %s %s', id, fn, label, sqlstate, message) FROM hb_cases c
		 WHERE NOT EXISTS (SELECT FROM hb_documented d WHERE d.fn = c.fn AND d.sqlstate = c.sqlstate)
		   AND NOT (c.caller_side AND c.sqlstate IN ('22P02', '22007')) ORDER BY id"
	expect "every error names the argument or the rule it broke (no empty message)" "0" \
		"SELECT count(*) FROM hb_cases WHERE sqlstate <> '00000' AND coalesce(message, '') = ''"

	# 4. Byte for byte.
	rt=$(q "SELECT count(*) FROM hb_roundtrip")
	echo "round trip: $rt accepted texts"
	expect "round trip: every accepted text got a session" "0" \
		"SELECT count(*) FROM hb_roundtrip WHERE NOT coalesce(session ? 'Token', false)"
	same() { # same JSON_COLUMN KEY: rows where the value differs from v, byte for byte
		echo "SELECT count(*) FROM hb_roundtrip WHERE convert_to($1->>'$2', 'UTF8') IS DISTINCT FROM convert_to(v, 'UTF8')"
	}
	for key in UserName Smartphone OperatingSystem Application; do
		expect "round trip: $key through validate" "0" "$(same via_validate "$key")" \
			"SELECT k FROM hb_roundtrip WHERE via_validate->>'$key' IS DISTINCT FROM v"
		expect "round trip: $key through user_sessions" "0" "$(same via_user_sessions "$key")" \
			"SELECT k FROM hb_roundtrip WHERE via_user_sessions->>'$key' IS DISTINCT FROM v"
	done
	expect "round trip: UserName through list" "0" "$(same via_list UserName)" \
		"SELECT k FROM hb_roundtrip WHERE via_list->>'UserName' IS DISTINCT FROM v"
	expect "round trip: user_agent stored byte for byte" "0" \
		"SELECT count(*) FROM hb_roundtrip WHERE convert_to(stored_ua, 'UTF8') IS DISTINCT FROM convert_to(ua, 'UTF8')"
	expect "round trip: the names stored byte for byte" "0" \
		"SELECT count(*) FROM hb_roundtrip r JOIN authsessions_data.users u ON u.guid = r.guid
		 WHERE convert_to(u.name, 'UTF8') IS DISTINCT FROM convert_to(r.v, 'UTF8')"
fi

# 5. The server survived.
expect "the postmaster did not restart" "$started" "SELECT pg_postmaster_start_time()"
if kill -0 "$sentinel_pid" 2>/dev/null &&
	[[ -n $sentinel_backend && $(tc_psql -c "SELECT pid FROM pg_stat_activity WHERE application_name = '$sentinel'") == "$sentinel_backend" ]]; then
	tc_pass "a sentinel connection survived the battery (no crash reset every backend)"
else
	tc_fail "a sentinel connection survived the battery (no crash reset every backend)"
fi
tc_psql -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = '$sentinel'" >/dev/null || true
wait "$sentinel_pid" 2>/dev/null || true
if [[ -n $log ]]; then
	tc_log_since "$log" "$log_offset" >"$TC_TMP/server.log"
	bad=$(grep -E -i 'terminated by signal|terminated by exception|exited with exit code|was terminated|PANIC|TRAP:|server process .* (crashed|exited)|all server processes terminated|terminating any other active server processes|leak|still referenced|not closed' "$TC_TMP/server.log" || true)
	if [[ -z $bad ]]; then
		tc_pass "the server log shows no backend terminated by a signal, no PANIC, no assertion, no leak"
	else
		tc_fail "the server log shows no backend terminated by a signal, no PANIC, no assertion, no leak"
		echo "$bad" | head -20 | sed 's/^/    /'
	fi
	internal=$(grep -E 'ERROR: +(authsessions: |unexpected |cache lookup failed|unrecognized|could not find)' "$TC_TMP/server.log" || true)
	if [[ -z $internal ]]; then
		tc_pass "the server log shows no internal error"
	else
		tc_fail "the server log shows no internal error"
		echo "$internal" | head -20 | sed 's/^/    /'
	fi
fi

tc_summary
