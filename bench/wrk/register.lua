-- POST /api/register, a new email per request.
dofile(os.getenv("BENCH_DIR") .. "/wrk/common.lua")
local n, run
function init() n = 0; run = os.getenv("RUN_ID") end
function request()
  n = n + 1
  local body = '{"name":"Bench","email":"r' .. run .. "-" .. thread_id .. "-" .. n .. '@example.test","password":"bench password 123"}'
  return wrk.format("POST", "/api/register", { ["Content-Type"] = "application/json" }, body)
end
