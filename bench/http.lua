-- bench/http.lua: the wrk script of bench/http.sh.
--
--   wrk -t T -c C -d LONG -s bench/http.lua URL -- KIND REQUESTS FILE JWT
--
-- KIND     get: GET URL's path followed by a line of FILE (cycled), e.g.
--               a user's guid; an empty FILE ("-") means URL alone
--          post: POST URL with a line of FILE (cycled) as its JSON body
--          once: POST URL with a line of FILE as its JSON body, each line
--                used once, thread k of T taking lines k, k+T, ... (revoke:
--                one pre-made session per request)
-- REQUESTS requests in all, shared evenly by the threads.  A thread stops
--          when it has its share of responses; the last thread to finish
--          interrupts wrk (SIGINT, wrk's own Ctrl-C), so that wrk's
--          duration, and its requests/s, end with the last response rather
--          than at -d.
-- FILE     the lines above ("-": none)
-- JWT      the bearer token sent with every request
--
-- done() prints one line for bench/http.sh:
--   RESULT requests duration_us p50_us p99_us non2xx socket_errors

local ffi = require("ffi")
ffi.cdef [[
int kill(int pid, int sig);
int getpid(void);
]]

local threads = {}
local next_id = 0

-- setup (wrk's setup environment): number the threads.
function setup(thread)
	thread:set("tid", next_id)
	next_id = next_id + 1
	table.insert(threads, thread)
end

local kind, share, stamp
local reqs = {}
local pos = 0
local seen = 0

-- init (each thread): build every request string once.
function init(args)
	kind = args[1]
	local total = tonumber(args[2])
	local file = args[3]
	local jwt = args[4]
	local nthreads = tonumber(os.getenv("HTTP_BENCH_THREADS"))
	stamp = os.getenv("HTTP_BENCH_STAMP")
	share = math.floor(total / nthreads)
	if tid < total % nthreads then
		share = share + 1
	end
	local headers = { ["Authorization"] = "Bearer " .. jwt }
	local lines = {}
	if file ~= "-" then
		for line in io.lines(file) do
			table.insert(lines, line)
		end
	end
	if kind == "get" then
		if #lines == 0 then
			table.insert(reqs, wrk.format("GET", wrk.path, headers))
		else
			for _, l in ipairs(lines) do
				table.insert(reqs, wrk.format("GET", wrk.path .. l, headers))
			end
		end
	else
		headers["Content-Type"] = "application/json"
		if kind == "once" then
			-- this thread's lines; a thread may send a request or two more
			-- than its share (one per other connection in flight)
			for i = tid + 1, #lines, nthreads do
				table.insert(reqs, wrk.format("POST", wrk.path, headers, lines[i]))
			end
			if #reqs < share + 8 then
				error("bench/http.lua: " .. #reqs .. " lines for thread " .. tid .. ", need " .. share + 8)
			end
		else
			for _, l in ipairs(lines) do
				table.insert(reqs, wrk.format("POST", wrk.path, headers, l))
			end
		end
	end
end

-- request: the next prepared request (once: never one already sent).
function request()
	pos = pos + 1
	if pos > #reqs then
		if kind == "once" then
			error("bench/http.lua: out of single-use requests")
		end
		pos = 1
	end
	return reqs[pos]
end

-- response: count; at the thread's share, stop it and, when it is the last
-- one, end the run.
function response(status, headers, body)
	seen = seen + 1
	if seen == share then
		local f = assert(io.open(stamp, "a"))
		f:write(tid, "\n")
		f:close()
		local finished = 0
		for _ in io.lines(stamp) do
			finished = finished + 1
		end
		wrk.thread:stop()
		if finished >= tonumber(os.getenv("HTTP_BENCH_THREADS")) then
			ffi.C.kill(ffi.C.getpid(), 2)
		end
	end
end

-- done (setup environment): the figures bench/http.sh reads.
function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("RESULT %d %d %d %d %d %d\n", summary.requests, summary.duration,
		latency:percentile(50), latency:percentile(99), e.status,
		e.connect + e.read + e.write + e.timeout))
end
