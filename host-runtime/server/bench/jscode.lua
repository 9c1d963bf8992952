-- wrk script: each request redeems a fresh, pre-minted login code (codes are
-- single-use, so replaying one would measure the error path). Counts
-- responses whose errcode is not 0.
local codes = dofile(os.getenv("GUARD_CODES_LUA"))
local path = os.getenv("GUARD_JS_PATH")
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  n = 0
  errors = 0
  stride = tonumber(os.getenv("GUARD_THREADS"))
end

function request()
  local i = tid + n * stride + 1
  n = n + 1
  local code = codes[i] or "exhausted"
  return wrk.format("GET", path .. code)
end

function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"errcode":0', 1, true) then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local e = 0
  for _, t in ipairs(threads) do e = e + t:get("errors") end
  io.write(string.format("login_errors %d\n", e))
end
