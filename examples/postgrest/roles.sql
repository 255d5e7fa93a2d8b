-- examples/postgrest/roles.sql: the database roles PostgREST 12 needs to serve
-- the authsessions admin API, with exactly the privileges each one needs.
--
--   psql -X -v ON_ERROR_STOP=1 -d YOUR_DB -f examples/postgrest/roles.sql
--
-- Run it as a superuser in the database that PostgREST's db-uri names.  It
-- creates the extension when it is missing, is safe to run again, and ends
-- with NOTIFY pgrst so that a running PostgREST reloads its schema cache.
--
-- Roles (role names are cluster-wide; the grants belong to this database):
--   authenticator       LOGIN NOINHERIT: the only role PostgREST logs in as.
--                       It holds no privilege of its own and switches, per
--                       request, to one of the three roles below.
--   authsessions_anon   db-anon-role: requests without a JWT.  Granted
--                       nothing, so every endpoint answers 401.
--   authsessions_admin  the admin API: list, user_sessions,
--                       ended_sessions, revoke, revoke_user.  A JWT with "role":
--                       "authsessions_admin" selects it.
--   authsessions_app    the application backend: upsert_user, delete_user,
--                       create_session, validate, check_token, issue_jwt,
--                       end_session, purge, parse_user_agent.
--                       A JWT with "role": "authsessions_app" selects it.
--   authsessions_user   the signed-in users, with the JWTs of issue_jwt
--                       (authsessions.jwt_role): my_sessions,
--                       revoke_my_session, revoke_my_other_sessions, logout.
-- All four may execute check_request, the db-pre-request hook
-- (postgrest.conf), and nothing else besides what is listed here.
-- None of them gets anything in schema authsessions_data: the tables are
-- reached only through the functions of schema authsessions.
--
-- Give authenticator a password (PostgREST's db-uri needs it), e.g. in psql:
--   \password authenticator

\set ON_ERROR_STOP on

-- All or nothing.
BEGIN;

CREATE EXTENSION IF NOT EXISTS authsessions;

DO $roles$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'authenticator') THEN
		CREATE ROLE authenticator;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'authsessions_anon') THEN
		CREATE ROLE authsessions_anon;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'authsessions_admin') THEN
		CREATE ROLE authsessions_admin;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'authsessions_app') THEN
		CREATE ROLE authsessions_app;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'authsessions_user') THEN
		CREATE ROLE authsessions_user;
	END IF;
END
$roles$;

-- Attributes are (re)stated, so a role that already existed ends up the same.
-- NOINHERIT: the authenticator's own session has none of the privileges of
-- the roles it may switch to.
ALTER ROLE authenticator LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE authsessions_anon NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE authsessions_admin NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE authsessions_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE authsessions_user NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;

-- PostgREST applies a role's user-level settings to each request of that role
-- (SET LOCAL), so this bounds every call made through the API.
ALTER ROLE authsessions_anon SET statement_timeout = '5s';
ALTER ROLE authsessions_admin SET statement_timeout = '5s';
ALTER ROLE authsessions_app SET statement_timeout = '5s';
ALTER ROLE authsessions_user SET statement_timeout = '5s';

-- PostgREST switches to these roles with set_config('role', ...): the
-- authenticator must be a member of each.
GRANT authsessions_anon, authsessions_admin, authsessions_app, authsessions_user TO authenticator;

-- Start from nothing, so that the grants below are exactly what each role
-- has, even when the roles existed before with hand-made grants (the
-- extension itself already revoked everything from PUBLIC).
REVOKE ALL ON SCHEMA authsessions FROM authenticator, authsessions_anon, authsessions_admin, authsessions_app, authsessions_user;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA authsessions FROM authenticator, authsessions_anon, authsessions_admin, authsessions_app, authsessions_user;
REVOKE ALL ON SCHEMA authsessions_data FROM authenticator, authsessions_anon, authsessions_admin, authsessions_app, authsessions_user;
REVOKE ALL ON ALL TABLES IN SCHEMA authsessions_data FROM authenticator, authsessions_anon, authsessions_admin, authsessions_app, authsessions_user;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA authsessions_data FROM authenticator, authsessions_anon, authsessions_admin, authsessions_app, authsessions_user;

-- Every role PostgREST switches to runs the db-pre-request hook, on every
-- request (when postgrest.conf names it).  For authsessions_anon it is the
-- only thing it may call: every other endpoint still answers it 401.
GRANT USAGE ON SCHEMA authsessions TO authsessions_anon, authsessions_admin, authsessions_app, authsessions_user;
GRANT EXECUTE ON FUNCTION authsessions.check_request() TO authsessions_anon, authsessions_admin, authsessions_app, authsessions_user;

-- Admin API: GET list, GET user-sessions/{guid}, POST revoke, POST revoke-user;
-- ended_sessions through PostgREST (/rpc/ended_sessions).
GRANT USAGE ON SCHEMA authsessions TO authsessions_admin;
GRANT EXECUTE ON FUNCTION
	authsessions.list(integer, integer, uuid),
	authsessions.user_sessions(uuid, integer, integer),
	authsessions.ended_sessions(uuid, integer, integer),
	authsessions.revoke_user(uuid),
	authsessions.revoke(bigint)
TO authsessions_admin;

-- Application backend: the session lifecycle.
GRANT USAGE ON SCHEMA authsessions TO authsessions_app;
GRANT EXECUTE ON FUNCTION
	authsessions.upsert_user(uuid, text, boolean),
	authsessions.delete_user(uuid),
	authsessions.create_session(uuid, text, text, text, interval, text, inet, interval),
	authsessions.validate(text),
	authsessions.check_token(text),
	authsessions.issue_jwt(text, interval),
	authsessions.parse_user_agent(text),
	authsessions.end_session(text),
	authsessions.purge(interval, integer)
TO authsessions_app;

-- Signed-in users (the JWTs of issue_jwt): their own sessions only.
GRANT EXECUTE ON FUNCTION authsessions.my_sessions(integer, integer), authsessions.revoke_my_session(bigint), authsessions.revoke_my_other_sessions(), authsessions.logout() TO authsessions_user;

-- A running PostgREST caches the list of functions: tell it to reload.
-- (Also needed after every CREATE EXTENSION / ALTER EXTENSION ... UPDATE.)
NOTIFY pgrst, 'reload schema';

COMMIT;
