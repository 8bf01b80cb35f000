-- wrk script: replay requests from a file, one per line:
--   METHOD <tab> PATH <tab> COOKIE <tab> CSRF-TOKEN <tab> BODY
-- Each wrk thread takes every n-th line, so no line (no shopper) is used by two threads at once.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(args[1], "r"))
  local all = {}
  for line in file:lines() do table.insert(all, line) end
  file:close()
  local nthreads = tonumber(args[2])
  lines = {}
  for i, line in ipairs(all) do
    if (i - 1) % nthreads == id then table.insert(lines, line) end
  end
  index = 0
end

function request()
  index = index % #lines + 1
  local method, path, cookie, token, body = lines[index]:match("([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)")
  local headers = { ["Cookie"] = cookie, ["HX-Request"] = "true", ["X-CSRF-Token"] = token,
                    ["Content-Type"] = "application/x-www-form-urlencoded" }
  return wrk.format(method, path, headers, body)
end
