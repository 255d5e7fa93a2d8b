-- pgTAP: the security model of authsessions.
--
-- PUBLIC can execute nothing, use neither schema and touch no table or
-- sequence.  An admin role granted what the README documents (USAGE on
-- authsessions, EXECUTE on list, user_sessions, ended_sessions, revoke and revoke_user) can call exactly
-- those; an application role (USAGE, EXECUTE on the lifecycle functions)
-- exactly those; neither reads the tables, and neither (nor PUBLIC) may call
-- repair_summary, which the extension grants to nobody.  revoke and
-- end_session record the role in effect and the login that ended a session,
-- and why (end_reason).
-- Roles are created here and disappear with the ROLLBACK.
BEGIN;
SELECT plan(109);

-- The functions, as function_privs_are wants them.
CREATE TEMP TABLE fns (ord int PRIMARY KEY, name name, args name[], admin bool, app bool);
INSERT INTO fns VALUES
	(1, 'list',           '{integer,integer,uuid}',                   true,  false),
	(2, 'user_sessions',  '{uuid,integer,integer}',                   true,  false),
	(3, 'revoke',         '{bigint}',                                 true,  false),
	(4, 'upsert_user',    '{uuid,text,boolean}',                      false, true),
	(5, 'delete_user',    '{uuid}',                                   false, true),
	(6, 'create_session', '{uuid,text,text,text,interval,text,inet,interval}', false, true),
	(7, 'validate',       '{text}',                                   false, true),
	(8, 'end_session',    '{text}',                                   false, true),
	(9, 'purge',          '{interval,integer}',                       false, true),
	(10, 'repair_summary', '{uuid}',                                  false, false),
	(11, 'check_token',   '{text}',                                   false, true),
	(12, 'revoke_user',   '{uuid}',                                   true,  false),
	(13, 'ended_sessions', '{uuid,integer,integer}',                  true,  false),
	(14, 'parse_user_agent', '{text}',                                false, true),
	(15, 'parse_user_agent_raw', '{text}',                            false, false);

-- PUBLIC: nothing at all (22 tests) ----------------------------------------

SELECT schema_privs_are('authsessions', 'public', '{}',
	'PUBLIC has no privilege on schema authsessions');
SELECT schema_privs_are('authsessions_data', 'public', '{}',
	'PUBLIC has no privilege on schema authsessions_data');
SELECT function_privs_are('authsessions', name, args, 'public', '{}',
		format('PUBLIC cannot execute authsessions.%s(%s)', name, array_to_string(args, ', ')))
  FROM fns ORDER BY ord;
SELECT table_privs_are('authsessions_data', 'users', 'public', '{}',
	'PUBLIC has no privilege on table authsessions_data.users');
SELECT table_privs_are('authsessions_data', 'sessions', 'public', '{}',
	'PUBLIC has no privilege on table authsessions_data.sessions');
SELECT sequence_privs_are('authsessions_data', 'users_id_seq', 'public', '{}',
	'PUBLIC has no privilege on sequence authsessions_data.users_id_seq');
SELECT sequence_privs_are('authsessions_data', 'sessions_id_seq', 'public', '{}',
	'PUBLIC has no privilege on sequence authsessions_data.sessions_id_seq');

-- Catch-all: no object of the extension has a default ACL (which would mean
-- EXECUTE for PUBLIC on a function) or an ACL entry for PUBLIC.
SELECT is(
	(SELECT coalesce(array_agg(obj ORDER BY obj), '{}') FROM (
		SELECT p.oid::regprocedure::text AS obj, p.proacl AS acl
		  FROM pg_catalog.pg_proc p
		 WHERE p.pronamespace IN ('authsessions'::regnamespace, 'authsessions_data'::regnamespace)
		UNION ALL
		SELECT c.oid::regclass::text, c.relacl
		  FROM pg_catalog.pg_class c
		 WHERE c.relnamespace = 'authsessions_data'::regnamespace AND c.relkind IN ('r', 'S')
		UNION ALL
		SELECT n.nspname::text, n.nspacl
		  FROM pg_catalog.pg_namespace n
		 WHERE n.nspname IN ('authsessions', 'authsessions_data')) o
	  WHERE o.acl IS NULL
	     OR EXISTS (SELECT FROM aclexplode(o.acl) a WHERE a.grantee = 0)),
	'{}',
	'no function, table, sequence or schema of the extension grants anything to PUBLIC');

-- The documented roles -----------------------------------------------------

CREATE ROLE regress_admin NOLOGIN;
CREATE ROLE regress_app NOLOGIN;
CREATE ROLE regress_nobody NOLOGIN;

-- As the README documents: an admin role.
GRANT USAGE ON SCHEMA authsessions TO regress_admin;
GRANT EXECUTE ON FUNCTION
	authsessions.list(integer, integer, uuid),
	authsessions.user_sessions(uuid, integer, integer),
	authsessions.ended_sessions(uuid, integer, integer),
	authsessions.revoke(bigint),
	authsessions.revoke_user(uuid)
	TO regress_admin;

-- As the README documents: an application backend role.
GRANT USAGE ON SCHEMA authsessions TO regress_app;
GRANT EXECUTE ON FUNCTION
	authsessions.upsert_user(uuid, text, boolean),
	authsessions.delete_user(uuid),
	authsessions.create_session(uuid, text, text, text, interval, text, inet, interval),
	authsessions.validate(text),
	authsessions.check_token(text),
	authsessions.parse_user_agent(text),
	authsessions.end_session(text),
	authsessions.purge(interval, integer)
	TO regress_app;

-- Catalogue view of those grants (38 tests).
SELECT function_privs_are('authsessions', name, args, 'regress_admin',
		CASE WHEN admin THEN '{EXECUTE}' ELSE '{}' END::name[],
		format('regress_admin %s execute authsessions.%s(%s)',
			   CASE WHEN admin THEN 'can' ELSE 'cannot' END, name, array_to_string(args, ', ')))
  FROM fns ORDER BY ord;
SELECT function_privs_are('authsessions', name, args, 'regress_app',
		CASE WHEN app THEN '{EXECUTE}' ELSE '{}' END::name[],
		format('regress_app %s execute authsessions.%s(%s)',
			   CASE WHEN app THEN 'can' ELSE 'cannot' END, name, array_to_string(args, ', ')))
  FROM fns ORDER BY ord;
SELECT schema_privs_are('authsessions', 'regress_admin', '{USAGE}',
	'regress_admin has only USAGE on schema authsessions');
SELECT schema_privs_are('authsessions_data', 'regress_admin', '{}',
	'regress_admin has no privilege on schema authsessions_data');
SELECT schema_privs_are('authsessions', 'regress_app', '{USAGE}',
	'regress_app has only USAGE on schema authsessions');
SELECT schema_privs_are('authsessions_data', 'regress_app', '{}',
	'regress_app has no privilege on schema authsessions_data');
SELECT table_privs_are('authsessions_data', 'sessions', 'regress_admin', '{}',
	'regress_admin has no privilege on table sessions');
SELECT table_privs_are('authsessions_data', 'users', 'regress_admin', '{}',
	'regress_admin has no privilege on table users');
SELECT table_privs_are('authsessions_data', 'sessions', 'regress_app', '{}',
	'regress_app has no privilege on table sessions');
SELECT table_privs_are('authsessions_data', 'users', 'regress_app', '{}',
	'regress_app has no privilege on table users');

-- Fixtures, as the superuser: alice with one session.
DO $$BEGIN PERFORM authsessions.upsert_user('00000000-0000-4000-8000-00000000a11c', 'alice'); END$$;
CREATE TEMP TABLE fx (who text PRIMARY KEY, id bigint, token text);
INSERT INTO fx
SELECT 'alice', (j->>'ID')::bigint, j->>'Token'
  FROM authsessions.create_session('00000000-0000-4000-8000-00000000a11c', 'iPhone', 'iOS', 'app') AS j;
GRANT ALL ON fx TO PUBLIC;

-- The admin role, behaving (20 tests) --------------------------------------

SET ROLE regress_admin;

SELECT is(authsessions.list(),
	'[{"UserGuid": "00000000-0000-4000-8000-00000000a11c", "UserName": "alice", "SessionCount": 1, "IsOperator": false}]'::jsonb,
	'regress_admin can call list()');
SELECT is((authsessions.user_sessions('00000000-0000-4000-8000-00000000a11c')->0->>'ID')::bigint,
	(SELECT id FROM fx WHERE who = 'alice'),
	'regress_admin can call user_sessions()');
SELECT is(authsessions.revoke(id), '{"Success": true}'::jsonb, 'regress_admin can call revoke()')
  FROM fx WHERE who = 'alice';
SELECT is(authsessions.ended_sessions('00000000-0000-4000-8000-00000000a11c') -> 0 -> 'EndedBy',
	'"regress_admin"'::jsonb, 'regress_admin can call ended_sessions()');

SELECT throws_ok($$SELECT authsessions.create_session('00000000-0000-4000-8000-00000000a11c')$$,
	'42501', NULL, 'regress_admin cannot call create_session()');
SELECT throws_ok($$SELECT authsessions.upsert_user('00000000-0000-4000-8000-00000000a11c', 'mallory')$$,
	'42501', NULL, 'regress_admin cannot call upsert_user()');
SELECT throws_ok($$SELECT authsessions.delete_user('00000000-0000-4000-8000-00000000a11c')$$,
	'42501', NULL, 'regress_admin cannot call delete_user()');
SELECT throws_ok($$SELECT authsessions.validate('x')$$,
	'42501', NULL, 'regress_admin cannot call validate()');
SELECT throws_ok($$SELECT authsessions.check_token('x')$$,
	'42501', NULL, 'regress_admin cannot call check_token()');
SELECT throws_ok($$SELECT authsessions.end_session('x')$$,
	'42501', NULL, 'regress_admin cannot call end_session()');
SELECT throws_ok($$SELECT authsessions.purge()$$,
	'42501', NULL, 'regress_admin cannot call purge()');
SELECT throws_ok($$SELECT authsessions.repair_summary()$$,
	'42501', NULL, 'regress_admin cannot call repair_summary()');
SELECT throws_ok($$SELECT authsessions.parse_user_agent('curl/8.4.0')$$,
	'42501', NULL, 'regress_admin cannot call parse_user_agent()');
SELECT throws_ok($$SELECT * FROM authsessions_data.sessions$$,
	'42501', NULL, 'regress_admin cannot read authsessions_data.sessions');
SELECT throws_ok($$SELECT * FROM authsessions_data.users$$,
	'42501', NULL, 'regress_admin cannot read authsessions_data.users');
SELECT throws_ok($$UPDATE authsessions_data.sessions SET revoked_at = NULL$$,
	'42501', NULL, 'regress_admin cannot write authsessions_data.sessions');

RESET ROLE;
SELECT is(s.revoked_by, 'regress_admin', 'revoke() recorded the calling role in revoked_by')
  FROM authsessions_data.sessions s JOIN fx ON fx.id = s.id WHERE fx.who = 'alice';
SELECT is(s.revoked_by_role, 'regress_admin',
	'revoke() recorded the role in effect (SET ROLE), not the function owner, in revoked_by_role')
  FROM authsessions_data.sessions s JOIN fx ON fx.id = s.id WHERE fx.who = 'alice';
SELECT is(s.revoked_by_login, session_user::text, 'revoke() recorded session_user in revoked_by_login')
  FROM authsessions_data.sessions s JOIN fx ON fx.id = s.id WHERE fx.who = 'alice';
SELECT is(s.end_reason::text, 'revoked', 'revoke() recorded end_reason revoked')
  FROM authsessions_data.sessions s JOIN fx ON fx.id = s.id WHERE fx.who = 'alice';

-- The application role, behaving (17 tests) --------------------------------

SET ROLE regress_app;

SELECT isnt(authsessions.upsert_user('00000000-0000-4000-8000-000000000b0b', 'bob', true), NULL,
	'regress_app can call upsert_user()');
SELECT lives_ok($$INSERT INTO fx
	SELECT 'bob', (j->>'ID')::bigint, j->>'Token'
	  FROM authsessions.create_session('00000000-0000-4000-8000-000000000b0b', ttl => '1 hour') AS j$$,
	'regress_app can call create_session()');
SELECT is((authsessions.validate(token)->>'ID')::bigint, id, 'regress_app can call validate()')
  FROM fx WHERE who = 'bob';
SELECT is((authsessions.check_token(token)->>'ID')::bigint, id, 'regress_app can call check_token()')
  FROM fx WHERE who = 'bob';
SELECT is(authsessions.end_session(token), '{"Success": true}'::jsonb,
	'regress_app can call end_session()')
  FROM fx WHERE who = 'bob';
SELECT lives_ok($$SELECT authsessions.purge()$$, 'regress_app can call purge()');
SELECT is(authsessions.parse_user_agent('curl/8.4.0'),
	'{"Smartphone": "-", "Application": "curl- v. 8.4.0", "OperatingSystem": "Other- v. "}'::jsonb,
	'regress_app can call parse_user_agent()');
SELECT throws_ok($$SELECT authsessions.parse_user_agent_raw('curl/8.4.0')$$,
	'42501', NULL, 'regress_app cannot call parse_user_agent_raw() (internal)');

SELECT throws_ok($$SELECT authsessions.list()$$,
	'42501', NULL, 'regress_app cannot call list()');
SELECT throws_ok($$SELECT authsessions.user_sessions('00000000-0000-4000-8000-000000000b0b')$$,
	'42501', NULL, 'regress_app cannot call user_sessions()');
SELECT throws_ok($$SELECT authsessions.ended_sessions('00000000-0000-4000-8000-000000000b0b')$$,
	'42501', NULL, 'regress_app cannot call ended_sessions()');
SELECT throws_ok(format('SELECT authsessions.revoke(%s)', id),
	'42501', NULL, 'regress_app cannot call revoke()')
  FROM fx WHERE who = 'bob';
SELECT throws_ok($$SELECT * FROM authsessions_data.sessions$$,
	'42501', NULL, 'regress_app cannot read authsessions_data.sessions');
SELECT throws_ok($$SELECT * FROM authsessions_data.users$$,
	'42501', NULL, 'regress_app cannot read authsessions_data.users');
SELECT throws_ok($$SELECT authsessions.repair_summary('00000000-0000-4000-8000-000000000b0b')$$,
	'42501', NULL, 'regress_app cannot call repair_summary()');

RESET ROLE;
SELECT is(s.revoked_by, 'regress_app', 'end_session() recorded the calling role in revoked_by')
  FROM authsessions_data.sessions s JOIN fx ON fx.id = s.id WHERE fx.who = 'bob';
SELECT is(s.revoked_by_role || ' ' || s.revoked_by_login, 'regress_app ' || session_user,
	'end_session() recorded the role in effect and session_user')
  FROM authsessions_data.sessions s JOIN fx ON fx.id = s.id WHERE fx.who = 'bob';
SELECT is(s.end_reason::text, 'logout', 'end_session() recorded end_reason logout')
  FROM authsessions_data.sessions s JOIN fx ON fx.id = s.id WHERE fx.who = 'bob';

SET ROLE regress_app;
SELECT is(authsessions.delete_user('00000000-0000-4000-8000-000000000b0b'), '{"Success": true}'::jsonb,
	'regress_app can call delete_user()');
RESET ROLE;

-- Settings are PGC_SUSET: callers cannot stretch lifetimes or lift the
-- session cap (3 tests) ------------------------------------------------------

SELECT is(
	(SELECT array_agg(name || '=' || context ORDER BY name) FROM pg_catalog.pg_settings
	  WHERE name LIKE 'authsessions.%'),
	ARRAY['authsessions.idle_timeout=superuser', 'authsessions.jwt_audience=superuser',
	      'authsessions.jwt_max_ttl=superuser', 'authsessions.jwt_operator_role=superuser',
	      'authsessions.jwt_role=superuser', 'authsessions.jwt_secret_file=sighup',
	      'authsessions.jwt_ttl=superuser', 'authsessions.max_lifetime=superuser',
	      'authsessions.max_page_size=superuser',
	      'authsessions.max_sessions_per_user=superuser', 'authsessions.max_ttl=superuser',
	      'authsessions.notify_channel=superuser',
	      'authsessions.session_limit_action=superuser', 'authsessions.touch_interval=superuser'],
	'the fourteen authsessions settings exist and only a superuser may change them (jwt_secret_file: postgresql.conf only)');
SET ROLE regress_app;
SELECT throws_ok($$SET authsessions.idle_timeout = '400d'$$, '42501', NULL,
	'regress_app cannot change authsessions.idle_timeout');
SELECT throws_ok($$SET authsessions.max_sessions_per_user = 0$$, '42501', NULL,
	'regress_app cannot change authsessions.max_sessions_per_user');
RESET ROLE;

-- A caller's look-alike objects run nothing as the owner (3 tests) ---------
-- regress_app puts a schema of its own first in search_path, with a now()
-- and = operators that log who runs them.  Plans kept by this backend are
-- invalidated first, so the functions re-analyse their statements now.

CREATE SCHEMA regress_evil AUTHORIZATION regress_app;
SET ROLE regress_app;
CREATE TABLE regress_evil.log (who name);
GRANT INSERT ON regress_evil.log TO PUBLIC;
CREATE FUNCTION regress_evil.now() RETURNS timestamptz LANGUAGE plpgsql AS
	$$BEGIN INSERT INTO regress_evil.log VALUES (current_user); RETURN pg_catalog.now(); END$$;
CREATE FUNCTION regress_evil.eq(bigint, bigint) RETURNS boolean LANGUAGE plpgsql AS
	$$BEGIN INSERT INTO regress_evil.log VALUES (current_user); RETURN $1 OPERATOR(pg_catalog.=) $2; END$$;
CREATE FUNCTION regress_evil.eq(uuid, uuid) RETURNS boolean LANGUAGE plpgsql AS
	$$BEGIN INSERT INTO regress_evil.log VALUES (current_user); RETURN $1 OPERATOR(pg_catalog.=) $2; END$$;
CREATE FUNCTION regress_evil.eq(bytea, bytea) RETURNS boolean LANGUAGE plpgsql AS
	$$BEGIN INSERT INTO regress_evil.log VALUES (current_user); RETURN $1 OPERATOR(pg_catalog.=) $2; END$$;
CREATE OPERATOR regress_evil.= (FUNCTION = regress_evil.eq, LEFTARG = bigint, RIGHTARG = bigint);
CREATE OPERATOR regress_evil.= (FUNCTION = regress_evil.eq, LEFTARG = uuid, RIGHTARG = uuid);
CREATE OPERATOR regress_evil.= (FUNCTION = regress_evil.eq, LEFTARG = bytea, RIGHTARG = bytea);
RESET ROLE;
ALTER TABLE authsessions_data.sessions ALTER COLUMN smartphone SET STATISTICS 100;
ALTER TABLE authsessions_data.users ALTER COLUMN name SET STATISTICS 100;

SET ROLE regress_app;
SET search_path = regress_evil, pg_catalog, public;
SELECT lives_ok($sql$
	DO $do$
	DECLARE
		j jsonb;
	BEGIN
		PERFORM authsessions.upsert_user('00000000-0000-4000-8000-0000000000e1', 'eve');
		j := authsessions.create_session('00000000-0000-4000-8000-0000000000e1');
		PERFORM authsessions.validate(j->>'Token');
		PERFORM authsessions.check_token(j->>'Token');
		PERFORM authsessions.end_session(j->>'Token');
		PERFORM authsessions.purge();
		PERFORM authsessions.delete_user('00000000-0000-4000-8000-0000000000e1');
	END
	$do$$sql$,
	'the lifecycle works with a caller''s look-alike schema first in search_path');
SELECT is((SELECT count(*)::int FROM regress_evil.log), 0,
	'none of the caller''s look-alike functions or operators ran');
RESET search_path;
RESET ROLE;
SELECT is(
	(SELECT coalesce(array_agg(DISTINCT who::text), '{}') FROM regress_evil.log),
	'{}',
	'nothing ran with the owner''s rights');

-- A role with nothing granted: PUBLIC's rights only (4 tests) --------------

SET ROLE regress_nobody;
SELECT throws_ok($$SELECT authsessions.list()$$,
	'42501', NULL, 'a role granted nothing cannot call list()');
SELECT throws_ok($$SELECT authsessions.validate('x')$$,
	'42501', NULL, 'a role granted nothing cannot call validate()');
SELECT throws_ok($$SELECT authsessions.check_token('x')$$,
	'42501', NULL, 'a role granted nothing cannot call check_token()');
SELECT throws_ok($$SELECT authsessions.repair_summary()$$,
	'42501', NULL, 'a role granted nothing cannot call repair_summary()');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
