#!/usr/bin/env bash
# test/extra/20_postgrest_replay.sh: what of the HTTP setup real HTTP cannot
# reach, checked in SQL.
#
# Every request, status, body and header of the documented API is checked
# over real HTTP by test/extra/21_postgrest_http.sh (curl -> nginx ->
# PostgREST 12.0.2).  This suite once replayed PostgREST's transactions for
# them too; it now keeps only the checks no HTTP request can make:
#   - examples/postgrest/postgrest.conf itself: db-schemas, db-anon-role and
#     db-extra-search-path as the file says them (21 runs the file with three
#     settings overridden, and could not tell a default from a setting);
#   - every function's COMMENT (summary line, then result, arguments,
#     errors), including the functions no role of roles.sql may call
#     (repair_summary), which PostgREST's OpenAPI never shows;
#   - that the four example roles have no privilege at all in schema
#     authsessions_data (catalogue, and real SELECTs after set_config('role')
#     as PostgREST switches): no URL reaches that schema, so HTTP can only
#     show that nothing is exposed, not that nothing is granted;
#   - the exact EXECUTE privileges of each role over every function of
#     schema authsessions, and that authenticator (NOINHERIT) can call
#     nothing without switching role: a direct login, not an HTTP request.
# (40_openapi_schema.sh now validates real responses too: nothing replays
# PostgREST's transactions any more.)
#
# Needs PGHOST/PGPORT/PGUSER (a superuser) of a cluster where the extension is
# installed; creates its own database and drops it (and the example roles, if
# it created them) at the end.  Prints PASS/FAIL per case and
# "N passed, N failed"; exits non-zero when a case failed.
# t_check conditions are single-quoted on purpose: t_check evaluates them.
# shellcheck disable=SC2016,SC2034
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/postgrest/lib.sh
source test/postgrest/lib.sh

export PGRST_CONF=examples/postgrest/postgrest.conf
export REPLAY_DB="authsessions_replay_$$"
# shellcheck source=test/extra/lib/example_roles.sh
source test/extra/lib/example_roles.sh

# Superuser access to the test database.
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$REPLAY_DB" "$@"; }

cleanup() {
	example_roles_dropdb "$REPLAY_DB"
}
trap cleanup EXIT

# --- set-up ----------------------------------------------------------------
# The example roles and grants, exactly as a user loads them.
example_roles_createdb "$REPLAY_DB"

# --- configuration and catalogue ---------------------------------------------
t_case "postgrest.conf exposes only schema authsessions, anon role authsessions_anon"
t_check '[[ $(pgrst_conf db-schemas) == authsessions ]]' "db-schemas is '$(pgrst_conf db-schemas)'"
t_check '[[ $(pgrst_conf db-anon-role) == authsessions_anon ]]' "db-anon-role is '$(pgrst_conf db-anon-role)'"
t_check '[[ $(pgrst_conf db-extra-search-path) != *authsessions_data* ]]' "db-extra-search-path names authsessions_data"
t_end

# Every function's COMMENT: a one-line summary, then a description that
# covers the result, every argument and the errors (PostgREST's OpenAPI
# output uses the first line as summary and the rest as description).
while IFS='|' read -r fn oid; do
	comment=$(sql -c "SELECT obj_description($oid, 'pg_proc')")
	summary=${comment%%$'\n'*}
	rest=""
	[[ $comment == *$'\n'* ]] && rest=${comment#*$'\n'}
	t_case "COMMENT ON FUNCTION authsessions.$fn: a summary line, then result, arguments, errors"
	t_check '[[ -n $comment ]]' "no comment"
	t_check '[[ -n $rest ]]' "no description after the summary line"
	t_check '[[ $summary =~ ^[A-Z].{9,99}\.$ ]]' "the first line is not one sentence of 10-100 characters: '$summary'"
	t_check '[[ $rest == *Return* ]]' "the description does not say what it returns"
	t_check '[[ ${rest,,} == *error* ]]' "the description does not mention errors"
	for a in $(sql -c "SELECT array_to_string(proargnames, ' ') FROM pg_proc WHERE oid = $oid"); do
		t_check '[[ $rest == *"$a"* ]]' "the description does not mention argument $a"
	done
	t_end
done < <(sql -c "SELECT proname || '|' || oid FROM pg_proc
                 WHERE pronamespace = 'authsessions'::regnamespace ORDER BY proname")

# --- nothing in authsessions_data is reachable ---------------------------------------
for r in $EXAMPLE_ROLES; do
	t_case "$r: no privilege on schema authsessions_data or anything in it"
	n=$(sql -c "WITH rels AS MATERIALIZED (
		SELECT oid, relkind FROM pg_class WHERE relnamespace = 'authsessions_data'::regnamespace)
	SELECT count(*) FROM (
		SELECT has_schema_privilege('$r', 'authsessions_data', 'USAGE') OR
		       has_schema_privilege('$r', 'authsessions_data', 'CREATE') AS p
		UNION ALL
		SELECT CASE WHEN relkind = 'S' THEN has_sequence_privilege('$r', oid, 'USAGE,SELECT,UPDATE')
		            WHEN relkind IN ('r', 'p', 'v', 'm', 'f')
		            THEN has_table_privilege('$r', oid, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER')
		            ELSE false END
		FROM rels
		UNION ALL
		SELECT has_function_privilege('$r', p.oid, 'EXECUTE')
		FROM pg_proc p WHERE p.pronamespace = 'authsessions_data'::regnamespace) x WHERE p")
	t_check '[[ $n == 0 ]]' "$n privileges found"
	# and a real attempt, as PostgREST would switch to the role
	if [[ $r == authenticator ]]; then setrole=""; else setrole="SELECT set_config('role', '$r', true);"; fi
	for rel in users sessions; do
		st=$(PGUSER=authenticator psql -X -q -At -d "$REPLAY_DB" \
			-c "BEGIN READ ONLY; $setrole SELECT count(*) FROM authsessions_data.$rel;" 2>&1 || true)
		t_check '[[ $st == *"permission denied"* ]]' "SELECT from authsessions_data.$rel as $r: $st"
	done
	t_end
done

t_case "EXECUTE privileges: admin exactly list/user_sessions/ended_sessions/revoke/revoke_user, app exactly the lifecycle, user exactly the self-service, all four check_request, authenticator none"
while IFS='|' read -r r fns; do
	case $r in
	authsessions_admin) want="check_request ended_sessions list revoke revoke_user user_sessions" ;;
	authsessions_app) want="check_request check_token create_session delete_user end_session issue_jwt parse_user_agent purge upsert_user validate" ;;
	authsessions_user) want="check_request logout my_sessions revoke_my_other_sessions revoke_my_session" ;;
	authsessions_anon) want="check_request" ;;
	*) want="" ;;
	esac
	t_check '[[ "$fns" == "$want" ]]' "$r may execute '$fns', expected '$want'"
done < <(sql -c "SELECT r, coalesce(string_agg(p.proname, ' ' ORDER BY p.proname)
		FILTER (WHERE has_function_privilege(r, p.oid, 'EXECUTE')), '')
	FROM unnest(string_to_array('$EXAMPLE_ROLES', ' ')) AS r,
	     pg_proc p WHERE p.pronamespace = 'authsessions'::regnamespace GROUP BY r")
t_end

t_case "authenticator (NOINHERIT) cannot call the API without switching role"
st=$(PGUSER=authenticator psql -X -q -At -d "$REPLAY_DB" -c "SELECT authsessions.list()" 2>&1 || true)
t_check '[[ $st == *"permission denied"* ]]' "authenticator ran list(): $st"
t_end


t_summary
