-- Included (\i, relative to the top directory, where pg_regress runs) by
-- the tests that check the session summary (users.session_expiries) or
-- edit sessions by hand.  Functions, not views:
-- they do not hold the extension's tables against DROP EXTENSION.
--
-- The users whose summary disagrees with their sessions (none, ever): the
-- expiries after now() must be those of the active sessions.
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
	ORDER BY u.name $$;
-- Every user's summary as the writers would have kept it, after a test
-- edited sessions by hand (what repair_summary() writes, for every user and
-- without its count, which depends on the edit).
CREATE FUNCTION pg_temp.resync_summary() RETURNS void
LANGUAGE sql AS $$
	UPDATE authsessions_data.users u SET session_expiries = ARRAY(
		SELECT s.expires_at FROM authsessions_data.sessions s
		WHERE s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > now()
		ORDER BY s.expires_at) $$;
