-- Tests every global account (and your own), or those whose name matches a glob, and prints one line per account
-- and a summary by verdict. No test e-mail is sent unless --send is given: testing hundreds of accounts should not
-- mean hundreds of e-mails.
--
--   mailsh run test-all.lua [GLOB] [--incoming-only] [--send] [--concurrency=N] [--timeout=S]
--   mailsh run test-all.lua 'Support-*' --concurrency=32
--
-- Each verdict and time is recorded, as `mailsh account test --all` records them (see `mailsh account list`).

local options = { no_send = true, concurrency = 16 }
for _, arg in ipairs(mail.args) do
  local name, value = arg:match("^%-%-([%w-]+)=(.*)$")
  if arg == "--incoming-only" then
    options.incoming_only = true
  elseif arg == "--send" then
    options.no_send = false
  elseif name == "concurrency" then
    options.concurrency = math.tointeger(tonumber(value)) or error("--concurrency: an integer expected", 0)
  elseif name == "timeout" then
    options.timeout = tonumber(value) or error("--timeout: a number of seconds expected", 0)
  elseif arg:sub(1, 2) == "--" then
    error("unknown option " .. arg, 0)
  else
    options.match = arg
  end
end

local reports = mail.account.test_all(options)
local counts, verdicts = {}, {}
for _, report in ipairs(reports) do
  if not counts[report.verdict] then
    counts[report.verdict] = 0
    verdicts[#verdicts + 1] = report.verdict
  end
  counts[report.verdict] = counts[report.verdict] + 1
  local time = report.milliseconds and string.format("%d ms", math.floor(report.milliseconds + 0.5)) or "-"
  local why = report.message and (": " .. report.message:gsub("\n", "; ")) or ""
  print(string.format("%-30s %-15s %8s%s", report.account, report.verdict, time, why))
end
table.sort(verdicts)
local parts = {}
for _, verdict in ipairs(verdicts) do parts[#parts + 1] = counts[verdict] .. " " .. verdict end
print(string.format("%d account%s tested: %s", #reports, #reports == 1 and "" or "s",
                    #parts > 0 and table.concat(parts, ", ") or "none"))
