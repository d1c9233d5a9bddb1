-- wrk script for the baseline: GET / on bench/hello.py, counting every non-200.
-- It has the same request()/response() callbacks as answer.lua, so wrk spends about
-- the same CPU per request on both sides of the ratio (wrk shares the 2 cores).
--
--   wrk -t T -c C -d D --latency -s bench/hello.lua http://127.0.0.1:PORT

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  req = wrk.format("GET", "/")
  sent = 0
  non200 = 0
  statuses = {}
  samples = ""
  nsamples = 0
end

function request()
  sent = sent + 1
  return req
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
  local total_sent, total_non200, bodies, by_status = 0, 0, "", {}
  for _, t in ipairs(threads) do
    total_sent = total_sent + t:get("sent")
    total_non200 = total_non200 + t:get("non200")
    bodies = bodies .. t:get("samples")
    for k, v in pairs(t:get("statuses")) do by_status[k] = (by_status[k] or 0) + v end
  end
  local errs = summary.errors
  io.write(string.format("BENCH pairs_loaded=0 pairs_sent=%d responses=%d non200=%d exhausted=no\n",
    total_sent, summary.requests, total_non200))
  io.write(string.format("BENCH socket_errors connect=%d read=%d write=%d timeout=%d status=%d\n",
    errs.connect, errs.read, errs.write, errs.timeout, errs.status))
  for k, v in pairs(by_status) do io.write(string.format("BENCH status %s: %d\n", k, v)) end
  if bodies ~= "" then io.write("BENCH first non-200 bodies:\n" .. bodies) end
end
