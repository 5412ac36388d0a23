-- POST /api/login, a different seeded user per request.
dofile(os.getenv("BENCH_DIR") .. "/wrk/common.lua")
local emails, n
function init() emails = lines(os.getenv("EMAILS")); n = 0 end
function request()
  n = n + 1
  local body = '{"email":"' .. nth(emails, n) .. '","password":"' .. os.getenv("PASSWORD") .. '"}'
  return wrk.format("POST", "/api/login", { ["Content-Type"] = "application/json" }, body)
end
