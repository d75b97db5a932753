-- Fills a store for the listing benchmark and the golden comparisons: N global accounts (default 100,000) as
-- admins create them (hosts, ports, users, from addresses, display names; some POP3, some STARTTLS, some test
-- accounts, some with a reply-to), one audit entry each, and, with a third argument "quirks", a few accounts whose
-- values test the output rules (CSV injection marks, commas, quotes, wide and combining characters), records, and
-- OAuth accounts.
-- With a fourth argument R, R records besides (spread over the first 1,000 accounts).
--   mailsh run --store STORE --max-instructions 0 bench/listing/make-store.lua [N [PREFIX [quirks|plain [R]]]]
local count = tonumber(mail.args[1]) or 100000
local prefix = mail.args[2] or "Desk"
local quirks = mail.args[3] == "quirks"
local records = tonumber(mail.args[4]) or 0
local create = mail.account.create
for i = 1, count do
  local fields = {
    name = string.format("%s%07d", (i % 13 == 0) and (prefix .. "Test") or prefix, i),
    protocol = (i % 3 == 0) and "pop3" or "imap",
    incoming = { host = string.format("mail%02d.example.com", i % 97), user = string.format("desk%d", i) },
    outgoing = { host = string.format("smtp%02d.example.net", i % 89), user = string.format("desk%d", i),
                 from = string.format("desk%d@example.com", i), display_name = string.format("Service Desk %d", i) },
  }
  if i % 5 == 0 then fields.outgoing.security = "starttls" end
  if i % 7 == 0 then fields.outgoing.reply_to = string.format("help%d@example.org", i) end
  if i % 17 == 0 then fields.incoming.host = nil end
  create(fields)
end
if quirks then
  local odd = {
    { name = "=SUM(A1)", outgoing = { display_name = "+plus, \"quoted\"" } },
    { name = "Ünïcødé Désk", outgoing = { display_name = "日本語の窓口", from = "uni@example.com" } },
    { name = "@at", outgoing = { display_name = "'apos", reply_to = "r@example.com" } },
    { name = "Cafe\u{301} combining", incoming = { host = "imap.example.com", user = "a,b" } },
    { name = "OAuthDesk", incoming = { host = "outlook.office365.com", auth = "oauth2" },
      outgoing = { host = "smtp.office365.com", auth = "oauth2", from = "o@example.com" },
      oauth = { provider = "microsoft", client_id = "abc-123", tenant = "contoso" } },
  }
  for _, fields in ipairs(odd) do create(fields) end
  for i = 1, 40 do
    mail.record.create{ account = string.format("%s%07d", prefix, (i % 5) + 1),
                        subject = string.format("Printer %d on floor %d, \"urgent\"", i, i % 4),
                        requester = string.format("user%d@example.com", i) }
  end
end
local record = mail.record.create
for i = 1, records do
  local n = (i % math.min(count, 1000)) + 1
  record{ account = string.format("%s%07d", (n % 13 == 0) and (prefix .. "Test") or prefix, n),
          subject = string.format("Ticket %d: mailbox full on desk %d", i, n),
          requester = string.format("user%d@example.com", i % 5000) }
end
mail.log(string.format("created %d accounts, %d records", count, records))
