-- GET pages as many logged-in people: each line of the targets file is "path<TAB>cookie";
-- args: file, thread count, and how many requests earlier runs made (this run goes on with the
-- people after them). Anything but 200 (a login redirect, an error page) counts as unexpected.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
local common = require("common")

setup = common.setup
local targets, n = {}, 0
unexpected = 0

function init(args)
  targets = common.targets(args[1], id, tonumber(args[2]))
  n = math.floor(tonumber(args[3] or "0") / tonumber(args[2]))
end

function request()
  n = n + 1
  local target = targets[(n - 1) % #targets + 1]
  return wrk.format("GET", target[1], {Cookie = target[2], ["User-Agent"] = "studyhall-bench"})
end

function response(status, headers, body)
  if status ~= 200 then unexpected = unexpected + 1 end
end

function done(summary, latency, requests)
  common.done(summary, latency)
end
