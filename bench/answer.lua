-- wrk script: every request answers a different, never-answered (quiz, question) pair.
--
--   wrk -t T -c C -d D --latency -s bench/answer.lua http://127.0.0.1:PORT -- PAIRS_FILE T
--
-- (T is repeated after the file: wrk starts each thread as soon as it is set up, so
-- a thread cannot learn the thread count any other way.)
--
-- PAIRS_FILE (from prepare.py): one line per pair, "path<TAB>json body<TAB>token".
-- Thread k of T takes lines k+1, k+1+T, k+1+2T, ... so no two threads share a pair, and
-- each thread sends each of its lines at most once. When a thread runs out it stops
-- (wrk.thread:stop()) and its remaining sockets get a harmless GET of a path that is
-- never an answer, so no pair is ever sent twice. wrk still divides by the full -d
-- duration, so the rps of a run that ran out (exhausted=YES) is a lower bound.
-- Every response whose status is not 200 is counted per status and printed at the end,
-- with the first few bodies.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("thread_index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local file, nthreads = args[1], tonumber(args[2])
  t_count = nthreads
  if not (file and nthreads) then error("usage: wrk -t T ... -s answer.lua URL -- PAIRS_FILE T") end
  if thread_index >= nthreads then error("more wrk threads than T=" .. nthreads .. ": pass the -t value after the file") end
  reqs = {}
  local i = 0
  for line in io.lines(file) do
    if i % nthreads == thread_index then
      local path, body, token = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)$")
      if not path then error("bad line in " .. file .. ": " .. line) end
      reqs[#reqs + 1] = wrk.format("POST", path, {
        ["Content-Type"] = "application/json",
        ["Authorization"] = "Bearer " .. token,
      }, body)
    end
    i = i + 1
  end
  nreqs = #reqs
  next_req = 1
  -- Before the run, wrk calls request() once on the first thread to check the script
  -- (script_verify_request); that pair is used up but never sent: don't count it.
  sent = (thread_index == 0) and -1 or 0
  exhausted = 0
  statuses = {}   -- non-200 status -> count
  non200 = 0
  samples = ""
  nsamples = 0
end

function request()
  if next_req > #reqs then
    if exhausted == 0 then wrk.thread:stop() end
    exhausted = exhausted + 1
    return wrk.format("GET", "/__bench_pairs_exhausted__")
  end
  local r = reqs[next_req]
  next_req = next_req + 1
  sent = sent + 1
  return r
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    local k = tostring(status)
    statuses[k] = (statuses[k] or 0) + 1
    if nsamples < 3 then
      nsamples = nsamples + 1
      samples = samples .. "  " .. k .. " " .. string.sub(body or "", 1, 300) .. "\n"
    end
  end
end

function done(summary, latency, requests)
  local total_sent, total_non200, total_exhausted, total_pairs = 0, 0, 0, 0
  local by_status = {}
  local bodies = ""
  for _, t in ipairs(threads) do
    total_sent = total_sent + t:get("sent")
    total_non200 = total_non200 + t:get("non200")
    total_exhausted = total_exhausted + t:get("exhausted")
    total_pairs = total_pairs + t:get("nreqs")
    bodies = bodies .. t:get("samples")
  end
  for _, t in ipairs(threads) do
    local st = t:get("statuses")
    for k, v in pairs(st) do by_status[k] = (by_status[k] or 0) + v end
  end
  if #threads ~= threads[1]:get("t_count") then io.write("BENCH WARNING: T after the file does not match -t\n") end
  local errs = summary.errors
  io.write(string.format("BENCH pairs_loaded=%d pairs_sent=%d responses=%d non200=%d exhausted=%s\n",
    total_pairs, total_sent, summary.requests, total_non200, total_exhausted > 0 and "YES" or "no"))
  io.write(string.format("BENCH socket_errors connect=%d read=%d write=%d timeout=%d status=%d\n",
    errs.connect, errs.read, errs.write, errs.timeout, errs.status))
  for k, v in pairs(by_status) do io.write(string.format("BENCH status %s: %d\n", k, v)) end
  if bodies ~= "" then io.write("BENCH first non-200 bodies:\n" .. bodies) end
end
