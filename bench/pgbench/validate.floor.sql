-- the floor of validate: its answer for the same input, precomputed (bench.floor_validate),
-- read in the limit's query (limit_token.sql) instead of the token; no target
-- Run by bench/run.sh: pgbench -M prepared -c 2 -j 2, with -D nusers, period and nact
-- describing the data set (see bench/generate.sql).
\set u :period * random(0, :nusers / :period - 1) + random(1, :nact)
\set sid 9 * :nusers + :u
SELECT f.answer FROM bench.floor_validate f WHERE f.s = :sid;
