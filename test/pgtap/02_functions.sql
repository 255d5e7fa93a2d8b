-- pgTAP: signatures and markings of every authsessions function.
--
-- For each of the twenty-one functions (parse_user_agent_raw is internal):
-- signature with argument names and defaults (PostgREST binds arguments by
-- name), return type, LANGUAGE C, volatility, SECURITY DEFINER with the
-- pinned search_path (the writers) or SECURITY INVOKER without SET (the read
-- paths list, user_sessions, ended_sessions, validate, check_token,
-- issue_jwt, check_request and my_sessions, and the User-Agent parsers;
-- repair_summary, the DBA's, is a writer), not STRICT, PARALLEL UNSAFE (SAFE:
-- the User-Agent parsers), a non-empty comment and extension
-- membership.  Then the same rules over whatever function schema
-- authsessions holds, so that a function added later without them fails
-- here.
BEGIN;
SELECT plan(261);

CREATE TEMP TABLE expected_functions (
	ord int PRIMARY KEY,
	name name NOT NULL,
	args name[] NOT NULL,		-- argument types, as pgTAP spells them
	argnames text[] NOT NULL,
	arguments text NOT NULL,	-- pg_get_function_arguments()
	returns text NOT NULL,
	volatility text NOT NULL,
	definer boolean NOT NULL	-- SECURITY DEFINER with SET search_path
);
INSERT INTO expected_functions VALUES
	(1, 'list', '{integer,integer,uuid}', '{page,page_size,after}',
	 'page integer DEFAULT 1, page_size integer DEFAULT 50, after uuid DEFAULT NULL::uuid',
	 'jsonb', 'stable', false),
	(2, 'user_sessions', '{uuid,integer,integer}', '{guid,page,page_size}',
	 'guid uuid, page integer DEFAULT 1, page_size integer DEFAULT 50',
	 'jsonb', 'stable', false),
	(3, 'revoke', '{bigint}', '{Session}',
	 '"Session" bigint',
	 'jsonb', 'volatile', true),
	(4, 'upsert_user', '{uuid,text,boolean}', '{guid,name,is_operator}',
	 'guid uuid, name text, is_operator boolean DEFAULT NULL::boolean',
	 'integer', 'volatile', true),
	(5, 'delete_user', '{uuid}', '{guid}',
	 'guid uuid',
	 'jsonb', 'volatile', true),
	(6, 'create_session', '{uuid,text,text,text,interval,text,inet,interval}',
	 '{user_guid,smartphone,operating_system,application,ttl,user_agent,ip,max_lifetime}',
	 'user_guid uuid, smartphone text DEFAULT NULL::text, operating_system text DEFAULT NULL::text, '
	 'application text DEFAULT NULL::text, ttl interval DEFAULT NULL::interval, '
	 'user_agent text DEFAULT NULL::text, ip inet DEFAULT NULL::inet, '
	 'max_lifetime interval DEFAULT NULL::interval',
	 'jsonb', 'volatile', true),
	(7, 'validate', '{text}', '{token}',
	 'token text',
	 'jsonb', 'volatile', false),
	(8, 'end_session', '{text}', '{token}',
	 'token text',
	 'jsonb', 'volatile', true),
	(9, 'purge', '{interval,integer}', '{older_than,batch}',
	 'older_than interval DEFAULT ''7 days''::interval, batch integer DEFAULT 10000',
	 'bigint', 'volatile', true),
	(10, 'repair_summary', '{uuid}', '{guid}',
	 'guid uuid DEFAULT NULL::uuid',
	 'bigint', 'volatile', true),
	(11, 'check_token', '{text}', '{token}',
	 'token text',
	 'jsonb', 'stable', false),
	(12, 'revoke_user', '{uuid}', '{UserGuid}',
	 '"UserGuid" uuid',
	 'jsonb', 'volatile', true),
	(13, 'issue_jwt', '{text,interval}', '{token,ttl}',
	 'token text, ttl interval DEFAULT NULL::interval',
	 'jsonb', 'volatile', false),
	(14, 'check_request', '{}', '{}',
	 '',
	 'void', 'volatile', false),
	(15, 'my_sessions', '{integer,integer}', '{page,page_size}',
	 'page integer DEFAULT 1, page_size integer DEFAULT 50',
	 'jsonb', 'stable', false),
	(16, 'revoke_my_session', '{bigint}', '{Session}',
	 '"Session" bigint',
	 'jsonb', 'volatile', true),
	(17, 'revoke_my_other_sessions', '{}', '{}',
	 '',
	 'jsonb', 'volatile', true),
	(18, 'logout', '{}', '{}',
	 '',
	 'jsonb', 'volatile', true),
	(19, 'ended_sessions', '{uuid,integer,integer}', '{guid,page,page_size}',
	 'guid uuid, page integer DEFAULT 1, page_size integer DEFAULT 50',
	 'jsonb', 'stable', false),
	(20, 'parse_user_agent', '{text}', '{user_agent}',
	 'user_agent text',
	 'jsonb', 'stable', false),
	(21, 'parse_user_agent_raw', '{text}', '{user_agent}',
	 'user_agent text',
	 'text[]', 'stable', false);

-- The expected functions joined to pg_proc; p.* is NULL for a missing one,
-- so that a missing function fails each test instead of skipping it.
CREATE TEMP VIEW f AS
SELECT e.*, p.oid AS fn, p.prosecdef, p.proisstrict, p.proconfig, p.proparallel,
       p.proargnames, p.pronargs,
       format('authsessions.%s(%s)', e.name, array_to_string(e.args, ', ')) AS sig
  FROM expected_functions e
  LEFT JOIN pg_catalog.pg_proc p
    ON p.oid = to_regprocedure(format('authsessions.%I(%s)', e.name, array_to_string(e.args, ',')));

-- Per function: 12 tests x 21 functions ------------------------------------

SELECT has_function('authsessions', name, args, sig || ' exists') FROM f ORDER BY ord;

SELECT function_returns('authsessions', name, args, returns, sig || ' returns ' || returns)
  FROM f ORDER BY ord;

SELECT function_lang_is('authsessions', name, args, 'c', sig || ' is LANGUAGE C')
  FROM f ORDER BY ord;

SELECT volatility_is('authsessions', name, args, volatility, sig || ' is ' || upper(volatility))
  FROM f ORDER BY ord;

SELECT is(prosecdef, definer,
		  sig || CASE WHEN definer THEN ' is SECURITY DEFINER' ELSE ' is SECURITY INVOKER' END)
  FROM f ORDER BY ord;

SELECT isnt_strict('authsessions', name, args, sig || ' is not STRICT (it handles NULLs itself)')
  FROM f ORDER BY ord;

SELECT is(proconfig, CASE WHEN definer THEN ARRAY['search_path=pg_catalog, pg_temp'] END,
		  sig || CASE WHEN definer THEN ' runs with SET search_path = pg_catalog, pg_temp'
					  ELSE ' has no SET clause' END)
  FROM f ORDER BY ord;

-- the User-Agent parsers read no table: PARALLEL SAFE
SELECT is(proparallel::text, CASE WHEN name LIKE 'parse_user_agent%' THEN 's' ELSE 'u' END,
		  sig || CASE WHEN name LIKE 'parse_user_agent%' THEN ' is PARALLEL SAFE' ELSE ' is PARALLEL UNSAFE' END)
  FROM f ORDER BY ord;

SELECT is(coalesce(proargnames, '{}'), argnames,
		  sig || ' names its arguments ' || array_to_string(argnames, ', '))
  FROM f ORDER BY ord;

SELECT is(pg_catalog.pg_get_function_arguments(fn), arguments,
		  sig || ' has the documented argument defaults')
  FROM f ORDER BY ord;

SELECT ok(coalesce(btrim(obj_description(fn, 'pg_proc')), '') <> '',
		  sig || ' has a non-empty COMMENT')
  FROM f ORDER BY ord;

SELECT ok(EXISTS (SELECT FROM pg_catalog.pg_depend d
				   WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = fn
				     AND d.refclassid = 'pg_catalog.pg_extension'::regclass
				     AND d.refobjid = (SELECT oid FROM pg_catalog.pg_extension
									    WHERE extname = 'authsessions')
				     AND d.deptype = 'e'),
		  sig || ' is a member of the extension')
  FROM f ORDER BY ord;

-- Whatever schema authsessions holds: 9 tests ------------------------------

CREATE TEMP VIEW all_functions AS
SELECT p.*, p.oid::regprocedure::text AS sig
  FROM pg_catalog.pg_proc p
 WHERE p.pronamespace = 'authsessions'::regnamespace;

SELECT functions_are('authsessions',
	ARRAY['list', 'user_sessions', 'revoke', 'upsert_user', 'delete_user',
	      'create_session', 'validate', 'check_token', 'end_session', 'purge',
	      'repair_summary', 'revoke_user', 'issue_jwt', 'check_request', 'my_sessions',
	      'revoke_my_session', 'revoke_my_other_sessions', 'logout', 'ended_sessions',
	      'parse_user_agent', 'parse_user_agent_raw'],
	'schema authsessions holds exactly the twenty documented functions and the internal parse_user_agent_raw');

SELECT is(
	(SELECT array_agg(sig ORDER BY sig) FROM all_functions),
	(SELECT array_agg(e.sig ORDER BY e.sig) FROM (
		SELECT to_regprocedure(format('authsessions.%I(%s)', name, array_to_string(args, ',')))::text AS sig
		  FROM expected_functions) e),
	'no function of schema authsessions is overloaded');

SELECT is(
	(SELECT coalesce(array_agg(sig ORDER BY sig), '{}') FROM all_functions WHERE prokind <> 'f'),
	'{}',
	'every routine of schema authsessions is a plain function');

SELECT is(
	(SELECT coalesce(array_agg(sig ORDER BY sig), '{}') FROM all_functions WHERE NOT prosecdef),
	ARRAY['authsessions.check_request()',
		  'authsessions.check_token(text)',
		  'authsessions.ended_sessions(uuid,integer,integer)',
		  'authsessions.issue_jwt(text,interval)',
		  'authsessions.list(integer,integer,uuid)',
		  'authsessions.my_sessions(integer,integer)',
		  'authsessions.parse_user_agent(text)',
		  'authsessions.parse_user_agent_raw(text)',
		  'authsessions.user_sessions(uuid,integer,integer)',
		  'authsessions.validate(text)'],
	'the only SECURITY INVOKER functions of schema authsessions are the eight read paths and the User-Agent parsers (they run no SQL)');

SELECT is(
	(SELECT coalesce(array_agg(sig ORDER BY sig), '{}') FROM all_functions
	  WHERE proconfig IS DISTINCT FROM
			CASE WHEN prosecdef THEN ARRAY['search_path=pg_catalog, pg_temp'] END),
	'{}',
	'every SECURITY DEFINER function of schema authsessions pins search_path = pg_catalog, pg_temp, and no other has a SET clause');

SELECT is(
	(SELECT coalesce(array_agg(sig ORDER BY sig), '{}') FROM all_functions WHERE proisstrict),
	'{}',
	'no function of schema authsessions is STRICT');

SELECT is(
	(SELECT coalesce(array_agg(sig ORDER BY sig), '{}') FROM all_functions
	  WHERE pronargs > 0
	    AND (proargnames IS NULL
	         OR coalesce(array_length(proargnames, 1), 0) <> pronargs
	         OR '' = ANY (proargnames))),
	'{}',
	'every argument of every function of schema authsessions is named');

SELECT is(
	(SELECT coalesce(array_agg(sig ORDER BY sig), '{}') FROM all_functions
	  WHERE coalesce(btrim(obj_description(oid, 'pg_proc')), '') = ''),
	'{}',
	'every function of schema authsessions has a non-empty COMMENT');

SELECT is(
	(SELECT count(*)::int FROM pg_catalog.pg_proc
	  WHERE pronamespace = 'authsessions_data'::regnamespace),
	0,
	'schema authsessions_data holds no function');

SELECT * FROM finish();
ROLLBACK;
