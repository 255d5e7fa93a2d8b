/*
 * bench/check.sql: after generate.sql, before any timing: the inputs the
 * pgbench scripts derive are valid (an active session's token validates, an
 * active user has sessions and a keyset page, the keyset cursors and the
 * last full page of list have full pages), the SQL reference answers
 * exactly as the extension does, and so do the floor tables, for every
 * input their scripts can pick.  Any difference raises an error, so the
 * benchmark never measures two different things.
 */
\set ON_ERROR_STOP on
DO $$
DECLARE
	d bench.dataset;
	u int;
	p int;
	sid bigint;
	a jsonb;
	b jsonb;
	-- the floor tables (dense data sets, with the limits)
	floors boolean := to_regclass('bench.floor_validate') IS NOT NULL;
BEGIN
	SELECT * INTO STRICT d FROM bench.dataset;
	-- one precomputed answer per input the floor scripts can pick: each
	-- active user's (its answer is checked below).  Nested IFs: a condition
	-- naming a missing table fails to parse even after a false operand.
	IF floors THEN
		IF (SELECT count(*) FROM bench.floor_validate) <> d.nusers / d.period * d.nact
		   OR (SELECT count(*) FROM bench.floor_user_sessions) <> d.nusers / d.period * d.nact THEN
			RAISE EXCEPTION 'check.sql: the floor tables do not hold one answer per active user';
		END IF;
	END IF;
	-- the first and the last active user of the first period, and one near the end
	FOREACH u IN ARRAY ARRAY[1, d.nact, d.nusers - d.period + 1] LOOP
		sid := 9 * d.nusers + u;
		a := authsessions.validate((SELECT t.token FROM bench.tokens t WHERE t.s = sid));
		IF a IS NULL OR (a ->> 'ID')::bigint <> sid THEN
			RAISE EXCEPTION 'check.sql: validate of session %''s token gave %', sid, a;
		END IF;
		b := ref.validate((SELECT t.ref_token FROM bench.tokens t WHERE t.s = sid));
		IF a IS DISTINCT FROM b THEN
			RAISE EXCEPTION 'check.sql: validate differs: % against %', a, b;
		END IF;
		IF floors THEN
			IF (SELECT f.answer FROM bench.floor_validate f WHERE f.s = sid) IS DISTINCT FROM a THEN
				RAISE EXCEPTION 'check.sql: the floor''s answer for session % is not validate''s', sid;
			END IF;
		END IF;

		a := authsessions.user_sessions(bench.guid(u));
		b := ref.user_sessions(bench.guid(u));
		IF jsonb_array_length(a) NOT BETWEEN 1 AND 10 OR a IS DISTINCT FROM b THEN
			RAISE EXCEPTION 'check.sql: user_sessions(bench.guid(%)): % against %', u, a, b;
		END IF;
		IF floors THEN
			IF (SELECT f.answer FROM bench.floor_user_sessions f WHERE f.guid = bench.guid(u))
			   IS DISTINCT FROM a THEN
				RAISE EXCEPTION 'check.sql: the floor''s answer for bench.guid(%) is not user_sessions''', u;
			END IF;
		END IF;

		a := authsessions.list(1, 50, bench.guid(u));
		b := ref.list(1, 50, bench.guid(u));
		IF a IS DISTINCT FROM b THEN
			RAISE EXCEPTION 'check.sql: list after bench.guid(%) differs: % against %', u, a, b;
		END IF;
	END LOOP;

	-- the keyset scripts' cursors (bench.cursors): the first and the last
	-- have a full page after them (or the rest of a set of 50 or fewer)
	FOREACH p IN ARRAY ARRAY[1, (SELECT max(c.i) FROM bench.cursors c)] LOOP
		a := authsessions.list(1, 50, (SELECT c.guid FROM bench.cursors c WHERE c.i = p));
		b := ref.list(1, 50, (SELECT c.guid FROM bench.cursors c WHERE c.i = p));
		IF jsonb_array_length(a) <> least(50, d.nusers * d.nact / d.period - 1)
		   OR a IS DISTINCT FROM b THEN
			RAISE EXCEPTION 'check.sql: list after cursor % (% rows) differs: % against %',
				p, jsonb_array_length(a), a, b;
		END IF;
	END LOOP;

	a := authsessions.list();
	b := ref.list();
	IF jsonb_array_length(a) = 0 OR a IS DISTINCT FROM b THEN
		RAISE EXCEPTION 'check.sql: list() differs: % against %', a, b;
	END IF;
	a := authsessions.list(201, 50);
	b := ref.list(201, 50);
	IF a IS DISTINCT FROM b THEN
		RAISE EXCEPTION 'check.sql: list(201, 50) differs: % against %', a, b;
	END IF;
	-- the last full page (list_last.*.sql): full (or the whole set, when it is
	-- smaller than a page), and the next one not
	p := greatest(1, d.nusers * d.nact / d.period / 50);
	a := authsessions.list(p, 50);
	b := ref.list(p, 50);
	IF jsonb_array_length(a) <> least(50, d.nusers * d.nact / d.period) OR a IS DISTINCT FROM b
	   OR jsonb_array_length(authsessions.list(p + 1, 50)) >= 50 THEN
		RAISE EXCEPTION 'check.sql: list(%, 50), the last full page, differs: % against %', p, a, b;
	END IF;
END
$$;
