-- user_sessions(guid) of an active user (10 sessions, 1 to 4 of them active); the limit is limit_guid.sql
-- Run by bench/run.sh: pgbench -M prepared -c 2 -j 2, with -D nusers, period and nact
-- describing the data set (see bench/generate.sql).
\set u :period * random(0, :nusers / :period - 1) + random(1, :nact)
SELECT authsessions.user_sessions(bench.guid(:u));
