-- the SQL reference's list of the last full page of the set; compare with
-- list_last.ext.sql
-- Run by bench/run.sh: pgbench -M prepared -c 2 -j 2, with -D nusers, period and nact
-- describing the data set (see bench/generate.sql).
\set p greatest(1, :nusers * :nact / :period / 50)
SELECT ref.list(:p, 50);
