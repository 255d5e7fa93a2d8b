-- create_session(user_guid, device fields) for a random user, committed; the limit is limit_insert.sql
-- Run by bench/run.sh: pgbench -M prepared -c 2 -j 2, with -D nusers, period and nact
-- describing the data set (see bench/generate.sql).
\set u random(1, :nusers)
SELECT authsessions.create_session(bench.guid(:u), 'iPhone 15', 'iOS 17.1', 'MyApp 2.3');
