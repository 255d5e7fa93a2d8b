-- authsessions.max_sessions_per_user and session_limit_action: at the cap,
-- create_session ends the least recently used sessions (evict_oldest: ties
-- by lowest ID, revoked_by 'authsessions:evicted') or refuses with PT429
-- err_TooManySessions and creates nothing (refuse).  Off (0) by default.
-- Also the audit columns revoked_by_role and revoked_by_login.
\set VERBOSITY terse
CREATE EXTENSION authsessions;
CREATE ROLE regress_cap_admin;
CREATE ROLE regress_cap_nobody;
GRANT USAGE ON SCHEMA authsessions TO regress_cap_admin;
GRANT EXECUTE ON FUNCTION authsessions.revoke(bigint) TO regress_cap_admin;

SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000001', 'capped') AS user_id \gset
SHOW authsessions.max_sessions_per_user;
SHOW authsessions.session_limit_action;
-- only a superuser sets them
SET ROLE regress_cap_nobody;
SET authsessions.max_sessions_per_user = 1;
SET authsessions.session_limit_action = 'refuse';
RESET ROLE;
SET authsessions.session_limit_action = 'sometimes';

PREPARE login(text) AS
	SELECT (authsessions.create_session('00000000-0000-4000-8000-000000000001', $1) ->> 'ID')::bigint AS id;
PREPARE sessions AS
	SELECT id, smartphone, revoked_at IS NOT NULL AS ended, revoked_by, revoked_by_role,
		revoked_by_login = session_user AS by_login
	FROM authsessions_data.sessions ORDER BY id;
PREPARE counted AS
	SELECT authsessions.list() -> 0 -> 'SessionCount' AS session_count,
		jsonb_array_length(authsessions.user_sessions('00000000-0000-4000-8000-000000000001')) AS user_sessions;

-- no cap: five logins, five sessions
EXECUTE login('a');
EXECUTE login('b');
EXECUTE login('c');
EXECUTE login('d');
EXECUTE login('e');
EXECUTE counted;

-- cap 3 with 5 active: the next login ends the 3 least recently used
-- (5 - 3 + 1), so that 3 remain with the new one.  b is used again first:
-- it is not among the oldest any more.
UPDATE authsessions_data.sessions SET last_updated = now() - interval '1 hour' * (10 - id)
WHERE smartphone <> 'b';
SET authsessions.max_sessions_per_user = 3;
EXECUTE login('f');
EXECUTE sessions;
EXECUTE counted;

-- ties in last_updated: the lowest ID goes first
UPDATE authsessions_data.sessions SET last_updated = now() - interval '1 day' WHERE revoked_at IS NULL;
EXECUTE login('g');
EXECUTE sessions;
EXECUTE counted;

-- refuse: PT429, and nothing is created or ended
SET authsessions.session_limit_action = 'refuse';
SELECT count(*) AS rows_before FROM authsessions_data.sessions;
\set VERBOSITY default
EXECUTE login('h');
\set VERBOSITY terse
SELECT count(*) AS rows_after,
	count(*) FILTER (WHERE revoked_at IS NULL) AS active_after
FROM authsessions_data.sessions;
-- below the cap again, it creates
SET ROLE regress_cap_admin;
SELECT authsessions.revoke(7);
RESET ROLE;
EXECUTE login('i');
EXECUTE counted;

-- an unknown user is still PT404 with a cap
SELECT authsessions.create_session('00000000-0000-4000-8000-0000000000ff');

-- audit: revoke by a role (SET ROLE, as PostgREST switches to the JWT's
-- role) with a JWT sub: revoked_by the sub, revoked_by_role the role,
-- revoked_by_login the session user
SET ROLE regress_cap_admin;
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "admin@example.com", "role": "regress_cap_admin"}', true) IS NOT NULL AS claims;
SELECT authsessions.revoke(6);
COMMIT;
RESET ROLE;
EXECUTE sessions;

DROP EXTENSION authsessions;
DROP ROLE regress_cap_admin;
DROP ROLE regress_cap_nobody;
