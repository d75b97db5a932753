-- Test script: mail.record.* and mail.match. (The test runner replaces this line with eq, ok and fails.)
local acct = mail.account.create{
  name = "Support",
  incoming = { host = "imap.example.com", user = "desk@example.com", password = "in-secret" },
  outgoing = { host = "smtp.example.com", user = "desk@example.com", password = "out-secret", from = "desk@example.com" },
  conversation = { prefix = "SUP" },
}
local rec = mail.record.create{ account = acct, subject = "Printer on floor 3 is jammed", requester = "Ann@Example.com" }
eq(rec.number, "INC0000001", "number")
eq(rec.account, "Support", "account")
eq(rec.status, "open", "status")
eq(rec.requester, "ann@example.com", "requester in lower case")
eq(rec.version, 1, "version")
eq(rec.messages, nil, "no messages in a created record's table")
local other = mail.record.create{ account = "Support", subject = "Screen flickers all day", requester = "bob@example.com" }
eq(other.number, "INC0000002", "numbers grow")

eq(#mail.record.list(), 2, "list")
eq(mail.record.list{ limit = 1 }[1].number, "INC0000002", "newest first")
eq(#mail.record.list{ account = "Support", status = "closed" }, 0, "none closed yet")
eq(mail.record.close("inc2").status, "closed", "close by short number")
eq(mail.record.list{ status = "closed" }[1].number, "INC0000002", "closed listed")
eq(mail.record.reopen("INC0000002").status, "open", "reopen")
eq(mail.record.get("INC0000099"), nil, "an unknown record is nil")

-- Wrong arguments point at the script's line; refusals carry the CLI's text.
fails("requester: \"nobody\" is not allowed", mail.record.create, { account = "Support", subject = "Hello there", requester = "nobody" })
fails("account, subject and requester are required", mail.record.create, { account = "Support" })
fails("status: \"pending\" is not allowed", mail.record.list, { status = "pending" })
fails("no record named \"INC0000042\"", mail.record.close, "INC0000042")

-- A reply goes through the account's outgoing server with the next conversation ID.
local sent = mail.record.reply(rec.number, { body = "We are on it." })
eq(sent.conversation_id, "{CMI: SUP1}", "conversation ID")
eq(sent.subject, "Re: [INC0000001] Printer on floor 3 is jammed {CMI: SUP1}", "subject")
eq(sent.to[1], "ann@example.com", "to the requester")
eq(sent.status, "pending", "only queued: it leaves after the script commits")
ok(sent.outbox_id > 0, "its outbox entry")
local full = mail.record.get(rec.number)
eq(#full.messages, 1, "the sent message is remembered")
eq(full.messages[1].delivery, "pending", "pending until the script commits")
eq(full.messages[1].direction, "outbound", "direction")
eq(full.messages[1].conversation_id, "SUP1", "its conversation ID")

-- The matcher: by conversation ID, by In-Reply-To, by number, by subject, new, ambiguous, skipped.
local function msg(headers, body) return table.concat(headers, "\r\n") .. "\r\n\r\n" .. (body or "Thanks") .. "\r\n" end
local m = mail.match(msg{ "From: Ann <ann@example.com>", "Subject: RE: Re: [INC0000001] Printer on floor 3 is jammed {CMI: SUP1}" }, "Support")
eq(m.verdict, "record", "by conversation ID"); eq(m.record, "INC0000001", "record"); eq(m.rule, "conversation-id", "rule")
m = mail.match(msg{ "From: ann@example.com", "Subject: Re: your mail", "In-Reply-To: <" .. sent.message_id .. ">" }, acct)
eq(m.rule, "references", "by In-Reply-To with the ID deleted")
m = mail.match(msg{ "From: carl@example.com", "Subject: About INC0000002 please" }, "Support")
eq(m.rule, "record-number", "by record number"); eq(m.record, "INC0000002", "that record")
m = mail.match(msg{ "From: bob@example.com", "Subject: Fwd: Screen flickers all day" }, "Support")
eq(m.rule, "subject", "by subject from someone on the record")
m = mail.match(msg{ "From: mallory@example.net", "Subject: Fwd: Screen flickers all day" }, "Support")
eq(m.verdict, "ambiguous", "a subject match from a stranger is held"); ok(m.reason:find("mallory@example.net", 1, true), m.reason)
m = mail.match(msg{ "From: ann@example.com", "Subject: Re: {CMI: XYZ4}" }, "Support")
eq(m.verdict, "ambiguous", "another prefix")
m = mail.match(msg{ "From: ann@example.com", "Subject: A brand new problem with the VPN" }, "Support")
eq(m.verdict, "new", "new")
m = mail.match(msg{ "From: ann@example.com", "Subject: Out of office", "Auto-Submitted: auto-replied" }, "Support")
eq(m.verdict, "skipped", "auto-reply"); ok(m.reason:find("auto", 1, true), m.reason)
fails("string expected", mail.match, 42, "Support")
eq(#mail.record.held(), 0, "nothing held")
print("records ok")
