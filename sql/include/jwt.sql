-- Included (\i, relative to the top directory, where pg_regress runs) by
-- the tests that check or make JWTs in SQL (issue_jwt, check_request):
-- base64url both ways and HMAC-SHA256 (RFC 2104 over sha256()), to check
-- what the C code made and to sign JWTs of its own.
CREATE FUNCTION pg_temp.b64url_decode(t text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT AS
$$SELECT decode(translate(t, '-_', '+/') || repeat('=', (4 - length(t) % 4) % 4), 'base64')$$;
CREATE FUNCTION pg_temp.b64url_encode(b bytea) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS
$$SELECT translate(rtrim(replace(encode(b, 'base64'), E'\n', ''), '='), '+/', '-_')$$;
CREATE FUNCTION pg_temp.hmac256(msg bytea, key bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT AS $$
	WITH k AS (SELECT CASE WHEN length(key) > 64 THEN sha256(key) ELSE key END AS k),
	p AS (SELECT k || decode(repeat('00', 64 - length(k)), 'hex') AS k FROM k),
	pads AS (SELECT
		(SELECT string_agg(decode(lpad(to_hex(get_byte(p.k, i) # 54), 2, '0'), 'hex'), ''::bytea ORDER BY i)
		 FROM generate_series(0, 63) AS i) AS ipad,
		(SELECT string_agg(decode(lpad(to_hex(get_byte(p.k, i) # 92), 2, '0'), 'hex'), ''::bytea ORDER BY i)
		 FROM generate_series(0, 63) AS i) AS opad
		FROM p)
	SELECT sha256(opad || sha256(ipad || msg)) FROM pads$$;
