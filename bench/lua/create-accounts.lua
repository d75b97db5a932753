-- Benchmark: creates N accounts (default 100,000) as one transaction.
--   mailsh run bench/lua/create-accounts.lua [N [PREFIX [MODE]]] --store STORE
-- MODE "full" (the default) gives each account what an admin gives a new one: the protocol, the incoming host,
-- port and security, the outgoing host, port and security, the from address and the display name, varied per
-- account; MODE "names" gives the name only (every other field takes its default).
local count = tonumber(mail.args[1]) or 100000
local prefix = mail.args[2] or "Bench"
local mode = mail.args[3] or "full"
local create = mail.account.create
local format = string.format

if mode == "names" then
  for i = 1, count do
    create{ name = format("%s%06d", prefix, i) }
  end
elseif mode == "full" then
  local domains = { "example.com", "example.org", "example.net", "corp.example", "mail.example.de",
                    "kunde-1.example.at", "desk.example.co.uk" }
  -- Incoming: protocol, security and port as providers publish them (IMAPS, IMAP with STARTTLS, POP3S).
  local incoming = { { "imap", "imap.", 993, "ssl" }, { "imap", "mail.", 143, "starttls" }, { "pop3", "pop.", 995, "ssl" } }
  -- Outgoing: submission over implicit TLS or STARTTLS.
  local outgoing = { { "smtp.", 465, "ssl" }, { "smtp.", 587, "starttls" }, { "mail.", 587, "starttls" } }
  local given = { "Anna", "Ben", "Chloé", "Dev", "Ella", "Finn", "Grete", "Hugo", "Ines", "Jonas", "Kim" }
  local teams = { "Service Desk", "Support", "Billing", "Sales", "IT Help", "HR" }
  for i = 1, count do
    local domain = domains[i % #domains + 1]
    local inc = incoming[i % #incoming + 1]
    local out = outgoing[(i // 3) % #outgoing + 1]
    create{
      name = format("%s%06d", prefix, i),
      protocol = inc[1],
      incoming = { host = inc[2] .. domain, port = inc[3], security = inc[4] },
      outgoing = {
        host = out[1] .. domain, port = out[2], security = out[3],
        from = format("desk%06d@%s", i, domain),
        display_name = format("%s %s (%d)", teams[i % #teams + 1], given[i % #given + 1], i),
      },
    }
  end
else
  error("mode: full or names expected, got " .. mode)
end
mail.log(format("created %d accounts (%s)", count, mode))
