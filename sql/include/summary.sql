-- Included (\i, relative to the top directory, where pg_regress runs) by
-- the tests that check the session summary (users.session_expiries and
-- users.session_entries) or edit sessions by hand.  Functions, not views:
-- they do not hold the extension's tables against DROP EXTENSION.
--
-- The users whose summary disagrees with their sessions (none, ever): the
-- expiries after now() and the entries expiring after now() must be those
-- of the active sessions, each entry as its session is.
CREATE FUNCTION pg_temp.summary_mismatch() RETURNS TABLE (name text)
LANGUAGE sql AS $$
	SELECT u.name
	FROM authsessions_data.users u
	WHERE (SELECT coalesce(array_agg(e ORDER BY e), '{}') FROM unnest(u.session_expiries) AS e
		   WHERE e > now())
		IS DISTINCT FROM
		  (SELECT coalesce(array_agg(s.expires_at ORDER BY s.expires_at), '{}')
		   FROM authsessions_data.sessions s
		   WHERE s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > now())
	   OR (SELECT coalesce(array_agg(e ORDER BY e.id), '{}') FROM unnest(u.session_entries) AS e
		   WHERE e.expires_at > now())
		IS DISTINCT FROM
		  (SELECT coalesce(array_agg(ROW(s.id, s.last_updated, s.expires_at, s.smartphone,
				s.operating_system, s.application)::authsessions_data.session_entry
				ORDER BY s.id), '{}')
		   FROM authsessions_data.sessions s
		   WHERE s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > now())
	ORDER BY u.name $$;
-- Every user's summary as the writers would have kept it, after a test
-- edited sessions by hand (the README's repair statement, but for listed).
CREATE FUNCTION pg_temp.resync_summary() RETURNS void
LANGUAGE sql AS $$
	UPDATE authsessions_data.users u SET session_expiries = ARRAY(
		SELECT s.expires_at FROM authsessions_data.sessions s
		WHERE s.user_id = u.id AND s.revoked_at IS NULL ORDER BY s.expires_at),
	  session_entries = ARRAY(
		SELECT ROW(s.id, s.last_updated, s.expires_at, s.smartphone,
			s.operating_system, s.application)::authsessions_data.session_entry
		FROM authsessions_data.sessions s
		WHERE s.user_id = u.id AND s.revoked_at IS NULL ORDER BY s.expires_at, s.id) $$;
