-- wrk script for benches/load/run-load.sh: POST one file, given after `--`, on every request
-- (a signed SMEV 3 envelope), as a participant's information system sends it.
--   wrk -t1 -c32 -d10s -s post.lua --latency URL -- FILE
-- No response() hook: defining one makes wrk hand every answer to Lua, which would cost the
-- load generator more than the relays it measures. wrk itself reports non-2xx answers
-- ("Non-2xx or 3xx responses: N"), which run-load.sh treats as a failure.
function init(args)
  local f = assert(io.open(args[1], "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
end
