-- GET /api/refresh, each token used once (a refreshed token is blacklisted).
dofile(os.getenv("BENCH_DIR") .. "/wrk/common.lua")
local tokens, n
function init() tokens = lines(os.getenv("REFRESH_TOKENS")); n = 0 end
function request()
  n = n + 1
  return wrk.format("GET", "/api/refresh", { ["Authorization"] = "Bearer " .. nth(tokens, n) })
end
