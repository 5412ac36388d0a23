-- GET /api/refresh, each token used once (a refreshed token is blacklisted). With SPREAD_CLIENTS
-- set, each request comes through the proxy from another client network (X-Forwarded-For).
dofile(os.getenv("BENCH_DIR") .. "/wrk/common.lua")
local tokens, n, spread
function init() tokens = lines(os.getenv("REFRESH_TOKENS")); n = 0; spread = os.getenv("SPREAD_CLIENTS") end
function request()
  n = n + 1
  local headers = { ["Authorization"] = "Bearer " .. nth(tokens, n) }
  if spread then
    local k = n * 2 + thread_id
    headers["X-Forwarded-For"] = "10." .. (k % 200) .. "." .. (math.floor(k / 200) % 200) .. ".1"
  end
  return wrk.format("GET", "/api/refresh", headers)
end
