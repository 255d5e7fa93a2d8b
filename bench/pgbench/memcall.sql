-- One call of the memory check (bench/memcheck.sql): function :fn, the i-th
-- call of this backend.  Run with -c 1 -t (warmup + calls + 1).
SELECT bench.memcall(:fn, :calls, :warmup);
