-- validate(token) of an active session's token (no touch due); the limit is limit_token.sql
-- Run by bench/run.sh: pgbench -M prepared -c 2 -j 2, with -D nusers, period and nact
-- describing the data set (see bench/generate.sql).
\set u :period * random(0, :nusers / :period - 1) + random(1, :nact)
\set sid 9 * :nusers + :u
SELECT authsessions.validate(t.token) FROM bench.tokens t WHERE t.s = :sid;
