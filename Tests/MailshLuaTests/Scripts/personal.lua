-- Test script: mail.personal.*. (The test runner replaces this line with eq, ok and fails.)
local a = mail.account.create{ name = "Support", incoming = { host = "imap.example.com" } }
local bob = mail.user.add{ name = "bob" }
local e = mail.personal.set("bob", "Support", { incoming = { user = "bob", password = "bob-secret" } })
eq(e["incoming.user"].value, "bob", "personal value")
eq(e["incoming.user"].origin, "personal", "personal origin")
eq(e["incoming.password"].set, true, "personal password set")
eq(e["incoming.password"].origin, "personal", "its origin")
eq(e["incoming.host"].origin, "locked global", "locked section")

local p = mail.personal.get(bob, a)
eq(p["incoming.user"], "bob", "get")
eq(p["incoming.password_set"], true, "password_set")
eq(p["incoming.password"], nil, "never the password")
eq(a:effective("bob")["incoming.user"].value, "bob", "effective for bob")
eq(a:effective(bob)["incoming.user"].origin, "personal", "a user object works too")
eq(a:effective()["incoming.user"].value, nil, "the admin's own settings")

fails("incoming.host is in the locked section incoming.server of account Support",
  mail.personal.set, "bob", "Support", { ["incoming.host"] = "mine.example.com" })
fails('unknown field "conversation.prefix"', mail.personal.set, "bob", a, { conversation = { prefix = "AB" } })
fails('no user named "nobody"', mail.personal.set, "nobody", a, { ["incoming.user"] = "x" })

mail.personal.set("bob", "Support", { ["outgoing.user"] = "bob-out" })
local cleared = mail.personal.clear("bob", "Support", "incoming.credentials")
eq(cleared["incoming.user"].value, nil, "section cleared")
eq(mail.personal.get("bob", "Support")["outgoing.user"], "bob-out", "other sections stay")
mail.personal.clear("bob", "Support")
eq(next(mail.personal.get("bob", "Support")), nil, "all cleared")
-- Deleting an account users personalized needs a choice.
local shared = mail.account.create{ name = "Shared", incoming = { host = "imap.example.com" } }
mail.personal.set("bob", shared, { ["incoming.user"] = "bob" })
fails("choose --keep-user-accounts or --delete-customizations", shared.delete, shared)
ok(mail.account.get("Shared"), "still there")
local kept = shared:delete{ keep_user_accounts = true }
eq(#kept, 1, "one user account kept")
eq(kept[1].owner, "bob", "owned by bob")
eq(kept[1].incoming.user, "bob", "with bob's values")
eq(tostring(kept[1]), "account bob/Shared", "qualified name")
eq(mail.account.get("bob/Shared").incoming.host, "imap.example.com", "and the global ones")
eq(#mail.account.list{ owner = "bob" }, 1, "listed as bob's")
local other = mail.account.create{ name = "Other" }
mail.personal.set("bob", other, { ["incoming.user"] = "bob" })
eq(#other:delete{ keep_user_accounts = false }, 0, "customizations deleted")
return "done"
