-- Copies a production account into test accounts, so that changes can be tried on them first.
--
--   mailsh run copy-to-devtest.lua ACCOUNT [PROTOCOL/SECURITY ...]
--   mailsh run copy-to-devtest.lua Support                          -- DevTestSupport, the same settings
--   mailsh run copy-to-devtest.lua Support imap/starttls pop3/ssl   -- DevTestSupport-imap-starttls, ...
--
-- The copies are named DevTest<ACCOUNT>[-<variant>], which marks them as test accounts (as the vendor
-- recommends), keep the account's settings, padlocks and passwords (sealed anew for each copy), and get a
-- conversation prefix of their own. Each variant changes the protocol and the incoming security; ports still at
-- their default follow. A copy that exists already is left as it is.

local source = mail.args[1] or error("usage: mailsh run copy-to-devtest.lua ACCOUNT [PROTOCOL/SECURITY ...]", 0)
local production = mail.account.get(source) or error("no account named " .. source, 0)

local variants = {}
for i = 2, #mail.args do variants[#variants + 1] = mail.args[i] end
if #variants == 0 then variants = { false } end

for _, variant in ipairs(variants) do
  local name = "DevTest" .. production.name
  local changes
  if variant then
    local protocol, security = variant:match("^(%a[%w]*)/(%a+)$")
    if not protocol then error("a variant is PROTOCOL/SECURITY, such as imap/starttls; got " .. variant, 0) end
    name = name .. "-" .. protocol .. "-" .. security
    changes = { protocol = protocol, ["incoming.security"] = security }
  end
  if mail.account.get(name) then
    mail.log(name .. " exists already; left as it is")
  else
    local copy = production:copy(name)
    if changes then copy:set(changes) end
    print(string.format("%s: %s, incoming %s:%d %s", copy.name, copy.protocol,
      copy.incoming.host or "-", copy.incoming.port, copy.incoming.security))
  end
end
