-- limit of validate: the same query fetching the token, without the call
-- Run by bench/run.sh: pgbench -M prepared -c 2 -j 2, with -D nusers, period and nact
-- describing the data set (see bench/generate.sql).
\set u :period * random(0, :nusers / :period - 1) + random(1, :nact)
\set sid 9 * :nusers + :u
SELECT t.token FROM bench.tokens t WHERE t.s = :sid;
