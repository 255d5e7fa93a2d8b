-- pgTAP: the storage layout of authsessions.
--
-- Two schemas owned by the extension: authsessions (functions only) and
-- authsessions_data (the tables); the tables, their columns and types, keys,
-- indexes, comments, and the pg_dump registration of tables and sequences.
-- Runs in a database where pgtap and authsessions are already created.
BEGIN;
SELECT plan(82);

-- A domain's base type and CHECK constraint, as one string.
CREATE FUNCTION pg_temp.domain_def(d regtype) RETURNS text LANGUAGE sql STABLE AS $$
	SELECT format_type(t.typbasetype, t.typtypmod) || ' ' || pg_get_constraintdef(c.oid)
	  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_constraint c ON c.contypid = t.oid
	 WHERE t.oid = d
$$;

-- Schemas -----------------------------------------------------------------

SELECT has_schema('authsessions', 'schema authsessions exists');
SELECT has_schema('authsessions_data', 'schema authsessions_data exists');

-- Both schemas are members of the extension (DROP EXTENSION drops them).
SELECT is(
	(SELECT e.extname::text
	   FROM pg_catalog.pg_depend d
	   JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
	  WHERE d.classid = 'pg_catalog.pg_namespace'::regclass
	    AND d.objid = 'authsessions'::regnamespace
	    AND d.refclassid = 'pg_catalog.pg_extension'::regclass
	    AND d.deptype = 'e'),
	'authsessions',
	'schema authsessions is owned by the extension (pg_depend deptype e)');
SELECT is(
	(SELECT e.extname::text
	   FROM pg_catalog.pg_depend d
	   JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
	  WHERE d.classid = 'pg_catalog.pg_namespace'::regclass
	    AND d.objid = 'authsessions_data'::regnamespace
	    AND d.refclassid = 'pg_catalog.pg_extension'::regclass
	    AND d.deptype = 'e'),
	'authsessions',
	'schema authsessions_data is owned by the extension (pg_depend deptype e)');

SELECT is(
	(SELECT extrelocatable FROM pg_catalog.pg_extension WHERE extname = 'authsessions'),
	false,
	'the extension is not relocatable');

-- authsessions holds only functions: no relation and no type of its own.
SELECT is(
	(SELECT count(*)::int FROM pg_catalog.pg_class
	  WHERE relnamespace = 'authsessions'::regnamespace),
	0,
	'schema authsessions holds no table, view, sequence or index');
SELECT is(
	(SELECT count(*)::int FROM pg_catalog.pg_type
	  WHERE typnamespace = 'authsessions'::regnamespace),
	0,
	'schema authsessions holds no type');

SELECT isnt(obj_description('authsessions'::regnamespace, 'pg_namespace'), NULL,
	'schema authsessions has a comment');
SELECT isnt(obj_description('authsessions_data'::regnamespace, 'pg_namespace'), NULL,
	'schema authsessions_data has a comment');
SELECT is(
	(SELECT count(*)::int FROM pg_catalog.pg_namespace
	  WHERE nspname IN ('authsessions', 'authsessions_data')
	    AND coalesce(btrim(obj_description(oid, 'pg_namespace')), '') <> ''),
	2,
	'both schema comments are non-empty');

-- Tables ------------------------------------------------------------------

SELECT tables_are('authsessions_data', ARRAY['users', 'sessions'],
	'authsessions_data holds exactly the tables users and sessions');

SELECT is(
	(SELECT array_agg(d.objid::regclass::text ORDER BY d.objid::regclass::text)
	   FROM pg_catalog.pg_depend d
	  WHERE d.classid = 'pg_catalog.pg_class'::regclass
	    AND d.refclassid = 'pg_catalog.pg_extension'::regclass
	    AND d.refobjid = (SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'authsessions')
	    AND d.deptype = 'e'),
	ARRAY['authsessions_data.sessions', 'authsessions_data.sessions_id_seq',
	      'authsessions_data.users', 'authsessions_data.users_id_seq'],
	'both tables and their sequences are owned by the extension (pg_depend deptype e)');

SELECT is(
	(SELECT count(*)::int FROM pg_catalog.pg_class
	  WHERE oid IN ('authsessions_data.users'::regclass, 'authsessions_data.sessions'::regclass)
	    AND coalesce(btrim(obj_description(oid, 'pg_class')), '') <> ''),
	2,
	'both tables have a non-empty comment');

-- users
SELECT columns_are('authsessions_data', 'users',
	ARRAY['id', 'guid', 'name', 'is_operator', 'listed', 'session_expiries', 'created_at'],
	'users has exactly the documented columns (no session_entries since 1.1)');
SELECT col_type_is('authsessions_data', 'users', 'id', 'integer', 'users.id is integer');
SELECT col_type_is('authsessions_data', 'users', 'guid', 'uuid', 'users.guid is uuid');
SELECT col_type_is('authsessions_data', 'users', 'name', 'authsessions_data.user_name',
	'users.name is the domain user_name');
SELECT is(pg_temp.domain_def('authsessions_data.user_name'),
	'text CHECK (((VALUE <> ''''::text) AND (length(VALUE) <= 256)))',
	'user_name is text, non-empty, at most 256 characters');
SELECT throws_ok($$INSERT INTO authsessions_data.users (guid, name) VALUES (gen_random_uuid(), '')$$,
	'23514', NULL, 'an empty name written by hand is refused');
SELECT col_type_is('authsessions_data', 'users', 'is_operator', 'boolean', 'users.is_operator is boolean');
SELECT col_type_is('authsessions_data', 'users', 'listed', 'boolean', 'users.listed is boolean');
SELECT col_type_is('authsessions_data', 'users', 'session_expiries', 'timestamp with time zone[]',
	'users.session_expiries is timestamptz[]');
SELECT col_not_null('authsessions_data', 'users', 'session_expiries',
	'users.session_expiries is NOT NULL');
SELECT col_default_is('authsessions_data', 'users', 'session_expiries', '{}',
	'users.session_expiries defaults to the empty array');
SELECT col_type_is('authsessions_data', 'users', 'created_at', 'timestamp with time zone',
	'users.created_at is timestamptz');
-- 1.1 dropped the per-session entries of the user row and their type:
-- user_sessions reads the sessions through sessions_user_id_idx.
SELECT hasnt_type('authsessions_data', 'session_entry',
	'the type session_entry is gone');
SELECT is(
	(SELECT c.collname::text
	   FROM pg_catalog.pg_attribute a
	   JOIN pg_catalog.pg_collation c ON c.oid = a.attcollation
	  WHERE a.attrelid = 'authsessions_data.users'::regclass AND a.attname = 'name'),
	'C',
	'users.name uses COLLATE "C" (byte order, independent of the cluster locale)');
SELECT col_is_pk('authsessions_data', 'users', 'id', 'users.id is the primary key');
SELECT is(
	(SELECT attidentity::text FROM pg_catalog.pg_attribute
	  WHERE attrelid = 'authsessions_data.users'::regclass AND attname = 'id'),
	'd',
	'users.id is an identity column');
SELECT col_is_unique('authsessions_data', 'users', ARRAY['guid'], 'users.guid is unique');

-- sessions
SELECT columns_are('authsessions_data', 'sessions',
	ARRAY['id', 'user_id', 'user_guid', 'user_name', 'user_is_operator',
	      'token_hash', 'created_at', 'last_updated', 'expires_at',
	      'idle_timeout', 'revoked_at', 'revoked_by', 'smartphone', 'operating_system',
	      'application', 'user_agent', 'ip', 'purge_hint', 'revoked_by_role', 'revoked_by_login',
	      'max_expires_at', 'end_reason'],
	'sessions has exactly the documented columns, purge_hint, the audit columns, the lifetime bound and the end reason (no token column)');
SELECT col_type_is('authsessions_data', 'sessions', 'id', 'bigint', 'sessions.id is bigint');
SELECT col_type_is('authsessions_data', 'sessions', 'user_id', 'integer', 'sessions.user_id is integer');
SELECT col_type_is('authsessions_data', 'sessions', 'user_guid', 'uuid', 'sessions.user_guid is uuid');
SELECT col_type_is('authsessions_data', 'sessions', 'user_name', 'authsessions_data.user_name',
	'sessions.user_name is the domain user_name, as users.name');
SELECT col_type_is('authsessions_data', 'sessions', 'user_is_operator', 'boolean',
	'sessions.user_is_operator is boolean');
SELECT col_not_null('authsessions_data', 'sessions', c, format('sessions.%s is NOT NULL', c))
FROM unnest(ARRAY['user_guid', 'user_name', 'user_is_operator']) AS c;
SELECT col_type_is('authsessions_data', 'sessions', 'token_hash', 'authsessions_data.token_hash',
	'sessions.token_hash is the domain token_hash');
SELECT is(pg_temp.domain_def('authsessions_data.token_hash'),
	'bytea CHECK ((length(VALUE) = 32))',
	'token_hash is bytea of exactly 32 bytes');
SELECT col_type_is('authsessions_data', 'sessions', 'created_at', 'timestamp with time zone',
	'sessions.created_at is timestamptz');
SELECT col_type_is('authsessions_data', 'sessions', 'last_updated', 'timestamp with time zone',
	'sessions.last_updated is timestamptz');
SELECT col_type_is('authsessions_data', 'sessions', 'expires_at', 'timestamp with time zone',
	'sessions.expires_at is timestamptz');
SELECT col_type_is('authsessions_data', 'sessions', 'idle_timeout', 'authsessions_data.idle_seconds',
	'sessions.idle_timeout is the domain idle_seconds');
SELECT is(pg_temp.domain_def('authsessions_data.idle_seconds'),
	'integer CHECK ((VALUE > 0))',
	'idle_seconds is a positive integer (seconds)');
SELECT throws_ok($$WITH u AS (INSERT INTO authsessions_data.users (guid, name)
		VALUES (gen_random_uuid(), 'x') RETURNING id, guid, name)
	INSERT INTO authsessions_data.sessions (user_id, user_guid, user_name,
		user_is_operator, token_hash, created_at, last_updated, expires_at,
		idle_timeout, purge_hint)
	SELECT u.id, u.guid, u.name, false, '\x00'::bytea, now(), now(), now(), 60, now() FROM u$$,
	'23514', NULL, 'a token_hash that is not 32 bytes, written by hand, is refused');
SELECT throws_ok($$WITH u AS (INSERT INTO authsessions_data.users (guid, name)
		VALUES (gen_random_uuid(), 'x') RETURNING id, guid, name)
	INSERT INTO authsessions_data.sessions (user_id, user_guid, user_name,
		user_is_operator, token_hash, created_at, last_updated, expires_at,
		idle_timeout, purge_hint)
	SELECT u.id, u.guid, u.name, false, sha256('x'), now(), now(), now(), 0, now() FROM u$$,
	'23514', NULL, 'an idle timeout of 0 seconds, written by hand, is refused');
SELECT is(
	(SELECT array_agg(c.relname::text || ' ' || array_to_string(c.reloptions, ',')
					  ORDER BY c.relname)
	   FROM pg_catalog.pg_class c
	  WHERE c.oid IN ('authsessions_data.users'::regclass, 'authsessions_data.sessions'::regclass)),
	ARRAY['sessions fillfactor=80', 'users fillfactor=70'],
	'both tables leave room on each page for HOT updates (fillfactor)');
SELECT col_type_is('authsessions_data', 'sessions', 'revoked_at', 'timestamp with time zone',
	'sessions.revoked_at is timestamptz');
SELECT col_type_is('authsessions_data', 'sessions', 'revoked_by', 'text', 'sessions.revoked_by is text');
SELECT col_type_is('authsessions_data', 'sessions', 'smartphone', 'text', 'sessions.smartphone is text');
SELECT col_type_is('authsessions_data', 'sessions', 'operating_system', 'text',
	'sessions.operating_system is text');
SELECT col_type_is('authsessions_data', 'sessions', 'application', 'text', 'sessions.application is text');
SELECT col_type_is('authsessions_data', 'sessions', 'user_agent', 'text', 'sessions.user_agent is text');
SELECT col_type_is('authsessions_data', 'sessions', 'ip', 'inet', 'sessions.ip is inet');
SELECT col_type_is('authsessions_data', 'sessions', 'purge_hint', 'timestamp with time zone',
	'sessions.purge_hint is timestamptz');
SELECT col_type_is('authsessions_data', 'sessions', 'revoked_by_role', 'text',
	'sessions.revoked_by_role is text');
SELECT col_type_is('authsessions_data', 'sessions', 'revoked_by_login', 'text',
	'sessions.revoked_by_login is text');
SELECT col_type_is('authsessions_data', 'sessions', 'max_expires_at', 'timestamp with time zone',
	'sessions.max_expires_at is timestamptz');
SELECT col_type_is('authsessions_data', 'sessions', 'end_reason', 'authsessions_data.end_reason',
	'sessions.end_reason is the domain end_reason');
SELECT is(pg_temp.domain_def('authsessions_data.end_reason'),
	'text CHECK ((VALUE = ANY (ARRAY[''revoked''::text, ''logout''::text, ''evicted''::text, ''user_deleted''::text])))',
	'end_reason is one of the four reasons of notify_channel');
SELECT is(
	(SELECT array_agg(attname::text ORDER BY attnum) FROM pg_catalog.pg_attribute
	  WHERE attrelid = 'authsessions_data.sessions'::regclass AND attnum > 0
	    AND NOT attisdropped AND NOT attnotnull),
	ARRAY['revoked_at', 'revoked_by', 'smartphone', 'operating_system', 'application',
	      'user_agent', 'ip', 'revoked_by_role', 'revoked_by_login', 'max_expires_at', 'end_reason'],
	'exactly the revocation, device, audit, lifetime bound and end reason columns of sessions are nullable');
SELECT col_is_pk('authsessions_data', 'sessions', 'id', 'sessions.id is the primary key');
SELECT is(
	(SELECT attidentity::text FROM pg_catalog.pg_attribute
	  WHERE attrelid = 'authsessions_data.sessions'::regclass AND attname = 'id'),
	'd',
	'sessions.id is an identity column');
SELECT col_is_unique('authsessions_data', 'sessions', ARRAY['token_hash'],
	'sessions.token_hash is unique');
SELECT fk_ok('authsessions_data', 'sessions', 'user_id', 'authsessions_data', 'users', 'id',
	'sessions.user_id references users.id');
SELECT is(
	(SELECT confdeltype::text FROM pg_catalog.pg_constraint
	  WHERE conrelid = 'authsessions_data.sessions'::regclass AND contype = 'f'),
	'c',
	'the sessions -> users foreign key is ON DELETE CASCADE');

-- Indexes -----------------------------------------------------------------

SELECT indexes_are('authsessions_data', 'users',
	ARRAY['users_pkey', 'users_guid_key', 'users_listed_name_guid_idx'],
	'users has exactly its primary key, the guid key and the list() index');
SELECT indexes_are('authsessions_data', 'sessions',
	ARRAY['sessions_pkey', 'sessions_token_hash_key', 'sessions_user_id_idx',
	      'sessions_purge_hint_idx'],
	'sessions has exactly its primary key, the token_hash key, the user_id and the purge_hint indexes');
SELECT has_index('authsessions_data', 'users', 'users_guid_key', 'guid',
	'index users_guid_key is on (guid)');
SELECT index_is_unique('authsessions_data', 'users', 'users_guid_key',
	'index users_guid_key is unique');
SELECT has_index('authsessions_data', 'users', 'users_listed_name_guid_idx', ARRAY['name', 'guid'],
	'index users_listed_name_guid_idx is on (name, guid)');
SELECT is(
	pg_catalog.pg_get_expr(i.indpred, i.indrelid),
	'listed',
	'index users_listed_name_guid_idx is partial: WHERE listed')
  FROM pg_catalog.pg_index i
 WHERE i.indexrelid = 'authsessions_data.users_listed_name_guid_idx'::regclass;
SELECT has_index('authsessions_data', 'sessions', 'sessions_token_hash_key', 'token_hash',
	'index sessions_token_hash_key is on (token_hash)');
SELECT index_is_unique('authsessions_data', 'sessions', 'sessions_token_hash_key',
	'index sessions_token_hash_key is unique');
SELECT has_index('authsessions_data', 'sessions', 'sessions_user_id_idx', 'user_id',
	'index sessions_user_id_idx is on (user_id)');
SELECT has_index('authsessions_data', 'sessions', 'sessions_purge_hint_idx', 'purge_hint',
	'index sessions_purge_hint_idx is on (purge_hint)');
-- A touch (last_updated, expires_at) must stay a HOT update: no index may
-- cover a column it changes, not even through an expression or a predicate.
SELECT is(
	(SELECT coalesce(array_agg(DISTINCT i.indexrelid::regclass::text), '{}')
	   FROM pg_catalog.pg_index i
	   JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid
	  WHERE i.indrelid = 'authsessions_data.sessions'::regclass
	    AND a.attname IN ('last_updated', 'expires_at')
	    AND (a.attnum = ANY (i.indkey)
	         OR pg_catalog.pg_get_indexdef(i.indexrelid) ~ ('\m' || a.attname || '\M'))),
	'{}',
	'no index of sessions covers last_updated or expires_at (touches stay HOT)');

-- pg_dump -----------------------------------------------------------------

SELECT sequences_are('authsessions_data', ARRAY['users_id_seq', 'sessions_id_seq'],
	'authsessions_data holds exactly the two identity sequences');
SELECT is(
	(SELECT array_agg(c::regclass::text ORDER BY c::regclass::text)
	   FROM pg_catalog.pg_extension e, unnest(e.extconfig) AS c
	  WHERE e.extname = 'authsessions'),
	ARRAY['authsessions_data.sessions', 'authsessions_data.sessions_id_seq',
	      'authsessions_data.users', 'authsessions_data.users_id_seq'],
	'pg_extension_config_dump registered both tables and both sequences');
SELECT is(
	(SELECT array_agg(coalesce(f, '') ORDER BY f) FROM pg_catalog.pg_extension e,
	        unnest(e.extcondition) AS f WHERE e.extname = 'authsessions'),
	ARRAY['', '', '', ''],
	'pg_dump keeps every row (no filter condition)');

SELECT * FROM finish();
ROLLBACK;
