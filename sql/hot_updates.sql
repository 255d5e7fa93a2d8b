-- Index maintenance stays off the hot write paths.  A login, a touch
-- (validate sliding the expiry), a revoke and a logout change no indexed
-- column of the session or of its user's row, and fillfactor leaves room for
-- the new versions, so each of their updates is HOT, even on a page that
-- inserts filled as far as they go.  Counted with the transaction's own
-- table statistics, before and after each call (they are not flushed inside
-- a transaction).
\set VERBOSITY terse
CREATE EXTENSION authsessions;

-- The user under test, with a first session: its first login turns listed
-- true, a column of the list() index's predicate, so that update is not HOT
-- (the user enters the index).  299 more users, then the table rewritten as
-- full as fillfactor lets it be: the user is the first row of a packed page.
SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', true) AS user_id;
SELECT s ->> 'Token' AS tok1 FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'one') AS s \gset
SELECT count(authsessions.upsert_user(
		('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, 'filler ' || i))
  FROM generate_series(1, 299) AS i;
VACUUM FULL authsessions_data.users;
SELECT ctid = '(0,1)' AS first_row,
	   (SELECT count(*) FROM authsessions_data.users u
		 WHERE (u.ctid::text::point)[0] = 0) > 40 AS page_holds_many,
	   (SELECT count(*) FROM authsessions_data.users u
		 WHERE (u.ctid::text::point)[0] = 1) > 0 AS second_page_used
  FROM authsessions_data.users WHERE guid = '83bde819-ec08-4cee-b635-884145630d0b';

CREATE TEMP VIEW counts AS
	SELECT pg_stat_get_xact_tuples_updated('authsessions_data.sessions'::regclass) AS s_updated,
		pg_stat_get_xact_tuples_hot_updated('authsessions_data.sessions'::regclass) AS s_hot,
		pg_stat_get_xact_tuples_updated('authsessions_data.users'::regclass) AS u_updated,
		pg_stat_get_xact_tuples_hot_updated('authsessions_data.users'::regclass) AS u_hot;

-- More logins: the user row, once per login, HOT.
BEGIN;
SELECT s_updated AS s0, s_hot AS sh0, u_updated AS u0, u_hot AS uh0 FROM counts \gset
SELECT s ->> 'ID' AS id2 FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'two') AS s \gset
SELECT s ->> 'Token' AS tok3 FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', 'three') AS s \gset
SELECT s_updated - :s0 AS session_updates, s_hot - :sh0 AS session_hot,
	   u_updated - :u0 AS user_updates, u_hot - :uh0 AS user_hot FROM counts;
COMMIT;
-- make the touch due
UPDATE authsessions_data.sessions SET last_updated = last_updated - interval '1 hour';

-- A touch: the session and its user, both HOT.
BEGIN;
SELECT s_updated AS s0, s_hot AS sh0, u_updated AS u0, u_hot AS uh0 FROM counts \gset
SELECT (authsessions.validate(:'tok1') ->> 'LastUpdated')::timestamptz = date_trunc('second', now()) AS touched;
SELECT s_updated - :s0 AS session_updates, s_hot - :sh0 AS session_hot,
	   u_updated - :u0 AS user_updates, u_hot - :uh0 AS user_hot FROM counts;
COMMIT;

-- A revoke: the session and its user, both HOT.
BEGIN;
SELECT s_updated AS s0, s_hot AS sh0, u_updated AS u0, u_hot AS uh0 FROM counts \gset
SELECT authsessions.revoke(:id2);
SELECT s_updated - :s0 AS session_updates, s_hot - :sh0 AS session_hot,
	   u_updated - :u0 AS user_updates, u_hot - :uh0 AS user_hot FROM counts;
COMMIT;

-- A logout: the session and its user, both HOT.
BEGIN;
SELECT s_updated AS s0, s_hot AS sh0, u_updated AS u0, u_hot AS uh0 FROM counts \gset
SELECT authsessions.end_session(:'tok3');
SELECT s_updated - :s0 AS session_updates, s_hot - :sh0 AS session_hot,
	   u_updated - :u0 AS user_updates, u_hot - :uh0 AS user_hot FROM counts;
COMMIT;

-- An operator flag changed: the user row and the copies in its one active
-- session (the revoked and the logged-out one keep theirs), all HOT (the
-- tokens' locators keep pointing at the sessions' chains).  A rename
-- rewrites the same copy, HOT too, but not the user row HOT: the name is in
-- list()'s index.
BEGIN;
SELECT s_updated AS s0, s_hot AS sh0, u_updated AS u0, u_hot AS uh0 FROM counts \gset
SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', false) AS user_id;
SELECT s_updated - :s0 AS session_updates, s_hot - :sh0 AS session_hot,
	   u_updated - :u0 AS user_updates, u_hot - :uh0 AS user_hot FROM counts;
COMMIT;
BEGIN;
SELECT s_updated AS s0, s_hot AS sh0, u_updated AS u0, u_hot AS uh0 FROM counts \gset
SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user renamed') AS user_id;
SELECT s_updated - :s0 AS session_updates, s_hot - :sh0 AS session_hot,
	   u_updated - :u0 AS user_updates, u_hot - :uh0 AS user_hot FROM counts;
COMMIT;

-- the user row never left its page
SELECT (ctid::text::point)[0] = 0 AS same_page, cardinality(session_expiries) AS expiries
  FROM authsessions_data.users WHERE guid = '83bde819-ec08-4cee-b635-884145630d0b';

DROP VIEW counts;
DROP EXTENSION authsessions;
