#!/usr/bin/env bash
# test/extra/13_search_path_attack.sh: the search_path attack, for real.
#
# An attacker with USAGE on authsessions and EXECUTE on every function owns a
# schema "evil" of look-alikes (test/hostile/evil_schema.sql): operators (= on
# bigint, uuid, bytea, text, ... and the rest), functions (now, sha256,
# count, jsonb_build_object, ...) and types, each of which records who runs
# it (current_user) in evil.log and raises a WARNING.  The attacker puts evil
# first (pg_catalog explicitly after it) and calls every function, in rounds
# that execute every statement of the extension (list with and without a
# cursor and with Prefer: count=exact, user_sessions, revoke, upsert_user,
# create_session for an unlisted user and, with
# authsessions.max_sessions_per_user = 2 set for the attacker, at the cap
# (evicting the least recently used session), validate with a touch,
# end_session, purge deleting, moving hints and unlisting, repair_summary
# rewriting a wrong summary, delete_user), through these caller paths:
#   direct        SET search_path = evil, pg_catalog, public; plain calls, in
#                 a fresh session (plans prepared under attack), again after
#                 DISCARD PLANS and after DISCARD ALL (kept plans re-analysed);
#   postgrest     each call in its own transaction after
#                 set_config('search_path', '"evil", "pg_catalog",
#                 "authsessions"', true) and the JWT claims, as PostgREST does;
#                 and with '"evil", "authsessions"' (pg_catalog implicit);
#   wrapper       a plpgsql function owned by the attacker, SET search_path =
#                 evil, pg_catalog, making the same calls;
#   victims       the admin and the application roles of the README calling
#                 their functions with evil first in their search_path
#                 (repair_summary is granted to neither, nor to PUBLIC).
# Passes when no look-alike ran as any role but the attacker (in fact none
# ran at all inside the functions), every result is still right, and two
# controls show the detection works: the attacker's own casts and operators
# do run evil code (as the attacker), and a deliberately vulnerable SECURITY
# DEFINER function without a pinned search_path runs it as its owner.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/extra/lib/trust_common.sh
source test/extra/lib/trust_common.sh

ATTACKER="trust_attacker_$$"
ADMIN="trust_sp_admin_$$"
APP="trust_sp_app_$$"
OWNER=$(psql -X -At -d postgres -c "SELECT current_user")

tc_createdb trust_search_path
tc_role "$ATTACKER"
tc_role "$ADMIN"
tc_role "$APP"

ROUNDS=(direct1 direct2 direct3 pgrst1 pgrst2 wrapper victim)

tc_psql -v attacker="$ATTACKER" -v admin="$ADMIN" -v app="$APP" -v db="$TC_DB" <<'SQL'
CREATE EXTENSION authsessions;
GRANT USAGE ON SCHEMA authsessions TO :"attacker", :"admin", :"app";
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA authsessions TO :"attacker";
GRANT EXECUTE ON FUNCTION authsessions.list(integer, integer, uuid),
	authsessions.user_sessions(uuid, integer, integer),
	authsessions.revoke(bigint) TO :"admin";
GRANT EXECUTE ON FUNCTION authsessions.upsert_user(uuid, text, boolean),
	authsessions.delete_user(uuid),
	authsessions.create_session(uuid, text, text, text, interval, text, inet, interval),
	authsessions.validate(text), authsessions.end_session(text),
	authsessions.purge(interval, integer) TO :"app";
CREATE SCHEMA evil AUTHORIZATION :"attacker";
-- the session cap, for the attacker's calls only (a superuser's setting)
ALTER ROLE :"attacker" IN DATABASE :"db" SET authsessions.max_sessions_per_user = 2;

-- Per round a user "broken" with one active session whose summary also
-- holds an expiry a year ahead, as a hand edit would leave it: list counts
-- two, purge does not touch it (not an unlist candidate), and the round's
-- repair_summary rewrites it.
CREATE TABLE broken (round text, guid uuid);
INSERT INTO broken
SELECT r, gen_random_uuid()
FROM unnest(ARRAY['direct1', 'direct2', 'direct3', 'pgrst1', 'pgrst2', 'wrapper']) r;
SELECT count(authsessions.upsert_user(guid, 'broken ' || round)),
	count(authsessions.create_session(guid, 'broken')) FROM broken \g /dev/null
UPDATE authsessions_data.users u SET session_expiries = session_expiries || (now() + interval '1 year')
FROM broken b WHERE b.guid = u.guid;

-- Fixture: user "fixture" with, per round, a session last validated an hour
-- ago (validate touches it), one that ended ten days ago (purge deletes it)
-- and one alive whose purge hint lies eleven days back (purge moves the
-- hint).  Each round's purge('0 seconds', 1) moves one hint, then deletes one
-- ended session.
SELECT authsessions.upsert_user('00000000-0000-4000-8000-0000000000f1', 'fixture') \g /dev/null
CREATE TABLE fx (round text, k text, id bigint, token text);
INSERT INTO fx
SELECT r, k, (j->>'ID')::bigint, j->>'Token'
FROM unnest(ARRAY['direct1', 'direct2', 'direct3', 'pgrst1', 'pgrst2', 'wrapper', 'victim']) r,
	unnest(ARRAY['touch', 'dead', 'oldhint']) k,
	LATERAL authsessions.create_session('00000000-0000-4000-8000-0000000000f1', r || ' ' || k) j;
UPDATE authsessions_data.sessions s SET last_updated = now() - interval '1 hour',
	created_at = now() - interval '1 hour'
FROM fx WHERE fx.id = s.id AND fx.k = 'touch';
UPDATE authsessions_data.sessions s SET created_at = now() - interval '12 days',
	last_updated = now() - interval '12 days', expires_at = now() - interval '10 days',
	purge_hint = now() - interval '10 days'
FROM fx WHERE fx.id = s.id AND fx.k = 'dead';
UPDATE authsessions_data.sessions s SET created_at = now() - interval '12 days',
	purge_hint = now() - interval '11 days'	-- first in purge's order
FROM fx WHERE fx.id = s.id AND fx.k = 'oldhint';

-- Control: a SECURITY DEFINER function WITHOUT a pinned search_path, owned
-- by the superuser.  The attack must succeed against it (it proves the
-- detection works); authsessions' functions must not be like it.
CREATE FUNCTION public.trust_vulnerable(sid bigint) RETURNS bigint
LANGUAGE sql SECURITY DEFINER
AS 'SELECT count(*) FROM authsessions_data.sessions WHERE id = sid AND last_updated < now()';
REVOKE ALL ON FUNCTION public.trust_vulnerable(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.trust_vulnerable(bigint) TO :"attacker";
SQL

# The attacker builds the look-alikes, and a table for the results.
psql -X -q -v ON_ERROR_STOP=1 -U "$ATTACKER" -d "$TC_DB" -f test/hostile/evil_schema.sql >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -U "$ATTACKER" -d "$TC_DB" >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE TABLE evil.results (
	round pg_catalog.text, step pg_catalog.text, result pg_catalog.text,
	at pg_catalog.timestamptz DEFAULT pg_catalog.clock_timestamp());
GRANT INSERT ON evil.results TO PUBLIC;
SQL

fx() { tc_psql -c "SELECT token FROM fx WHERE round = '$1' AND k = '$2'"; }
fxid() { tc_psql -c "SELECT id FROM fx WHERE round = '$1' AND k = '$2'"; }
bguid() { tc_psql -c "SELECT guid FROM broken WHERE round = '$1'"; }

# One round of calls, as psql input.  Caller expressions resolve no names
# through the search_path (untyped literals, qualified functions, no
# operators), so any look-alike that runs, runs inside authsessions.
# MODE: direct (plain statements) or pgrst:PATH (each call in a transaction
# that sets search_path to PATH, and the claims, like PostgREST).
round_sql() { # round_sql ROUND GUID MODE
	local r=$1 g=$2 mode=$3 touch bg
	touch=$(fx "$r" touch)
	bg=$(bguid "$r")
	call() { # call STEP SQL-SELECTING-ONE-VALUE-x [PSQL-LINE-AFTER]
		local body="INSERT INTO evil.results (round, step, result) SELECT '$r', '$1', x FROM $2 x;"
		if [[ -n ${3:-} ]]; then body+=$'\n'$3; fi
		if [[ $mode == pgrst:* ]]; then
			printf "BEGIN;\nSELECT pg_catalog.set_config('search_path', '%s', true), pg_catalog.set_config('request.jwt.claims', '{\"sub\": \"mallory-%s\", \"role\": \"%s\"}', true), pg_catalog.set_config('request.headers', '{\"prefer\": \"count=exact\"}', true) \\g /dev/null\n%s\nCOMMIT;\n" \
				"${mode#pgrst:}" "$r" "$ATTACKER" "$body"
		else
			printf '%s\n' "$body"
		fi
	}
	call upsert_user "authsessions.upsert_user('$g', 'mallory $r', true)"
	call create_session_1 "authsessions.create_session('$g', 'phone $r', 'os $r', 'app $r', '1 hour', 'ua $r', '10.0.0.1')"
	call create_session_2 "authsessions.create_session('$g')"
	printf "SELECT r.\"ID\" AS i1, r.\"Token\" AS t1 FROM evil.results e, pg_catalog.jsonb_to_record(e.result::pg_catalog.jsonb) AS r(\"ID\" pg_catalog.int8, \"Token\" pg_catalog.text) WHERE e.round OPERATOR(pg_catalog.=) '%s' AND e.step OPERATOR(pg_catalog.=) 'create_session_1' \\\\gset\n" "$r"
	printf "SELECT r.\"ID\" AS i2, r.\"Token\" AS t2 FROM evil.results e, pg_catalog.jsonb_to_record(e.result::pg_catalog.jsonb) AS r(\"ID\" pg_catalog.int8, \"Token\" pg_catalog.text) WHERE e.round OPERATOR(pg_catalog.=) '%s' AND e.step OPERATOR(pg_catalog.=) 'create_session_2' \\\\gset\n" "$r"
	call validate_touch "authsessions.validate('$touch')"
	call validate_new "authsessions.validate(:'t1')"
	if [[ $mode == direct ]]; then
		echo "SELECT pg_catalog.set_config('request.headers', '{\"prefer\": \"count=exact\"}', false) \\g /dev/null"
	fi
	call list "authsessions.list()"
	call list_after "authsessions.list(after => '$g')"
	call list_page "authsessions.list(2, 1)"
	call user_sessions "authsessions.user_sessions('$g')"
	if [[ $mode == direct ]]; then
		echo "SELECT pg_catalog.set_config('request.headers', '', false) \\g /dev/null"
	fi
	call revoke "authsessions.revoke(:i1)"
	call revoke_again "authsessions.revoke(:i1)" "\\echo RESULT $r revoke_again :SQLSTATE"
	call end_session "authsessions.end_session(:'t2')"
	call end_session_again "authsessions.end_session(:'t2')"
	call purge "authsessions.purge('0 seconds', 1)"
	call repair_summary "authsessions.repair_summary('$bg')"
	call repair_summary_again "authsessions.repair_summary('$bg')"
	# the cap (2): two logins, then a third evicts the older of the two
	call create_session_3 "authsessions.create_session('$g')"
	call create_session_4 "authsessions.create_session('$g')"
	call create_session_5 "authsessions.create_session('$g')"
	call user_sessions_capped "authsessions.user_sessions('$g')"
	call delete_user "authsessions.delete_user('$g')"
}

guid() { tc_psql -c "SELECT gen_random_uuid()"; }
declare -A GUID
for r in "${ROUNDS[@]}"; do GUID[$r]=$(guid); done

attack() { # attack ROLE LABEL < sql   (stdout/stderr kept for the checks)
	psql -X -q -At -U "$1" -d "$TC_DB" -v ON_ERROR_STOP=0 >>"$TC_TMP/out.$2" 2>>"$TC_TMP/err.$2"
}

# direct: a fresh session under attack, then DISCARD PLANS, then DISCARD ALL
{
	echo "SET search_path = evil, pg_catalog, public;"
	round_sql direct1 "${GUID[direct1]}" direct
	echo "DISCARD PLANS;"
	round_sql direct2 "${GUID[direct2]}" direct
	echo "DISCARD ALL;"
	echo "SET search_path = evil, pg_catalog, public;"
	round_sql direct3 "${GUID[direct3]}" direct
} | attack "$ATTACKER" direct

# postgrest: search_path set per transaction
{
	round_sql pgrst1 "${GUID[pgrst1]}" 'pgrst:"evil", "pg_catalog", "authsessions"'
	round_sql pgrst2 "${GUID[pgrst2]}" 'pgrst:"evil", "authsessions"'
} | attack "$ATTACKER" pgrst

# wrapper: a plpgsql function owned by the attacker, with evil pinned first
attack "$ATTACKER" wrapper <<EOF
CREATE FUNCTION evil.wrapper_round(r pg_catalog.text, g pg_catalog.uuid, touch pg_catalog.text, bg pg_catalog.uuid)
RETURNS void LANGUAGE plpgsql
SET search_path = evil, pg_catalog
AS \$\$
DECLARE
	j pg_catalog.jsonb;
	i1 pg_catalog.int8;
	t2 pg_catalog.text;
	t1 pg_catalog.text;
BEGIN
	INSERT INTO evil.results (round, step, result) SELECT r, 'upsert_user', x FROM authsessions.upsert_user(g, 'mallory ' OPERATOR(pg_catalog.||) r, true) x;
	INSERT INTO evil.results (round, step, result) SELECT r, 'create_session_1', x
		FROM authsessions.create_session(g, 'phone ' OPERATOR(pg_catalog.||) r, 'os ' OPERATOR(pg_catalog.||) r,
			'app ' OPERATOR(pg_catalog.||) r, '1 hour', 'ua ' OPERATOR(pg_catalog.||) r, '10.0.0.1') x
		RETURNING result INTO j;
	SELECT c."ID", c."Token" INTO i1, t1 FROM pg_catalog.jsonb_to_record(j) AS c("ID" pg_catalog.int8, "Token" pg_catalog.text);
	INSERT INTO evil.results (round, step, result) SELECT r, 'create_session_2', x FROM authsessions.create_session(g) x
		RETURNING result INTO j;
	SELECT c."Token" INTO t2 FROM pg_catalog.jsonb_to_record(j) AS c("Token" pg_catalog.text);
	INSERT INTO evil.results (round, step, result) SELECT r, 'validate_touch', x FROM authsessions.validate(touch) x;
	INSERT INTO evil.results (round, step, result) SELECT r, 'validate_new', x FROM authsessions.validate(t1) x;
	PERFORM pg_catalog.set_config('request.headers', '{"prefer": "count=exact"}', true);
	INSERT INTO evil.results (round, step, result) SELECT r, 'list', x FROM authsessions.list() x;
	INSERT INTO evil.results (round, step, result) SELECT r, 'list_after', x FROM authsessions.list(after => g) x;
	INSERT INTO evil.results (round, step, result) SELECT r, 'list_page', x FROM authsessions.list(2, 1) x;
	INSERT INTO evil.results (round, step, result) SELECT r, 'user_sessions', x FROM authsessions.user_sessions(g) x;
	INSERT INTO evil.results (round, step, result) SELECT r, 'revoke', x FROM authsessions.revoke(i1) x;
	BEGIN
		INSERT INTO evil.results (round, step, result) SELECT r, 'revoke_again', x FROM authsessions.revoke(i1) x;
	EXCEPTION WHEN SQLSTATE 'PT404' THEN
		RAISE NOTICE 'RESULT % revoke_again PT404', r;
	END;
	INSERT INTO evil.results (round, step, result) SELECT r, 'end_session', x FROM authsessions.end_session(t2) x;
	INSERT INTO evil.results (round, step, result) SELECT r, 'end_session_again', x FROM authsessions.end_session(t2) x;
	INSERT INTO evil.results (round, step, result) SELECT r, 'purge', x FROM authsessions.purge('0 seconds', 1) x;
	INSERT INTO evil.results (round, step, result) SELECT r, 'repair_summary', x FROM authsessions.repair_summary(bg) x;
	INSERT INTO evil.results (round, step, result) SELECT r, 'repair_summary_again', x FROM authsessions.repair_summary(bg) x;
	INSERT INTO evil.results (round, step, result) SELECT r, 'create_session_3', x FROM authsessions.create_session(g) x;
	INSERT INTO evil.results (round, step, result) SELECT r, 'create_session_4', x FROM authsessions.create_session(g) x;
	INSERT INTO evil.results (round, step, result) SELECT r, 'create_session_5', x FROM authsessions.create_session(g) x;
	INSERT INTO evil.results (round, step, result) SELECT r, 'user_sessions_capped', x FROM authsessions.user_sessions(g) x;
	INSERT INTO evil.results (round, step, result) SELECT r, 'delete_user', x FROM authsessions.delete_user(g) x;
END
\$\$;
SET client_min_messages = notice;
SELECT evil.wrapper_round('wrapper', '${GUID[wrapper]}', '$(fx wrapper touch)', '$(bguid wrapper)');
EOF

# victims: the README's roles, with evil first in their search_path
{
	echo "SET search_path = evil, pg_catalog, public;"
	echo "INSERT INTO evil.results (round, step, result) SELECT 'victim', 'upsert_user', x FROM authsessions.upsert_user('${GUID[victim]}', 'mallory victim', true) x;"
	echo "INSERT INTO evil.results (round, step, result) SELECT 'victim', 'create_session_1', x FROM authsessions.create_session('${GUID[victim]}', 'phone victim', 'os victim', 'app victim', '1 hour', 'ua', '10.0.0.1') x;"
	echo "INSERT INTO evil.results (round, step, result) SELECT 'victim', 'create_session_2', x FROM authsessions.create_session('${GUID[victim]}') x;"
	echo "INSERT INTO evil.results (round, step, result) SELECT 'victim', 'validate_touch', x FROM authsessions.validate('$(fx victim touch)') x;"
	echo "INSERT INTO evil.results (round, step, result) SELECT 'victim', 'purge', x FROM authsessions.purge('0 seconds', 1) x;"
} | attack "$APP" victim_app
{
	echo "SET search_path = evil, pg_catalog, public;"
	echo "SELECT pg_catalog.set_config('request.headers', '{\"prefer\": \"count=exact\"}', false) \\g /dev/null"
	echo "INSERT INTO evil.results (round, step, result) SELECT 'victim', 'list', x FROM authsessions.list() x;"
	echo "INSERT INTO evil.results (round, step, result) SELECT 'victim', 'list_after', x FROM authsessions.list(after => '${GUID[victim]}') x;"
	echo "INSERT INTO evil.results (round, step, result) SELECT 'victim', 'user_sessions', x FROM authsessions.user_sessions('${GUID[victim]}') x;"
	echo "INSERT INTO evil.results (round, step, result) SELECT 'victim', 'revoke', x FROM authsessions.revoke($(fxid victim oldhint)) x;"
} | attack "$ADMIN" victim_admin

# Controls: the attacker's own casts and operators (phase "caller"), and the
# vulnerable function (phase "control").
attack "$ATTACKER" control <<EOF
SET search_path = evil, pg_catalog, public;
SET evil.phase = 'caller';
SELECT authsessions.validate('$(fx direct1 touch)'::text) ->> 'UserName' = 'fixture';
SET evil.phase = 'control';
SELECT public.trust_vulnerable($(fxid direct1 touch));
RESET evil.phase;
EOF

# --- Checks, as the superuser with a clean search_path. ---
q() { tc_psql -c "$1"; }
expect() { # expect NAME EXPECTED QUERY
	local got
	got=$(q "$3" 2>&1) || true
	if [[ $got == "$2" ]]; then tc_pass "$1"; else tc_fail "$1" "expected $2, got $got"; fi
}

echo "look-alike runs logged: $(q "SELECT coalesce(string_agg(format('%s as %s (%s): %s', coalesce(phase, 'attack'), who, what, n), '; '), 'none')
	FROM (SELECT phase, who, what, count(*) AS n FROM evil.log GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 LIMIT 12) x")"

expect "no look-alike ran as any role but the attacker (log)" "0" \
	"SELECT count(*) FROM evil.log WHERE (who <> '$ATTACKER' OR sess <> '$ATTACKER') AND phase IS DISTINCT FROM 'control'"
evil_warnings=$(cat "$TC_TMP"/err.* | grep -o 'EVIL-RAN who=[^ ]* sess=[^ ]* phase=[^ ]*' | sort | uniq -c || true)
if ! echo "$evil_warnings" | grep -v "phase=control" | grep -q -v "who=$ATTACKER sess=$ATTACKER"; then
	tc_pass "no look-alike ran as any role but the attacker (warnings, also of rolled-back calls)"
else
	tc_fail "no look-alike ran as any role but the attacker (warnings, also of rolled-back calls)" "$(echo "$evil_warnings" | head -5)"
fi
expect "no look-alike ran inside the functions at all, in any caller path" "0" \
	"SELECT count(*) FROM evil.log WHERE phase IS NULL"
if ! cat "$TC_TMP"/err.* | grep 'EVIL-RAN' | grep -q 'phase= '; then
	tc_pass "no look-alike warning outside the controls"
else
	tc_fail "no look-alike warning outside the controls"
fi
expect "control: the attacker's own casts and operators ran look-alikes, as the attacker" "t" \
	"SELECT count(*) > 0 AND bool_and(who = '$ATTACKER') FROM evil.log WHERE phase = 'caller'"
expect "control: a SECURITY DEFINER function without a pinned search_path is caught running them as its owner" "t" \
	"SELECT count(*) > 0 FROM evil.log WHERE phase = 'control' AND who = '$OWNER'"

# Results are still right, in every path.
for r in "${ROUNDS[@]}"; do
	g=${GUID[$r]}
	res() { echo "(SELECT result FROM evil.results WHERE round = '$r' AND step = '$1')"; }
	checks=(
		"upsert_user returned a UserID|$(res upsert_user) ~ '^[0-9]+\$'"
		"create_session returned ID, Token, ExpirationDate|(SELECT j ?& ARRAY['ID', 'Token', 'ExpirationDate'] AND j->>'Token' ~ '^as1_[A-Za-z0-9_-]{51}\$' FROM (SELECT $(res create_session_1)::jsonb AS j) x)"
		"validate answered and slid the expiry|$(res validate_touch)::jsonb->>'UserName' = 'fixture' AND (SELECT s.last_updated > now() - interval '10 minutes' FROM authsessions_data.sessions s JOIN fx USING (id) WHERE fx.round = '$r' AND fx.k = 'touch')"
		"purge deleted one session (batch 1)|$(res purge)::bigint = 1"
	)
	if [[ $r != victim ]]; then
		checks+=(
			"validate of the new session|$(res validate_new)::jsonb->>'Smartphone' = 'phone $r' AND $(res validate_new)::jsonb->>'UserName' = 'mallory $r'"
			"list has the user with 2 sessions|$(res list)::jsonb @> '[{\"UserGuid\": \"$g\", \"SessionCount\": 2, \"IsOperator\": true}]'"
			"list after the user excludes it|NOT $(res list_after)::jsonb @> '[{\"UserGuid\": \"$g\"}]'"
			"list page 2 of size 1|jsonb_array_length($(res list_page)::jsonb) = 1"
			"user_sessions has 2 sessions|jsonb_array_length($(res user_sessions)::jsonb) = 2"
			"revoke succeeded once|$(res revoke) = '{\"Success\": true}' AND $(res revoke_again) IS NULL"
			"end_session true, then false|$(res end_session) = '{\"Success\": true}' AND $(res end_session_again) = '{\"Success\": false}'"
			"repair_summary rewrote the broken summary, then found it right|$(res repair_summary) = '1' AND $(res repair_summary_again) = '0'"
			"the broken summary is right again|(SELECT u.session_expiries = ARRAY[s.expires_at] FROM authsessions_data.users u JOIN authsessions_data.sessions s ON s.user_id = u.id JOIN broken b ON b.guid = u.guid WHERE b.round = '$r')"
			"at the cap, the third login evicted the older session|(SELECT array_agg((e->>'ID')::bigint ORDER BY (e->>'ID')::bigint) FROM jsonb_array_elements($(res user_sessions_capped)::jsonb) e) = ARRAY[($(res create_session_4)::jsonb->>'ID')::bigint, ($(res create_session_5)::jsonb->>'ID')::bigint]"
			"delete_user succeeded|$(res delete_user) = '{\"Success\": true}' AND NOT EXISTS (SELECT FROM authsessions_data.users WHERE guid = '$g')"
		)
	else
		checks+=(
			"list has the user with 2 sessions|$(res list)::jsonb @> '[{\"UserGuid\": \"$g\", \"SessionCount\": 2}]'"
			"user_sessions has 2 sessions|jsonb_array_length($(res user_sessions)::jsonb) = 2"
			"revoke succeeded|$(res revoke) = '{\"Success\": true}'"
		)
	fi
	for c in "${checks[@]}"; do
		expect "$r: ${c%%|*}" "t" "SELECT coalesce((${c#*|}), false)"
	done
done
for r in direct1 direct2 direct3 pgrst1 pgrst2 wrapper; do
	if grep -q "RESULT $r revoke_again PT404" "$TC_TMP"/out.* "$TC_TMP"/err.* 2>/dev/null; then
		tc_pass "$r: the second revoke raised PT404"
	else
		tc_fail "$r: the second revoke raised PT404"
	fi
done
expect "purge, over the rounds, deleted every ended fixture and moved every old hint" "0|0" \
	"SELECT (SELECT count(*) FROM fx JOIN authsessions_data.sessions s USING (id) WHERE fx.k = 'dead') || '|' ||
	        (SELECT count(*) FROM fx JOIN authsessions_data.sessions s USING (id) WHERE fx.k = 'oldhint' AND s.purge_hint < now() - interval '1 day')"
expect "purge unlisted the users left without an active session" "0" \
	"SELECT count(*) FROM authsessions_data.users u WHERE u.listed AND u.guid <> '00000000-0000-4000-8000-0000000000f1'
	   AND NOT EXISTS (SELECT FROM authsessions_data.sessions s WHERE s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > now())"
other_errors=$(cat "$TC_TMP"/err.* | grep -E '^(psql:.*)?ERROR' | grep -v -E 'err_NoActiveSession|current transaction is aborted' || true)
if [[ -z $other_errors ]]; then
	tc_pass "no error but the expected err_NoActiveSession"
else
	tc_fail "no error but the expected err_NoActiveSession" "$(echo "$other_errors" | head -5)"
fi

tc_summary
