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

DROP EXTENSION authsessions;
