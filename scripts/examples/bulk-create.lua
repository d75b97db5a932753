-- Creates the accounts listed in a CSV file: one row per account, one column per field.
--
--   mailsh run bulk-create.lua accounts.csv [--keep-going]
--
-- The header names the columns: `name` (required), `protocol`, and any field of the dotted vocabulary
-- (incoming.host, outgoing.port, conversation.prefix, ...), passwords included (incoming.password,
-- outgoing.password: they are sealed at once and never readable again). An empty cell keeps the default.
--
-- `mailsh export --format csv` writes exactly these columns (no passwords), so an export is taken back as it is:
-- mail.csv takes off the ' that mailsh's CSV puts before cells starting with = + - @ or ' (against spreadsheet
-- formulas), and empty cells keep the defaults.
--
-- Without --keep-going the file is all or nothing: the first bad row stops the script and nothing is created.
-- With --keep-going each row is its own unit (mail.transaction): bad rows are reported and skipped.

local path = mail.args[1]
if not path then error("usage: mailsh run bulk-create.lua FILE.csv [--keep-going]", 0) end
local keepGoing = mail.args[2] == "--keep-going"

local function createFrom(row)
  local fields = {}
  for column, value in pairs(row) do
    if value ~= "" then fields[column] = value end
  end
  return mail.account.create(fields)
end

local created, skipped = 0, 0
for number, row in ipairs(mail.csv(path)) do
  if keepGoing then
    local ok, err = pcall(mail.transaction, createFrom, row)
    if ok then
      created = created + 1
    else
      skipped = skipped + 1
      mail.log(string.format("row %d (%s) skipped: %s", number, row.name, err))
    end
  else
    createFrom(row)
    created = created + 1
  end
end

for _, account in ipairs(mail.account.list()) do
  local status = account.status
  if status == "draft" then status = "draft, missing " .. table.concat(account.missing, ", ") end
  print(string.format("%-12s %-5s %s", account.name, account.protocol, status))
end
print(string.format("%d created, %d skipped", created, skipped))
