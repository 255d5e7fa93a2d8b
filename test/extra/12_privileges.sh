#!/usr/bin/env bash
# test/extra/12_privileges.sh: privilege attacks.  PUBLIC (a role with no
# grant), the admin role and the application role, each granted exactly as
# the README says and each connecting as itself, try to read or change the
# data in authsessions_data, to change or replace the functions, to create
# objects in either schema, to grant themselves more, to raise the settings,
# and to call the functions they were not granted (repair_summary, the
# DBA's, is granted to none of them).  Every attempt must fail
# (42501, or 0A000 for pg_extension_config_dump outside CREATE EXTENSION),
# and afterwards the catalog entries of the extension (owners, ACLs,
# SECURITY DEFINER, search_path, config dump registration), the roles and
# the data are exactly as before.  Then the admin's only inputs (the Session
# argument, page, page_size, after, and the request.jwt.claims and
# request.headers settings that PostgREST fills) are tried with hostile values:
# none reaches anything but the intended revoke.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/extra/lib/trust_common.sh
source test/extra/lib/trust_common.sh

NOBODY="trust_priv_nobody_$$"
ADMIN="trust_priv_admin_$$"
APP="trust_priv_app_$$"

tc_createdb trust_privileges
tc_role "$NOBODY"
tc_role "$ADMIN"
tc_role "$APP"

# The GRANTs of the README, verbatim but for the role names.
tc_psql -c "CREATE EXTENSION authsessions"
tc_grant_readme "$ADMIN" "$APP"
tc_psql <<'SQL'
-- fixture: two users, three sessions
SELECT authsessions.upsert_user('00000000-0000-4000-8000-0000000000a1', 'alice', false) \g /dev/null
SELECT authsessions.upsert_user('00000000-0000-4000-8000-0000000000b1', 'bob', true) \g /dev/null
CREATE TABLE fixture AS
	SELECT k, (j->>'ID')::bigint AS id, j->>'Token' AS token
	FROM (VALUES ('a1', authsessions.create_session('00000000-0000-4000-8000-0000000000a1')),
	             ('a2', authsessions.create_session('00000000-0000-4000-8000-0000000000a1')),
	             ('b1', authsessions.create_session('00000000-0000-4000-8000-0000000000b1'))) v(k, j);
SQL

q() { tc_psql -c "$1"; }
expect() { # expect NAME EXPECTED QUERY
	local got
	got=$(q "$3" 2>&1) || true
	if [[ $got == "$2" ]]; then tc_pass "$1"; else tc_fail "$1" "expected $2, got $got"; fi
}
tok() { q "SELECT token FROM fixture WHERE k = '$1'"; }
sid() { q "SELECT id FROM fixture WHERE k = '$1'"; }

# Run CASES (lines "EXPECTED|NAME|SQL", one statement each) as ROLE in one
# connection, and compare each statement's SQLSTATE.
run_cases() { # run_cases ROLE LABEL < cases
	local role=$1 label=$2 script="$TC_TMP/$2.sql" out="$TC_TMP/$2.out" line expected name sql got
	local -A want=()
	: >"$script"
	while IFS= read -r line; do
		[[ -z $line || $line == \#* ]] && continue
		expected=${line%%|*}
		line=${line#*|}
		name=${line%%|*}
		sql=${line#*|}
		want[$name]=$expected
		printf '%s;\n\\echo CASE|%s| :SQLSTATE\n' "$sql" "$name" >>"$script"
	done
	psql -X -q -At -v ON_ERROR_STOP=0 -U "$role" -d "$TC_DB" -f "$script" -o /dev/null \
		>"$out" 2>"$TC_TMP/$label.err" || true
	for name in "${!want[@]}"; do
		got=$(grep -F "CASE|$name| " "$out" | head -1 | cut -d'|' -f3 | tr -d ' ')
		if [[ $got == "${want[$name]}" ]]; then
			tc_pass "$label: $name -> ${want[$name]}"
		else
			tc_fail "$label: $name" "expected ${want[$name]}, got ${got:-nothing} ($(grep -m1 -F -- "$(echo "$name" | cut -c1-30)" "$TC_TMP/$label.err" || true))"
		fi
	done
}

# 1. Positive controls: each role can do exactly its job (so the denials
#    below are about privileges, not a broken setup).
expect "admin can call list()" "2" "SET ROLE $ADMIN; SELECT jsonb_array_length(authsessions.list())"
expect "admin can call user_sessions()" "2" \
	"SET ROLE $ADMIN; SELECT jsonb_array_length(authsessions.user_sessions('00000000-0000-4000-8000-0000000000a1'))"
expect "admin can call revoke()" '{"Success": true}' "SET ROLE $ADMIN; SELECT authsessions.revoke($(sid a2))"
expect "admin can call ended_sessions()" "revoked|$ADMIN" \
	"SET ROLE $ADMIN; SELECT (authsessions.ended_sessions('00000000-0000-4000-8000-0000000000a1') -> 0 ->> 'EndReason') || '|' ||
	   (authsessions.ended_sessions('00000000-0000-4000-8000-0000000000a1') -> 0 ->> 'EndedBy')"
expect "app can call validate()" "alice" "SET ROLE $APP; SELECT authsessions.validate('$(tok a1)')->>'UserName'"
expect "app can call check_token()" "alice" "SET ROLE $APP; SELECT authsessions.check_token('$(tok a1)')->>'UserName'"
expect "app can call upsert_user() and create_session()" "t" \
	"SET ROLE $APP; SELECT authsessions.upsert_user('00000000-0000-4000-8000-0000000000c1', 'carol') > 0
	   AND authsessions.create_session('00000000-0000-4000-8000-0000000000c1') ? 'Token'"

# 2. The state the attacks must not change.
snapshot() {
	q "SELECT md5(string_agg(x, E'\n' ORDER BY x)) FROM (
		SELECT format('proc %s owner=%s secdef=%s config=%s acl=%s vol=%s strict=%s src=%s bin=%s lang=%s',
			p.oid::regprocedure, p.proowner::regrole, p.prosecdef, p.proconfig, p.proacl,
			p.provolatile, p.proisstrict, p.prosrc, p.probin, p.prolang) AS x
		FROM pg_proc p WHERE p.pronamespace IN ('authsessions'::regnamespace, 'authsessions_data'::regnamespace)
		UNION ALL SELECT format('rel %s owner=%s acl=%s kind=%s rls=%s', c.oid::regclass, c.relowner::regrole, c.relacl, c.relkind, c.relrowsecurity)
		FROM pg_class c WHERE c.relnamespace IN ('authsessions'::regnamespace, 'authsessions_data'::regnamespace)
		UNION ALL SELECT format('type %s', t.oid::regtype) FROM pg_type t
		WHERE t.typnamespace IN ('authsessions'::regnamespace, 'authsessions_data'::regnamespace)
		UNION ALL SELECT format('nsp %s owner=%s acl=%s', n.nspname, n.nspowner::regrole, n.nspacl)
		FROM pg_namespace n WHERE n.nspname LIKE 'authsessions%'
		UNION ALL SELECT format('ext owner=%s config=%s cond=%s version=%s', e.extowner::regrole, e.extconfig, e.extcondition, e.extversion)
		FROM pg_extension e WHERE e.extname = 'authsessions'
		UNION ALL SELECT format('dep %s', pg_describe_object(d.classid, d.objid, d.objsubid))
		FROM pg_depend d WHERE d.refclassid = 'pg_extension'::regclass
			AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'authsessions')
		UNION ALL SELECT format('trigger %s on %s', t.tgname, t.tgrelid::regclass) FROM pg_trigger t
		WHERE t.tgrelid IN ('authsessions_data.sessions'::regclass, 'authsessions_data.users'::regclass)
		UNION ALL SELECT format('policy %s', p.polname) FROM pg_policy p
		WHERE p.polrelid IN ('authsessions_data.sessions'::regclass, 'authsessions_data.users'::regclass)
		UNION ALL SELECT format('rule %s', r.rulename) FROM pg_rewrite r
		WHERE r.ev_class IN ('authsessions_data.sessions'::regclass, 'authsessions_data.users'::regclass)
		UNION ALL SELECT format('role %s super=%s createrole=%s createdb=%s bypassrls=%s', r.rolname, r.rolsuper,
			r.rolcreaterole, r.rolcreatedb, r.rolbypassrls)
		FROM pg_roles r WHERE r.rolname IN ('$NOBODY', '$ADMIN', '$APP')
		UNION ALL SELECT format('member %s of %s', m.member::regrole, m.roleid::regrole) FROM pg_auth_members m
		WHERE m.member IN (SELECT oid FROM pg_roles WHERE rolname IN ('$NOBODY', '$ADMIN', '$APP'))
		UNION ALL SELECT format('setting %s %s', s.setrole, s.setconfig) FROM pg_db_role_setting s
		UNION ALL SELECT format('param acl %s %s', a.parname, a.paracl) FROM pg_parameter_acl a
		UNION ALL SELECT format('db acl %s', d.datacl) FROM pg_database d WHERE d.datname = current_database()
		UNION ALL SELECT format('user %s', u) FROM authsessions_data.users u
		UNION ALL SELECT format('session %s', s) FROM authsessions_data.sessions s
		UNION ALL SELECT format('seq %s %s', last_value, is_called) FROM authsessions_data.sessions_id_seq
		UNION ALL SELECT format('seq %s %s', last_value, is_called) FROM authsessions_data.users_id_seq
	) s"
}
before=$(snapshot)

# 3. The attacks.  Every role tries everything on its data and definitions.
common_attacks() {
	local sessions_oid users_oid
	sessions_oid=$(q "SELECT 'authsessions_data.sessions'::regclass::oid")
	users_oid=$(q "SELECT 'authsessions_data.users'::regclass::oid")
	sed -e "s/SESSIONS_OID/$sessions_oid/; s/USERS_OID/$users_oid/; s/TC_DB/$TC_DB/" <<-'EOF'
		42501|SELECT sessions|SELECT * FROM authsessions_data.sessions
		42501|SELECT token_hash|SELECT token_hash FROM authsessions_data.sessions
		42501|SELECT users|SELECT * FROM authsessions_data.users
		42501|SELECT count(*) users|SELECT count(*) FROM authsessions_data.users
		42501|INSERT users|INSERT INTO authsessions_data.users (guid, name) VALUES (gen_random_uuid(), 'mallory')
		42501|INSERT sessions|INSERT INTO authsessions_data.sessions (user_id, token_hash, created_at, last_updated, expires_at, idle_timeout, purge_hint) VALUES (1, sha256('x'), now(), now(), 'infinity', 1, 'infinity')
		42501|UPDATE sessions unrevoke|UPDATE authsessions_data.sessions SET revoked_at = NULL, expires_at = 'infinity'
		42501|UPDATE users operator|UPDATE authsessions_data.users SET is_operator = true
		42501|DELETE sessions|DELETE FROM authsessions_data.sessions
		42501|DELETE users|DELETE FROM authsessions_data.users
		42501|TRUNCATE sessions|TRUNCATE authsessions_data.sessions
		42501|TRUNCATE users cascade|TRUNCATE authsessions_data.users CASCADE
		42501|COPY sessions to client|COPY authsessions_data.sessions TO STDOUT
		42501|COPY users from program|COPY authsessions_data.users (name) FROM PROGRAM 'true'
		42501|COPY query to client|COPY (SELECT token_hash FROM authsessions_data.sessions) TO STDOUT
		42501|LOCK sessions|DO $$BEGIN LOCK TABLE authsessions_data.sessions IN ACCESS EXCLUSIVE MODE; END$$
		42501|SELECT FOR UPDATE|SELECT 1 FROM authsessions_data.sessions FOR UPDATE
		42501|nextval|SELECT nextval('authsessions_data.sessions_id_seq')
		42501|setval|SELECT setval('authsessions_data.users_id_seq', 1)
		42501|ALTER SEQUENCE|ALTER SEQUENCE authsessions_data.sessions_id_seq RESTART
		42501|CREATE VIEW over sessions|CREATE TEMP VIEW peek AS SELECT * FROM authsessions_data.sessions
		42501|CREATE TABLE in authsessions_data|CREATE TABLE authsessions_data.mine (i int)
		42501|CREATE TABLE in authsessions|CREATE TABLE authsessions.mine (i int)
		42501|CREATE VIEW in authsessions|CREATE VIEW authsessions.mine AS SELECT 1 AS one
		42501|CREATE FUNCTION in authsessions|CREATE FUNCTION authsessions.mine() RETURNS int LANGUAGE sql AS 'SELECT 1'
		42501|CREATE FUNCTION in authsessions_data|CREATE FUNCTION authsessions_data.mine() RETURNS int LANGUAGE sql AS 'SELECT 1'
		42501|CREATE OR REPLACE validate|CREATE OR REPLACE FUNCTION authsessions.validate(token text) RETURNS jsonb LANGUAGE sql AS 'SELECT ''{}''::jsonb'
		42501|CREATE overload of validate|CREATE FUNCTION authsessions.validate(token varchar) RETURNS jsonb LANGUAGE sql AS 'SELECT ''{}''::jsonb'
		42501|CREATE OPERATOR in authsessions|CREATE OPERATOR authsessions.=== (leftarg = int4, rightarg = int4, function = int4eq)
		42501|CREATE TYPE in authsessions|CREATE TYPE authsessions.mine AS (i int)
		42501|CREATE DOMAIN in authsessions_data|CREATE DOMAIN authsessions_data.mine AS int
		42501|ALTER FUNCTION SECURITY INVOKER|ALTER FUNCTION authsessions.validate(text) SECURITY INVOKER
		42501|ALTER FUNCTION RESET search_path|ALTER FUNCTION authsessions.revoke(bigint) RESET search_path
		42501|ALTER FUNCTION SET search_path|ALTER FUNCTION authsessions.list(integer, integer, uuid) SET search_path = public, pg_catalog
		42501|ALTER FUNCTION OWNER|ALTER FUNCTION authsessions.list(integer, integer, uuid) OWNER TO CURRENT_USER
		42501|ALTER FUNCTION RENAME|ALTER FUNCTION authsessions.purge(interval, integer) RENAME TO purge_old
		42501|ALTER FUNCTION SET SCHEMA|ALTER FUNCTION authsessions.purge(interval, integer) SET SCHEMA public
		42501|ALTER FUNCTION STRICT|ALTER FUNCTION authsessions.end_session(text) STRICT
		42501|ALTER FUNCTION repair_summary SECURITY INVOKER|ALTER FUNCTION authsessions.repair_summary(uuid) SECURITY INVOKER
		42501|CREATE OR REPLACE repair_summary|CREATE OR REPLACE FUNCTION authsessions.repair_summary(guid uuid DEFAULT NULL) RETURNS bigint LANGUAGE sql AS 'SELECT 0::bigint'
		42501|GRANT EXECUTE repair_summary to self|GRANT EXECUTE ON FUNCTION authsessions.repair_summary(uuid) TO CURRENT_USER
		42501|DROP FUNCTION|DROP FUNCTION authsessions.revoke(bigint)
		42501|COMMENT ON FUNCTION|COMMENT ON FUNCTION authsessions.revoke(bigint) IS 'mine'
		42501|ALTER TABLE OWNER|ALTER TABLE authsessions_data.sessions OWNER TO CURRENT_USER
		42501|ALTER TABLE ADD COLUMN|ALTER TABLE authsessions_data.sessions ADD COLUMN token text
		42501|ALTER TABLE DISABLE TRIGGER|ALTER TABLE authsessions_data.sessions DISABLE TRIGGER ALL
		42501|ALTER TABLE ENABLE RLS|ALTER TABLE authsessions_data.users ENABLE ROW LEVEL SECURITY
		42501|CREATE INDEX on sessions|CREATE INDEX ON authsessions_data.sessions (user_agent)
		42501|CREATE TRIGGER on sessions|CREATE TRIGGER t BEFORE INSERT ON authsessions_data.sessions FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()
		42501|CREATE RULE on users|CREATE RULE r AS ON UPDATE TO authsessions_data.users DO INSTEAD NOTHING
		42501|CREATE POLICY on users|CREATE POLICY p ON authsessions_data.users USING (true)
		42501|CREATE STATISTICS on sessions|CREATE STATISTICS authsessions_data.st ON user_id, expires_at FROM authsessions_data.sessions
		42501|DROP TABLE sessions|DROP TABLE authsessions_data.sessions
		42501|ALTER SCHEMA RENAME|ALTER SCHEMA authsessions RENAME TO mine
		42501|ALTER SCHEMA OWNER|ALTER SCHEMA authsessions_data OWNER TO CURRENT_USER
		42501|DROP SCHEMA CASCADE|DROP SCHEMA authsessions_data CASCADE
		42501|DROP EXTENSION|DROP EXTENSION authsessions
		42501|ALTER EXTENSION UPDATE|ALTER EXTENSION authsessions UPDATE TO '1.0'
		42501|ALTER EXTENSION DROP member|ALTER EXTENSION authsessions DROP FUNCTION authsessions.validate(text)
		42501|ALTER EXTENSION DROP table|ALTER EXTENSION authsessions DROP TABLE authsessions_data.sessions
		42501|pg_extension_config_dump by name|SELECT pg_catalog.pg_extension_config_dump('authsessions_data.sessions', 'WHERE false')
		0A000|pg_extension_config_dump by oid|SELECT pg_catalog.pg_extension_config_dump(SESSIONS_OID::oid::regclass, 'WHERE false')
		0A000|pg_extension_config_dump via DO|DO $$BEGIN PERFORM pg_catalog.pg_extension_config_dump(USERS_OID::oid::regclass, 'WHERE false'); END$$
		42501|GRANT SELECT on sessions to self|GRANT SELECT ON authsessions_data.sessions TO CURRENT_USER
		42501|GRANT USAGE on authsessions_data|GRANT USAGE ON SCHEMA authsessions_data TO CURRENT_USER
		42501|GRANT pg_read_all_data|GRANT pg_read_all_data TO CURRENT_USER
		42501|GRANT pg_write_all_data|GRANT pg_write_all_data TO CURRENT_USER
		42501|ALTER ROLE SUPERUSER|ALTER ROLE CURRENT_USER SUPERUSER
		42501|ALTER ROLE BYPASSRLS|ALTER ROLE CURRENT_USER BYPASSRLS
		42501|ALTER ROLE SET max_ttl|ALTER ROLE CURRENT_USER SET authsessions.max_ttl = '100000d'
		42501|ALTER ROLE SET idle_timeout in db|ALTER ROLE CURRENT_USER IN DATABASE TC_DB SET authsessions.idle_timeout = '100000d'
		42501|SET ROLE postgres|SET ROLE postgres
		42501|SET SESSION AUTHORIZATION|SET SESSION AUTHORIZATION postgres
		42501|LOAD the library|LOAD 'authsessions'
		42501|lo_import a file|SELECT lo_import('/etc/passwd')
		42501|pg_read_file|SELECT pg_read_file('postgresql.conf')
	EOF
}
# The functions a role was not granted: 42501 whatever the arguments.
calls() { # calls FUNCTION-NAMES...
	local fn
	for fn in "$@"; do
		case $fn in
		list) echo "42501|call list|SELECT authsessions.list()" ;;
		user_sessions) echo "42501|call user_sessions|SELECT authsessions.user_sessions('00000000-0000-4000-8000-0000000000a1')" ;;
		ended_sessions) echo "42501|call ended_sessions|SELECT authsessions.ended_sessions('00000000-0000-4000-8000-0000000000a1')" ;;
		revoke) echo "42501|call revoke|SELECT authsessions.revoke($(sid a1))" ;;
		revoke_user) echo "42501|call revoke_user|SELECT authsessions.revoke_user('00000000-0000-4000-8000-0000000000a1')" ;;
		upsert_user) echo "42501|call upsert_user|SELECT authsessions.upsert_user('00000000-0000-4000-8000-0000000000a1', 'mallory', true)" ;;
		delete_user) echo "42501|call delete_user|SELECT authsessions.delete_user('00000000-0000-4000-8000-0000000000a1')" ;;
		create_session) echo "42501|call create_session|SELECT authsessions.create_session('00000000-0000-4000-8000-0000000000a1')" ;;
		validate) echo "42501|call validate|SELECT authsessions.validate('$(tok a1)')" ;;
		check_token) echo "42501|call check_token|SELECT authsessions.check_token('$(tok a1)')" ;;
		end_session) echo "42501|call end_session|SELECT authsessions.end_session('$(tok a1)')" ;;
		purge) echo "42501|call purge|SELECT authsessions.purge('0 seconds')" ;;
		issue_jwt) echo "42501|call issue_jwt|SELECT authsessions.issue_jwt('$(tok a1)')" ;;
		check_request) echo "42501|call check_request|SELECT authsessions.check_request()" ;;
		my_sessions) echo "42501|call my_sessions|SELECT authsessions.my_sessions()" ;;
		revoke_my_session) echo "42501|call revoke_my_session|SELECT authsessions.revoke_my_session($(sid a1))" ;;
		revoke_my_other_sessions) echo "42501|call revoke_my_other_sessions|SELECT authsessions.revoke_my_other_sessions()" ;;
		logout) echo "42501|call logout|SELECT authsessions.logout()" ;;
		parse_user_agent) echo "42501|call parse_user_agent|SELECT authsessions.parse_user_agent('curl/8.4.0')" ;;
		parse_user_agent_raw) echo "42501|call parse_user_agent_raw|SELECT authsessions.parse_user_agent_raw('curl/8.4.0')" ;;
		repair_summary)
			echo "42501|call repair_summary|SELECT authsessions.repair_summary()"
			echo "42501|call repair_summary(guid)|SELECT authsessions.repair_summary('00000000-0000-4000-8000-0000000000a1')"
			;;
		esac
	done
}
# The settings: changed only by a superuser.  Loaded first (so SET checks at
# once) by a call the role may make; nobody cannot load it.
settings() { # settings LOAD-CALL
	echo "00000|load the library|$1"
	echo "42501|SET max_ttl|SET authsessions.max_ttl = '100000d'"
	echo "42501|SET idle_timeout|SET authsessions.idle_timeout = '100000d'"
	echo "42501|SET LOCAL touch_interval|DO \$\$BEGIN SET LOCAL authsessions.touch_interval = 0; END\$\$"
	echo "42501|set_config max_page_size|SELECT set_config('authsessions.max_page_size', '1000000', false)"
	echo "42501|SET max_sessions_per_user|SET authsessions.max_sessions_per_user = 0"
	echo "42501|SET session_limit_action|SET authsessions.session_limit_action = 'refuse'"
	echo "42501|ALTER DATABASE SET|ALTER DATABASE $TC_DB SET authsessions.max_ttl = '100000d'"
	echo "42501|SET jwt_role|SET authsessions.jwt_role = 'authsessions_admin'"
	echo "42501|SET jwt_operator_role|SET authsessions.jwt_operator_role = 'postgres'"
	echo "42501|SET jwt_max_ttl|SET authsessions.jwt_max_ttl = '100000d'"
	echo "42501|SET jwt_audience|SET authsessions.jwt_audience = ''"
	echo "55P02|SET jwt_secret_file|SET authsessions.jwt_secret_file = '/etc/passwd'"
}

run_cases "$NOBODY" public < <(
	common_attacks
	calls list user_sessions ended_sessions revoke revoke_user upsert_user delete_user create_session validate check_token end_session purge repair_summary issue_jwt check_request my_sessions revoke_my_session revoke_my_other_sessions logout \
		parse_user_agent parse_user_agent_raw
	echo "42501|GRANT CREATE on authsessions|GRANT CREATE ON SCHEMA authsessions TO CURRENT_USER"
)
run_cases "$ADMIN" admin < <(
	common_attacks
	calls upsert_user delete_user create_session validate check_token end_session purge repair_summary issue_jwt check_request my_sessions revoke_my_session revoke_my_other_sessions logout \
		parse_user_agent parse_user_agent_raw
	settings "SELECT authsessions.list()"
	# USAGE without the grant option: a warning, nothing granted (checked below)
	echo "00000|GRANT CREATE on authsessions|GRANT CREATE ON SCHEMA authsessions TO CURRENT_USER"
)
run_cases "$APP" app < <(
	common_attacks
	calls list user_sessions ended_sessions revoke revoke_user repair_summary issue_jwt check_request my_sessions revoke_my_session revoke_my_other_sessions logout parse_user_agent_raw
	settings "SELECT authsessions.validate('x')"
	echo "00000|GRANT CREATE on authsessions|GRANT CREATE ON SCHEMA authsessions TO CURRENT_USER"
)

# Grants the roles may try without an error (no privileges were granted, a
# warning), checked through the state below.
for role in "$ADMIN" "$APP"; do
	psql -X -q -U "$role" -d "$TC_DB" -v ON_ERROR_STOP=0 >/dev/null 2>&1 <<-EOF || true
		GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA authsessions TO PUBLIC;
		GRANT EXECUTE ON FUNCTION authsessions.list(integer, integer, uuid) TO $APP;
		GRANT EXECUTE ON FUNCTION authsessions.validate(text) TO $ADMIN;
		GRANT USAGE ON SCHEMA authsessions TO PUBLIC;
		REVOKE ALL ON ALL FUNCTIONS IN SCHEMA authsessions FROM postgres;
		ALTER DEFAULT PRIVILEGES IN SCHEMA authsessions GRANT EXECUTE ON FUNCTIONS TO PUBLIC;
	EOF
done

# 4. Nothing changed.
after=$(snapshot)
if [[ $before == "$after" ]]; then
	tc_pass "the extension's catalog entries, the roles and the data are unchanged"
else
	tc_fail "the extension's catalog entries, the roles and the data are unchanged"
fi
expect "PUBLIC (a role without grants) may execute no authsessions function" "0" \
	"SELECT count(*) FROM pg_proc WHERE pronamespace = 'authsessions'::regnamespace
	   AND has_function_privilege('$NOBODY', oid, 'EXECUTE')"
expect "the admin role may execute exactly list, user_sessions, ended_sessions, revoke and revoke_user" "ended_sessions,list,revoke,revoke_user,user_sessions" \
	"SELECT string_agg(proname, ',' ORDER BY proname) FROM pg_proc WHERE pronamespace = 'authsessions'::regnamespace
	   AND has_function_privilege('$ADMIN', oid, 'EXECUTE')"
expect "the app role may execute exactly the seven lifecycle functions and parse_user_agent" \
	"check_token,create_session,delete_user,end_session,parse_user_agent,purge,upsert_user,validate" \
	"SELECT string_agg(proname, ',' ORDER BY proname) FROM pg_proc WHERE pronamespace = 'authsessions'::regnamespace
	   AND has_function_privilege('$APP', oid, 'EXECUTE')"
for role in "$NOBODY" "$ADMIN" "$APP"; do
	expect "$role has no privilege on any table, sequence or schema of authsessions_data" "0" \
		"SELECT (SELECT count(*) FROM pg_class c, unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) p
		         WHERE c.relnamespace = 'authsessions_data'::regnamespace AND c.relkind IN ('r', 'p')
		           AND has_table_privilege('$role', c.oid, p))
		      + (SELECT count(*) FROM pg_class c, unnest(ARRAY['USAGE','SELECT','UPDATE']) p
		         WHERE c.relnamespace = 'authsessions_data'::regnamespace AND c.relkind = 'S'
		           AND has_sequence_privilege('$role', c.oid, p))
		      + (SELECT count(*) FROM unnest(ARRAY['USAGE','CREATE']) p WHERE has_schema_privilege('$role', 'authsessions_data', p))
		      + (SELECT count(*) FROM unnest(ARRAY['CREATE']) p WHERE has_schema_privilege('$role', 'authsessions', p))"
done
expect "the settings are unchanged" "1000|2d|400d|1min|0|evict_oldest" \
	"LOAD 'authsessions'; SELECT current_setting('authsessions.max_page_size') || '|' || current_setting('authsessions.idle_timeout') || '|'
	   || current_setting('authsessions.max_ttl') || '|' || current_setting('authsessions.touch_interval') || '|'
	   || current_setting('authsessions.max_sessions_per_user') || '|' || current_setting('authsessions.session_limit_action')"

# 5. Settings sneaked in before the library loads (a placeholder set by the
#    role, at connection or by SET) are refused when it loads.
g_out=$(PGOPTIONS="-c authsessions.max_page_size=1000000 -c authsessions.max_ttl=100000d" \
	psql -X -q -At -U "$ADMIN" -d "$TC_DB" -v ON_ERROR_STOP=0 \
	-c "SELECT jsonb_array_length(authsessions.list(page_size => 100000))" \
	-c "\\echo :SQLSTATE" -c "SHOW authsessions.max_page_size" 2>/dev/null || true)
if [[ $(echo "$g_out" | tr '\n' ' ') == "22023 1000 " ]]; then
	tc_pass "admin: max_page_size from the connection options is ignored"
else
	tc_fail "admin: max_page_size from the connection options is ignored" "$(echo "$g_out" | tr '\n' ' ')"
fi
g_out=$(psql -X -q -At -U "$APP" -d "$TC_DB" -v ON_ERROR_STOP=0 2>/dev/null <<-'EOF' || true
	SET authsessions.max_ttl = '100000d';
	SET authsessions.idle_timeout = '100000d';
	SELECT authsessions.create_session('00000000-0000-4000-8000-0000000000a1', ttl => '1000 days');
	\echo :SQLSTATE
	SELECT (authsessions.create_session('00000000-0000-4000-8000-0000000000a1')->>'ExpirationDate')::timestamptz
		<= now() + interval '48 hours 1 minute';
	SHOW authsessions.max_ttl;
EOF
)
if [[ $(echo "$g_out" | tr '\n' ' ') == "22023 t 400d " ]]; then
	tc_pass "app: max_ttl and idle_timeout SET before the library loads are ignored"
else
	tc_fail "app: max_ttl and idle_timeout SET before the library loads are ignored" "$(echo "$g_out" | tr '\n' ' ')"
fi

# 6. The admin's arguments and the settings PostgREST fills: hostile values
#    give the documented errors or the intended revoke, and nothing else.
before=$(snapshot)
a_out=$(psql -X -q -At -U "$ADMIN" -d "$TC_DB" -v ON_ERROR_STOP=0 2>/dev/null <<-EOF || true
	SELECT authsessions.revoke(-1);
	\echo revoke -1 :SQLSTATE
	SELECT authsessions.list(2147483647, 1000);
	SELECT jsonb_array_length(authsessions.list(1, 50, '00000000-0000-4000-8000-0000000000a1'));
	SELECT authsessions.user_sessions('00000000-0000-4000-8000-0000000000ff', 2147483647, 1000);
	SELECT authsessions.ended_sessions('00000000-0000-4000-8000-0000000000ff', 2147483647, 1000);
	SELECT set_config('request.headers', '{"prefer": "return=minimal, count=exact, x\\"}]; DROP TABLE x; --"}', false) \g /dev/null
	BEGIN;
	SELECT jsonb_array_length(authsessions.list());
	SELECT current_setting('response.headers') || ' ' || current_setting('response.status');
	COMMIT;
	SELECT set_config('request.headers', 'count=exact not json', false) \g /dev/null
	SELECT authsessions.list();
	\echo headers not json :SQLSTATE
	SELECT set_config('request.headers', '', false) \g /dev/null
	SELECT set_config('request.jwt.claims', '{"sub": "x''); DROP TABLE fixture; --", "role": "postgres"}', false) \g /dev/null
	SELECT set_config('role', 'postgres', false);
	\echo set role via set_config :SQLSTATE
	SELECT authsessions.revoke($(sid b1));
	SELECT authsessions.revoke($(sid b1));
	\echo revoke twice :SQLSTATE
	SELECT current_user = session_user;
EOF
)
a_res=$a_out
expected_out='revoke -1 PT404
[]
2
[]
[]
3
[{"Content-Range": "0-2/3"}] 200
headers not json 22P02
set role via set_config 42501
{"Success": true}
revoke twice PT404
t'
if [[ $a_res == "$expected_out" ]]; then
	tc_pass "admin: hostile arguments and request settings give only documented outcomes"
else
	tc_fail "admin: hostile arguments and request settings give only documented outcomes"
	diff <(echo "$expected_out") <(echo "$a_res") | sed 's/^/    /' | head -30
fi
expect "admin: the hostile sub claim was recorded verbatim, nothing ran" "x'); DROP TABLE fixture; --|3" \
	"SELECT revoked_by || '|' || (SELECT count(*) FROM fixture) FROM authsessions_data.sessions WHERE id = $(sid b1)"
expect "admin: the only change is the intended revoke" "1" \
	"SELECT count(*) FROM authsessions_data.sessions WHERE revoked_at > now() - interval '1 minute' AND id = $(sid b1)"
expect "admin: ACLs and definitions still unchanged" "t" \
	"SELECT (SELECT count(*) FROM pg_proc WHERE pronamespace = 'authsessions'::regnamespace AND (prosecdef = (proname IN ('list', 'user_sessions', 'ended_sessions', 'validate', 'check_token', 'issue_jwt', 'check_request', 'my_sessions', 'parse_user_agent', 'parse_user_agent_raw')) OR proconfig IS DISTINCT FROM CASE WHEN prosecdef THEN '{\"search_path=pg_catalog, pg_temp\"}'::text[] END OR proacl::text ~ '(^[{]|,)=')) = 0"

tc_summary
