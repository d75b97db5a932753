-- Test script: mail.account.* and account objects. (The test runner replaces this line with eq, ok and fails.)
local a = mail.account.create{
  name = "Support", protocol = "pop3",
  incoming = { host = "pop.example.com", user = "desk", password = "in-secret" },
  outgoing = { host = "smtp.example.com", port = 587, security = "starttls", user = "desk", from = "desk@example.com" },
  ["outgoing.password"] = "out-secret",
  conversation = { prefix = "SUP" },
}
eq(a.name, "Support", "name")
eq(a.protocol, "pop3", "protocol")
eq(a.incoming.host, "pop.example.com", "incoming.host")
eq(a.incoming.port, 995, "the POP3 over TLS default port")
eq(a.incoming.security, "ssl", "incoming.security")
eq(a.incoming.folder, nil, "POP3 has no folder")
eq(a.outgoing.port, 587, "outgoing.port")
eq(a["outgoing.security"], "starttls", "dotted read")
eq(a["incoming.port"], 995, "ports read as integers")
eq(a.conversation.prefix, "SUP", "prefix")
eq(a.conversation.placement, "subject", "placement")
eq(a.status, "ready", "status")
eq(#a.missing, 0, "nothing missing")
eq(a.version, 1, "version")
eq(a.owner, nil, "a global account")
eq(a.test_account, false, "not a test account")
eq(a.padlocks["incoming.server"], "locked", "server sections start locked")
eq(a.padlocks["incoming.credentials"], "unlocked", "credentials start unlocked")
ok(type(a.id) == "string" and #a.id > 0, "an id")
eq(a.modified_by, mail.as, "modified_by")
ok(a.created_at:match("^%d%d%d%d%-%d%d%-%d%dT"), "an ISO 8601 timestamp")
eq(#a.warnings, 0, "no warnings")
ok(not pcall(function() return a.nonsense end), "reading an unknown field is an error")

-- Passwords are write-only.
ok(not pcall(function() return a.incoming.password end), "incoming.password is no field of the JSON: an error")
eq(a["incoming.password"], nil, "dotted incoming.password")
eq(a["outgoing.password"], nil, "dotted outgoing.password")
eq(a.incoming.password_set, true, "incoming.password_set")
eq(a.outgoing.password_set, true, "outgoing.password_set")
for _, section in ipairs{ "incoming", "outgoing" } do
  for key, value in pairs(a[section]) do
    ok(not tostring(value):find("secret"), section .. "." .. key .. " shows no secret")
  end
end
ok(not tostring(a):find("secret"), "tostring shows no secret")

-- Views are read-only; so is the account itself.
fails("read-only", function() a.incoming.host = "elsewhere.example.com" end)
fails("read-only", function() a.incoming.nothing = 1 end)
fails("read-only", function() a.name = "Other" end)
eq(a.incoming.host, "pop.example.com", "unchanged")
eq(#a.padlocks, 0, "padlocks is a record")
local count = 0
for _ in pairs(a.padlocks) do count = count + 1 end
eq(count, 6, "pairs over a view")
eq(tostring(a), "account Support", "tostring")

-- Defaults, as on the command line.
local d = mail.account.create{ name = "Defaults" }
eq(d.protocol, "imap", "default protocol")
eq(d.incoming.port, 993, "IMAP over TLS")
eq(d.outgoing.port, 465, "SMTP over TLS")
eq(d.incoming.folder, "INBOX", "default folder")
eq(d.status, "draft", "incomplete is a draft")
ok(#d.missing > 0, "missing fields listed")
ok(#d.conversation.prefix >= 4, "a conversation prefix is assigned")

-- get and list
eq(mail.account.get("Nope"), nil, "get of a missing account")
local g = mail.account.get("Support")
ok(g == a, "two objects of one account compare equal")
ok(g ~= d, "different accounts differ")
eq(#mail.account.list(), 2, "list")
eq(#mail.account.list{ protocol = "pop3" }, 1, "list by protocol")
eq(mail.account.list{ match = "Def*" }[1].name, "Defaults", "list by glob")
eq(#mail.account.list{ owner = "global" }, 2, "list of global accounts")
eq(#mail.account.list{ owner = "bob" }, 0, "list of a user's accounts")

-- set: fields and passwords, all or none; returns the account.
local same = a:set{ ["incoming.port"] = 1995, outgoing = { display_name = "Service Desk" } }
ok(rawequal(same, a), "set returns its account")
eq(a.incoming.port, 1995, "port set")
eq(a.outgoing.display_name, "Service Desk", "display name set")
eq(a.version, 2, "one change, one version")
a:set{ ["incoming.port"] = "" }
eq(a.incoming.port, 995, "an empty value restores the default")
fails('incoming.port: "0" is not allowed', function()
  a:set{ ["incoming.port"] = 0, ["outgoing.host"] = "other.example.com" }
end)
eq(a.outgoing.host, "smtp.example.com", "nothing of a refused set stays")
eq(mail.account.get("Support").outgoing.host, "smtp.example.com", "nor in the store")
a:set{ ["outgoing.password"] = false }
eq(a.outgoing.password_set, false, "false clears a password")
a:set{ outgoing = { password = "new-out" } }
eq(a.outgoing.password_set, true, "password set again")

-- Padlocks.
a:lock("credentials")
ok(a:is_locked("incoming.credentials"), "incoming.credentials locked")
ok(a:is_locked("credentials"), "both credentials locked")
a:unlock("outgoing.credentials")
ok(not a:is_locked("outgoing.credentials"), "outgoing.credentials unlocked")
ok(not a:is_locked("credentials"), "not both")
ok(a:lock("all"):is_locked("all"), "lock returns its account")
a:unlock("all")
ok(not a:is_locked("server"), "all unlocked")
a:lock("server", "incoming.credentials")
eq(a.padlocks["incoming.credentials"], "locked", "several sections at once")

-- copy and rename.
local c = a:copy("DevTestSupport")
eq(c.name, "DevTestSupport", "copy's name")
eq(c.test_account, true, "a test account by its name")
eq(c.incoming.host, "pop.example.com", "settings copied")
eq(c.incoming.password_set, true, "passwords copied")
ok(c.conversation.prefix ~= a.conversation.prefix, "a prefix of its own")
ok(c:is_locked("server"), "padlocks copied")
c:rename("DevTestSupport2")
eq(c.name, "DevTestSupport2", "renamed")
eq(mail.account.get("DevTestSupport"), nil, "the old name is gone")

-- effective settings: value and origin per field.
local e = a:effective()
eq(e["incoming.host"].value, "pop.example.com", "effective value")
eq(e["incoming.host"].origin, "global", "origin (the admin holds override_locks)")
eq(e["incoming.port"].value, 995, "effective port")
eq(e["incoming.password"].set, true, "password set")
eq(e["incoming.password"].value, nil, "but never its value")
eq(e["incoming.folder"], nil, "POP3 has no folder")

-- A snapshot, refreshed by reload.
g:set{ ["outgoing.reply_to"] = "help@example.com" }
eq(a.outgoing.reply_to, nil, "a snapshot")
eq(a:reload().outgoing.reply_to, "help@example.com", "reload")

-- delete.
local kept = c:delete()
eq(#kept, 0, "no user accounts kept")
eq(mail.account.get("DevTestSupport2"), nil, "deleted")
fails("was deleted by this script", function() c:set{ ["incoming.port"] = 1 } end)
eq(c.name, "DevTestSupport2", "a deleted account can still be read")
return "done"
