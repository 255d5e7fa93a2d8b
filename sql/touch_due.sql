-- validate's touch is due once least(touch_interval, idle timeout / 2) has
-- passed since LastUpdated, so a session whose idle timeout is shorter than
-- touch_interval slides too (in 1.0 a 10-second session validated every 2 s
-- still expired at 10 s).  The sessions' clocks are set back by hand, with
-- their summary kept in step, instead of waiting.
\set VERBOSITY terse
CREATE EXTENSION authsessions;
\i sql/include/summary.sql
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000001', 'user') AS user_id;
SHOW authsessions.touch_interval;
SELECT s ->> 'Token' AS short_tok, s ->> 'ID' AS short_id FROM authsessions.create_session('00000000-0000-4000-8000-000000000001', ttl => '10 seconds') AS s \gset
SELECT s ->> 'Token' AS long_tok, s ->> 'ID' AS long_id FROM authsessions.create_session('00000000-0000-4000-8000-000000000001', ttl => '1 day') AS s \gset

-- Age a session: LastUpdated `age` ago, expiring idle_timeout after it.
CREATE FUNCTION pg_temp.age_session(sid bigint, age interval) RETURNS void
LANGUAGE sql AS $$
	UPDATE authsessions_data.sessions
	SET last_updated = now() - age, expires_at = now() - age + make_interval(secs => idle_timeout)
	WHERE id = sid;
	SELECT pg_temp.resync_summary() $$;
PREPARE touched(bigint) AS
	SELECT now() - last_updated < interval '2 seconds' AS touched_now,
		expires_at - last_updated AS idle
	FROM authsessions_data.sessions WHERE id = $1;

-- 10 s session, 4 s idle: below half its timeout, no touch
SELECT pg_temp.age_session(:short_id, '4 seconds');
SELECT authsessions.validate(:'short_tok') IS NOT NULL AS valid;
EXECUTE touched(:short_id);
-- 6 s idle (of 10): half passed, touched although touch_interval is 60 s
SELECT pg_temp.age_session(:short_id, '6 seconds');
SELECT authsessions.validate(:'short_tok') IS NOT NULL AS valid;
EXECUTE touched(:short_id);
-- so a session validated every few seconds never expires: 3 rounds of
-- 6 s idle, each slid
SELECT pg_temp.age_session(:short_id, '6 seconds');
SELECT authsessions.validate(:'short_tok') ->> 'ID' AS round1;
SELECT pg_temp.age_session(:short_id, '6 seconds');
SELECT authsessions.validate(:'short_tok') ->> 'ID' AS round2;
SELECT pg_temp.age_session(:short_id, '6 seconds');
SELECT authsessions.validate(:'short_tok') ->> 'ID' AS round3;
EXECUTE touched(:short_id);

-- 1 day session: touch_interval (60 s) is the smaller bound
SELECT pg_temp.age_session(:long_id, '59 seconds');
SELECT authsessions.validate(:'long_tok') IS NOT NULL AS valid;
EXECUTE touched(:long_id);
SELECT pg_temp.age_session(:long_id, '61 seconds');
SELECT authsessions.validate(:'long_tok') IS NOT NULL AS valid;
EXECUTE touched(:long_id);
-- the summary followed every touch
SELECT * FROM pg_temp.summary_mismatch();

-- touch_interval 0: every call slides
SET authsessions.touch_interval = 0;
SELECT pg_temp.age_session(:long_id, '3 seconds');
SELECT authsessions.validate(:'long_tok') IS NOT NULL AS valid;
EXECUTE touched(:long_id);
RESET authsessions.touch_interval;

-- no touch outside READ WRITE, READ COMMITTED (a GET, REPEATABLE READ)
SELECT pg_temp.age_session(:short_id, '6 seconds');
BEGIN READ ONLY;
SELECT authsessions.validate(:'short_tok') IS NOT NULL AS valid;
COMMIT;
EXECUTE touched(:short_id);
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT authsessions.validate(:'short_tok') IS NOT NULL AS valid;
COMMIT;
EXECUTE touched(:short_id);

DROP EXTENSION authsessions;
