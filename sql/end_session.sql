-- end_session(token): log out.  {"Success": true} when it ended an active
-- session, {"Success": false} otherwise; never an error about the token.
\set VERBOSITY terse
CREATE EXTENSION authsessions;

SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', true) AS user_id;
SELECT s ->> 'Token' AS tok1 FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'phone 1') AS s \gset
SELECT s ->> 'Token' AS tok2 FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'phone 2') AS s \gset
SELECT authsessions.list();

-- Success: that session ends (and only that one), now.
BEGIN;
SELECT authsessions.end_session(:'tok1');
SELECT smartphone, revoked_at = now() AS revoked_now, revoked_by = current_user AS revoked_by_caller
FROM authsessions_data.sessions ORDER BY id;
SELECT authsessions.validate(:'tok1') IS NULL AS tok1_ended_in_transaction;
COMMIT;
SELECT authsessions.validate(:'tok1') IS NULL AS tok1_ended,
	authsessions.validate(:'tok2') ->> 'Smartphone' AS tok2_still_valid;
SELECT authsessions.list();
SELECT jsonb_path_query_array(authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b'), '$[*].Smartphone') AS sessions_left;

-- Idempotent: again, {"Success": false}, and the first end stays recorded.
SELECT revoked_at AS first_revoked_at FROM authsessions_data.sessions WHERE smartphone = 'phone 1' \gset
SELECT authsessions.end_session(:'tok1');
SELECT revoked_at = :'first_revoked_at' AS revoked_at_kept FROM authsessions_data.sessions WHERE smartphone = 'phone 1';

-- An expired session: {"Success": false}, and it is not marked revoked.
UPDATE authsessions_data.sessions SET expires_at = now() - interval '1 minute' WHERE smartphone = 'phone 2';
SELECT authsessions.end_session(:'tok2');
SELECT revoked_at IS NULL AS not_revoked FROM authsessions_data.sessions WHERE smartphone = 'phone 2';

-- A session revoked by an admin: {"Success": false}.
SELECT s ->> 'Token' AS tok3, s ->> 'ID' AS id3
FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'phone 3') AS s \gset
SELECT authsessions.revoke(:id3);
SELECT authsessions.end_session(:'tok3');

-- Malformed or unknown tokens: {"Success": false}, no error, nothing ended.
SELECT s ->> 'Token' AS tok4 FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'phone 4') AS s \gset
SELECT label, authsessions.end_session(t) AS result
FROM (VALUES
	('empty', ''),
	('short', 'abc'),
	('42 characters', left(:'tok4', 42)),
	('44 characters', :'tok4' || 'A'),
	('trailing space', :'tok4' || ' '),
	('padding =', left(:'tok4', 42) || '='),
	('non-ASCII', 'é' || right(:'tok4', 42)),
	('spare bits set', left(:'tok4', 42) || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
		(strpos('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', right(:'tok4', 1)) - 1 | 1) + 1, 1)),
	('well-formed, unknown', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')
) AS x(label, t);
SELECT authsessions.validate(:'tok4') ->> 'Smartphone' AS tok4_still_valid;

-- revoked_by: the sub claim that PostgREST sets, else the calling role;
-- revoked_by_role: the calling role, revoked_by_login: session_user.
SET request.jwt.claims = '{"sub": "app-user-42", "role": "web"}';
SELECT authsessions.end_session(:'tok4');
RESET request.jwt.claims;
SELECT revoked_by, revoked_by_role = current_user AS role_is_caller,
	revoked_by_login = session_user AS by_login
FROM authsessions_data.sessions WHERE smartphone = 'phone 4';
SELECT revoked_by = current_user AS revoked_by_caller, revoked_by_role = current_user AS role_is_caller,
	revoked_by_login = session_user AS by_login
FROM authsessions_data.sessions WHERE smartphone = 'phone 1';

-- NULL token: 22004.
SELECT authsessions.end_session(NULL);
\echo :LAST_ERROR_SQLSTATE

-- A writer: refused in a read-only transaction, also for a malformed token;
-- nothing ended.
SELECT s ->> 'Token' AS tok5 FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'phone 5') AS s \gset
BEGIN READ ONLY;
SELECT authsessions.end_session(:'tok5');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN READ ONLY;
SELECT authsessions.end_session('garbage');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT authsessions.validate(:'tok5') ->> 'Smartphone' AS tok5_still_valid;
-- named argument
SELECT authsessions.end_session(token => :'tok5');

DROP EXTENSION authsessions;
