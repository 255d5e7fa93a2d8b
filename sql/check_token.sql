-- check_token(token): validate's answer without the touch.  The same object
-- as validate for an active token, NULL otherwise (never an error), no write
-- even when a touch is due, so it runs in a READ ONLY transaction (PostgREST
-- runs a POST to a STABLE function READ ONLY) and on a hot standby
-- (test/extra/67_hot_standby.sh).
--
-- Time passing is simulated by moving the session's times back in the
-- table, never by sleeping.
\set VERBOSITY terse
CREATE EXTENSION authsessions;

SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', true) AS user_id;
SELECT s ->> 'Token' AS tok, s ->> 'ID' AS id
FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b',
	'-', 'Other- v. ', 'Other- v. ') AS s \gset

-- Its markings: STABLE, PARALLEL UNSAFE, SECURITY INVOKER without SET, not
-- STRICT.
SELECT provolatile, proparallel, prosecdef, proconfig, proisstrict
FROM pg_proc WHERE oid = 'authsessions.check_token(text)'::regprocedure;

-- A touch is due (last updated long ago, expiring within the hour): validate
-- in a read-only transaction answers without sliding, and check_token
-- answers the same object, in any transaction, and writes nothing.
CREATE TEMP TABLE fixture AS SELECT now() + interval '1 hour' AS expires_at;
PREPARE age AS
	UPDATE authsessions_data.sessions
	SET last_updated = '2020-09-21 10:42:50+00', expires_at = (SELECT expires_at FROM fixture)
	WHERE id = :id;
EXECUTE age;
-- the row version age left: any write would make another (xmin, ctid)
CREATE TEMP TABLE row_version AS
	SELECT xmin::text AS xmin_then, ctid AS ctid_then
	FROM authsessions_data.sessions WHERE id = :id;
PREPARE stored AS
	SELECT s.last_updated = '2020-09-21 10:42:50+00' AND s.expires_at = f.expires_at
		AND s.xmin::text = v.xmin_then AND s.ctid = v.ctid_then AS row_unchanged
	FROM authsessions_data.sessions s, fixture f, row_version v WHERE s.id = :id;

-- READ WRITE, READ COMMITTED, where validate would slide
SELECT authsessions.check_token(:'tok') AS c \gset
EXECUTE stored;
SELECT :'c'::jsonb ->> 'LastUpdated' AS last_updated;
BEGIN READ ONLY;
SELECT authsessions.validate(:'tok') = :'c'::jsonb AS same_as_validate;
COMMIT;
SELECT :'c'::jsonb = authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b') -> 0
	AS same_as_user_sessions;
SELECT :'c'::jsonb - 'ExpirationDate' = jsonb_build_object(
	'ID', :id::bigint, 'UserID', 1, 'UserGuid', '83bde819-ec08-4cee-b635-884145630d0b',
	'LastUpdated', '2020-09-21T10:42:50Z', 'UserName', 'user', 'IsOperator', true,
	'Smartphone', '-', 'OperatingSystem', 'Other- v. ', 'Application', 'Other- v. ') AS exact_json;
-- byte for byte the jsonb validate makes
BEGIN READ ONLY;
SELECT jsonb_send(authsessions.check_token(:'tok')) = jsonb_send(authsessions.validate(:'tok'))
	AS same_bytes;
COMMIT;
-- with touch_interval = 0 (every validate slides): still no write
SET authsessions.touch_interval = 0;
SELECT authsessions.check_token(:'tok') = :'c'::jsonb AS same_answer;
RESET authsessions.touch_interval;
EXECUTE stored;

-- READ ONLY, explicitly and by default
BEGIN READ ONLY;
SELECT authsessions.check_token(:'tok') = :'c'::jsonb AS read_only_ok;
COMMIT;
SET default_transaction_read_only = on;
SELECT authsessions.check_token(:'tok') = :'c'::jsonb AS default_read_only_ok;
RESET default_transaction_read_only;
-- REPEATABLE READ and SERIALIZABLE
BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY;
SELECT authsessions.check_token(:'tok') = :'c'::jsonb AS serializable_ok;
COMMIT;
EXECUTE stored;
-- validate, by contrast, slides it now (the touch was due all along)
SELECT authsessions.validate(:'tok') ->> 'LastUpdated' <> '2020-09-21T10:42:50Z' AS validate_slid;
-- (and the row check above sees that write: false)
EXECUTE stored;
SELECT authsessions.check_token(:'tok') = authsessions.validate(:'tok') AS same_after_slide;

-- Many calls in one statement (STABLE): one answer
SELECT count(DISTINCT authsessions.check_token(:'tok')) AS distinct_answers
FROM generate_series(1, 100);

-- Ended sessions: NULL.  Expired a second ago, or exactly now:
UPDATE authsessions_data.sessions SET expires_at = now() - interval '1 second' WHERE id = :id;
SELECT authsessions.check_token(:'tok') IS NULL AS expired_is_null;
BEGIN;
UPDATE authsessions_data.sessions SET expires_at = now() WHERE id = :id;
SELECT authsessions.check_token(:'tok') IS NULL AS expiring_now_is_null;
COMMIT;
-- revoked, in this transaction or before
EXECUTE age;
BEGIN;
SELECT authsessions.check_token(:'tok') IS NOT NULL AS valid_before_revoke;
SELECT authsessions.revoke(:id);
SELECT authsessions.check_token(:'tok') IS NULL AS revoked_is_null;
COMMIT;
SELECT authsessions.check_token(:'tok') IS NULL AS revoked_is_null;
-- logged out
SELECT s ->> 'Token' AS tok2 FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b') AS s \gset
SELECT authsessions.check_token(:'tok2') ->> 'UserName' AS before_logout;
SELECT authsessions.end_session(:'tok2');
SELECT authsessions.check_token(:'tok2') IS NULL AS logged_out_is_null;

-- NULL, empty, malformed or unknown tokens: NULL, never an error.
SELECT s ->> 'Token' AS tok3 FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b') AS s \gset
SELECT label, authsessions.check_token(t) IS NULL AS is_null
FROM (VALUES
	('null', NULL),
	('empty', ''),
	('short', 'abc'),
	('54 characters', left(:'tok3', 54)),
	('56 characters', :'tok3' || 'A'),
	('trailing newline', :'tok3' || E'\n'),
	('non-ASCII', 'as1_é' || right(:'tok3', 50)),
	('another version', 'as2_' || substr(:'tok3', 5)),
	('well-formed, unknown', 'as1_' || repeat('A', 51)),
	('well-formed 1.0, unknown', repeat('A', 51)),
	('valid', :'tok3'),
	('valid, 1.0 form (the body alone)', substr(:'tok3', 5))
) AS x(label, t);
SELECT authsessions.check_token(NULL::text) IS NULL AS null_is_null;
-- named argument
SELECT authsessions.check_token(token => :'tok3') ->> 'UserName' AS named_ok;

-- Privileges: SECURITY INVOKER; a role granted EXECUTE on it (and USAGE)
-- is answered although it has no right on the tables; without the grant:
-- 42501.
CREATE ROLE regress_checker;
GRANT USAGE ON SCHEMA authsessions TO regress_checker;
GRANT EXECUTE ON FUNCTION authsessions.check_token(text) TO regress_checker;
SET ROLE regress_checker;
SELECT authsessions.check_token(:'tok3') ->> 'UserName' AS granted_ok;
SELECT authsessions.check_token('garbage') IS NULL AS granted_garbage_null;
RESET ROLE;
REVOKE EXECUTE ON FUNCTION authsessions.check_token(text) FROM regress_checker;
SET ROLE regress_checker;
SELECT authsessions.check_token(:'tok3');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- PUBLIC was never granted it
SELECT has_function_privilege('public', 'authsessions.check_token(text)', 'EXECUTE') AS public_may_execute;
REVOKE USAGE ON SCHEMA authsessions FROM regress_checker;
DROP ROLE regress_checker;

DEALLOCATE age;
DEALLOCATE stored;
DROP TABLE fixture, row_version;
DROP EXTENSION authsessions;
