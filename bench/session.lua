-- wrk's side of the session benchmark (bench/run.sh, workload b): login and capture the token,
-- two reads with it, capture the balance, and write when it is positive; no think time.
-- wrk gives one Lua state per thread and no per-connection hook, so the session state is the
-- thread's: the work per request (building requests, matching bodies) is what is measured.
local step, token, balance, n = 0, "none", 1, 0

request = function()
  step = step % 4 + 1
  if step == 4 and balance <= 0 then step = 1 end
  if step == 1 then
    n = n + 1
    local u = "u" .. (n % 1000)
    return wrk.format("POST", "/login", { ["Content-Type"] = "application/json" },
                      '{"user":"' .. u .. '","password":"pw-' .. u .. '"}')
  elseif step == 2 then
    return wrk.format("GET", "/items", { ["Authorization"] = "Bearer " .. token })
  elseif step == 3 then
    return wrk.format("GET", "/balance", { ["Authorization"] = "Bearer " .. token })
  end
  return wrk.format("POST", "/write", { ["Authorization"] = "Bearer " .. token,
                                        ["Content-Type"] = "application/json" }, '{"amount":1}')
end

response = function(status, headers, body)
  local t = body:match('"token":"([^"]+)"')
  if t then token = t end
  local b = body:match('"balance":(%d+)')
  if b then balance = tonumber(b) end
end
