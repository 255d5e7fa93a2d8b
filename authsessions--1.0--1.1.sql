/* authsessions--1.0--1.1.sql: upgrade authsessions from 1.0 to 1.1 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION authsessions UPDATE TO '1.1'" to load this file. \quit

/*
 * The user row's summary keeps only what list() needs: session_entries goes
 * (user_sessions reads the user's sessions through sessions_user_id_idx
 * again), and session_expiries is pruned of past elements at every rewrite.
 * Dropping a column rewrites nothing; the rows keep the old bytes until
 * their next update.
 */
ALTER TABLE authsessions_data.users DROP COLUMN session_entries;
DROP TYPE authsessions_data.session_entry;

COMMENT ON COLUMN authsessions_data.users.session_expiries IS
'expires_at of each active session of the user (elements in the past are dropped at every rewrite); maintained by create_session, validate, revoke, end_session and purge, read by list(); authsessions.repair_summary() recomputes it';

-- Audit: the role in effect for the call and the login that ended a session.
ALTER TABLE authsessions_data.sessions
	ADD COLUMN revoked_by_role text,
	ADD COLUMN revoked_by_login text;
COMMENT ON COLUMN authsessions_data.sessions.revoked_by IS
'who ended the session: the sub claim of request.jwt.claims, else the role in effect for the call; authsessions:evicted for a session ended by authsessions.max_sessions_per_user';
COMMENT ON COLUMN authsessions_data.sessions.revoked_by_role IS
'the role in effect for the call that ended the session (PostgREST''s JWT role, unchanged by SECURITY DEFINER)';
COMMENT ON COLUMN authsessions_data.sessions.revoked_by_login IS
'session_user of the call that ended the session (the role that logged in)';

COMMENT ON FUNCTION authsessions.revoke(bigint) IS
$$Revoke one active session.
Argument: "Session", the session ID (required; the body is {"Session": 123}).
Returns {"Success": true}. Records who revoked it: revoked_by (the sub claim of request.jwt.claims, otherwise the calling role), revoked_by_role (the role in effect for the call) and revoked_by_login (session_user).
Errors: PT404 err_NoActiveSession when no active session has that ID; 22004 for a NULL Session; 25006 in a read-only transaction; any constraint or trigger added to the tables applies as to an UPDATE.$$;

COMMENT ON FUNCTION authsessions.validate(text) IS
$$Check a token on a request and slide its session's expiry.
Returns the session as one user_sessions element when it is active, otherwise null (also for a NULL, empty or malformed token: never an error).
Slides LastUpdated and ExpirationDate (to least(now + the idle timeout, the session's absolute lifetime), never backwards) once least(authsessions.touch_interval, half the session's idle timeout) has passed since LastUpdated, only in a READ WRITE, READ COMMITTED transaction, and never waits for a lock: a touch it cannot make now is made by a later call.$$;

-- Absolute lifetime -------------------------------------------------------

/*
 * A session's own lifetime bound, from create_session's new max_lifetime
 * argument; NULL for every session made before (authsessions.max_lifetime
 * bounds those, and every other, from created_at).  Adding a nullable
 * column without a default rewrites nothing.
 */
ALTER TABLE authsessions_data.sessions ADD COLUMN max_expires_at timestamptz;
COMMENT ON COLUMN authsessions_data.sessions.max_expires_at IS
'the latest expiry the session may have: created_at + the max_lifetime argument of create_session; NULL without one (authsessions.max_lifetime after created_at bounds every session too)';

/*
 * create_session gains max_lifetime, so it is a new function: create it,
 * give it the EXECUTE grants the old one had, then drop the old one (the
 * rule of doc/testing.md, "Contributing").  GRANT inside an extension
 * script also records its privileges as the extension's initial ones
 * (pg_init_privs), which would hide the DBA's grants from pg_dump: the
 * initial privileges are put back as this script's REVOKE left them, as in
 * a fresh install.  The grants are made by the superuser running the
 * update, so their grantor is the function's owner.
 */
CREATE FUNCTION authsessions.create_session(
	user_guid uuid,
	smartphone text DEFAULT NULL,
	operating_system text DEFAULT NULL,
	application text DEFAULT NULL,
	ttl interval DEFAULT NULL,
	user_agent text DEFAULT NULL,
	ip inet DEFAULT NULL,
	max_lifetime interval DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'authsessions_create_session'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION authsessions.create_session(uuid, text, text, text, interval, text, inet, interval) IS
$$Open a session at login and hand out its token, once.
Returns {"ID", "Token", "ExpirationDate"}; only the token's SHA-256 is stored.
Arguments: user_guid (required); smartphone, operating_system, application (up to 256 characters), user_agent (up to 1024), ip: optional, NULL allowed (a NULL smartphone, operating_system or application is derived from user_agent when that is given, as parse_user_agent does); ttl: this session's idle timeout, whole seconds, no months, at most authsessions.max_ttl (NULL: authsessions.idle_timeout); max_lifetime: this session's absolute lifetime, whole seconds, no months, at most authsessions.max_lifetime when that is set (NULL: the setting alone).
ExpirationDate is least(now + ttl, creation + the lifetime), also when validate slides it; a ttl above the lifetime is not an error.
With authsessions.max_sessions_per_user set and that many sessions active, authsessions.session_limit_action decides: evict_oldest ends the least recently used ones, refuse raises PT429 err_TooManySessions.
Errors: PT404 err_UserNotFound for an unknown user; PT429 err_TooManySessions; 22004 for a NULL user_guid; 22023 for a bad ttl or max_lifetime; 22001 for a field too long; 25006 in a read-only transaction.$$;

-- Nobody may call it until granted, as in a fresh install.
REVOKE ALL ON FUNCTION authsessions.create_session(uuid, text, text, text, interval, text, inet, interval) FROM PUBLIC;

DO $$
DECLARE
	old_fn CONSTANT pg_catalog.regprocedure :=
		'authsessions.create_session(uuid, text, text, text, interval, text, inet)';
	new_fn CONSTANT pg_catalog.regprocedure :=
		'authsessions.create_session(uuid, text, text, text, interval, text, inet, interval)';
	init pg_catalog.aclitem[];
	g record;
BEGIN
	SELECT i.initprivs INTO init FROM pg_catalog.pg_init_privs i
	WHERE i.objoid OPERATOR(pg_catalog.=) new_fn::pg_catalog.oid
	  AND i.classoid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
	  AND i.objsubid OPERATOR(pg_catalog.=) 0;
	FOR g IN
		SELECT a.grantee, a.is_grantable
		FROM pg_catalog.pg_proc p,
			pg_catalog.aclexplode(COALESCE(p.proacl,
				pg_catalog.acldefault('f', p.proowner))) WITH ORDINALITY AS a
		WHERE p.oid OPERATOR(pg_catalog.=) old_fn::pg_catalog.oid
		  AND a.privilege_type OPERATOR(pg_catalog.=) 'EXECUTE'
		  AND a.grantee OPERATOR(pg_catalog.<>) p.proowner
		ORDER BY a.ordinality
	LOOP
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %s%s',
			new_fn,
			CASE WHEN g.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
				ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(g.grantee)) END,
			CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
	END LOOP;
	IF init IS NULL THEN
		DELETE FROM pg_catalog.pg_init_privs i
		WHERE i.objoid OPERATOR(pg_catalog.=) new_fn::pg_catalog.oid
		  AND i.classoid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
		  AND i.objsubid OPERATOR(pg_catalog.=) 0;
	ELSE
		UPDATE pg_catalog.pg_init_privs i SET initprivs = init
		WHERE i.objoid OPERATOR(pg_catalog.=) new_fn::pg_catalog.oid
		  AND i.classoid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
		  AND i.objsubid OPERATOR(pg_catalog.=) 0;
	END IF;
END
$$;

DROP FUNCTION authsessions.create_session(uuid, text, text, text, interval, text, inet);

-- Reads from a hot standby -------------------------------------------------

/*
 * check_token: validate's read without the touch.  STABLE: it writes
 * nothing, and within a statement it answers alike except that, like
 * validate, it reads with the latest snapshot, so a revoke committed during
 * the statement is seen at once.  That snapshot is also why it is PARALLEL
 * UNSAFE and not SAFE or RESTRICTED: PostgreSQL refuses a new latest snapshot
 * in parallel mode, which the leader of a parallel plan is in too, and a
 * token check is one index probe, never worth a worker.
 */
CREATE FUNCTION authsessions.check_token(token text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'authsessions_check_token'
LANGUAGE C STABLE PARALLEL UNSAFE SECURITY INVOKER;

COMMENT ON FUNCTION authsessions.check_token(text) IS
$$Check a token without sliding its session's expiry: validate's answer, read only.
Returns the session as one user_sessions element when it is active, otherwise null (also for a NULL, empty or malformed token: never an error).
Writes nothing, so it answers in a READ ONLY transaction (PostgREST runs a POST to it READ ONLY, the token staying in the body) and on a hot standby.$$;

-- Like every function of the extension: nobody may call it until granted
-- (grant it where validate is granted).
REVOKE ALL ON FUNCTION authsessions.check_token(text) FROM PUBLIC;

COMMENT ON SCHEMA authsessions IS
'authsessions: the session store API (admin: list, user_sessions, ended_sessions, revoke, revoke_user; application: upsert_user, delete_user, create_session, parse_user_agent, validate, check_token, issue_jwt, end_session, purge; PostgREST: check_request; self-service: my_sessions, revoke_my_session, revoke_my_other_sessions, logout)';

-- Maintenance ---------------------------------------------------------------

CREATE FUNCTION authsessions.repair_summary(guid uuid DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'authsessions_repair_summary'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION authsessions.repair_summary(uuid) IS
$$Recompute the session summary that list() reads, where it is wrong.
Argument: guid, the user to repair (NULL or omitted: every user). The summary (users.listed and users.session_expiries) is recomputed from the sessions.
Returns the number of users whose summary was wrong and was rewritten. Locks each such user row until the end of the transaction, one at a time, waiting for its writers; reads the others without locking.
Errors: 25006 in a read-only transaction.$$;

-- Like every function of the extension: nobody may call it until granted.
REVOKE ALL ON FUNCTION authsessions.repair_summary(uuid) FROM PUBLIC;

-- Bulk revoke -----------------------------------------------------------------

CREATE FUNCTION authsessions.revoke_user("UserGuid" uuid)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'authsessions_revoke_user'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION authsessions.revoke_user(uuid) IS
$$Revoke every active session of one user.
Argument: "UserGuid", the user's guid (required; the body is {"UserGuid": "..."}).
Returns {"Revoked": n}, the number of sessions it ended; each records revoked_at, revoked_by, revoked_by_role and revoked_by_login as revoke does. Locks the user row first: a login committed before is revoked, one waiting for the lock is not.
Errors: PT404 err_NoActiveSession when the user has no active session (also for an unknown user); 22004 for a NULL UserGuid; 25006 in a read-only transaction.$$;

-- Like every function of the extension: nobody may call it until granted
-- (grant it where revoke is granted).
REVOKE ALL ON FUNCTION authsessions.revoke_user(uuid) FROM PUBLIC;

-- Session-bound JWTs and self-service ------------------------------------

/*
 * issue_jwt: validate's read and touch (SECURITY INVOKER like validate: the
 * touch runs as the owner, set up in C), then an HS256 JWT signed with the
 * key of authsessions.jwt_secret_file.  VOLATILE: it slides the expiry.
 */
CREATE FUNCTION authsessions.issue_jwt(token text, ttl interval DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'authsessions_issue_jwt'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;

COMMENT ON FUNCTION authsessions.issue_jwt(text, interval) IS
$$Issue a JWT bound to the session of a token, for PostgREST.
Returns {"JWT", "ExpirationDate"} when the token is an active session (validated and slid as validate does), otherwise null (also for a NULL, empty or malformed token: never an error about the token).
The JWT is HS256, signed with the key in authsessions.jwt_secret_file, with the claims role (authsessions.jwt_role, or authsessions.jwt_operator_role for an operator when set), sub (UserGuid), sid (the session ID), iat, exp and aud (when authsessions.jwt_audience is set). exp and ExpirationDate: now + ttl, at most the session's expiry.
Arguments: token; ttl (NULL or omitted: authsessions.jwt_ttl, capped at authsessions.jwt_max_ttl; whole seconds, no months, 1 second to authsessions.jwt_max_ttl).
Errors: 22023 for a bad ttl; 55000 when the signing key is not available.$$;

/*
 * check_request: PostgREST's db-pre-request.  SECURITY INVOKER: it reads
 * one session by primary key through the table access method (scan.c),
 * which checks no privilege and resolves no name.  VOLATILE: its answer
 * depends on the clock and on revokes committed during the statement.
 */
CREATE FUNCTION authsessions.check_request()
RETURNS void
AS 'MODULE_PATHNAME', 'authsessions_check_request'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;

COMMENT ON FUNCTION authsessions.check_request() IS
$$PostgREST's db-pre-request hook: cut off JWTs whose session has ended.
Returns nothing (void) when the request may go on. Reads the bearer JWT from request.headers and verifies it with the key of authsessions.jwt_secret_file (HS256 signature, exp, nbf, aud when authsessions.jwt_audience is set). A JWT with a sid claim passes only while that session is active and belongs to its sub; requests without a JWT, and JWTs without sid, pass.
Errors: PT401 err_SessionEnded (HTTP 401) for a revoked, ended, expired or foreign session, or a JWT that fails verification; 55000 when the signing key is not available.$$;

/*
 * The self-service functions take the caller's user and session from the
 * verified bearer JWT (as check_request does), never from an argument.
 * my_sessions reads like user_sessions (SECURITY INVOKER); the writers are
 * SECURITY DEFINER with a pinned search_path like revoke.
 */
CREATE FUNCTION authsessions.my_sessions(
	page integer DEFAULT 1,
	page_size integer DEFAULT 50)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'authsessions_my_sessions'
LANGUAGE C STABLE PARALLEL UNSAFE SECURITY INVOKER;

COMMENT ON FUNCTION authsessions.my_sessions(integer, integer) IS
$$Active sessions of the signed-in user (the user of the bearer JWT's session).
Returns a JSON array of the user_sessions objects plus "Current" (true for the JWT's own session), newest LastUpdated first.
Arguments: page (default 1), page_size (default 50, 1 to authsessions.max_page_size). NULL means the default.
Errors: PT401 err_NoSession without a session-bound JWT; PT401 err_SessionEnded when its session has ended; 22023 for a page below 1 or a page_size out of range.$$;

CREATE FUNCTION authsessions.revoke_my_session("Session" bigint)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'authsessions_revoke_my_session'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION authsessions.revoke_my_session(bigint) IS
$$Revoke one active session of the signed-in user.
Argument: "Session", the session ID (required; the body is {"Session": 123}).
Returns {"Success": true}. revoked_by is the user's UserGuid.
Errors: PT404 err_NoActiveSession when the user has no active session with that ID (also when it is another user's); PT401 err_NoSession / err_SessionEnded; 22004 for a NULL Session; 25006 in a read-only transaction.$$;

CREATE FUNCTION authsessions.revoke_my_other_sessions()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'authsessions_revoke_my_other_sessions'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION authsessions.revoke_my_other_sessions() IS
$$Revoke every active session of the signed-in user except the current one.
Returns {"Revoked": n}. revoked_by is the user's UserGuid.
Errors: PT401 err_NoSession / err_SessionEnded; 25006 in a read-only transaction.$$;

CREATE FUNCTION authsessions.logout()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'authsessions_logout'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION authsessions.logout() IS
$$Sign out: end the session of the bearer JWT; its JWTs get 401 from the next request.
Returns {"Success": true} ({"Success": false} if a concurrent revoke ended it first). revoked_by is the user's UserGuid.
Errors: PT401 err_NoSession / err_SessionEnded; 25006 in a read-only transaction.$$;

-- Like every function of the extension: nobody may call them until granted
-- (examples/postgrest/roles.sql says whom).
REVOKE ALL ON FUNCTION authsessions.issue_jwt(text, interval),
	authsessions.check_request(),
	authsessions.my_sessions(integer, integer),
	authsessions.revoke_my_session(bigint),
	authsessions.revoke_my_other_sessions(),
	authsessions.logout()
FROM PUBLIC;

-- Device fields from the User-Agent -----------------------------------------

/*
 * The device fields from a User-Agent, with the ua-parser rules (uap-core,
 * compiled in at build time; src/useragent.c).  Not STRICT, like every
 * function here: a NULL user_agent raises 22004.  STABLE, not IMMUTABLE: a
 * rebuild with other rules changes the answer.  PARALLEL SAFE: it reads no
 * table and keeps only a per-backend cache.  SECURITY INVOKER: it runs no SQL.
 */
CREATE FUNCTION authsessions.parse_user_agent(user_agent text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'authsessions_parse_user_agent'
LANGUAGE C STABLE PARALLEL SAFE SECURITY INVOKER;

COMMENT ON FUNCTION authsessions.parse_user_agent(text) IS
$$Derive the device fields of a session from a User-Agent.
create_session derives those it is given as NULL the same way.
Returns {"Smartphone", "OperatingSystem", "Application"}: Application is the browser's family, "- v. " and its version (major.minor.patch, stopping at the first missing part), e.g. "Chrome Mobile- v. 85.0.4183"; OperatingSystem likewise (with patch_minor), e.g. "Android- v. 10"; Smartphone the device's brand and model (its family when it has no brand), "-" for a desktop, a bot or an unknown device. An unknown or malformed agent gives "-", "Other- v. ", "Other- v. ". Rules: ua-parser's uap-core, the release the extension was built with.
Errors: 22004 for a NULL user_agent; 22001 for one over 1024 characters.$$;

/*
 * Internal, for the conformance suite (test/extra/19_uap_conformance.sh):
 * granted to nobody, not part of the API.
 */
CREATE FUNCTION authsessions.parse_user_agent_raw(user_agent text)
RETURNS text[]
AS 'MODULE_PATHNAME', 'authsessions_parse_user_agent_raw'
LANGUAGE C STABLE PARALLEL SAFE SECURITY INVOKER;

COMMENT ON FUNCTION authsessions.parse_user_agent_raw(text) IS
$$Internal: the raw ua-parser fields of a User-Agent, for the conformance suite.
Granted to nobody; not part of the API.
Returns what the rules say, uncached, as text[] {browser family, major, minor, patch, OS family, major, minor, patch, patch_minor, device family, brand, model}, NULL where absent.
Errors: 22004 for a NULL user_agent; 22001 for one over 1024 characters.$$;

-- Like every function of the extension: nobody may call them until granted
-- (grant parse_user_agent where create_session is granted).
REVOKE ALL ON FUNCTION authsessions.parse_user_agent(text),
	authsessions.parse_user_agent_raw(text) FROM PUBLIC;
-- Why a session ended ----------------------------------------------------------

/*
 * end_reason: set with revoked_at by every writer from now on.  Sessions
 * that ended under 1.0 keep it NULL (unknown: 1.0 recorded the same
 * revoked_by for a revoke and a logout), so the update rewrites no row;
 * a domain, not a table CHECK, for the reason the install script gives.
 */
CREATE DOMAIN authsessions_data.end_reason AS text
	CONSTRAINT end_reason_check
	CHECK (VALUE IN ('revoked', 'logout', 'evicted', 'user_deleted'));
COMMENT ON DOMAIN authsessions_data.end_reason IS
'authsessions: why a session ended (revoked, logout, evicted, user_deleted)';
ALTER TABLE authsessions_data.sessions
	ADD COLUMN end_reason authsessions_data.end_reason;
COMMENT ON COLUMN authsessions_data.sessions.end_reason IS
'why the session ended, set with revoked_at by the call that ended it: revoked (revoke, revoke_user, revoke_my_session, revoke_my_other_sessions), logout (end_session, logout), evicted (authsessions.max_sessions_per_user); NULL while active, for a session that expired, and for one ended before version 1.1 (unknown). delete_user deletes the user''s sessions, so user_deleted is only announced (authsessions.notify_channel), never stored by the extension';

CREATE FUNCTION authsessions.ended_sessions(
	guid uuid,
	page integer DEFAULT 1,
	page_size integer DEFAULT 50)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'authsessions_ended_sessions'
LANGUAGE C STABLE PARALLEL UNSAFE SECURITY INVOKER;

COMMENT ON FUNCTION authsessions.ended_sessions(uuid, integer, integer) IS
$$Ended sessions of one user (not yet purged), and why each ended.
Returns a JSON array of {"ID", "EndedAt", "EndedBy", "EndReason"}, latest EndedAt first (then highest ID); [] for an unknown user. A revoked or logged-out session: EndedAt is revoked_at, EndedBy revoked_by, EndReason revoked, logout or evicted (null if it ended before version 1.1). A session that expired: EndedAt is its expiry, EndedBy and EndReason null.
Arguments: guid (required), page (default 1), page_size (default 50, 1 to authsessions.max_page_size). NULL page or page_size means the default.
Errors: 22004 for a NULL guid; 22023 for a page below 1 or a page_size out of range.$$;

-- Like every function of the extension: nobody may call it until granted
-- (grant it where user_sessions is granted).
REVOKE ALL ON FUNCTION authsessions.ended_sessions(uuid, integer, integer) FROM PUBLIC;
