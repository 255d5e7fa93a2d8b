-- pgTAP: behaviour of the authsessions functions, as the superuser.
--
-- The lifecycle end to end (upsert_user, create_session, validate,
-- user_sessions, list, revoke, end_session, delete_user, purge), the
-- documented SQLSTATEs (PT404, PT429, 22004, 22023, 22001, 25006), the
-- sliding expiry (due after least(touch_interval, idle timeout / 2)), the
-- session cap (authsessions.max_sessions_per_user), the pruned session
-- summary (users.session_expiries) and repair_summary.  Everything runs in
-- one transaction, so now() is one instant: the tests that need an older
-- session move its timestamps back directly.
BEGIN;
SELECT plan(95);

-- Fixed users: alice has sessions, carol has none.
CREATE TEMP TABLE u (who text PRIMARY KEY, guid uuid, id int);
INSERT INTO u VALUES
	('alice', '00000000-0000-4000-8000-0000000000a1', NULL),
	('Bob',   '00000000-0000-4000-8000-0000000000b1', NULL),
	('ann',   '00000000-0000-4000-8000-0000000000a2', NULL),
	('bob',   '00000000-0000-4000-8000-0000000000b2', NULL),
	('carol', '00000000-0000-4000-8000-0000000000c1', NULL);
UPDATE u SET id = authsessions.upsert_user(guid, who);

-- Sessions: k names them; j is what create_session returned.
CREATE TEMP TABLE s (k text PRIMARY KEY, j jsonb);
INSERT INTO s VALUES
	('a1', authsessions.create_session('00000000-0000-4000-8000-0000000000a1', 'Pixel 8', 'Android 14', 'MyApp')),
	('a2', authsessions.create_session('00000000-0000-4000-8000-0000000000a1')),
	('a3', authsessions.create_session('00000000-0000-4000-8000-0000000000a1', ttl => '2 hours')),
	('B1', authsessions.create_session('00000000-0000-4000-8000-0000000000b1')),
	('n1', authsessions.create_session('00000000-0000-4000-8000-0000000000a2')),
	('b1', authsessions.create_session('00000000-0000-4000-8000-0000000000b2'));
CREATE TEMP VIEW t AS SELECT k, (j->>'ID')::bigint AS id, j->>'Token' AS token FROM s;

-- upsert_user (4) ----------------------------------------------------------

SELECT is(authsessions.upsert_user('00000000-0000-4000-8000-0000000000a1', 'alice', true),
	(SELECT id FROM u WHERE who = 'alice'),
	'upsert_user of a known guid returns its UserID');
SELECT is((SELECT is_operator FROM authsessions_data.users WHERE guid = '00000000-0000-4000-8000-0000000000a1'),
	true, 'upsert_user sets is_operator');
SELECT is(authsessions.upsert_user('00000000-0000-4000-8000-0000000000a1', 'alice'),
	(SELECT id FROM u WHERE who = 'alice'),
	'upsert_user with is_operator NULL returns the same UserID');
SELECT is((SELECT is_operator FROM authsessions_data.users WHERE guid = '00000000-0000-4000-8000-0000000000a1'),
	true, 'upsert_user with is_operator NULL keeps the current value');

-- create_session and validate (13) -----------------------------------------

SELECT is((SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(j) AS k),
	ARRAY['ExpirationDate', 'ID', 'Token'],
	'create_session returns exactly ID, Token, ExpirationDate')
  FROM s WHERE k = 'a1';
SELECT ok(token ~ '^as1_[A-Za-z0-9_-]{51}$', 'the token is as1_ and 51 URL-safe base64 characters (a 256-bit secret and a locator)')
  FROM t WHERE k = 'a1';
SELECT is(ss.token_hash::bytea,
	sha256(substr(decode(translate(substr(t.token, 5), '-_', '+/') || '=', 'base64'), 1, 32)),
	'only the SHA-256 of the token''s secret is stored')
  FROM t JOIN authsessions_data.sessions ss ON ss.id = t.id WHERE t.k = 'a1';
SELECT is((authsessions.validate(token)->>'ID')::bigint, id,
	'validate returns the session of the token create_session returned')
  FROM t WHERE k = 'a1';
SELECT is((SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(authsessions.validate(token)) AS k),
	ARRAY['Application', 'ExpirationDate', 'ID', 'IsOperator', 'LastUpdated', 'OperatingSystem',
	      'Smartphone', 'UserGuid', 'UserID', 'UserName'],
	'validate returns exactly the documented keys')
  FROM t WHERE k = 'a1';
SELECT is(authsessions.validate(token) - 'LastUpdated' - 'ExpirationDate',
	jsonb_build_object('ID', id, 'UserID', (SELECT id FROM u WHERE who = 'alice'),
		'UserGuid', '00000000-0000-4000-8000-0000000000a1', 'UserName', 'alice',
		'IsOperator', true, 'Smartphone', 'Pixel 8', 'OperatingSystem', 'Android 14',
		'Application', 'MyApp'),
	'validate returns the session''s values as JSON numbers, strings and booleans')
  FROM t WHERE k = 'a1';
SELECT is(authsessions.validate(token),
	(SELECT e FROM jsonb_array_elements(authsessions.user_sessions('00000000-0000-4000-8000-0000000000a1')) e
	  WHERE (e->>'ID')::bigint = t.id),
	'validate returns the same object as the user_sessions element')
  FROM t WHERE k = 'a1';
SELECT is((authsessions.validate(token)->>'ExpirationDate')::timestamptz
		  - (authsessions.validate(token)->>'LastUpdated')::timestamptz,
	'48 hours'::interval, 'by default ExpirationDate is LastUpdated + 48 hours')
  FROM t WHERE k = 'a1';
SELECT is((authsessions.validate(token)->>'ExpirationDate')::timestamptz
		  - (authsessions.validate(token)->>'LastUpdated')::timestamptz,
	'2 hours'::interval, 'a ttl sets the session''s idle timeout')
  FROM t WHERE k = 'a3';
SELECT is(authsessions.validate(NULL), NULL, 'validate(NULL) is NULL');
SELECT is(authsessions.validate(''), NULL, 'validate of an empty token is NULL');
SELECT is(authsessions.validate('not a token'), NULL, 'validate of a malformed token is NULL');
SELECT is(authsessions.validate(repeat('A', 51)), NULL, 'validate of an unknown token is NULL');

-- user_sessions and list (4) -----------------------------------------------

SELECT results_eq(
	$$SELECT (e->>'ID')::bigint
	    FROM jsonb_array_elements(authsessions.user_sessions('00000000-0000-4000-8000-0000000000a1'))
	         WITH ORDINALITY AS x(e, n)
	   ORDER BY n$$,
	$$SELECT id FROM t WHERE k IN ('a1', 'a2', 'a3') ORDER BY id DESC$$,
	'user_sessions lists the user''s active sessions, LastUpdated then ID descending');
SELECT is(authsessions.user_sessions('00000000-0000-4000-8000-0000000000c1'), '[]'::jsonb,
	'user_sessions of a user without sessions is []');
SELECT results_eq(
	$$SELECT e->>'UserName', (e->>'SessionCount')::int
	    FROM jsonb_array_elements(authsessions.list()) WITH ORDINALITY AS x(e, n)
	   ORDER BY n$$,
	$$VALUES ('Bob', 1), ('alice', 3), ('ann', 1), ('bob', 1)$$,
	'list gives the users with active sessions in byte order of UserName, with their counts');
SELECT results_eq(
	$$SELECT e->>'UserName'
	    FROM jsonb_array_elements(authsessions.list(1, 2, '00000000-0000-4000-8000-0000000000a1'))
	         WITH ORDINALITY AS x(e, n)
	   ORDER BY n$$,
	$$VALUES ('ann'), ('bob')$$,
	'list with after continues after that user');

-- revoke (7) ---------------------------------------------------------------

SELECT is(authsessions.revoke(id), '{"Success": true}'::jsonb, 'revoke of an active session succeeds')
  FROM t WHERE k = 'a2';
SELECT is(authsessions.validate(token), NULL, 'validate after revoke is NULL')
  FROM t WHERE k = 'a2';
SELECT throws_ok(format('SELECT authsessions.revoke(%s)', id), 'PT404', 'err_NoActiveSession',
	'revoke of a revoked session raises PT404 err_NoActiveSession')
  FROM t WHERE k = 'a2';
SELECT throws_ok('SELECT authsessions.revoke(9223372036854775807)', 'PT404', 'err_NoActiveSession',
	'revoke of an unknown session raises PT404 err_NoActiveSession');
SELECT is((authsessions.list(1, 50, '00000000-0000-4000-8000-0000000000B1')->0->>'SessionCount')::int, 2,
	'list no longer counts the revoked session');
SELECT is(set_config('request.jwt.claims', '{"sub": "admin@example.com", "role": "admin"}', true)
		  || authsessions.revoke(id)::text,
	'{"sub": "admin@example.com", "role": "admin"}{"Success": true}',
	'revoke under a PostgREST JWT succeeds')
  FROM t WHERE k = 'a3';
SELECT is(revoked_by, 'admin@example.com', 'revoke records the JWT''s sub claim in revoked_by')
  FROM authsessions_data.sessions WHERE id = (SELECT id FROM t WHERE k = 'a3');
SELECT set_config('request.jwt.claims', '', true) IS NOT NULL AS claims_cleared \gset

-- end_session (4) ----------------------------------------------------------

SELECT is(authsessions.end_session(token), '{"Success": true}'::jsonb,
	'end_session of an active session is {"Success": true}')
  FROM t WHERE k = 'B1';
SELECT is(authsessions.end_session(token), '{"Success": false}'::jsonb,
	'end_session of an ended session is {"Success": false}')
  FROM t WHERE k = 'B1';
SELECT is(authsessions.end_session('not a token'), '{"Success": false}'::jsonb,
	'end_session of a malformed token is {"Success": false}, not an error');
SELECT is(authsessions.validate(token), NULL, 'validate after end_session is NULL')
  FROM t WHERE k = 'B1';

-- The sliding expiry (8) ---------------------------------------------------

-- Session n1 (ann) was last touched an hour ago.
UPDATE authsessions_data.sessions
   SET last_updated = now() - interval '1 hour', expires_at = now() + interval '47 hours'
 WHERE id = (SELECT id FROM t WHERE k = 'n1');

SAVEPOINT read_only;
SET LOCAL transaction_read_only = on;
SELECT (authsessions.validate(token)->>'ID')::bigint AS ro_id FROM t WHERE k = 'n1' \gset
SELECT last_updated = now() - interval '1 hour' AS ro_untouched
  FROM authsessions_data.sessions WHERE id = (SELECT id FROM t WHERE k = 'n1') \gset
ROLLBACK TO SAVEPOINT read_only;
SELECT is(:'ro_id'::bigint, id, 'validate answers in a read-only transaction') FROM t WHERE k = 'n1';
SELECT is(:'ro_untouched'::boolean, true, 'validate does not slide the expiry in a read-only transaction');

SELECT pg_stat_get_xact_tuples_hot_updated('authsessions_data.sessions'::regclass) AS hot_before,
       pg_stat_get_xact_tuples_updated('authsessions_data.sessions'::regclass) AS upd_before \gset
SELECT is((authsessions.validate(token)->>'ExpirationDate')::timestamptz,
	date_trunc('second', now() + interval '48 hours'),
	'validate slides a due session''s ExpirationDate to now + its idle timeout')
  FROM t WHERE k = 'n1';
SELECT is(last_updated, now(), 'the touch stored LastUpdated = now')
  FROM authsessions_data.sessions WHERE id = (SELECT id FROM t WHERE k = 'n1');
SELECT is(
	ARRAY[pg_stat_get_xact_tuples_updated('authsessions_data.sessions'::regclass) - :upd_before,
	      pg_stat_get_xact_tuples_hot_updated('authsessions_data.sessions'::regclass) - :hot_before],
	ARRAY[1, 1]::bigint[],
	'the touch was one HOT update');

-- Session b1 (bob) expires later than a touch would set it.
UPDATE authsessions_data.sessions
   SET last_updated = now() - interval '1 hour', expires_at = now() + interval '100 hours'
 WHERE id = (SELECT id FROM t WHERE k = 'b1');
SELECT is((authsessions.validate(token)->>'ExpirationDate')::timestamptz,
	date_trunc('second', now() + interval '100 hours'),
	'validate never moves an expiry backwards')
  FROM t WHERE k = 'b1';

-- A one-minute session: half its idle timeout (30 s) is below touch_interval
-- (60 s), so a touch is due after 30 seconds, not 60.
INSERT INTO s VALUES
	('c1', authsessions.create_session('00000000-0000-4000-8000-0000000000c1', ttl => '1 minute'));
UPDATE authsessions_data.sessions
   SET last_updated = now() - interval '29 seconds', expires_at = now() + interval '31 seconds'
 WHERE id = (SELECT id FROM t WHERE k = 'c1');
SELECT is((authsessions.validate(token)->>'ExpirationDate')::timestamptz,
	date_trunc('second', now() + interval '31 seconds'),
	'a 1-minute session idle for 29 s is not touched (less than half its idle timeout)')
  FROM t WHERE k = 'c1';
UPDATE authsessions_data.sessions
   SET last_updated = now() - interval '30 seconds', expires_at = now() + interval '30 seconds'
 WHERE id = (SELECT id FROM t WHERE k = 'c1');
SELECT is((authsessions.validate(token)->>'ExpirationDate')::timestamptz,
	date_trunc('second', now() + interval '1 minute'),
	'a 1-minute session idle for 30 s is touched although touch_interval is 60 s')
  FROM t WHERE k = 'c1';

-- Errors of the lifecycle and admin calls (27) ------------------------------

SELECT throws_ok($$SELECT authsessions.create_session('00000000-0000-4000-8000-00000000dead')$$,
	'PT404', 'err_UserNotFound', 'create_session for an unknown user raises PT404 err_UserNotFound');
SELECT throws_ok($$SELECT authsessions.create_session(NULL)$$, '22004', NULL,
	'create_session(NULL) raises 22004');
SELECT throws_ok($$SELECT authsessions.create_session('00000000-0000-4000-8000-0000000000a1', ttl => '1 mon')$$,
	'22023', NULL, 'a ttl in months raises 22023');
SELECT throws_ok($$SELECT authsessions.create_session('00000000-0000-4000-8000-0000000000a1', ttl => '0')$$,
	'22023', NULL, 'a zero ttl raises 22023');
SELECT throws_ok($$SELECT authsessions.create_session('00000000-0000-4000-8000-0000000000a1', ttl => '-1 hour')$$,
	'22023', NULL, 'a negative ttl raises 22023');
SELECT throws_ok($$SELECT authsessions.create_session('00000000-0000-4000-8000-0000000000a1', ttl => '401 days')$$,
	'22023', NULL, 'a ttl above authsessions.max_ttl raises 22023');
SELECT throws_ok($$SELECT authsessions.create_session('00000000-0000-4000-8000-0000000000a1', smartphone => repeat('x', 257))$$,
	'22001', NULL, 'a smartphone over 256 characters raises 22001');
SELECT throws_ok($$SELECT authsessions.create_session('00000000-0000-4000-8000-0000000000a1', user_agent => repeat('x', 1025))$$,
	'22001', NULL, 'a user_agent over 1024 characters raises 22001');
SELECT throws_ok($$SELECT authsessions.revoke(NULL)$$, '22004', NULL, 'revoke(NULL) raises 22004');
SELECT throws_ok($$SELECT authsessions.end_session(NULL)$$, '22004', NULL, 'end_session(NULL) raises 22004');
SELECT throws_ok($$SELECT authsessions.upsert_user(NULL, 'x')$$, '22004', NULL,
	'upsert_user with a NULL guid raises 22004');
SELECT throws_ok($$SELECT authsessions.upsert_user('00000000-0000-4000-8000-0000000000e1', NULL)$$, '22004', NULL,
	'upsert_user with a NULL name raises 22004');
SELECT throws_ok($$SELECT authsessions.upsert_user('00000000-0000-4000-8000-0000000000e1', '')$$, '22023', NULL,
	'upsert_user with an empty name raises 22023');
SELECT throws_ok($$SELECT authsessions.upsert_user('00000000-0000-4000-8000-0000000000e1', repeat('x', 257))$$,
	'22001', NULL, 'upsert_user with a name over 256 characters raises 22001');
SELECT lives_ok($$SELECT authsessions.upsert_user('00000000-0000-4000-8000-0000000000e1', repeat('é', 256))$$,
	'upsert_user accepts a name of 256 multibyte characters');
SELECT throws_ok($$SELECT authsessions.delete_user(NULL)$$, '22004', NULL, 'delete_user(NULL) raises 22004');
SELECT throws_ok($$SELECT authsessions.user_sessions(NULL)$$, '22004', NULL, 'user_sessions(NULL) raises 22004');
SELECT throws_ok($$SELECT authsessions.user_sessions('00000000-0000-4000-8000-0000000000a1', 0)$$, '22023', NULL,
	'user_sessions with page 0 raises 22023');
SELECT throws_ok($$SELECT authsessions.user_sessions('00000000-0000-4000-8000-0000000000a1', 1, 1001)$$, '22023', NULL,
	'user_sessions with page_size above authsessions.max_page_size raises 22023');
SELECT throws_ok($$SELECT authsessions.list(0)$$, '22023', NULL, 'list with page 0 raises 22023');
SELECT throws_ok($$SELECT authsessions.list(1, 0)$$, '22023', NULL, 'list with page_size 0 raises 22023');
SELECT throws_ok($$SELECT authsessions.list(2, 50, '00000000-0000-4000-8000-0000000000a1')$$, '22023', NULL,
	'list with after and page 2 raises 22023');
SELECT throws_ok($$SELECT authsessions.list(1, 50, '00000000-0000-4000-8000-00000000dead')$$, '22023', NULL,
	'list with an after naming no user raises 22023');
SELECT is(authsessions.list(2147483647, 1000), '[]'::jsonb, 'list of a huge page number is [] (no overflow)');
SELECT throws_ok($$SELECT authsessions.purge(batch => 0)$$, '22023', NULL, 'purge with batch 0 raises 22023');
SELECT throws_ok($$SELECT authsessions.purge('-1 day')$$, '22023', NULL, 'purge with a negative age raises 22023');
SELECT throws_ok($$SELECT authsessions.purge('1 mon')$$, '22023', NULL, 'purge with an age in months raises 22023');

-- The session cap, the pruned summary and its repair (11) --------------------
-- dave logs in three times with a cap of two sessions.

SELECT authsessions.upsert_user('00000000-0000-4000-8000-0000000000d1', 'dave') > 0 AS dave \gset
INSERT INTO s VALUES
	('d1', authsessions.create_session('00000000-0000-4000-8000-0000000000d1')),
	('d2', authsessions.create_session('00000000-0000-4000-8000-0000000000d1'));
-- d1 is the least recently used
UPDATE authsessions_data.sessions SET last_updated = now() - interval '10 minutes'
 WHERE id = (SELECT id FROM t WHERE k = 'd1');
SELECT set_config('authsessions.max_sessions_per_user', '2', true) AS cap \gset
SELECT set_config('authsessions.session_limit_action', 'refuse', true) AS action \gset
SELECT throws_ok($$SELECT authsessions.create_session('00000000-0000-4000-8000-0000000000d1')$$,
	'PT429', 'err_TooManySessions',
	'at the cap, with session_limit_action refuse, create_session raises PT429 err_TooManySessions');
SELECT set_config('authsessions.session_limit_action', 'evict_oldest', true) AS action \gset
INSERT INTO s VALUES ('d3', authsessions.create_session('00000000-0000-4000-8000-0000000000d1'));
SELECT is(
	(SELECT array_agg(t.k || ':' || coalesce(ss.revoked_by, 'active') ORDER BY t.k)
	   FROM t JOIN authsessions_data.sessions ss USING (id) WHERE t.k LIKE 'd%'),
	ARRAY['d1:authsessions:evicted', 'd2:active', 'd3:active'],
	'at the cap, with evict_oldest, create_session ends the least recently used session');
SELECT is(ss.revoked_by_role || ' ' || ss.revoked_by_login, current_user || ' ' || session_user,
	'the eviction records the role in effect and session_user')
  FROM t JOIN authsessions_data.sessions ss USING (id) WHERE t.k = 'd1';
SELECT set_config('authsessions.max_sessions_per_user', '0', true) AS cap \gset
SELECT is((authsessions.list(1, 1, '00000000-0000-4000-8000-0000000000c1')->0->>'SessionCount')::int, 2,
	'list counts dave''s two active sessions');
SELECT is(
	(SELECT array_agg(e ORDER BY e) FROM authsessions_data.users u, unnest(u.session_expiries) e
	  WHERE u.guid = '00000000-0000-4000-8000-0000000000d1'),
	(SELECT array_agg(ss.expires_at ORDER BY ss.expires_at) FROM t JOIN authsessions_data.sessions ss USING (id)
	  WHERE t.k IN ('d2', 'd3')),
	'dave''s session_expiries holds exactly the expiries of his active sessions');

-- An element already in the past, as a session that expired unseen leaves
-- it: list does not count it, repair_summary finds nothing wrong, and the
-- next writer drops it.
UPDATE authsessions_data.users SET session_expiries = session_expiries || (now() - interval '1 day')
 WHERE guid = '00000000-0000-4000-8000-0000000000d1';
SELECT is((authsessions.list(1, 1, '00000000-0000-4000-8000-0000000000c1')->0->>'SessionCount')::int, 2,
	'list counts only the elements of session_expiries after now()');
SELECT is(authsessions.repair_summary('00000000-0000-4000-8000-0000000000d1'), 0::bigint,
	'repair_summary leaves a summary alone whose only extra element is in the past');
SELECT is(authsessions.end_session(token), '{"Success": true}'::jsonb, 'end_session of d2')
  FROM t WHERE k = 'd2';
SELECT is(
	(SELECT session_expiries FROM authsessions_data.users WHERE guid = '00000000-0000-4000-8000-0000000000d1'),
	(SELECT ARRAY[ss.expires_at] FROM t JOIN authsessions_data.sessions ss USING (id) WHERE t.k = 'd3'),
	'end_session removed d2''s expiry and dropped the element in the past');

-- A wrong summary (lost by hand): repair_summary rewrites it, once.
UPDATE authsessions_data.users SET session_expiries = '{}'
 WHERE guid = '00000000-0000-4000-8000-0000000000d1';
SELECT is(ARRAY[authsessions.repair_summary('00000000-0000-4000-8000-0000000000d1'),
		authsessions.repair_summary('00000000-0000-4000-8000-0000000000d1')],
	ARRAY[1, 0]::bigint[],
	'repair_summary(guid) rewrites the user''s wrong summary, then finds it right');
-- The hand edits above moved three sessions' expiries without their users'
-- summaries (b1: bob, n1: ann, c1: carol): repair_summary() finds exactly
-- those.
SELECT is(ARRAY[authsessions.repair_summary(), authsessions.repair_summary()], ARRAY[3, 0]::bigint[],
	'repair_summary() rewrites the three summaries the hand edits left wrong, then finds none');

-- Writers refuse a read-only transaction with 25006 (10) --------------------
-- set_config() is undone with the subtransaction throws_ok runs the call in.

SELECT throws_ok(format($$SELECT set_config('transaction_read_only', 'on', true), authsessions.revoke(%s)$$, id),
	'25006', NULL, 'revoke in a read-only transaction raises 25006')
  FROM t WHERE k = 'a1';
SELECT throws_ok($$SELECT set_config('transaction_read_only', 'on', true), authsessions.revoke(NULL)$$,
	'25006', NULL, 'revoke refuses a read-only transaction before looking at its argument');
SELECT throws_ok($$SELECT set_config('transaction_read_only', 'on', true),
		authsessions.upsert_user('00000000-0000-4000-8000-0000000000a1', 'alice')$$,
	'25006', NULL, 'upsert_user in a read-only transaction raises 25006');
SELECT throws_ok($$SELECT set_config('transaction_read_only', 'on', true),
		authsessions.delete_user('00000000-0000-4000-8000-0000000000a1')$$,
	'25006', NULL, 'delete_user in a read-only transaction raises 25006');
SELECT throws_ok($$SELECT set_config('transaction_read_only', 'on', true),
		authsessions.create_session('00000000-0000-4000-8000-0000000000a1')$$,
	'25006', NULL, 'create_session in a read-only transaction raises 25006');
SELECT throws_ok(format($$SELECT set_config('transaction_read_only', 'on', true), authsessions.end_session(%L)$$, token),
	'25006', NULL, 'end_session in a read-only transaction raises 25006')
  FROM t WHERE k = 'a1';
SELECT throws_ok($$SELECT set_config('transaction_read_only', 'on', true), authsessions.purge()$$,
	'25006', NULL, 'purge in a read-only transaction raises 25006');
SELECT throws_ok($$SELECT set_config('transaction_read_only', 'on', true), authsessions.repair_summary()$$,
	'25006', NULL, 'repair_summary in a read-only transaction raises 25006');
SELECT is((authsessions.validate(token)->>'ID')::bigint, id,
	'the session survived the refused revoke and end_session')
  FROM t WHERE k = 'a1';
SELECT is(current_setting('transaction_read_only'), 'off', 'the transaction is read-write again');

-- delete_user and purge (7) ------------------------------------------------

SELECT is(authsessions.delete_user('00000000-0000-4000-8000-0000000000a1'), '{"Success": true}'::jsonb,
	'delete_user of a known user is {"Success": true}');
SELECT is((SELECT count(*)::int FROM authsessions_data.sessions s JOIN t ON t.id = s.id
		    WHERE t.k IN ('a1', 'a2', 'a3')),
	0, 'delete_user removed all of the user''s sessions');
SELECT is(authsessions.delete_user('00000000-0000-4000-8000-0000000000a1'), '{"Success": false}'::jsonb,
	'delete_user of an unknown user is {"Success": false}');

-- Ten days pass for sessions B1 (logged out) and b1 (expired on its own).
UPDATE authsessions_data.sessions
   SET created_at = created_at - interval '12 days', last_updated = last_updated - interval '12 days',
       expires_at = expires_at - interval '12 days', revoked_at = revoked_at - interval '10 days',
       purge_hint = purge_hint - interval '12 days'
 WHERE id IN (SELECT id FROM t WHERE k IN ('B1', 'b1'));
-- Session n1 (ann) was created ten days ago and kept alive by touches: its
-- first expiry is long past, its current one is not.
UPDATE authsessions_data.sessions
   SET created_at = now() - interval '10 days', purge_hint = now() - interval '8 days'
 WHERE id = (SELECT id FROM t WHERE k = 'n1');

SELECT is(authsessions.purge(), 2::bigint, 'purge deletes the sessions that ended more than 7 days ago');
SELECT is((SELECT array_agg(t.k ORDER BY t.k) FROM t JOIN authsessions_data.sessions ss USING (id)),
	ARRAY['c1', 'd1', 'd2', 'd3', 'n1'],
	'purge deleted B1 and b1, and kept the session that touches kept alive and those that ended just now');
SELECT is((authsessions.validate(token)->>'ID')::bigint, id, 'the kept session is still valid')
  FROM t WHERE k = 'n1';
SELECT is(authsessions.purge(), 0::bigint, 'a second purge finds nothing to delete');

SELECT * FROM finish();
ROLLBACK;
