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
Arguments: user_guid (required); smartphone, operating_system, application (up to 256 characters), user_agent (up to 1024), ip: optional, NULL allowed; ttl: this session's idle timeout, whole seconds, no months, at most authsessions.max_ttl (NULL: authsessions.idle_timeout).
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
'authsessions: the session store API (admin: list, user_sessions, revoke, revoke_user; application: upsert_user, delete_user, create_session, validate, check_token, end_session, purge)';

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
