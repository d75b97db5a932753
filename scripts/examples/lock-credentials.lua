-- Locks the credentials sections (incoming and outgoing) of every global account, or of those whose name matches
-- a glob, so that users can no longer put in their own user names and passwords.
--
--   mailsh run lock-credentials.lua [GLOB]
--   mailsh run lock-credentials.lua 'Dev*'
--
-- Accounts whose credentials are blank are locked too, with the warning the CLI gives: behind a closed padlock,
-- blank credentials can never be supplied by anyone.

local pattern = mail.args[1]
local locked, already, warned = 0, 0, 0
for _, account in ipairs(mail.account.list{ match = pattern, owner = "global" }) do
  if account:is_locked("credentials") then
    already = already + 1
  else
    account:lock("credentials")
    locked = locked + 1
    print("locked the credentials of " .. account.name)
  end
  for _, warning in ipairs(account.warnings) do
    warned = warned + 1
    mail.log(account.name .. ": " .. warning)
  end
end
print(string.format("%d locked, %d already locked, %d warnings", locked, already, warned))
