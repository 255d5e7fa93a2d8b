-- delete_user(guid): remove a user and every one of their sessions.
\set VERBOSITY terse
CREATE EXTENSION authsessions;

SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', true) AS user_id;
SELECT authsessions.upsert_user('90b10bb2-8c70-456f-b960-2251ae6d8778', 'user2', false) AS user2_id;
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b') ->> 'Token' AS tok1 \gset
SELECT authsessions.create_session('90b10bb2-8c70-456f-b960-2251ae6d8778') ->> 'Token' AS tok2a \gset
SELECT authsessions.create_session('90b10bb2-8c70-456f-b960-2251ae6d8778') ->> 'Token' AS tok2b \gset
-- an ended session of user2 goes too
SELECT authsessions.end_session(:'tok2b');
SELECT u.name, count(s.id) AS sessions
FROM authsessions_data.users u LEFT JOIN authsessions_data.sessions s ON s.user_id = u.id
GROUP BY u.name ORDER BY u.name;

-- Success: the user and all of their sessions are gone, nobody else's.
SELECT authsessions.delete_user('90b10bb2-8c70-456f-b960-2251ae6d8778');
SELECT u.name, count(s.id) AS sessions
FROM authsessions_data.users u LEFT JOIN authsessions_data.sessions s ON s.user_id = u.id
GROUP BY u.name ORDER BY u.name;
SELECT count(*) AS orphan_sessions FROM authsessions_data.sessions s
WHERE NOT EXISTS (SELECT FROM authsessions_data.users u WHERE u.id = s.user_id);
-- their tokens no longer validate; the other user's still does
SELECT authsessions.validate(:'tok2a') IS NULL AS tok2a_invalid,
	authsessions.validate(:'tok1') ->> 'UserName' AS tok1_user;
SELECT authsessions.list() @> '[{"UserName": "user2"}]' AS user2_listed,
	jsonb_array_length(authsessions.list()) AS listed_users;
SELECT authsessions.user_sessions('90b10bb2-8c70-456f-b960-2251ae6d8778') AS user2_sessions;
-- a new session for the deleted user: err_UserNotFound
SELECT authsessions.create_session('90b10bb2-8c70-456f-b960-2251ae6d8778');
\echo :LAST_ERROR_SQLSTATE

-- Deleting again, or an unknown user: {"Success": false}, no error.
SELECT authsessions.delete_user('90b10bb2-8c70-456f-b960-2251ae6d8778');
SELECT authsessions.delete_user('00000000-0000-4000-8000-0000000000ff');

-- A deleted user can come back, under a new UserID, with no sessions.
SELECT authsessions.upsert_user('90b10bb2-8c70-456f-b960-2251ae6d8778', 'user2') <> 2 AS new_user_id;
SELECT authsessions.user_sessions('90b10bb2-8c70-456f-b960-2251ae6d8778') AS user2_sessions;

-- NULL guid: 22004.
SELECT authsessions.delete_user(NULL);
\echo :LAST_ERROR_SQLSTATE

-- A writer: refused in a read-only transaction; nothing deleted.
BEGIN READ ONLY;
SELECT authsessions.delete_user('83bde819-ec08-4cee-b635-884145630d0b');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN READ ONLY;
-- also for a user that does not exist
SELECT authsessions.delete_user('00000000-0000-4000-8000-0000000000ff');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT count(*) AS users, (SELECT count(*) FROM authsessions_data.sessions) AS sessions
FROM authsessions_data.users;

DROP EXTENSION authsessions;
