-- Absolute lifetime: authsessions.max_lifetime (0, the default, is none) and
-- create_session's max_lifetime argument, which may only shorten it.
-- ExpirationDate = least(now + ttl, created_at + lifetime) at creation and at
-- every slide of validate, never backwards; the summary list() reads follows.
\set VERBOSITY terse
CREATE EXTENSION authsessions;
SELECT authsessions.upsert_user('00000000-0000-4000-8000-00000000001a', 'lifetime', false) AS user_id;

-- Shows a session's row against now(): its expiry, the bound it keeps and
-- its age, in seconds.
PREPARE row_of(bigint) AS
SELECT extract(epoch FROM expires_at - now()) AS expires_in,
	extract(epoch FROM max_expires_at - created_at) AS own_lifetime,
	extract(epoch FROM now() - last_updated) AS idle_for,
	extract(epoch FROM expires_at - created_at) AS expires_after_creation
FROM authsessions_data.sessions WHERE id = $1;

-- The setting: 0 by default, an interval in seconds, superuser only.
SHOW authsessions.max_lifetime;
SET authsessions.max_lifetime = '30d';
SHOW authsessions.max_lifetime;
RESET authsessions.max_lifetime;
CREATE ROLE regress_lifetime_nobody;
SET ROLE regress_lifetime_nobody;
SET authsessions.max_lifetime = '1h';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP ROLE regress_lifetime_nobody;

-- Without the setting or the argument, nothing bounds a session: expiry
-- now + ttl, no bound of its own.
BEGIN;
SELECT s ->> 'ID' AS id,
	(s ->> 'ExpirationDate')::timestamptz = date_trunc('second', now() + interval '48 hours') AS json_48h
FROM authsessions.create_session('00000000-0000-4000-8000-00000000001a') AS s \gset
\echo :json_48h
EXECUTE row_of(:id);
COMMIT;

-- At creation: least(now + ttl, now + max_lifetime).  A ttl within it is
-- kept; a ttl above it is not an error, the lifetime wins.
SET authsessions.max_lifetime = '30d';
BEGIN;
SELECT s ->> 'ID' AS id FROM authsessions.create_session('00000000-0000-4000-8000-00000000001a') AS s \gset
EXECUTE row_of(:id);
SELECT (s ->> 'ExpirationDate')::timestamptz = date_trunc('second', now() + interval '30 days') AS json_30_days,
	s ->> 'ID' AS long_id
FROM authsessions.create_session('00000000-0000-4000-8000-00000000001a', ttl => '40 days') AS s \gset
\echo :json_30_days
EXECUTE row_of(:long_id);
COMMIT;
-- a lifetime shorter than the idle timeout (ttl NULL: idle_timeout, 48 h)
SET authsessions.max_lifetime = '1h';
BEGIN;
SELECT s ->> 'ID' AS id FROM authsessions.create_session('00000000-0000-4000-8000-00000000001a') AS s \gset
EXECUTE row_of(:id);
COMMIT;
-- ttl is still checked against authsessions.max_ttl, whatever the lifetime
SET authsessions.max_ttl = '1d';
SELECT authsessions.create_session('00000000-0000-4000-8000-00000000001a', ttl => '2 days');
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SELECT s ->> 'ID' AS id FROM authsessions.create_session('00000000-0000-4000-8000-00000000001a', ttl => '1 day') AS s \gset
EXECUTE row_of(:id);
COMMIT;
RESET authsessions.max_ttl;

-- The argument may only shorten the setting: equal or below is kept (in
-- max_expires_at), above is 22023, and so are 0, negative, months and
-- fractions of a second.  NULL means the setting alone.
SET authsessions.max_lifetime = '30d';
BEGIN;
SELECT s ->> 'ID' AS id FROM authsessions.create_session('00000000-0000-4000-8000-00000000001a', max_lifetime => '1 day') AS s \gset
EXECUTE row_of(:id);
SELECT s ->> 'ID' AS id FROM authsessions.create_session('00000000-0000-4000-8000-00000000001a', max_lifetime => '30 days') AS s \gset
EXECUTE row_of(:id);
SELECT s ->> 'ID' AS id FROM authsessions.create_session('00000000-0000-4000-8000-00000000001a', max_lifetime => NULL) AS s \gset
EXECUTE row_of(:id);
COMMIT;
SELECT authsessions.create_session('00000000-0000-4000-8000-00000000001a', max_lifetime => '30 days 1 second');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('00000000-0000-4000-8000-00000000001a', max_lifetime => '0');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('00000000-0000-4000-8000-00000000001a', max_lifetime => '-1 hour');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('00000000-0000-4000-8000-00000000001a', max_lifetime => '1 mon');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('00000000-0000-4000-8000-00000000001a', max_lifetime => '1.5 seconds');
\echo :LAST_ERROR_SQLSTATE
-- Without the setting, the argument alone bounds the session: any positive
-- duration up to the setting's own largest value (2147483647 s, 68 years),
-- also beyond authsessions.max_ttl.
RESET authsessions.max_lifetime;
BEGIN;
SELECT s ->> 'ID' AS id FROM authsessions.create_session('00000000-0000-4000-8000-00000000001a', max_lifetime => '1 hour') AS s \gset
EXECUTE row_of(:id);
SELECT s ->> 'ID' AS id FROM authsessions.create_session('00000000-0000-4000-8000-00000000001a', max_lifetime => '500 days') AS s \gset
EXECUTE row_of(:id);
SELECT s ->> 'ID' AS id FROM authsessions.create_session('00000000-0000-4000-8000-00000000001a', max_lifetime => '2147483647 seconds') AS s \gset
EXECUTE row_of(:id);
COMMIT;
SELECT authsessions.create_session('00000000-0000-4000-8000-00000000001a', max_lifetime => '2147483648 seconds');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.create_session('00000000-0000-4000-8000-00000000001a', max_lifetime => '0');
\echo :LAST_ERROR_SQLSTATE

-- At every slide: validate slides to least(now + idle timeout, created_at +
-- the setting), here a session 29 days old with an hour left (as a 1.1.0
-- session, or one made before the upgrade: no bound of its own).
SET authsessions.max_lifetime = '30d';
SELECT authsessions.upsert_user('00000000-0000-4000-8000-00000000001b', 'slider', false) AS slider_id;
SELECT s ->> 'ID' AS id, s ->> 'Token' AS tok
FROM authsessions.create_session('00000000-0000-4000-8000-00000000001b') AS s \gset
UPDATE authsessions_data.sessions
SET created_at = now() - interval '29 days', last_updated = now() - interval '47 hours',
	expires_at = now() + interval '1 hour'
WHERE id = :id;
SELECT authsessions.repair_summary() AS repaired_after_hand_edit;
BEGIN;
SELECT authsessions.validate(:'tok') AS v \gset
SELECT (:'v'::jsonb ->> 'ExpirationDate')::timestamptz = date_trunc('second', s.created_at + interval '30 days') AS json_at_bound,
	s.expires_at = s.created_at + interval '30 days' AS stored_at_bound,
	s.last_updated = now() AS touched,
	s.expires_at = ANY (u.session_expiries) AS in_summary
FROM authsessions_data.sessions s, authsessions_data.users u
WHERE s.id = :id AND u.id = s.user_id;
COMMIT;
-- At the bound there is nothing left to slide: no touch at all.
BEGIN;
UPDATE authsessions_data.sessions SET last_updated = now() - interval '1 hour' WHERE id = :id;
SELECT authsessions.validate(:'tok') IS NOT NULL AS valid_at_bound;
SELECT last_updated = now() - interval '1 hour' AS not_touched,
	expires_at = created_at + interval '30 days' AS still_at_bound
FROM authsessions_data.sessions WHERE id = :id;
COMMIT;
-- Lowering the setting never shortens an expiry already given: the session
-- stays valid until then, and does not slide.
SET authsessions.max_lifetime = '1d';
BEGIN;
UPDATE authsessions_data.sessions SET last_updated = now() - interval '1 hour' WHERE id = :id;
SELECT authsessions.validate(:'tok') IS NOT NULL AS valid_after_lowering;
SELECT last_updated = now() - interval '1 hour' AS not_touched,
	expires_at = created_at + interval '30 days' AS not_shortened
FROM authsessions_data.sessions WHERE id = :id;
COMMIT;
-- Raising it lets the session slide on, to the new bound; and without the
-- setting, to now + the idle timeout.
SET authsessions.max_lifetime = '31d';
BEGIN;
SELECT authsessions.validate(:'tok') IS NOT NULL AS valid;
SELECT expires_at = created_at + interval '31 days' AS at_new_bound, last_updated = now() AS touched
FROM authsessions_data.sessions WHERE id = :id;
COMMIT;
RESET authsessions.max_lifetime;
BEGIN;
UPDATE authsessions_data.sessions SET last_updated = now() - interval '1 hour' WHERE id = :id;
SELECT authsessions.validate(:'tok') IS NOT NULL AS valid;
SELECT expires_at = now() + interval '48 hours' AS slid_idle, last_updated = now() AS touched
FROM authsessions_data.sessions WHERE id = :id;
COMMIT;

-- A session's own bound (the argument) holds at every slide, whatever the
-- setting: with it, or without it.
SELECT s ->> 'ID' AS id, s ->> 'Token' AS tok
FROM authsessions.create_session('00000000-0000-4000-8000-00000000001b', max_lifetime => '1 day') AS s \gset
UPDATE authsessions_data.sessions
SET created_at = now() - interval '12 hours', max_expires_at = now() + interval '12 hours',
	last_updated = now() - interval '47 hours', expires_at = now() + interval '1 hour'
WHERE id = :id;
SELECT authsessions.repair_summary() AS repaired_after_hand_edit;
SET authsessions.max_lifetime = '30d';
BEGIN;
SELECT authsessions.validate(:'tok') AS v \gset
SELECT (:'v'::jsonb ->> 'ExpirationDate')::timestamptz = date_trunc('second', s.max_expires_at) AS json_at_own_bound,
	s.expires_at = s.max_expires_at AS stored_at_own_bound, s.last_updated = now() AS touched
FROM authsessions_data.sessions s WHERE s.id = :id;
COMMIT;
RESET authsessions.max_lifetime;
BEGIN;
UPDATE authsessions_data.sessions SET last_updated = now() - interval '1 hour' WHERE id = :id;
SELECT authsessions.validate(:'tok') IS NOT NULL AS valid;
SELECT expires_at = max_expires_at AS still_at_own_bound, last_updated = now() - interval '1 hour' AS not_touched
FROM authsessions_data.sessions WHERE id = :id;
COMMIT;

-- check_token never slides, bound or not; and every summary is right.
SELECT authsessions.check_token(:'tok') IS NOT NULL AS check_token_valid;
SELECT authsessions.repair_summary() AS summaries_wrong;

DROP EXTENSION authsessions;
