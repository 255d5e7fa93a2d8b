-- issue_jwt(token, ttl): a JWT bound to the session of a token.  Its JSON,
-- its claims (the payload decoded here), its signature (HMAC-SHA256
-- recomputed here in SQL with the key file's bytes, which only a superuser
-- may read), the ttl rules, NULL for a token that is not an active session,
-- and validate's slide.  The key: scripts/pgenv.sh names a random one in
-- authsessions.jwt_secret_file (the key's absence and its secrecy:
-- test/extra/24_jwt_key.sh).
--
-- Time passing is simulated by moving the session's times back in the
-- table, never by sleeping.
\set VERBOSITY terse
CREATE EXTENSION authsessions;

-- base64url and HMAC-SHA256 in SQL, to check what the C code made
\i sql/include/jwt.sql
-- a JWT of header and payload (JSON texts) signed with key
CREATE FUNCTION pg_temp.sign(header text, payload text, key bytea) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT h || '.' || pg_temp.b64url_encode(pg_temp.hmac256(convert_to(h, 'UTF8'), key))
	FROM (SELECT pg_temp.b64url_encode(convert_to(header, 'UTF8')) || '.' ||
		pg_temp.b64url_encode(convert_to(payload, 'UTF8')) AS h) AS x$$;
-- RFC 4231's test case 2: the SQL HMAC is right
SELECT encode(pg_temp.hmac256(convert_to('what do ya want for nothing?', 'UTF8'),
	convert_to('Jefe', 'UTF8')), 'hex') = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843' AS hmac_ok;


-- A JWT's parts (header and payload as jsonb), and whether its signature
-- is the key's.
CREATE FUNCTION pg_temp.header(jwt text) RETURNS jsonb LANGUAGE sql AS
$$SELECT convert_from(pg_temp.b64url_decode(split_part(jwt, '.', 1)), 'UTF8')::jsonb$$;
CREATE FUNCTION pg_temp.payload(jwt text) RETURNS jsonb LANGUAGE sql AS
$$SELECT convert_from(pg_temp.b64url_decode(split_part(jwt, '.', 2)), 'UTF8')::jsonb$$;
-- the key, read as only a superuser can; never shown
CREATE TABLE signing_key (k bytea);
INSERT INTO signing_key
SELECT pg_read_binary_file(current_setting('authsessions.jwt_secret_file'));
SELECT length(k) >= 32 AS key_is_long_enough FROM signing_key;
CREATE FUNCTION pg_temp.signed(jwt text) RETURNS boolean LANGUAGE sql AS
$$SELECT split_part(jwt, '.', 3) = pg_temp.b64url_encode(pg_temp.hmac256(
	convert_to(split_part(jwt, '.', 1) || '.' || split_part(jwt, '.', 2), 'UTF8'),
	(SELECT k FROM signing_key)))$$;

SELECT authsessions.upsert_user('83bde819-ec08-4cee-b635-884145630d0b', 'user', true) AS user_id;
SELECT authsessions.upsert_user('90b10bb2-8c70-456f-b960-2251ae6d8778', 'user2', false) AS user2_id;
SELECT s ->> 'Token' AS tok, s ->> 'ID' AS id
FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b') AS s \gset
SELECT s ->> 'Token' AS tok2, s ->> 'ID' AS id2
FROM authsessions.create_session('90b10bb2-8c70-456f-b960-2251ae6d8778') AS s \gset

-- Markings: VOLATILE (it slides), SECURITY INVOKER like validate, not STRICT.
SELECT provolatile, proparallel, prosecdef, proconfig, proisstrict
FROM pg_proc WHERE oid = 'authsessions.issue_jwt(text, interval)'::regprocedure;
SELECT has_function_privilege('public', 'authsessions.issue_jwt(text, interval)', 'EXECUTE') AS public_may_execute;

-- The settings: defaults, contexts.
SELECT name, setting, unit, context, boot_val FROM pg_settings
WHERE name LIKE 'authsessions.jwt%' AND name <> 'authsessions.jwt_secret_file'
ORDER BY name COLLATE "C";
SELECT context, boot_val FROM pg_settings WHERE name = 'authsessions.jwt_secret_file';
SET authsessions.jwt_role = '';
SET authsessions.jwt_role = 'r2345678901234567890123456789012345678901234567890123456789012345';

-- The result: {"JWT", "ExpirationDate"}; the JWT's header, claims, signature.
SELECT authsessions.issue_jwt(:'tok') AS r,
	extract(epoch FROM date_trunc('second', now()))::bigint AS issued_at \gset
SELECT ARRAY(SELECT jsonb_object_keys(:'r'::jsonb)) AS keys,
	(:'r'::jsonb ->> 'ExpirationDate') ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$' AS date_format,
	(:'r'::jsonb ->> 'JWT') ~ '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$' AS jwt_format;
SELECT :'r'::jsonb ->> 'JWT' AS jwt \gset
SELECT pg_temp.header(:'jwt') AS header, pg_temp.signed(:'jwt') AS signed_with_the_key;
SELECT ARRAY(SELECT jsonb_object_keys(pg_temp.payload(:'jwt'))) AS claims;
SELECT p ->> 'role' AS role, p ->> 'sub' AS sub, p -> 'sid' = to_jsonb(:id::bigint) AS sid_is_the_id,
	jsonb_typeof(p -> 'sid') AS sid_type,
	(p ->> 'iat')::bigint = :issued_at AS iat_is_now,
	(p ->> 'exp')::bigint - (p ->> 'iat')::bigint AS ttl_seconds,
	to_timestamp((p ->> 'exp')::bigint) = (:'r'::jsonb ->> 'ExpirationDate')::timestamptz AS exp_is_expiration_date
FROM pg_temp.payload(:'jwt') AS p;

-- ttl: an interval, 1 second to authsessions.jwt_max_ttl (1 hour).
SELECT (pg_temp.payload(authsessions.issue_jwt(:'tok', '10 minutes') ->> 'JWT') ->> 'exp')::bigint
	- extract(epoch FROM date_trunc('second', now()))::bigint AS ttl_seconds;
SELECT (pg_temp.payload(authsessions.issue_jwt(:'tok', '1 hour') ->> 'JWT') ->> 'exp')::bigint
	- extract(epoch FROM date_trunc('second', now()))::bigint AS ttl_seconds;
SELECT authsessions.issue_jwt(:'tok', '1 hour 1 second');
\echo :LAST_ERROR_SQLSTATE
SELECT authsessions.issue_jwt(:'tok', '0');
SELECT authsessions.issue_jwt(:'tok', '-5 minutes');
SELECT authsessions.issue_jwt(:'tok', '1 month');
SELECT authsessions.issue_jwt(:'tok', '1.5 seconds');
\echo :LAST_ERROR_SQLSTATE
-- a bad ttl is refused even for a token that is no session
SELECT authsessions.issue_jwt('junk', '2 hours');
SET authsessions.jwt_max_ttl = '2h';
SELECT (pg_temp.payload(authsessions.issue_jwt(:'tok', '2 hours') ->> 'JWT') ->> 'exp')::bigint
	- extract(epoch FROM date_trunc('second', now()))::bigint AS ttl_seconds;
SET authsessions.jwt_ttl = '90s';
SELECT (pg_temp.payload(authsessions.issue_jwt(:'tok') ->> 'JWT') ->> 'exp')::bigint
	- extract(epoch FROM date_trunc('second', now()))::bigint AS ttl_seconds;
-- a default above the maximum is capped at it
SET authsessions.jwt_ttl = '3h';
SELECT (pg_temp.payload(authsessions.issue_jwt(:'tok') ->> 'JWT') ->> 'exp')::bigint
	- extract(epoch FROM date_trunc('second', now()))::bigint AS ttl_seconds;
RESET authsessions.jwt_ttl;
RESET authsessions.jwt_max_ttl;

-- exp is never past the session's expiry (here 2 minutes away)
SELECT s ->> 'Token' AS short_tok, s ->> 'ID' AS short_id
FROM authsessions.create_session('83bde819-ec08-4cee-b635-884145630d0b', ttl => '2 minutes') AS s \gset
SELECT (pg_temp.payload(r ->> 'JWT') ->> 'exp')::bigint
	- extract(epoch FROM date_trunc('second', now()))::bigint AS ttl_seconds,
	(r ->> 'ExpirationDate')::timestamptz = date_trunc('second', expires_at) AS capped_at_session_expiry
FROM authsessions.issue_jwt(:'short_tok', '1 hour') AS r,
	authsessions_data.sessions WHERE id = :short_id;

-- role: jwt_role; for an operator jwt_operator_role when set; aud when
-- jwt_audience is set.
SET authsessions.jwt_role = 'regress_user_role';
SELECT pg_temp.payload(authsessions.issue_jwt(:'tok') ->> 'JWT') ->> 'role' AS operator_role,
	pg_temp.payload(authsessions.issue_jwt(:'tok2') ->> 'JWT') ->> 'role' AS user2_role;
SET authsessions.jwt_operator_role = 'regress_operator "role"';
SELECT pg_temp.payload(authsessions.issue_jwt(:'tok') ->> 'JWT') ->> 'role' AS operator_role,
	pg_temp.payload(authsessions.issue_jwt(:'tok2') ->> 'JWT') ->> 'role' AS user2_role;
SET authsessions.jwt_audience = 'https://api.example.com';
SELECT pg_temp.payload(authsessions.issue_jwt(:'tok') ->> 'JWT') -> 'aud' AS aud,
	pg_temp.signed(authsessions.issue_jwt(:'tok') ->> 'JWT') AS signed_with_the_key;
RESET authsessions.jwt_role;
RESET authsessions.jwt_operator_role;
RESET authsessions.jwt_audience;

-- NULL for what is not an active session: never an error about the token.
SELECT authsessions.issue_jwt(NULL) IS NULL AS null_token,
	authsessions.issue_jwt('') IS NULL AS empty,
	authsessions.issue_jwt('junk') IS NULL AS junk,
	authsessions.issue_jwt(left(:'tok', -1) || 'x') IS NULL AS other_secret;
SELECT authsessions.revoke(:short_id);
SELECT authsessions.issue_jwt(:'short_tok') IS NULL AS revoked;
UPDATE authsessions_data.sessions SET expires_at = now() - interval '1 second' WHERE id = :id2;
SELECT authsessions.issue_jwt(:'tok2') IS NULL AS expired;
SELECT authsessions.repair_summary();

-- It slides as validate does: a touch is due once touch_interval has passed.
UPDATE authsessions_data.sessions
SET last_updated = now() - interval '2 minutes', expires_at = now() + interval '1 hour'
WHERE id = :id;
SELECT authsessions.repair_summary();
SELECT authsessions.issue_jwt(:'tok') IS NOT NULL AS issued;
SELECT last_updated > now() - interval '1 minute' AS slid,
	expires_at = last_updated + interval '48 hours' AS new_expiry
FROM authsessions_data.sessions WHERE id = :id;
-- ... but not in a read-only transaction
UPDATE authsessions_data.sessions SET last_updated = now() - interval '2 minutes' WHERE id = :id;
BEGIN READ ONLY;
SELECT authsessions.issue_jwt(:'tok') IS NOT NULL AS issued_read_only;
COMMIT;
SELECT last_updated < now() - interval '1 minute' AS not_slid
FROM authsessions_data.sessions WHERE id = :id;

-- Privileges: nobody but who is granted it.
CREATE ROLE regress_jwt_app;
GRANT USAGE ON SCHEMA authsessions TO regress_jwt_app;
SET ROLE regress_jwt_app;
SELECT authsessions.issue_jwt(:'tok');
RESET ROLE;
GRANT EXECUTE ON FUNCTION authsessions.issue_jwt(text, interval) TO regress_jwt_app;
UPDATE authsessions_data.sessions SET last_updated = now() - interval '2 minutes' WHERE id = :id;
SET ROLE regress_jwt_app;
SELECT authsessions.issue_jwt(:'tok') IS NOT NULL AS issued_as_app;
RESET ROLE;
-- the touch ran as the owner: the app role has no right on the tables
SELECT last_updated > now() - interval '1 minute' AS slid
FROM authsessions_data.sessions WHERE id = :id;
REVOKE ALL ON FUNCTION authsessions.issue_jwt(text, interval) FROM regress_jwt_app;
REVOKE USAGE ON SCHEMA authsessions FROM regress_jwt_app;
DROP ROLE regress_jwt_app;

DROP TABLE signing_key;
DROP EXTENSION authsessions;
