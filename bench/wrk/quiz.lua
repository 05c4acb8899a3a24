-- The quiz flow, member after member: POST start (302 to the attempt), POST autosave with the
-- member's answers (200 JSON), POST submit (302 to the review). Each line of the targets file is
-- "cookie<TAB>csrf token<TAB>answers as a form body"; args: file, thread count, quiz id.
-- Run with one connection per thread (-t N -c N), so each thread's requests and responses
-- alternate and one state machine per thread is enough.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
local common = require("common")

setup = common.setup
local targets, quiz, member, step, attempt = {}, nil, 0, "start", nil
unexpected, submitted = 0, 0

function init(args)
  targets = common.targets(args[1], id, tonumber(args[2]))
  quiz = args[3]
end

local function headers(cookie)
  return {Cookie = cookie, ["User-Agent"] = "studyhall-bench",
          ["Content-Type"] = "application/x-www-form-urlencoded"}
end

function request()
  if step == "start" then member = member % #targets + 1 end
  local cookie, token, answers = targets[member][1], targets[member][2], targets[member][3]
  if step == "start" then
    return wrk.format("POST", "/quizzes/" .. quiz .. "/start", headers(cookie),
                      "csrf_token=" .. token)
  elseif step == "save" then
    return wrk.format("POST", "/attempts/" .. attempt .. "/autosave", headers(cookie),
                      "csrf_token=" .. token .. "&" .. answers)
  end
  return wrk.format("POST", "/attempts/" .. attempt .. "/submit", headers(cookie),
                    "csrf_token=" .. token)
end

function response(status, headers, body)
  if step == "start" then
    local id = status == 302 and (headers["Location"] or ""):match("/attempts/(%d+)$")
    if id then attempt, step = id, "save" else unexpected = unexpected + 1 end
  elseif step == "save" then
    if status == 200 and body:find('"saved": *10') then step = "submit"
    else unexpected = unexpected + 1; step = "start" end
  else
    if status == 302 and (headers["Location"] or ""):match("/review$") then
      submitted = submitted + 1
    else
      unexpected = unexpected + 1
    end
    step = "start"
  end
end

function done(summary, latency, requests)
  common.done(summary, latency, {submitted = common.total("submitted")})
end
