-- Test script: mail.args, mail.as, mail.script, mail.log, mail.csv, mail.transaction. (Replaced by the helpers.)
local first, second = ...
eq(#mail.args, 4, "arguments")
eq(mail.args[1], "one", "mail.args[1]")
eq(first, "one", "... first")
eq(second, "two words", "... second")
ok(mail.script:find("module%.lua$"), "mail.script")
eq(mail.as, "admin", "mail.as")
mail.log("logged", 42)
print("printed", true, nil)

-- CSV: quoted fields, separators and line breaks inside quotes, doubled quotes.
local rows = mail.csv(mail.args[3])
eq(#rows, 2, "rows")
eq(rows[1].name, "Sales", "a field")
eq(rows[1]["display name"], "Sales, Team", "a quoted separator")
eq(rows[2].name, 'Quo"ted', "a doubled quote")
eq(rows[2]["display name"], "two\nlines", "a line break")
eq(rows[2].host, "", "an empty field")
local raw = mail.csv(mail.args[3], { header = false })
eq(#raw, 3, "rows without a header")
eq(raw[1][3], "display name", "the header as a row")
local semicolons = mail.csv(mail.args[4], { separator = ";" })
eq(semicolons[1].b, "2", "another separator")
fails("bad argument #2 to 'mail.csv'", mail.csv, mail.args[4], { separator = ";;" })
fails('no CSV file named "missing.csv"', mail.csv, "missing.csv")

-- mail.transaction: a unit that rolls back alone.
local good, err = pcall(mail.transaction, function()
  mail.account.create{ name = "Inner" }
  error("boom")
end)
eq(good, false, "the error comes through")
ok(err:find("boom"), "with its message")
eq(mail.account.get("Inner"), nil, "the unit rolled back")
local r1, r2 = mail.transaction(function(x)
  mail.account.create{ name = "Kept" }
  return x, "b"
end, "a")
eq(r1, "a", "results")
eq(r2, "b", "results")
ok(mail.account.get("Kept"), "a unit that succeeds stays")
mail.transaction(function()
  mail.account.create{ name = "Outer" }
  local nestedOk = pcall(mail.transaction, function()
    mail.account.create{ name = "Nested" }
    mail.account.create{ name = "Nested" }
  end)
  eq(nestedOk, false, "the nested unit failed")
end)
ok(mail.account.get("Outer"), "the outer unit stays")
eq(mail.account.get("Nested"), nil, "the nested unit rolled back")

-- A refused operation caught by pcall: exactly the CLI's message, and the rest stays.
local created, refused = pcall(mail.account.create, { name = "Kept" })
eq(created, false, "refused")
eq(refused, 'account "Kept" already exists', "the CLI's text")
return "done"
