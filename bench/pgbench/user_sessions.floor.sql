-- the floor of user_sessions: its answer for the same user, precomputed
-- (bench.floor_user_sessions), read by the guid the limit computes (limit_guid.sql); no target
-- Run by bench/run.sh: pgbench -M prepared -c 2 -j 2, with -D nusers, period and nact
-- describing the data set (see bench/generate.sql).
\set u :period * random(0, :nusers / :period - 1) + random(1, :nact)
SELECT f.answer FROM bench.floor_user_sessions f WHERE f.guid = bench.guid(:u);
