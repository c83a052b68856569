-- wrk script: POST /api/v1/tokens/refresh, each request with a refresh token nobody has spent.
-- Tokens rotate on every use (and a spent one revokes its family), so every thread keeps a pool:
-- a request takes a token out, its response puts the new one back. With one request in flight
-- per connection, a pool at least as large as the thread's connections never runs dry.
-- Arguments (after `--`): TOKENS_FILE THREADS; the file has one refresh token per line, and
-- thread i (1-based) takes the lines n with n % THREADS == i - 1.
local count = 0

function setup(thread)
  count = count + 1
  thread:set("thread_id", count)
end

function init(args)
  pool, lost = {}, 0
  local threads, n = tonumber(args[2]), 0
  for line in io.lines(args[1]) do
    if n % threads == thread_id - 1 then table.insert(pool, line) end
    n = n + 1
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  -- An empty pool (only after failed responses) sends a token that cannot be valid: a 401,
  -- counted by wrk as a non-2xx answer.
  local token = table.remove(pool) or "pool-exhausted"
  return wrk.format(nil, "/api/v1/tokens/refresh", nil, '{"refreshToken":"' .. token .. '"}')
end

function response(status, headers, body)
  local token = body:match('"refreshToken"%s*:%s*"([^"]+)"')
  if token then table.insert(pool, token) else lost = lost + 1 end
end
