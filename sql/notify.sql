-- authsessions.notify_channel: its checks, and what it does to a
-- transaction.  The notifications themselves (one per ended session, with
-- the exact payload, delivered at commit, none on rollback, each reason)
-- need a second connection that listens: test/extra/17_notify.sh.
\set VERBOSITY terse
CREATE EXTENSION authsessions;
CREATE ROLE regress_notify_nobody;

-- Off by default; superuser only; a name of 1 to 63 bytes, or empty (off).
SHOW authsessions.notify_channel;
SET authsessions.notify_channel = 'authsessions_ended';
SHOW authsessions.notify_channel;
SET authsessions.notify_channel = 'ÄÖÜ mixed Case, and spaces';
SHOW authsessions.notify_channel;
SET authsessions.notify_channel = '';
SHOW authsessions.notify_channel;
-- 63 bytes: accepted; 64: refused at SET (22023), the setting unchanged
SET authsessions.notify_channel = 'c23456789012345678901234567890123456789012345678901234567890123';
SELECT length(current_setting('authsessions.notify_channel')) AS accepted_bytes;
\set VERBOSITY default
SET authsessions.notify_channel = 'c234567890123456789012345678901234567890123456789012345678901234';
\echo :LAST_ERROR_SQLSTATE
-- (bytes, not characters: 32 two-byte characters are 64 bytes)
SET authsessions.notify_channel = 'éééééééééééééééééééééééééééééééé';
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
SELECT length(current_setting('authsessions.notify_channel')) AS unchanged;
RESET authsessions.notify_channel;
SET ROLE regress_notify_nobody;
SET authsessions.notify_channel = 'mine';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SHOW authsessions.notify_channel;
-- ALTER DATABASE ... SET checks it as SET does
SELECT current_database() AS db \gset
ALTER DATABASE :"db" SET authsessions.notify_channel = 'c234567890123456789012345678901234567890123456789012345678901234';
\echo :LAST_ERROR_SQLSTATE

SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000001', 'alice') AS alice;
SELECT s ->> 'ID' AS s1 FROM authsessions.create_session('00000000-0000-4000-8000-000000000001') AS s \gset
SELECT s ->> 'ID' AS s2 FROM authsessions.create_session('00000000-0000-4000-8000-000000000001') AS s \gset

-- Two-phase commit: a transaction that ended a session while a channel
-- was set queued a NOTIFY, and PostgreSQL refuses to prepare it (0A000);
-- it rolls back, and the session stays active.
SET authsessions.notify_channel = 'authsessions_ended';
BEGIN;
SELECT authsessions.revoke(:s1);
\set VERBOSITY default
PREPARE TRANSACTION 'regress_notify_2pc';
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
SELECT count(*) AS prepared FROM pg_prepared_xacts;
SELECT revoked_at IS NULL AS s1_active FROM authsessions_data.sessions WHERE id = :s1;
-- a transaction that ended nothing queued nothing: it prepares
BEGIN;
SELECT authsessions.revoke_user('00000000-0000-4000-8000-0000000000ff');
ROLLBACK;
BEGIN;
SELECT authsessions.end_session('as1_not-a-token');
PREPARE TRANSACTION 'regress_notify_2pc';
ROLLBACK PREPARED 'regress_notify_2pc';
-- without a channel, a revoke prepares and commits as before
RESET authsessions.notify_channel;
BEGIN;
SELECT authsessions.revoke(:s1);
PREPARE TRANSACTION 'regress_notify_2pc';
COMMIT PREPARED 'regress_notify_2pc';
SELECT revoked_at IS NOT NULL AS s1_revoked FROM authsessions_data.sessions WHERE id = :s1;

DROP EXTENSION authsessions;
DROP ROLE regress_notify_nobody;
