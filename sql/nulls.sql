-- NULL arguments, function by function: a NULL required argument (guid,
-- "Session", name, user_guid, end_session's token) raises 22004 naming it; a
-- NULL optional argument means its default; validate(NULL) is NULL.
\set VERBOSITY terse
CREATE EXTENSION authsessions;

-- No function is STRICT (a STRICT one would answer NULL instead), and the
-- comment of each one that takes arguments says what NULL means.
SELECT p.proname, p.proisstrict,
	p.pronargs = 0 OR obj_description(p.oid, 'pg_proc') ~ 'NULL' AS comment_covers_null
FROM pg_proc p WHERE p.pronamespace = 'authsessions'::regnamespace ORDER BY p.proname;

SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', true) AS user_id;

-- upsert_user(guid, name, is_operator)
SELECT authsessions.upsert_user(NULL, 'user');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.upsert_user(NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.upsert_user(NULL, NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', NULL) AS user_id;
SELECT authsessions.upsert_user('90b10bb2-8c70-456f-b960-2251ae6d8778', 'user2', NULL) > 1 AS user2_made;
SELECT name, is_operator FROM authsessions_data.users ORDER BY id;

-- create_session(user_guid, smartphone, operating_system, application, ttl,
-- user_agent, ip)
SELECT authsessions.create_session(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session(NULL, 'phone', 'os', 'app', '1 hour', 'agent', '192.0.2.1');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session(NULL, NULL, NULL, NULL, NULL, NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS sessions FROM authsessions_data.sessions;
SELECT s ->> 'Token' AS tok, s ->> 'ID' AS id,
	(s ->> 'ExpirationDate')::timestamptz = date_trunc('second', now()) + interval '48 hours' AS default_ttl
FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', NULL, NULL, NULL, NULL, NULL, NULL) AS s \gset
\echo :default_ttl
SELECT smartphone, operating_system, application, user_agent, ip, idle_timeout
FROM authsessions_data.sessions WHERE id = :id;
SELECT v -> 'Smartphone' AS phone, v -> 'OperatingSystem' AS os, v -> 'Application' AS app
FROM authsessions.validate(:'tok') AS v;

-- validate(token): NULL in, SQL NULL out (not JSON null), no error.
SELECT authsessions.validate(NULL) IS NULL AS sql_null,
	authsessions.validate(NULL) IS DISTINCT FROM 'null'::jsonb AS not_json_null;
-- check_token(token): likewise.
SELECT authsessions.check_token(NULL) IS NULL AS sql_null,
	authsessions.check_token(NULL) IS DISTINCT FROM 'null'::jsonb AS not_json_null;
-- issue_jwt(token, ttl): NULL for a NULL token, whatever the ttl; a NULL
-- ttl means authsessions.jwt_ttl.
SELECT authsessions.issue_jwt(NULL) IS NULL AS sql_null,
	authsessions.issue_jwt(NULL, NULL) IS NULL AS sql_null_ttl_null;
-- my_sessions(page, page_size): NULLs mean the defaults (then PT401
-- without a session-bound JWT, as here); revoke_my_session(NULL): 22004.
SELECT authsessions.my_sessions(NULL, NULL);
SELECT authsessions.revoke_my_session(NULL);

-- end_session(token)
SELECT authsessions.end_session(NULL);
\echo :LAST_ERROR_SQLSTATE

-- revoke("Session")
SELECT authsessions.revoke(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.revoke("Session" => NULL);
\echo :LAST_ERROR_SQLSTATE

-- revoke_user("UserGuid")
SELECT authsessions.revoke_user(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.revoke_user("UserGuid" => NULL);
\echo :LAST_ERROR_SQLSTATE

-- user_sessions(guid, page, page_size)
SELECT authsessions.user_sessions(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.user_sessions(NULL, NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b', NULL, NULL) =
	authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b', 1, 50) AS defaults,
	jsonb_array_length(authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b', NULL, NULL)) AS sessions;
-- a NULL page_size is 50, not "no limit": 51 sessions make two pages
SELECT count(authsessions.create_session('90b10bb2-8c70-456f-b960-2251ae6d8778', 'phone ' || i)) AS made
FROM generate_series(1, 51) AS i;
SELECT jsonb_array_length(authsessions.user_sessions('90b10bb2-8c70-456f-b960-2251ae6d8778', NULL, NULL)) AS page_1,
	jsonb_array_length(authsessions.user_sessions('90b10bb2-8c70-456f-b960-2251ae6d8778', 2, NULL)) AS page_2;

-- ended_sessions(guid, page, page_size)
SELECT authsessions.ended_sessions(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.ended_sessions(NULL, NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.ended_sessions('83bde819-ec08-4cee-b635-884145630d0b', NULL, NULL) =
	authsessions.ended_sessions('83bde819-ec08-4cee-b635-884145630d0b', 1, 50) AS defaults;

-- list(page, page_size, after)
SELECT authsessions.list(NULL, NULL, NULL) = authsessions.list(1, 50) AS defaults,
	authsessions.list(NULL, 1, NULL) = authsessions.list(1, 1) AS page_null,
	authsessions.list(2, NULL, NULL) = authsessions.list(2, 50) AS page_size_null,
	jsonb_array_length(authsessions.list(NULL, NULL, NULL)) AS users;

-- repair_summary(guid): NULL, the default, means every user (both summaries
-- broken by hand here: both repaired)
UPDATE authsessions_data.users SET listed = false;
SELECT authsessions.repair_summary(NULL) AS repaired_null;
UPDATE authsessions_data.users SET listed = false;
SELECT authsessions.repair_summary() AS repaired_default;
SELECT authsessions.repair_summary(guid => NULL) AS nothing_left;

-- delete_user(guid)
SELECT authsessions.delete_user(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS users FROM authsessions_data.users;

-- purge(older_than, batch): NULLs are 7 days and 10000
SELECT authsessions.purge(NULL, NULL) AS purged, authsessions.purge(NULL) AS purged_2,
	authsessions.purge(older_than => NULL, batch => NULL) AS purged_3;

DROP EXTENSION authsessions;
