-- list(p, 50) for p the last full page of the set: the deepest page inside it
-- (the offset page 10,000 users deep is past the end where fewer users than
-- that have an active session).  nusers * nact / period users have one, see
-- bench/generate.sql.
-- Run by bench/run.sh: pgbench -M prepared -c 2 -j 2, with -D nusers, period and nact
-- describing the data set (see bench/generate.sql).
\set p greatest(1, :nusers * :nact / :period / 50)
SELECT authsessions.list(:p, 50);
