-- The writers go through SQL: a CHECK constraint, a foreign key, a trigger
-- or a stored generated column a DBA adds to the extension's tables applies
-- to upsert_user, create_session, validate, revoke and end_session exactly
-- as to an UPDATE (1.0's direct writer skipped all but triggers and
-- policies).  See README, "Customising the tables", for what pg_dump keeps.
\set VERBOSITY terse
CREATE EXTENSION authsessions;
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000001', 'user') AS user_id \gset
SELECT s ->> 'Token' AS tok1, s ->> 'ID' AS id1 FROM authsessions.create_session('00000000-0000-4000-8000-000000000001', 'one') AS s \gset
SELECT s ->> 'Token' AS tok2, s ->> 'ID' AS id2 FROM authsessions.create_session('00000000-0000-4000-8000-000000000001', 'two') AS s \gset

-- CHECK on sessions: nobody called 'blocked' may end a session
ALTER TABLE authsessions_data.sessions
	ADD CONSTRAINT regress_not_blocked CHECK (revoked_by IS DISTINCT FROM 'blocked');
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "blocked"}', true) IS NOT NULL AS claims;
SELECT authsessions.revoke(:id1);
ROLLBACK;
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "blocked"}', true) IS NOT NULL AS claims;
SELECT authsessions.end_session(:'tok1');
ROLLBACK;
SELECT authsessions.validate(:'tok1') IS NOT NULL AS still_active;
ALTER TABLE authsessions_data.sessions DROP CONSTRAINT regress_not_blocked;

-- foreign key on sessions: revoked_by must name a known admin
CREATE TABLE regress_admins (name text PRIMARY KEY);
INSERT INTO regress_admins VALUES ('alice');
ALTER TABLE authsessions_data.sessions
	ADD CONSTRAINT regress_revoker FOREIGN KEY (revoked_by) REFERENCES regress_admins (name);
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "mallory"}', true) IS NOT NULL AS claims;
SELECT authsessions.revoke(:id1);
ROLLBACK;
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "alice"}', true) IS NOT NULL AS claims;
SELECT authsessions.revoke(:id1);
COMMIT;
ALTER TABLE authsessions_data.sessions DROP CONSTRAINT regress_revoker;

-- CHECK on users: at most one active session each (a crude cap)
ALTER TABLE authsessions_data.users
	ADD CONSTRAINT regress_one_session CHECK (cardinality(session_expiries) <= 1);
SELECT authsessions.create_session('00000000-0000-4000-8000-000000000001', 'three');
ALTER TABLE authsessions_data.users DROP CONSTRAINT regress_one_session;
-- and one that the removal of the last expiry violates: revoke and logout
-- fail as the UPDATE of the user row would
ALTER TABLE authsessions_data.users
	ADD CONSTRAINT regress_keep_one CHECK (cardinality(session_expiries) >= 1) NOT VALID;
SELECT authsessions.revoke(:id2);
SELECT authsessions.end_session(:'tok2');
ALTER TABLE authsessions_data.users DROP CONSTRAINT regress_keep_one;

-- foreign key on users: is_operator must be an allowed value
CREATE TABLE regress_flags (b boolean PRIMARY KEY);
INSERT INTO regress_flags VALUES (false);
ALTER TABLE authsessions_data.users
	ADD CONSTRAINT regress_operator_flag FOREIGN KEY (is_operator) REFERENCES regress_flags (b);
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000001', 'user', true);
SELECT authsessions.upsert_user('00000000-0000-4000-8000-000000000002', 'new', true);
ALTER TABLE authsessions_data.users DROP CONSTRAINT regress_operator_flag;

-- BEFORE UPDATE triggers on sessions and users see every writer's update
-- (they run under the writers' pinned search_path: qualify every name)
CREATE TABLE regress_log (tab text, op text, what text);
CREATE FUNCTION regress_log_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.regress_log VALUES (TG_TABLE_NAME, TG_OP,
		CASE TG_TABLE_NAME
		WHEN 'sessions' THEN (to_jsonb(NEW) ->> 'smartphone') || ' ' || coalesce(to_jsonb(NEW) ->> 'revoked_by', '-')
		ELSE (to_jsonb(NEW) ->> 'name') || ' ' || jsonb_array_length(to_jsonb(NEW) -> 'session_expiries') END);
	RETURN NEW;
END $$;
CREATE TRIGGER regress_log BEFORE UPDATE ON authsessions_data.sessions
	FOR EACH ROW EXECUTE FUNCTION regress_log_update();
CREATE TRIGGER regress_log BEFORE UPDATE ON authsessions_data.users
	FOR EACH ROW EXECUTE FUNCTION regress_log_update();
SELECT s ->> 'Token' AS tok3, s ->> 'ID' AS id3 FROM authsessions.create_session('00000000-0000-4000-8000-000000000001', 'three') AS s \gset
SELECT authsessions.revoke(:id2);
SELECT authsessions.end_session(:'tok3');
SELECT * FROM regress_log;
DROP TRIGGER regress_log ON authsessions_data.sessions;
DROP TRIGGER regress_log ON authsessions_data.users;

-- a stored generated column follows a revoke (README: never add columns to
-- the extension's tables, they do not survive pg_dump; dropped again here)
ALTER TABLE authsessions_data.sessions
	ADD COLUMN regress_ended boolean GENERATED ALWAYS AS (revoked_at IS NOT NULL) STORED;
SELECT s ->> 'ID' AS id4 FROM authsessions.create_session('00000000-0000-4000-8000-000000000001', 'four') AS s \gset
SELECT authsessions.revoke(:id4);
SELECT smartphone, regress_ended FROM authsessions_data.sessions ORDER BY id;
ALTER TABLE authsessions_data.sessions DROP COLUMN regress_ended;

DROP EXTENSION authsessions;
DROP TABLE regress_admins, regress_flags, regress_log;
DROP FUNCTION regress_log_update();
