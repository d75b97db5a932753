-- Test script: mail.user.* and user objects. (The test runner replaces this line with eq, ok and fails.)
eq(mail.as, "admin", "acting user")
local bob = mail.user.add{ name = "bob", email = "bob@example.com", rights = { "override_locks" } }
eq(bob.name, "bob", "name")
eq(bob.email, "bob@example.com", "email")
eq(#bob.rights, 1, "one right")
eq(bob.rights[1], "override_locks", "the right")
ok(bob.created_at:match("^%d%d%d%d%-"), "created_at")
ok(bob:has("override_locks"), "has override_locks")
ok(not bob:has("administrate"), "lacks administrate")
eq(tostring(bob), "user bob", "tostring")
ok(mail.user.get("bob") == bob, "get")
eq(mail.user.get("nobody"), nil, "get of a missing user")

local carol = mail.user.add{ name = "carol", rights = "administrate,add_accounts" }
ok(carol:has("administrate") and carol:has("add_accounts"), "rights as a list in a string")
eq(carol.email, nil, "no email")

ok(rawequal(bob:grant("add_accounts"), bob), "grant returns the user")
ok(bob:has("add_accounts"), "granted")
bob:revoke("override_locks")
ok(not bob:has("override_locks"), "revoked")
eq(mail.user.get("bob").rights[1], "add_accounts", "stored")
bob:set{ email = "robert@example.com" }
eq(bob.email, "robert@example.com", "email changed")
bob:set{ email = false }
eq(bob.email, nil, "email cleared")

local names = {}
for _, user in ipairs(mail.user.list()) do names[#names + 1] = user.name end
eq(table.concat(names, ","), "admin,bob,carol", "list")

fails('user "bob" already exists', mail.user.add, { name = "bob" })
fails("bad argument #1 to 'user:grant' (right: \"fly\" is not allowed", bob.grant, bob, "fly")
fails("email: \"not an address\" is not allowed", mail.user.add, { name = "dave", email = "not an address" })
fails("name is required", mail.user.add, { email = "x@example.com" })
return "done"
