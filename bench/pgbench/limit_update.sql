-- limit of revoke: a single-row primary-key UPDATE of the same row in a copy of the sessions table (same columns, indexes, fillfactor), setting what a revoke must set, rolled back the same way
-- Run by bench/run.sh: pgbench -M prepared -c 2 -j 2, with -D nusers, period and nact
-- describing the data set (see bench/generate.sql).
\set u :period * random(0, :nusers / :period - 1) + random(1, :nact)
\set sid 9 * :nusers + :u
BEGIN;
UPDATE bench_limit.sessions SET revoked_at = now(), revoked_by = 'bench' WHERE id = :sid;
ROLLBACK;
