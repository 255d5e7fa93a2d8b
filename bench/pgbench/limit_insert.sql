-- limit of create_session: a single-row INSERT, committed, into a copy of the sessions table with the same indexes, checks and foreign key (generate.sql gives any other NOT NULL column a default)
-- Run by bench/run.sh: pgbench -M prepared -c 2 -j 2, with -D nusers, period and nact
-- describing the data set (see bench/generate.sql).
\set u random(1, :nusers)
INSERT INTO bench_limit.sessions (user_id, user_guid, user_name, user_is_operator, token_hash, created_at, last_updated, expires_at, idle_timeout, smartphone, operating_system, application)
VALUES (:u, bench.guid(:u), 'user', false, sha256(gen_random_uuid()::text::bytea), now(), now(), now() + interval '48 hours', 172800, 'iPhone 15', 'iOS 17.1', 'MyApp 2.3');
