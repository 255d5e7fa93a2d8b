-- list(): the first page of 50; the limit is limit_select1.sql
-- Run by bench/run.sh: pgbench -M prepared -c 2 -j 2, with -D nusers, period and nact
-- describing the data set (see bench/generate.sql).
SELECT authsessions.list();
