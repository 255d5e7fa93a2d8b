-- Index maintenance stays off the hot write paths: a touch (validate sliding
-- the expiry) and a revoke change no indexed column, so each one is a HOT
-- update.  Counted with the transaction's own table statistics, before and
-- after each call (they are not flushed inside a transaction).
\set VERBOSITY terse
CREATE EXTENSION authsessions;

SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', true) AS user_id;
SELECT s ->> 'Token' AS tok1 FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'one') AS s \gset
SELECT s ->> 'ID' AS id2 FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'two') AS s \gset
-- make the touch due
UPDATE authsessions_data.sessions SET last_updated = last_updated - interval '1 hour';

CREATE TEMP VIEW counts AS
	SELECT pg_stat_get_xact_tuples_updated('authsessions_data.sessions'::regclass) AS updated,
		pg_stat_get_xact_tuples_hot_updated('authsessions_data.sessions'::regclass) AS hot_updated;

-- A touch: one HOT update.
BEGIN;
SELECT updated AS u0, hot_updated AS h0 FROM counts \gset
SELECT (authsessions.validate(:'tok1') ->> 'LastUpdated')::timestamptz = date_trunc('second', now()) AS touched;
SELECT updated - :u0 AS updates, hot_updated - :h0 AS hot_updates FROM counts;
COMMIT;

-- A revoke: one HOT update.
BEGIN;
SELECT updated AS u0, hot_updated AS h0 FROM counts \gset
SELECT authsessions.revoke(:id2);
SELECT updated - :u0 AS updates, hot_updated - :h0 AS hot_updates FROM counts;
COMMIT;

DROP VIEW counts;
DROP EXTENSION authsessions;
