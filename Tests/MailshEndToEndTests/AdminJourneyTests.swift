import Foundation
import XCTest

/// One admin's day: create, fill in, inspect in every format, copy, rename, lock, delete, and read the audit log.
final class AdminJourneyTests: MailshTestCase {
    func testFullAdminJourney() throws {
        // Create: incomplete, so a draft.
        let created = ok("account", "create", "Support", "incoming.host=imap.example.com")
        assertContains(created.out, ["created account Support"])
        let draftList = ok("account", "list")
        let draftRow = draftList.out.split(separator: "\n").first { $0.hasPrefix("Support ") }
        XCTAssertNotNil(draftRow, draftList.out)
        XCTAssertTrue(draftRow?.contains("draft") == true, draftList.out)
        XCTAssertTrue(draftRow?.contains("imap.example.com:993 ssl") == true, draftList.out)

        // Set fields, then the passwords through a pipe.
        ok("account", "set", "Support", "incoming.user=support", "outgoing.host=smtp.example.com",
           "outgoing.security=starttls", "outgoing.user=support", "outgoing.from=support@example.com",
           "outgoing.display_name=Service Desk", "conversation.prefix=SUPP")
        let setIn = ok("account", "password", "Support", "incoming", stdin: "in-Secret-1\n")
        assertContains(setIn.out, ["incoming password", "Support"])
        ok("account", "password", "Support", "outgoing", stdin: "out-Secret-2\n")

        // Table views.
        let list = ok("account", "list")
        let header = list.out.split(separator: "\n").first.map(String.init) ?? ""
        assertContains(header, ["NAME", "PROTOCOL", "INCOMING", "OUTGOING", "STATUS"])
        let row = list.out.split(separator: "\n").first { $0.hasPrefix("Support ") }.map(String.init) ?? ""
        assertContains(row, ["imap", "imap.example.com:993 ssl", "smtp.example.com:587 starttls", "ready"])
        XCTAssertFalse(row.contains("draft"), row)
        let show = ok("account", "show", "Support")
        assertContains(show.out, ["account Support (global", "incoming.host", "imap.example.com",
                                  "outgoing.port", "587", "conversation.prefix", "SUPP", "status: ready"])
        let passwordLine = show.out.split(separator: "\n").first { $0.hasPrefix("incoming.password") } ?? ""
        XCTAssertTrue(passwordLine.contains("(set)"), show.out)
        XCTAssertFalse(show.out.contains("in-Secret-1"))

        // JSON.
        let listJSON = array(ok("account", "list", "--format", "json").out)
        XCTAssertEqual(listJSON.count, 1)
        let doc = accountDoc("Support")
        XCTAssertEqual(listJSON.first?["name"] as? String, "Support")
        XCTAssertEqual(doc["name"] as? String, "Support")
        XCTAssertEqual(doc["protocol"] as? String, "imap")
        XCTAssertEqual(doc["status"] as? String, "ready")
        XCTAssertNil(doc["owner"])
        let incoming = doc["incoming"] as? [String: Any] ?? [:]
        XCTAssertEqual(incoming["host"] as? String, "imap.example.com")
        XCTAssertEqual(incoming["port"] as? Int, 993)
        XCTAssertEqual(incoming["security"] as? String, "ssl")
        XCTAssertEqual(incoming["user"] as? String, "support")
        XCTAssertEqual(incoming["folder"] as? String, "INBOX")
        XCTAssertEqual(incoming["password_set"] as? Bool, true)
        XCTAssertNil(incoming["password_sealed"])
        let outgoing = doc["outgoing"] as? [String: Any] ?? [:]
        XCTAssertEqual(outgoing["host"] as? String, "smtp.example.com")
        XCTAssertEqual(outgoing["port"] as? Int, 587)
        XCTAssertEqual(outgoing["security"] as? String, "starttls")
        XCTAssertEqual(outgoing["from"] as? String, "support@example.com")
        XCTAssertEqual(outgoing["display_name"] as? String, "Service Desk")
        XCTAssertEqual(outgoing["password_set"] as? Bool, true)
        XCTAssertEqual((doc["conversation"] as? [String: Any])?["prefix"] as? String, "SUPP")
        XCTAssertEqual(doc["padlocks"] as? [String: String], [
            "incoming.server": "locked", "outgoing.server": "locked", "oauth": "locked",
            "incoming.credentials": "unlocked", "outgoing.credentials": "unlocked", "oauth.credentials": "unlocked",
        ])
        XCTAssertEqual(doc["missing"] as? [String], [])
        XCTAssertEqual(doc["version"] as? Int, 4)

        // CSV.
        let csv = ok("account", "list", "--format", "csv").out
        let csvLines = csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let csvHeader = csvLines.first?.split(separator: ",").map(String.init) ?? []
        XCTAssertEqual(Array(csvHeader.prefix(5)), ["name", "protocol", "incoming", "outgoing", "status"], csv)
        XCTAssertTrue(csvHeader.contains("locked"), csv)
        let csvRow = csvLines.dropFirst().first { $0.hasPrefix("Support,") }?.split(separator: ",",
            omittingEmptySubsequences: false).map(String.init) ?? []
        XCTAssertEqual(csvRow.count, csvHeader.count, csv)
        if csvRow.count == csvHeader.count {
            let cell = Dictionary(uniqueKeysWithValues: zip(csvHeader, csvRow))
            XCTAssertEqual(cell["protocol"], "imap")
            XCTAssertEqual(cell["incoming"], "imap.example.com:993 ssl")
            XCTAssertEqual(cell["outgoing"], "smtp.example.com:587 starttls")
            XCTAssertEqual(cell["status"], "ready")
        }
        let showCSV = ok("account", "show", "Support", "--format", "csv").out
        XCTAssertTrue(showCSV.contains("outgoing.display_name,Service Desk,global"), showCSV)
        XCTAssertTrue(showCSV.contains("incoming.password,(set),global"), showCSV)

        // Copy: same settings, passwords set, a new conversation prefix.
        ok("account", "copy", "Support", "Support Copy")
        let copy = accountDoc("Support Copy")
        for key in ["protocol", "status"] {
            XCTAssertEqual(copy[key] as? String, doc[key] as? String, key)
        }
        let copyIncoming = copy["incoming"] as? [String: Any] ?? [:]
        let copyOutgoing = copy["outgoing"] as? [String: Any] ?? [:]
        XCTAssertEqual(canonical(copyIncoming), canonical(incoming))
        XCTAssertEqual(canonical(copyOutgoing), canonical(outgoing))
        XCTAssertEqual(copyIncoming["password_set"] as? Bool, true)
        XCTAssertEqual(copyOutgoing["password_set"] as? Bool, true)
        XCTAssertEqual(copy["padlocks"] as? [String: String], doc["padlocks"] as? [String: String])
        let copyPrefix = (copy["conversation"] as? [String: Any])?["prefix"] as? String
        XCTAssertNotNil(copyPrefix)
        XCTAssertNotEqual(copyPrefix, "SUPP")
        XCTAssertNotEqual(copy["id"] as? String, doc["id"] as? String)

        // Rename.
        let renamed = ok("account", "rename", "Support Copy", "Helpdesk")
        assertContains(renamed.out, ["Helpdesk"])
        fails(66, "account", "show", "Support Copy")
        XCTAssertEqual(accountDoc("Helpdesk")["id"] as? String, copy["id"] as? String)

        // Padlocks with shorthands.
        ok("account", "lock", "Helpdesk", "credentials")
        XCTAssertEqual(accountDoc("Helpdesk")["padlocks"] as? [String: String], [
            "incoming.server": "locked", "outgoing.server": "locked", "oauth": "locked",
            "incoming.credentials": "locked", "outgoing.credentials": "locked", "oauth.credentials": "locked",
        ], "credentials: the OAuth tokens' padlock too")
        ok("account", "unlock", "Helpdesk", "server")
        XCTAssertEqual(accountDoc("Helpdesk")["padlocks"] as? [String: String], [
            "incoming.server": "unlocked", "outgoing.server": "unlocked", "oauth": "unlocked",
            "incoming.credentials": "locked", "outgoing.credentials": "locked", "oauth.credentials": "locked",
        ], "server: the OAuth client's padlock too")
        ok("account", "unlock", "Helpdesk", "all")
        XCTAssertEqual(Set((accountDoc("Helpdesk")["padlocks"] as? [String: String] ?? [:]).values), ["unlocked"])
        ok("account", "lock", "Helpdesk", "all")
        XCTAssertEqual(Set((accountDoc("Helpdesk")["padlocks"] as? [String: String] ?? [:]).values), ["locked"])
        let lockedList = ok("account", "list").out
        let helpdeskRow = lockedList.split(separator: "\n").first { $0.hasPrefix("Helpdesk ") } ?? ""
        XCTAssertTrue(helpdeskRow.hasSuffix("  all"), "every padlock closed, in one word: \(helpdeskRow)")

        // Delete.
        let deleted = ok("account", "delete", "Helpdesk", "--yes")
        assertContains(deleted.out, ["deleted account Helpdesk"])
        fails(66, "account", "show", "Helpdesk")
        let remaining = array(ok("account", "list", "--format", "json").out).compactMap { $0["name"] as? String }
        XCTAssertEqual(remaining, ["Support"])

        // The audit log: every step, in order, passwords only as (secret changed).
        let audit = array(ok("audit", "--format", "json").out)
        let steps = audit.map { entry -> String in
            "\(entry["account"] as? String ?? "?")|\(entry["field"] as? String ?? "?")|\(entry["new"] as? String ?? "")"
        }
        let expected = [
            "Support|account|created",
            "Support|incoming.user|support",
            "Support|outgoing.from|support@example.com",
            "Support|conversation.prefix|SUPP",
            "Support|incoming.password|(secret changed)",
            "Support|outgoing.password|(secret changed)",
            "Support Copy|account|copied from Support",
            "Helpdesk|name|Helpdesk",
            "Helpdesk|padlock incoming.credentials|locked",
            "Helpdesk|padlock incoming.server|unlocked",
            "Helpdesk|padlock incoming.credentials|unlocked",
            "Helpdesk|padlock incoming.server|locked",
            "Helpdesk|account|deleted",
        ]
        var cursor = 0
        for step in steps where cursor < expected.count && step == expected[cursor] { cursor += 1 }
        XCTAssertEqual(cursor, expected.count,
                       "audit lacks \(cursor < expected.count ? expected[cursor] : "") in this order:\n"
                        + steps.joined(separator: "\n"))
        for entry in audit where (entry["field"] as? String)?.hasSuffix("password") == true {
            XCTAssertEqual(entry["new"] as? String, "(secret changed)")
            XCTAssertEqual(entry["old"] as? String ?? "", "")
        }
        XCTAssertTrue(audit.allSatisfy { ($0["actor"] as? String)?.isEmpty == false })
        let auditTable = ok("audit", "Support").out
        assertContains(auditTable, ["(secret changed)", "incoming.password", "outgoing.password"])
        for secret in ["in-Secret-1", "out-Secret-2"] {
            XCTAssertFalse(auditTable.contains(secret))
            XCTAssertFalse(runner.transcript.contains { $0.out.contains(secret) || $0.err.contains(secret) })
        }
    }
}
