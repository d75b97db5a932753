-- Benchmark: the cost of one call from Lua into Swift, against an empty Lua function as the baseline.
--   mailsh run bench/lua/call-cost.lua [N] --store STORE
local n = tonumber(mail.args[1]) or 1000000
local acct = mail.account.get("CallCost") or mail.account.create{ name = "CallCost" }

local function time(label, f)
  local start = os.clock()
  f()
  local seconds = os.clock() - start
  return seconds
end

local function noop() end
local baseline = time("empty Lua function", function() for _ = 1, n do noop() end end)
local rows = {
  { "acct:is_locked('server')  (method: string argument, boolean result)",
    function() local a = acct for _ = 1, n do a:is_locked("server") end end },
  { "acct.version              (field: __index into Swift, integer result)",
    function() local a = acct for _ = 1, n do local _ = a.version end end },
  { "acct.name                 (field: string result)",
    function() local a = acct for _ = 1, n do local _ = a.name end end },
}
print(string.format("%-70s %8.1f ns", "empty Lua function (baseline)", baseline / n * 1e9))
for _, row in ipairs(rows) do
  local seconds = time(row[1], row[2])
  print(string.format("%-70s %8.1f ns  (%.1f ns over the baseline)", row[1], seconds / n * 1e9,
    (seconds - baseline) / n * 1e9))
end
