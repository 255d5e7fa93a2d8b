-- debian/tests/smoke.sql: is the installed package usable?  CREATE EXTENSION,
-- then one session's life through the API, each answer checked against the
-- documented JSON.  Any mismatch raises an error (run with ON_ERROR_STOP);
-- the last query prints each call's answer.  Run by scripts/package.sh and
-- by the autopkgtest debian/tests/smoke, in a fresh throwaway cluster.
\set ON_ERROR_STOP 1

CREATE EXTENSION authsessions;

CREATE TEMP TABLE smoke (step serial, call text, answer jsonb);

DO $smoke$
DECLARE
	guid constant uuid := '83bde819-ec08-4cee-b635-884145630d0b';
	uid integer;
	s jsonb;
	j jsonb;
BEGIN
	uid := authsessions.upsert_user(guid, 'smoke', true);
	INSERT INTO smoke (call, answer) VALUES ('upsert_user', to_jsonb(uid));

	s := authsessions.create_session(guid, smartphone => '-',
		operating_system => 'Other- v. ', application => 'Other- v. ');
	INSERT INTO smoke (call, answer) VALUES ('create_session', s);
	IF NOT (s ?& ARRAY['ID', 'Token', 'ExpirationDate'])
		OR jsonb_typeof(s -> 'ID') <> 'number'
		OR s ->> 'ExpirationDate' !~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$' THEN
		RAISE EXCEPTION 'create_session answered %', s;
	END IF;

	j := authsessions.validate(s ->> 'Token');
	INSERT INTO smoke (call, answer) VALUES ('validate', j);
	IF j IS NULL OR j -> 'ID' <> s -> 'ID' OR j ->> 'UserGuid' <> guid::text
		OR j -> 'UserID' <> to_jsonb(uid) OR j ->> 'UserName' <> 'smoke'
		OR j -> 'IsOperator' <> 'true' THEN
		RAISE EXCEPTION 'validate answered %', j;
	END IF;
	IF authsessions.validate('not a token') IS NOT NULL THEN
		RAISE EXCEPTION 'validate accepted a malformed token';
	END IF;

	j := authsessions.list();
	INSERT INTO smoke (call, answer) VALUES ('list', j);
	IF j <> jsonb_build_array(jsonb_build_object('UserGuid', guid,
			'UserName', 'smoke', 'SessionCount', 1, 'IsOperator', true)) THEN
		RAISE EXCEPTION 'list answered %', j;
	END IF;

	j := authsessions.user_sessions(guid);
	INSERT INTO smoke (call, answer) VALUES ('user_sessions', j);
	IF jsonb_array_length(j) <> 1 OR j -> 0 -> 'ID' <> s -> 'ID' THEN
		RAISE EXCEPTION 'user_sessions answered %', j;
	END IF;

	j := authsessions.revoke((s ->> 'ID')::bigint);
	INSERT INTO smoke (call, answer) VALUES ('revoke', j);
	IF j <> '{"Success": true}' THEN
		RAISE EXCEPTION 'revoke answered %', j;
	END IF;

	j := authsessions.list();
	INSERT INTO smoke (call, answer) VALUES ('list after revoke', j);
	IF j <> '[]' OR authsessions.validate(s ->> 'Token') IS NOT NULL THEN
		RAISE EXCEPTION 'the revoked session is still active: list answered %', j;
	END IF;
END
$smoke$;

SELECT 'server_version' AS call, current_setting('server_version') AS answer
UNION ALL
SELECT 'extversion', extversion FROM pg_extension WHERE extname = 'authsessions';
SELECT call, answer FROM smoke ORDER BY step;
