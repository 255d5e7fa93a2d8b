-- validate(token): the session of an active token, or NULL; slides the
-- expiry at most once per least(authsessions.touch_interval, half the
-- session's idle timeout), and only when that can neither wait nor fail.
-- (Here the idle timeout is 48 hours, so touch_interval decides; shorter
-- idle timeouts: sql/touch_due.sql.)
--
-- Time passing is simulated by moving a session's times back in the table
-- (as superuser), never by sleeping.  A slid session has LastUpdated = now
-- and ExpirationDate = now + 48 hours; one left alone keeps the fixed
-- LastUpdated 2020-09-21T10:42:50Z that the fixture gives it.
\set VERBOSITY terse
CREATE EXTENSION authsessions;

SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', true) AS user_id;
SELECT s ->> 'Token' AS tok, s ->> 'ID' AS id
FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b',
	'-', 'Other- v. ', 'Other- v. ') AS s \gset

-- An active token: the same object as its user_sessions element.
SELECT authsessions.validate(:'tok') = authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b') -> 0
	AS same_as_user_sessions;
SELECT array_agg(k ORDER BY k COLLATE "C") AS keys FROM jsonb_object_keys(authsessions.validate(:'tok')) AS k;

-- A fixture with fixed times: last updated long ago, expiring within the
-- hour, so that any touch is due and moves the expiry forward.
CREATE TEMP TABLE fixture AS SELECT now() + interval '1 hour' AS expires_at;
PREPARE age AS
	UPDATE authsessions_data.sessions
	SET last_updated = '2020-09-21 10:42:50+00', expires_at = (SELECT expires_at FROM fixture)
	WHERE id = 1;
-- Where LastUpdated and ExpirationDate stand, in validate's answer and in the
-- table: as the fixture left them, or slid to now and now + 48 hours.  Run in
-- validate's transaction, so that now() is the same.
PREPARE state(jsonb) AS
	SELECT CASE
			WHEN $1 ->> 'LastUpdated' = '2020-09-21T10:42:50Z' THEN 'fixture'
			WHEN ($1 ->> 'LastUpdated')::timestamptz = date_trunc('second', now()) THEN 'now'
			ELSE 'other: ' || ($1 ->> 'LastUpdated') END AS json_last_updated,
		CASE
			WHEN ($1 ->> 'ExpirationDate')::timestamptz = date_trunc('second', f.expires_at) THEN 'fixture'
			WHEN ($1 ->> 'ExpirationDate')::timestamptz = date_trunc('second', now()) + interval '48 hours' THEN 'now + 48h'
			ELSE 'other: ' || ($1 ->> 'ExpirationDate') END AS json_expiration,
		CASE
			WHEN s.last_updated = '2020-09-21 10:42:50+00' THEN 'fixture'
			WHEN s.last_updated = now() THEN 'now'
			ELSE 'other' END AS stored_last_updated,
		CASE
			WHEN s.expires_at = f.expires_at THEN 'fixture'
			WHEN s.expires_at = now() + interval '48 hours' THEN 'now + 48h'
			ELSE 'other' END AS stored_expires_at
	FROM authsessions_data.sessions s, fixture f WHERE s.id = 1;

-- A read-only transaction (PostgREST's GET) answers but does not slide.
EXECUTE age;
BEGIN READ ONLY;
SELECT authsessions.validate(:'tok') AS v \gset
EXECUTE state(:'v');
COMMIT;
SET default_transaction_read_only = on;
BEGIN;
SELECT authsessions.validate(:'tok') AS v \gset
EXECUTE state(:'v');
COMMIT;
RESET default_transaction_read_only;
-- (also when it turned read-only after a first query)
BEGIN;
SELECT 1 AS first_query;
SET TRANSACTION READ ONLY;
SELECT authsessions.validate(:'tok') AS v \gset
EXECUTE state(:'v');
COMMIT;

-- Neither does REPEATABLE READ nor SERIALIZABLE.
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT authsessions.validate(:'tok') AS v \gset
EXECUTE state(:'v');
COMMIT;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT authsessions.validate(:'tok') AS v \gset
EXECUTE state(:'v');
COMMIT;
SET default_transaction_isolation = 'repeatable read';
BEGIN;
SELECT authsessions.validate(:'tok') AS v \gset
EXECUTE state(:'v');
COMMIT;
RESET default_transaction_isolation;

-- The object it answers with, unslid: exact JSON.
SELECT :'v'::jsonb - 'ExpirationDate' = jsonb_build_object(
	'ID', 1, 'UserID', 1, 'UserGuid', '83bde819-ec08-4cee-b635-884145630d0b',
	'LastUpdated', '2020-09-21T10:42:50Z', 'UserName', 'user', 'IsOperator', true,
	'Smartphone', '-', 'OperatingSystem', 'Other- v. ', 'Application', 'Other- v. ') AS exact_json;

-- A READ WRITE, READ COMMITTED transaction slides it, in the answer and in
-- the table.
BEGIN;
SELECT authsessions.validate(:'tok') AS v \gset
EXECUTE state(:'v');
COMMIT;
-- also in a single-statement transaction
EXECUTE age;
SELECT authsessions.validate(:'tok') AS v \gset
SELECT extract(epoch FROM (:'v'::jsonb ->> 'ExpirationDate')::timestamptz - (:'v'::jsonb ->> 'LastUpdated')::timestamptz) AS slid_window_seconds,
	:'v'::jsonb ->> 'LastUpdated' <> '2020-09-21T10:42:50Z' AS json_slid,
	last_updated <> '2020-09-21 10:42:50+00' AND expires_at = last_updated + interval '48 hours' AS stored_slid
FROM authsessions_data.sessions WHERE id = 1;

-- Never backwards: an expiry later than now + the idle timeout stays, and so
-- does LastUpdated.
UPDATE authsessions_data.sessions
SET last_updated = '2020-09-21 10:42:50+00', expires_at = '2999-09-23 10:42:50+00' WHERE id = 1;
SELECT authsessions.validate(:'tok');
SELECT last_updated = '2020-09-21 10:42:50+00' AND expires_at = '2999-09-23 10:42:50+00' AS row_unchanged
FROM authsessions_data.sessions WHERE id = 1;

-- At most once per touch_interval (default 60 s): last updated 59 seconds
-- ago, no touch; 60 seconds ago, a touch.
BEGIN;
UPDATE authsessions_data.sessions
SET last_updated = now() - interval '59 seconds', expires_at = now() + interval '1 hour' WHERE id = 1;
SELECT authsessions.validate(:'tok') AS v \gset
SELECT (:'v'::jsonb ->> 'LastUpdated')::timestamptz = date_trunc('second', now() - interval '59 seconds') AS json_not_slid,
	last_updated = now() - interval '59 seconds' AND expires_at = now() + interval '1 hour' AS stored_not_slid
FROM authsessions_data.sessions WHERE id = 1;
UPDATE authsessions_data.sessions
SET last_updated = now() - interval '60 seconds', expires_at = now() + interval '1 hour' WHERE id = 1;
SELECT authsessions.validate(:'tok') AS v \gset
EXECUTE state(:'v');
COMMIT;

-- touch_interval = 0: every call slides (here: last updated a second ago).
SET authsessions.touch_interval = 0;
BEGIN;
UPDATE authsessions_data.sessions
SET last_updated = now() - interval '1 second', expires_at = now() + interval '1 hour' WHERE id = 1;
SELECT authsessions.validate(:'tok') AS v \gset
EXECUTE state(:'v');
-- a second call in the same transaction has nothing to move
SELECT authsessions.validate(:'tok') = :'v'::jsonb AS same_again;
COMMIT;
-- ... but still not in a read-only transaction, nor under REPEATABLE READ
EXECUTE age;
BEGIN READ ONLY;
SELECT authsessions.validate(:'tok') AS v \gset
EXECUTE state(:'v');
COMMIT;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT authsessions.validate(:'tok') AS v \gset
EXECUTE state(:'v');
COMMIT;
-- touch_interval = 1h: 59 minutes is too soon, 61 minutes is not
SET authsessions.touch_interval = '1h';
BEGIN;
UPDATE authsessions_data.sessions
SET last_updated = now() - interval '59 minutes', expires_at = now() + interval '1 hour' WHERE id = 1;
SELECT authsessions.validate(:'tok') AS v \gset
SELECT last_updated = now() - interval '59 minutes' AND expires_at = now() + interval '1 hour' AS stored_not_slid
FROM authsessions_data.sessions WHERE id = 1;
UPDATE authsessions_data.sessions
SET last_updated = now() - interval '61 minutes', expires_at = now() + interval '1 hour' WHERE id = 1;
SELECT authsessions.validate(:'tok') AS v \gset
EXECUTE state(:'v');
COMMIT;
RESET authsessions.touch_interval;

-- validate is SECURITY INVOKER without SET: a role granted nothing but
-- EXECUTE on it gets its answer, its touch runs as the function's owner with
-- search_path pinned (a trigger records both), and afterwards the caller's
-- role and search_path are back.  Without the grant: 42501.
CREATE ROLE regress_validator;
GRANT USAGE ON SCHEMA authsessions TO regress_validator;
GRANT EXECUTE ON FUNCTION authsessions.validate(text) TO regress_validator;
EXECUTE age;
CREATE TABLE touch_seen (who name, path text);
CREATE FUNCTION record_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.touch_seen VALUES (current_user, current_setting('search_path'));
	RETURN NEW;
END$$;
CREATE TRIGGER record_touch BEFORE UPDATE ON authsessions_data.sessions
	FOR EACH ROW EXECUTE FUNCTION record_touch();
BEGIN;
SET LOCAL ROLE regress_validator;
SET LOCAL search_path = public, pg_catalog;
SELECT authsessions.validate(:'tok') AS v \gset
SELECT current_user AS caller_after, current_setting('search_path') AS path_after;
SELECT count(*) FROM authsessions_data.sessions;
ROLLBACK;
BEGIN;
SET LOCAL ROLE regress_validator;
SET LOCAL search_path = public, pg_catalog;
SELECT authsessions.validate(:'tok') AS v \gset
RESET ROLE;
EXECUTE state(:'v');
COMMIT;
SELECT who = (SELECT proowner::regrole::name FROM pg_proc
			   WHERE oid = 'authsessions.validate(text)'::regprocedure) AS touch_ran_as_owner,
	path
FROM touch_seen;
DROP TRIGGER record_touch ON authsessions_data.sessions;
DROP FUNCTION record_touch();
DROP TABLE touch_seen;
REVOKE EXECUTE ON FUNCTION authsessions.validate(text) FROM regress_validator;
SET ROLE regress_validator;
SELECT authsessions.validate(:'tok');
RESET ROLE;
REVOKE USAGE ON SCHEMA authsessions FROM regress_validator;
DROP ROLE regress_validator;

-- Ended sessions are not valid, and validate does not revive them.
-- Expired a second ago, or exactly now:
UPDATE authsessions_data.sessions SET expires_at = now() - interval '1 second' WHERE id = 1;
SELECT authsessions.validate(:'tok') IS NULL AS expired_is_null;
BEGIN;
UPDATE authsessions_data.sessions SET expires_at = now() WHERE id = 1;
SELECT authsessions.validate(:'tok') IS NULL AS expiring_now_is_null;
SELECT expires_at = now() AS not_revived FROM authsessions_data.sessions WHERE id = 1;
COMMIT;
-- Revoked (in this transaction or before):
EXECUTE age;
BEGIN;
SELECT authsessions.validate(:'tok') IS NOT NULL AS valid_before_revoke;
SELECT authsessions.revoke(1);
SELECT authsessions.validate(:'tok') IS NULL AS revoked_is_null;
COMMIT;
SELECT authsessions.validate(:'tok') IS NULL AS revoked_is_null;
SELECT revoked_at IS NOT NULL AS still_revoked FROM authsessions_data.sessions WHERE id = 1;
-- Logged out:
SELECT s ->> 'Token' AS tok2 FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b') AS s \gset
SELECT authsessions.validate(:'tok2') IS NOT NULL AS valid_before_logout;
SELECT authsessions.end_session(:'tok2');
SELECT authsessions.validate(:'tok2') IS NULL AS logged_out_is_null;
-- User deleted:
SELECT s ->> 'Token' AS tok3 FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b') AS s \gset
SELECT authsessions.delete_user('83bde819-ec08-4cee-b635-884145630d0b');
SELECT authsessions.validate(:'tok3') IS NULL AS deleted_user_is_null;

-- NULL, empty, malformed or unknown tokens: NULL, never an error.
SELECT authsessions.upsert_user('90b10bb2-8c70-456f-b960-2251ae6d8778', 'user2') > 0 AS user2;
SELECT s ->> 'Token' AS tok4 FROM authsessions.create_session('90b10bb2-8c70-456f-b960-2251ae6d8778') AS s \gset
SELECT authsessions.validate(:'tok4') ->> 'UserName' AS tok4_user;
-- (a token is 'as1_' and a 51-character body; 1.0's tokens, the body alone,
-- stay valid)
SELECT substr(:'tok4', 5) AS body4 \gset
SELECT label, authsessions.validate(t) IS NULL AS is_null
FROM (VALUES
	('null', NULL),
	('empty', ''),
	('short', 'abc'),
	('54 characters', left(:'tok4', 54)),
	('56 characters', :'tok4' || 'A'),
	('leading space', ' ' || left(:'tok4', 54)),
	('trailing newline', left(:'tok4', 54) || E'\n'),
	('standard base64 +', 'as1_+' || right(:'body4', 50)),
	('standard base64 /', 'as1_/' || right(:'body4', 50)),
	('padding =', left(:'tok4', 54) || '='),
	('non-ASCII', 'as1_é' || right(:'body4', 50)),
	('NUL-free control', E'as1_\t' || right(:'body4', 50)),
	-- the two spare bits of the last character set: same secret, other spelling
	('spare bits set', left(:'tok4', 54) || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
		(strpos('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', right(:'tok4', 1)) - 1 | 1) + 1, 1)),
	('47 characters (no locator)', left(:'tok4', 47)),
	('case swapped', translate(:'tok4', 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ')),
	('another version', 'as2_' || :'body4'),
	('prefix twice', 'as1_' || :'tok4'),
	('1.0 body with a bad character', '.' || right(:'body4', 50)),
	('1.0 body, spare bits set', left(:'body4', 50) || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
		(strpos('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', right(:'body4', 1)) - 1 | 1) + 1, 1)),
	('well-formed, unknown', 'as1_' || repeat('A', 51)),
	('well-formed 1.0, unknown', repeat('A', 51)),
	('valid', :'tok4'),
	('valid, 1.0 form (the body alone)', :'body4')
) AS x(label, t);

-- The locator: the token's last 6 bytes say where create_session stored the
-- row (block, then line pointer, big-endian), and validate reads the row
-- there without the token index (no index scan in this transaction).
CREATE FUNCTION pg_temp.token_bytes(tok text) RETURNS bytea LANGUAGE sql
AS $$ SELECT decode(translate(substr(tok, 5), '-_', '+/') || '=', 'base64') $$;
-- the token of a secret and a locator
CREATE FUNCTION pg_temp.token_of(secret bytea, locator bytea) RETURNS text
LANGUAGE sql AS $$
SELECT 'as1_' || translate(rtrim(encode(secret || locator, 'base64'), '='), '+/', '-_')
$$;
-- the token with the same secret and another locator
CREATE FUNCTION pg_temp.relocate(tok text, blk bigint, off int) RETURNS text
LANGUAGE sql AS $$
SELECT pg_temp.token_of(substr(pg_temp.token_bytes(tok), 1, 32),
	substr(int8send(blk), 5, 4) || substr(int4send(off), 3, 2))
$$;
-- scans of the token index so far (this backend's counts, not yet flushed
-- to the cumulative statistics inside a transaction block)
CREATE FUNCTION pg_temp.token_index_scans() RETURNS bigint LANGUAGE sql
AS $$ SELECT pg_stat_get_xact_numscans('authsessions_data.sessions_token_hash_key'::regclass) $$;
SELECT format('(%s,%s)',
		('x' || encode(substr(pg_temp.token_bytes(:'tok4'), 33, 4), 'hex'))::bit(32)::bigint,
		('x' || encode(substr(pg_temp.token_bytes(:'tok4'), 37, 2), 'hex'))::bit(16)::int)::tid
	= s.ctid AS locator_is_ctid
FROM authsessions_data.sessions s
WHERE s.token_hash = sha256(substr(pg_temp.token_bytes(:'tok4'), 1, 32));
BEGIN;
SELECT pg_temp.token_index_scans() AS scans0 \gset
SELECT authsessions.validate(:'tok4') ->> 'UserName' AS by_locator,
	pg_temp.token_index_scans() - :scans0 AS index_scans;
COMMIT;
-- a HOT update keeps the chain where the locator points
UPDATE authsessions_data.sessions SET ip = '192.0.2.1'
WHERE token_hash = sha256(substr(pg_temp.token_bytes(:'tok4'), 1, 32));
BEGIN;
SELECT pg_temp.token_index_scans() AS scans0 \gset
SELECT authsessions.validate(:'tok4') ->> 'UserName' AS after_hot_update,
	pg_temp.token_index_scans() - :scans0 AS index_scans;
COMMIT;
-- Wrong locators find nothing there and fall back to the index by hash:
-- another session's row, a line pointer out of range, 0, a block past the
-- end, the largest block numbers.  A right locator with another secret is
-- no session.
SELECT s ->> 'Token' AS tok5 FROM authsessions.create_session('90b10bb2-8c70-456f-b960-2251ae6d8778') AS s \gset
BEGIN;
SELECT pg_temp.token_index_scans() AS scans0 \gset
SELECT label, authsessions.validate(t) ->> 'UserName' AS user_name
FROM (VALUES
	('another session''s row', pg_temp.relocate(:'tok4', 0, 1)),
	('line pointer 0', pg_temp.relocate(:'tok4', 0, 0)),
	('line pointer 65535', pg_temp.relocate(:'tok4', 0, 65535)),
	('block past the end', pg_temp.relocate(:'tok4', 1000, 1)),
	('block 2^32 - 2', pg_temp.relocate(:'tok4', 4294967294, 1)),
	('block 2^32 - 1', pg_temp.relocate(:'tok4', 4294967295, 1)),
	('tok5''s locator, tok4''s secret',
		pg_temp.token_of(substr(pg_temp.token_bytes(:'tok4'), 1, 32),
						 substr(pg_temp.token_bytes(:'tok5'), 33, 6))),
	('tok4''s locator, another secret',
		pg_temp.token_of(sha256('another secret'),
						 substr(pg_temp.token_bytes(:'tok4'), 33, 6)))
) AS x(label, t);
-- one index scan each
SELECT pg_temp.token_index_scans() - :scans0 AS index_scans;
COMMIT;
-- a row moved by VACUUM FULL (or a dump and restore) is found by hash
VACUUM FULL authsessions_data.sessions;
BEGIN;
SELECT pg_temp.token_index_scans() AS scans0 \gset
SELECT authsessions.validate(:'tok4') ->> 'UserName' AS after_vacuum_full,
	pg_temp.token_index_scans() - :scans0 AS index_scans;
COMMIT;

-- validate is no writer: fine in a read-only transaction
BEGIN READ ONLY;
SELECT authsessions.validate(:'tok4') ->> 'UserName' AS read_only_ok;
SELECT authsessions.validate('garbage') IS NULL AS read_only_garbage_null;
COMMIT;
-- named argument
SELECT authsessions.validate(token => :'tok4') ->> 'UserName' AS named_ok;

DEALLOCATE age;
DEALLOCATE state;
DROP TABLE fixture;
DROP EXTENSION authsessions;
