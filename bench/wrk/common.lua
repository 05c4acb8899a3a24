-- Shared by the wrk scripts of bench/load.py: reading the targets file, per-thread counters
-- and one JSON line of results (the Python side parses it).
local common = {}
local threads = {}

function common.split(line)
  local fields = {}
  for field in string.gmatch(line, "([^\t]*)\t?") do table.insert(fields, field) end
  return fields
end

-- The targets file: one tab-separated line per target; thread n takes lines n, n+T, n+2T ...
function common.targets(file, id, count)
  local all, mine = {}, {}
  for line in io.lines(file) do if line ~= "" then table.insert(all, common.split(line)) end end
  for i = 1, #all do
    if (i - 1) % count == id then table.insert(mine, all[i]) end
  end
  if #mine == 0 then mine = all end
  return mine
end

local next_id = 0
function common.setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function common.total(name)
  local sum = 0
  for _, thread in ipairs(threads) do sum = sum + (thread:get(name) or 0) end
  return sum
end

function common.done(summary, latency, extra)
  local e = summary.errors
  local parts = {
    string.format('"requests": %d', summary.requests),
    string.format('"seconds": %.3f', summary.duration / 1e6),
    string.format('"p50_ms": %.2f', latency:percentile(50) / 1000),
    string.format('"p99_ms": %.2f', latency:percentile(99) / 1000),
    string.format('"socket_errors": %d', e.connect + e.read + e.write + e.timeout),
    string.format('"status_errors": %d', e.status),
    string.format('"unexpected": %d', common.total("unexpected")),
  }
  for name, value in pairs(extra or {}) do
    table.insert(parts, string.format('"%s": %d', name, value))
  end
  io.write("WRK-RESULT {" .. table.concat(parts, ", ") .. "}\n")
end

return common
