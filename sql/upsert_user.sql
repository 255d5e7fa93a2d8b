-- upsert_user(guid, name, is_operator): create or update a user, return the
-- UserID.
\set VERBOSITY terse
CREATE EXTENSION authsessions;

-- A new user: its UserID; is_operator NULL or omitted makes false.
SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', true) AS user_id;
SELECT authsessions.upsert_user('90b10bb2-8c70-456f-b960-2251ae6d8778', 'user2') AS user2_id;
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000003', 'user3', NULL) AS user3_id;
SELECT id, guid, name, is_operator FROM authsessions_data.users ORDER BY id;

-- The same guid again updates that user and returns the same UserID.
SELECT authsessions.upsert_user('90b10bb2-8c70-456f-b960-2251ae6d8778', 'user2 renamed') AS user2_id;
SELECT count(*) AS users FROM authsessions_data.users;
-- is_operator NULL keeps the current value, true and false set it.
SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user') AS user_id;
SELECT is_operator AS user_still_operator FROM authsessions_data.users WHERE guid = '83bde819-ec08-4cee-b635-884145630d0b';
SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', NULL) AS user_id;
SELECT is_operator AS user_still_operator FROM authsessions_data.users WHERE guid = '83bde819-ec08-4cee-b635-884145630d0b';
SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', false) AS user_id;
SELECT is_operator AS user_now_operator FROM authsessions_data.users WHERE guid = '83bde819-ec08-4cee-b635-884145630d0b';
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000003', 'user3', true) AS user3_id;
SELECT id, guid, name, is_operator FROM authsessions_data.users ORDER BY id;

-- The new name and flag show in the session JSON.
SELECT authsessions.create_session('90b10bb2-8c70-456f-b960-2251ae6d8778') ->> 'Token' AS tok \gset
SELECT authsessions.upsert_user('90b10bb2-8c70-456f-b960-2251ae6d8778', 'user2 again', true) AS user2_id;
SELECT v ->> 'UserName' AS name, v -> 'IsOperator' AS is_operator, v -> 'UserID' AS user_id
FROM authsessions.validate(:'tok') AS v;

-- Names: 1 to 256 characters, any characters, case kept.
-- (UserIDs are compared, not printed: the values depend on the sequence.)
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000004', 'Ünïcødé 名前 😀') AS user4_id \gset
SELECT id = :user4_id AS same_id, name, length(name)
FROM authsessions_data.users WHERE guid = '00000000-0000-4000-8000-000000000004';
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000004', 'x') = :user4_id AS same_id;
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000004', '');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000004', repeat('n', 257));
\echo :LAST_ERROR_SQLSTATE
-- the failed calls changed nothing
SELECT name FROM authsessions_data.users WHERE guid = '00000000-0000-4000-8000-000000000004';

-- The sessions' copies of the user's guid, name and is_operator, which
-- validate answers from: a rename or a change of is_operator rewrites them in
-- the user's active sessions only; its ended sessions (revoked, expired,
-- logged out), which validate never answers with, keep the old copies and
-- are not written.  An upsert that changes nothing writes or locks no
-- session row.
CREATE VIEW active_copies_differ AS
SELECT count(*) AS active_sessions_differing
FROM authsessions_data.sessions s JOIN authsessions_data.users u ON u.id = s.user_id
WHERE s.revoked_at IS NULL AND s.expires_at > now()
  AND (s.user_guid, s.user_name, s.user_is_operator) IS DISTINCT FROM (u.guid, u.name, u.is_operator);
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000007', 'copied') > 0 AS user7;
SELECT s ->> 'Token' AS tok7 FROM authsessions.create_session('00000000-0000-4000-8000-000000000007', 'active') AS s \gset
SELECT authsessions.create_session('00000000-0000-4000-8000-000000000007', 'active too') ->> 'ID' IS NOT NULL AS active_too;
SELECT (s ->> 'ID')::bigint AS revoked7 FROM authsessions.create_session('00000000-0000-4000-8000-000000000007', 'revoked') AS s \gset
SELECT authsessions.revoke(:revoked7);
SELECT (s ->> 'ID')::bigint AS expired7 FROM authsessions.create_session('00000000-0000-4000-8000-000000000007', 'expired') AS s \gset
UPDATE authsessions_data.sessions SET expires_at = now() - interval '1 hour' WHERE id = :expired7;
SELECT s ->> 'Token' AS out7 FROM authsessions.create_session('00000000-0000-4000-8000-000000000007', 'logged out') AS s \gset
SELECT authsessions.end_session(:'out7');
SELECT user_name, user_is_operator, count(*) AS sessions
FROM authsessions_data.sessions WHERE user_guid = '00000000-0000-4000-8000-000000000007'
GROUP BY 1, 2;
CREATE TEMP TABLE versions7 AS
SELECT id, xmin::text AS version, xmax::text AS locker FROM authsessions_data.sessions
WHERE user_id = (SELECT id FROM authsessions_data.users WHERE guid = '00000000-0000-4000-8000-000000000007');
-- each session's copies, and whether the row was written since versions7
CREATE FUNCTION pg_temp.copies7()
RETURNS TABLE (session text, user_name text, user_is_operator boolean, rewritten boolean)
LANGUAGE sql AS $$
	SELECT s.smartphone, s.user_name, s.user_is_operator, s.xmin::text <> v.version
	FROM authsessions_data.sessions s JOIN versions7 v USING (id) ORDER BY s.id $$;
-- nothing changes: no session row written or locked
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000007', 'copied') > 0 AS same;
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000007', 'copied', false) > 0 AS same;
SELECT count(*) FILTER (WHERE s.xmin::text <> v.version) AS rewritten,
	count(*) FILTER (WHERE s.xmax::text <> v.locker) AS locked
FROM authsessions_data.sessions s JOIN versions7 v USING (id);
-- a rename: the two active sessions take the new name, the ended ones keep
-- the old one, unwritten
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000007', 'renamed') > 0 AS renamed;
SELECT * FROM pg_temp.copies7();
SELECT v ->> 'UserName' AS name, v -> 'IsOperator' AS is_operator FROM authsessions.validate(:'tok7') AS v;
-- is_operator, the name unchanged; NULL keeps it
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000007', 'renamed', true) > 0 AS promoted;
SELECT v ->> 'UserName' AS name, v -> 'IsOperator' AS is_operator FROM authsessions.validate(:'tok7') AS v;
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000007', 'renamed again') > 0 AS renamed;
SELECT v ->> 'UserName' AS name, v -> 'IsOperator' AS is_operator FROM authsessions.validate(:'tok7') AS v;
-- a change of case only is a rename (names compare byte by byte)
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000007', 'Renamed Again') > 0 AS renamed;
SELECT v ->> 'UserName' AS name FROM authsessions.validate(:'tok7') AS v;
SELECT * FROM pg_temp.copies7();
-- validate's answer is user_sessions' element for that session
SELECT authsessions.validate(:'tok7') =
	(SELECT e FROM jsonb_array_elements(authsessions.user_sessions('00000000-0000-4000-8000-000000000007')) e
	 WHERE e -> 'ID' = authsessions.validate(:'tok7') -> 'ID') AS same_as_user_sessions;
-- a rename rolled back leaves the copies as they were
BEGIN;
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000007', 'rolled back') > 0 AS renamed;
SELECT v ->> 'UserName' AS name_inside FROM authsessions.validate(:'tok7') AS v;
ROLLBACK;
SELECT v ->> 'UserName' AS name_after FROM authsessions.validate(:'tok7') AS v;
SELECT * FROM active_copies_differ;
-- A hand edit of users leaves the copies behind; README's repair statement
-- (Troubleshooting) brings them back (in every session, ended ones too).
UPDATE authsessions_data.users SET name = 'edited by hand', is_operator = false
WHERE guid = '00000000-0000-4000-8000-000000000007';
SELECT v ->> 'UserName' AS stale_name FROM authsessions.validate(:'tok7') AS v;
SELECT * FROM active_copies_differ;
UPDATE authsessions_data.sessions s
SET user_guid = u.guid, user_name = u.name, user_is_operator = u.is_operator
FROM authsessions_data.users u
WHERE s.user_id = u.id
  AND (s.user_guid, s.user_name, s.user_is_operator)
      IS DISTINCT FROM (u.guid, u.name, u.is_operator);
SELECT v ->> 'UserName' AS name, v -> 'IsOperator' AS is_operator FROM authsessions.validate(:'tok7') AS v;
SELECT * FROM active_copies_differ;
SELECT * FROM pg_temp.copies7();

-- Required arguments.
SELECT authsessions.upsert_user(NULL, 'nobody');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000005', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS users FROM authsessions_data.users;

-- Named arguments, as PostgREST binds them.
SELECT authsessions.upsert_user(guid => '00000000-0000-4000-8000-000000000005', name => 'named', is_operator => true) AS user5_id \gset
SELECT id = :user5_id AS same_id, name, is_operator
FROM authsessions_data.users WHERE guid = '00000000-0000-4000-8000-000000000005';

-- A writer: refused in a read-only transaction, before doing anything.
BEGIN READ ONLY;
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000006', 'read only');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SET default_transaction_read_only = on;
SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'read only');
\echo :LAST_ERROR_SQLSTATE
RESET default_transaction_read_only;
SELECT count(*) AS users, count(*) FILTER (WHERE name = 'read only') AS renamed
FROM authsessions_data.users;
SELECT * FROM active_copies_differ;

DROP VIEW active_copies_differ;
DROP EXTENSION authsessions;
