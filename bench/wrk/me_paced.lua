-- GET /api/me as me.lua, each connection pausing ME_PAUSE_MS between requests: a steady load whose
-- latency is measured, not one that takes every spare cycle from what runs beside it.
dofile(os.getenv("BENCH_DIR") .. "/wrk/me.lua")
local pause = tonumber(os.getenv("ME_PAUSE_MS") or "10")
function delay() return pause end
