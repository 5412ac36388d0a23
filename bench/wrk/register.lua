-- POST /api/register, a new email per request (the OFFSET tells the warm-up from the measured run,
-- whose emails would otherwise be taken already: a 422 after a wasted hash).
dofile(os.getenv("BENCH_DIR") .. "/wrk/common.lua")
local n, run
function init() n = 0; run = os.getenv("RUN_ID") .. "-" .. (os.getenv("OFFSET") or "0") end
function request()
  n = n + 1
  local body = '{"name":"Bench","email":"r' .. run .. "-" .. thread_id .. "-" .. n .. '@example.test","password":"bench password 123"}'
  return wrk.format("POST", "/api/register", { ["Content-Type"] = "application/json" }, body)
end
