-- the SQL reference's create_session, committed
-- Run by bench/run.sh: pgbench -M prepared -c 2 -j 2, with -D nusers, period and nact
-- describing the data set (see bench/generate.sql).
\set u random(1, :nusers)
SELECT ref.create_session(bench.guid(:u), 'iPhone 15', 'iOS 17.1', 'MyApp 2.3');
