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

COMMENT ON FUNCTION authsessions.create_session(uuid, text, text, text, interval, text, inet) IS
$$Open a session at login and hand out its token, once.
Returns {"ID", "Token", "ExpirationDate"}; only the token's SHA-256 is stored.
Arguments: user_guid (required); smartphone, operating_system, application (up to 256 characters), user_agent (up to 1024), ip: optional, NULL allowed (a NULL smartphone, operating_system or application is derived from user_agent when that is given, as parse_user_agent does); ttl: this session's idle timeout, whole seconds, no months, at most authsessions.max_ttl (NULL: authsessions.idle_timeout).
With authsessions.max_sessions_per_user set and that many sessions active, authsessions.session_limit_action decides: evict_oldest ends the least recently used ones, refuse raises PT429 err_TooManySessions.
Errors: PT404 err_UserNotFound for an unknown user; PT429 err_TooManySessions; 22004 for a NULL user_guid; 22023 for a bad ttl; 22001 for a field too long; 25006 in a read-only transaction.$$;

COMMENT ON FUNCTION authsessions.validate(text) IS
$$Check a token on a request and slide its session's expiry.
Returns the session as one user_sessions element when it is active, otherwise null (also for a NULL, empty or malformed token: never an error).
Slides LastUpdated and ExpirationDate once least(authsessions.touch_interval, half the session's idle timeout) has passed since LastUpdated, only in a READ WRITE, READ COMMITTED transaction, and never waits for a lock: a touch it cannot make now is made by a later call.$$;

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
'authsessions: the session store API (admin: list, user_sessions, revoke; application: upsert_user, delete_user, create_session, parse_user_agent, validate, check_token, end_session, purge)';

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
 * Internal, for the conformance suite (test/extra/17_uap_conformance.sh):
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
