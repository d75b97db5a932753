-- Benchmark: creates N accounts (default 100,000) with every default, as one transaction.
--   mailsh run bench/lua/create-accounts.lua [N [PREFIX]] --store STORE
local count = tonumber(mail.args[1]) or 100000
local prefix = mail.args[2] or "Bench"
local create = mail.account.create
for i = 1, count do
  create{ name = string.format("%s%06d", prefix, i) }
end
mail.log(string.format("created %d accounts", count))
