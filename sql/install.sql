-- install: what CREATE EXTENSION makes, and that DROP EXTENSION takes every
-- session with it.
\set VERBOSITY terse
CREATE EXTENSION authsessions;

-- Two schemas, both members of the extension.
SELECT n.nspname, pg_describe_object(d.refclassid, d.refobjid, 0) AS member_of
FROM pg_namespace n
JOIN pg_depend d ON d.classid = 'pg_namespace'::regclass AND d.objid = n.oid
	AND d.deptype = 'e'
WHERE n.nspname LIKE 'authsessions%'
ORDER BY 1;

-- Not relocatable.
SELECT extname, extrelocatable, extversion
FROM pg_extension WHERE extname = 'authsessions';

-- authsessions holds the functions and nothing else.
SELECT p.oid::regprocedure AS function
FROM pg_proc p WHERE p.pronamespace = 'authsessions'::regnamespace
ORDER BY p.proname;
SELECT count(*) AS relations_in_api_schema
FROM pg_class WHERE relnamespace = 'authsessions'::regnamespace;
SELECT count(*) AS types_in_api_schema
FROM pg_type WHERE typnamespace = 'authsessions'::regnamespace;
-- Nobody may call a function until granted (repair_summary, for the DBA, is
-- granted to nobody); the writers are SECURITY DEFINER with a pinned
-- search_path, the readers SECURITY INVOKER.
SELECT p.proname, p.prosecdef, p.proconfig,
	(SELECT count(*) FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) AS a
	 WHERE a.grantee = 0) AS public_grants
FROM pg_proc p WHERE p.pronamespace = 'authsessions'::regnamespace
ORDER BY p.proname;

-- authsessions_data holds the tables and their sequences (and indexes).
SELECT c.relname, c.relkind
FROM pg_class c WHERE c.relnamespace = 'authsessions_data'::regnamespace
	AND c.relkind <> 'i'
ORDER BY c.relkind, c.relname;

-- The documented columns, with their types (other columns may follow).
SELECT t.tab, t.col, a.atttypid::regtype AS type
FROM (VALUES
	('authsessions_data.users', 'id'), ('authsessions_data.users', 'guid'),
	('authsessions_data.users', 'name'), ('authsessions_data.users', 'is_operator'),
	('authsessions_data.users', 'created_at'),
	('authsessions_data.sessions', 'id'), ('authsessions_data.sessions', 'user_id'),
	('authsessions_data.sessions', 'token_hash'), ('authsessions_data.sessions', 'created_at'),
	('authsessions_data.sessions', 'last_updated'), ('authsessions_data.sessions', 'expires_at'),
	('authsessions_data.sessions', 'idle_timeout'), ('authsessions_data.sessions', 'revoked_at'),
	('authsessions_data.sessions', 'revoked_by'), ('authsessions_data.sessions', 'smartphone'),
	('authsessions_data.sessions', 'operating_system'), ('authsessions_data.sessions', 'application'),
	('authsessions_data.sessions', 'user_agent'), ('authsessions_data.sessions', 'ip'),
	('authsessions_data.sessions', 'revoked_by_role'), ('authsessions_data.sessions', 'revoked_by_login')
) AS t(tab, col)
LEFT JOIN pg_attribute a ON a.attrelid = t.tab::regclass AND a.attname = t.col AND NOT a.attisdropped
ORDER BY t.tab DESC, a.attnum;
-- the device fields and the audit columns may be NULL
SELECT attname FROM pg_attribute
WHERE attrelid = 'authsessions_data.sessions'::regclass AND attnum > 0 AND NOT attnotnull
	AND NOT attisdropped
ORDER BY attnum;

-- users.name sorts in byte order, whatever the database's locale.
SELECT collname FROM pg_collation c JOIN pg_attribute a ON a.attcollation = c.oid
WHERE a.attrelid = 'authsessions_data.users'::regclass AND a.attname = 'name';

-- Identity primary keys, unique guid and token_hash, cascade from users.
SELECT conrelid::regclass AS tab, contype, pg_get_constraintdef(oid) AS def
FROM pg_constraint
WHERE conrelid IN ('authsessions_data.users'::regclass, 'authsessions_data.sessions'::regclass)
	AND contype IN ('p', 'u', 'f')
ORDER BY conrelid::regclass::text, contype, def;
SELECT attrelid::regclass AS tab, attname, attidentity
FROM pg_attribute
WHERE attrelid IN ('authsessions_data.users'::regclass, 'authsessions_data.sessions'::regclass)
	AND attidentity <> ''
ORDER BY attrelid::regclass::text;

-- Tables and sequences are registered with pg_extension_config_dump.
SELECT c::regclass AS config_dump
FROM pg_extension e, unnest(e.extconfig) AS c
WHERE e.extname = 'authsessions'
ORDER BY c::regclass::text;

-- Some data ...
SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', true) AS user_id;
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b') ->> 'Token' AS tok \gset
SELECT jsonb_typeof(authsessions.validate(:'tok')) AS valid_before_drop;
SELECT count(*) AS sessions FROM authsessions_data.sessions;

-- ... is gone with DROP EXTENSION: both schemas, both tables, every session.
DROP EXTENSION authsessions;
SELECT count(*) AS schemas_left FROM pg_namespace WHERE nspname LIKE 'authsessions%';
SELECT to_regclass('authsessions_data.sessions') AS sessions_table,
	to_regclass('authsessions_data.users') AS users_table;

-- A new installation starts empty, also in a backend that kept plans of the
-- old one: the old token is unknown, the old user too.
CREATE EXTENSION authsessions;
SELECT authsessions.validate(:'tok') IS NULL AS old_token_unknown;
SELECT authsessions.list() AS list;
SELECT authsessions.user_sessions('83bde819-ec08-4cee-b635-884145630d0b') AS user_sessions;
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', true) AS user_id;
SELECT authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b') ->> 'ID' AS new_session_id;
SELECT jsonb_array_length(authsessions.list()) AS listed_users;

DROP EXTENSION authsessions;
