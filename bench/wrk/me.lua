-- GET /api/me, a different user's token per request.
dofile(os.getenv("BENCH_DIR") .. "/wrk/common.lua")
local tokens, n
function init() tokens = lines(os.getenv("TOKENS")); n = 0 end
function request()
  n = n + 1
  return wrk.format("GET", "/api/me", { ["Authorization"] = "Bearer " .. nth(tokens, n) })
end
