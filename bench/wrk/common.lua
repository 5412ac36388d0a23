-- Shared by the wrk scripts: a per-thread index so threads never pick the same line, and a reader.
local counter = 1
function setup(thread)
  thread:set("thread_id", counter)
  counter = counter + 1
end

function lines(path)
  local list = {}
  for line in io.lines(path) do list[#list + 1] = line end
  return list
end

-- The n-th item for this thread: threads interleave (1, 3, 5… and 2, 4, 6…), so none repeats one.
function nth(list, n)
  local threads = tonumber(os.getenv("WRK_THREADS") or "2")
  local offset = tonumber(os.getenv("OFFSET") or "0")
  return list[(offset + (n - 1) * threads + thread_id - 1) % #list + 1]
end
