-- the SQL reference's list(): offset page 10,000 users deep
-- Run by bench/run.sh: pgbench -M prepared -c 2 -j 2, with -D nusers, period and nact
-- describing the data set (see bench/generate.sql).
SELECT ref.list(201, 50);
