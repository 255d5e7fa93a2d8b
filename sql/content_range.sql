-- Prefer: count=exact (PostgREST's request.headers): list and user_sessions
-- then set Content-Range in response.headers, and response.status (206 for a
-- partial page, 200 otherwise); without it they count nothing and set nothing.
\set VERBOSITY terse
CREATE EXTENSION authsessions;

SELECT count(authsessions.upsert_user(('00000000-0000-4000-8000-00000000000' || i)::uuid, 'user ' || i)) AS users
FROM generate_series(1, 5) AS i;
SELECT count(authsessions.create_session(('00000000-0000-4000-8000-00000000000' || i)::uuid)) AS sessions
FROM generate_series(1, 5) AS i, generate_series(1, i) AS j;

-- As PostgREST does it: headers set for the transaction, then the call.
PREPARE call_list(text, int, int, uuid) AS
	SELECT set_config('request.headers', $1, true) IS NOT NULL AS headers_set,
		jsonb_array_length(authsessions.list($2, $3, $4)) AS rows;
PREPARE call_user_sessions(text, uuid, int, int) AS
	SELECT set_config('request.headers', $1, true) IS NOT NULL AS headers_set,
		jsonb_array_length(authsessions.user_sessions($2, $3, $4)) AS rows;
PREPARE response AS
	SELECT current_setting('response.headers', true) AS headers,
		current_setting('response.status', true) AS status;

-- list: 5 listed users.
BEGIN;
EXECUTE call_list('{"prefer": "count=exact"}', 1, 2, NULL);
EXECUTE response;
COMMIT;
BEGIN;
EXECUTE call_list('{"prefer": "count=exact"}', 3, 2, NULL);
EXECUTE response;
COMMIT;
BEGIN;
EXECUTE call_list('{"prefer": "count=exact"}', 4, 2, NULL);
EXECUTE response;
COMMIT;
-- the whole set in one page: 200
BEGIN;
EXECUTE call_list('{"prefer": "count=exact"}', 1, 50, NULL);
EXECUTE response;
COMMIT;
-- keyset: the page after user 2 starts at position 2
BEGIN;
EXECUTE call_list('{"prefer": "count=exact"}', 1, 2, '00000000-0000-4000-8000-000000000002');
EXECUTE response;
COMMIT;
-- among other preferences
BEGIN;
EXECUTE call_list('{"prefer": "return=representation, count=exact", "accept": "*/*"}', 2, 2, NULL);
EXECUTE response;
COMMIT;

-- user_sessions: user 5 has 5 sessions; an unknown user none.
BEGIN;
EXECUTE call_user_sessions('{"prefer": "count=exact"}', '00000000-0000-4000-8000-000000000005', 2, 2);
EXECUTE response;
COMMIT;
BEGIN;
EXECUTE call_user_sessions('{"prefer": "count=exact"}', 'ffffffff-ffff-4fff-bfff-ffffffffffff', 1, 50);
EXECUTE response;
COMMIT;

-- Without the preference (or with another count), nothing is set.
BEGIN;
EXECUTE call_list('{"prefer": "count=planned"}', 1, 2, NULL);
EXECUTE response;
COMMIT;
BEGIN;
EXECUTE call_list('{"accept": "application/json"}', 1, 2, NULL);
EXECUTE response;
COMMIT;
BEGIN;
EXECUTE call_list('{"x-note": "count=exact"}', 1, 2, NULL);
EXECUTE response;
COMMIT;
BEGIN;
SELECT jsonb_array_length(authsessions.list(1, 2)) AS rows;
EXECUTE response;
COMMIT;

-- The response settings last until the end of the transaction only.
BEGIN;
EXECUTE call_list('{"prefer": "count=exact"}', 1, 2, NULL);
COMMIT;
EXECUTE response;

-- Headers set earlier in the request (a pre-request hook) are kept; an
-- earlier Content-Range, in any letter case, is replaced.
BEGIN;
SELECT set_config('response.headers',
	'[{"Cache-Control": "no-store"}, {"content-range": "0-0/*"}, {"X-A": "1"}]', true) IS NOT NULL AS hook_ran;
EXECUTE call_list('{"prefer": "count=exact"}', 1, 2, NULL);
SELECT current_setting('response.headers')::jsonb AS headers;
COMMIT;
-- kept as they were, whatever their JSON (copied into the new array)
BEGIN;
SELECT set_config('response.headers',
	'[{"X-N": 1.50, "X-O": {"a": [null, true, -7e3]}}, 42, [1, {"b": null}], true, null, "s"]', true) IS NOT NULL AS hook_ran;
EXECUTE call_list('{"prefer": "count=exact"}', 1, 2, NULL);
SELECT current_setting('response.headers') AS headers;
COMMIT;

DEALLOCATE call_list;
DEALLOCATE call_user_sessions;
DEALLOCATE response;
DROP EXTENSION authsessions;
