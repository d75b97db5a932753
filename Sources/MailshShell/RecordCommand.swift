import ArgumentParser
import Foundation
import MailshCore
import MailshMessage

/// `record …`: the records (incidents) mail is filed under, and the mail mailsh sends about them.
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "List, show, open, close and answer records (incidents), and assign held mail.",
        discussion: """
            A record belongs to a global account's mailbox. Mail sent about it (`record reply`) carries the \
            account's conversation ID, {CMI: PREFIX123}, in the subject or the body (conversation.placement), and a \
            Message-ID mailsh remembers, so that replies find their record: by conversation ID, by In-Reply-To or \
            References, by the record number in the subject, and last by the subject. The monitor (`mailsh \
            monitor`) files incoming mail; what it can't file safely is held for a person (`record held`, \
            `record assign`, and `record answer` to write to its sender).
            """,
        subcommands: [List.self, Show.self, Create.self, Close.self, Reopen.self, Reply.self, Held.self, Assign.self,
                      Answer.self]
    )
}

extension RecordCommand {
    /// Records as a table, CSV or JSON.
    static func render(_ records: [Record], desk: Desk, format: OutputFormat) throws -> String {
        let names = try desk.accountNames(ids: Set(records.map(\.accountID)))
        if format == .json {
            return Output.json(records.map { RecordDocument($0, accountName: names[$0.accountID] ?? "", withMessages: false) })
        }
        return listing(records, names: names).render(format)
    }

    /// Records as rows of the listing (the table, its CSV, and the names `--columns` and `--sort` take).
    static func listing(_ records: [Record], names: [String: String]) -> Listing {
        Listing(columns: columns, rows: records.map { row($0, account: names[$0.accountID] ?? "") })
    }

    static let columns = ["number", "account", "status", "requester", "created", "subject"]

    /// A record's row of the listing.
    static func row(_ record: Record, account: String) -> [String] {
        [record.number, account, record.status.rawValue, record.requester, Timestamp.format(record.createdAt),
         record.subject]
    }

    struct List: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List records, newest first.")

        @Option(help: ArgumentHelp("Only the records of this account.", valueName: "account"), completion: .accountName)
        var account: String?

        @Option(help: ArgumentHelp("Only open or only closed records.", valueName: "status"),
                completion: .list(RecordStatus.allCases.map(\.rawValue)))
        var status: String?

        @OptionGroup var listing: ListingOptions

        @OptionGroup var global: GlobalOptions

        func run(desk: Desk, context: CommandContext) throws {
            let parsed: RecordStatus? = try status.map { try Validate.enumeration($0, field: "status") }
            // Without --sort, --limit N is the newest N (read so from the store); with it, the first N after sorting.
            // --sort created: read in that order from the store (the created column shows the second).
            if (listing.sort == nil || sortsByCreation) && !context.io.outputIsTerminal {
                return try stream(parsed, desk: desk, context: context)
            }
            var records = try desk.records(account: account, status: parsed, limit: listing.sort == nil ? listing.limit : nil)
            let names = try desk.accountNames(ids: Swift.Set(records.map(\.accountID)))
            let listed = RecordCommand.listing(records, names: names)
            if global.format == .json {
                records = try listing.order(listed.rows, columns: listed.columns).map { records[$0] }
                context.page(Output.json(records.map { RecordDocument($0, accountName: names[$0.accountID] ?? "",
                                                                      withMessages: false) }, lines: listing.jsonLines))
                return
            }
            context.page(try listed.render(global.format, options: listing, width: context.tableWidth))
        }

        /// Whether `--sort` names the `created` column (the store reads the records in that order). Not with a
        /// `--limit` below 1, which the whole listing shows as no rows and the store refuses.
        var sortsByCreation: Bool {
            (listing.sort.map { Table.key($0) == "created" } ?? false) && (listing.limit ?? 1) >= 1
        }

        /// The listing written as the store reads it (see ``ListingStream``), in one snapshot of the store.
        func stream(_ status: RecordStatus?, desk: Desk, context: CommandContext) throws {
            try desk.snapshot { desk in
                let each = { (body: (Record, String) throws -> Void) in
                    try desk.forEachRecord(account: account, status: status, limit: listing.limit,
                                           order: sortsByCreation ? .bySecondCreated : .newestFirst, body)
                }
                if global.format == .json {
                    var documents = DocumentStream(lines: listing.jsonLines, sink: context.io.writeSafe)
                    try each { record, name in
                        documents.add { RecordDocument(record, accountName: name, withMessages: false).write(to: &$0) }
                    }
                    documents.end()
                    return
                }
                var stream = try ListingStream(columns: RecordCommand.columns, format: global.format, options: listing,
                                               sink: context.io.write)
                let rows = { (row: ([String]) throws -> Void) in try each { try row(RecordCommand.row($0, account: $1)) } }
                if stream.needsWidths { try stream.measure(rows) }
                try stream.write(rows)
            }
        }
    }

    struct Show: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a record and its messages.")

        @Argument(help: "The record number (INC0000012, or inc12).")
        var number: String

        @OptionGroup var global: GlobalOptions

        func run(desk: Desk, context: CommandContext) throws {
            let record = try desk.record(number)
            let name = try desk.accountNames(ids: [record.accountID])[record.accountID] ?? ""
            if global.format == .json {
                context.io.write(Output.json(RecordDocument(record, accountName: name, withMessages: true)))
                return
            }
            var out = """
                number     \(record.number)
                account    \(name)
                status     \(record.status.rawValue)
                requester  \(record.requester)
                created    \(Timestamp.format(record.createdAt))
                subject    \(record.subject)
                messages   \(record.messages.count)

                """
            for message in record.messages {
                let arrow = message.direction == .inbound ? "<-" : "->"
                out += "\n\(arrow) \(Timestamp.format(message.at))  \(message.from) to \(message.to.joined(separator: ", "))"
                if let id = message.conversationID { out += "  {CMI: \(id)}" }
                if let rule = message.rule { out += "  [\(rule)]" }
                if let delivery = message.delivery {
                    out += "  [\(delivery.rawValue)\(delivery == .failed || delivery == .rejected ? ": " + (message.deliveryReply ?? "") : "")]"
                }
                out += "\n   \(message.subject)\n"
                for line in message.body.split(separator: "\n", omittingEmptySubsequences: false).prefix(20) {
                    out += "   | \(line)\n"
                }
            }
            context.io.write(out)
        }
    }

    struct Create: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "create",
            abstract: "Open a record for an account's mailbox.",
            discussion: "Example: mailsh record create Support --subject 'Printer on floor 3' --requester ann@example.com")

        @Argument(help: "The global account whose mailbox the record belongs to.", completion: .accountName)
        var account: String

        @Option(help: ArgumentHelp("The record's subject (1 to 998 characters).", valueName: "text"))
        var subject: String

        @Option(help: ArgumentHelp("The address of whoever the record is for.", valueName: "address"))
        var requester: String

        @OptionGroup var global: GlobalOptions

        func run(desk: Desk, context: CommandContext) throws {
            let record = try desk.createRecord(account: account, subject: subject, requester: requester)
            context.io.write(global.format == .json
                ? Output.json(RecordDocument(record, accountName: account, withMessages: false))
                : "created \(record.number)\n")
        }
    }

    /// What `close` and `reopen` take.
    struct StatusArguments: ParsableArguments {
        @Argument(help: "The record number.")
        var number: String

        @Option(help: ArgumentHelp("Refuse with a conflict if the record changed since this version.", valueName: "n"))
        var version: Int?

        @OptionGroup var global: GlobalOptions

        func run(_ status: RecordStatus, desk: Desk, context: CommandContext) throws {
            let record = try desk.setRecordStatus(number, status, baseVersion: version)
            context.io.write(try RecordCommand.render([record], desk: desk, format: global.format))
        }
    }

    struct Close: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "close",
            abstract: "Close a record (a later reply by conversation ID reopens it; subjects no longer match it).")

        @OptionGroup var arguments: StatusArguments
        var global: GlobalOptions { arguments.global }

        func run(desk: Desk, context: CommandContext) throws { try arguments.run(.closed, desk: desk, context: context) }
    }

    struct Reopen: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "reopen", abstract: "Open a closed record again.")

        @OptionGroup var arguments: StatusArguments
        var global: GlobalOptions { arguments.global }

        func run(desk: Desk, context: CommandContext) throws { try arguments.run(.open, desk: desk, context: context) }
    }

    struct Reply: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "reply",
            abstract: "Send mail about a record through its account's outgoing server.",
            discussion: """
                The message goes to the requester (or --to), from the account's outgoing.from, with the account's \
                stored credentials (which needs the administrate right; mail goes only to the record's participants: \
                its requester and the addresses on its messages). The message is put in the outbox and sent once \
                that is committed; a delivery that fails stays there with the server's reply (`mailsh outbox list`, \
                `mailsh outbox retry ID`), and the command exits 69. It carries the next conversation ID of the account ({CMI: PREFIX123}) in the \
                subject or the body as conversation.placement says, In-Reply-To and References naming the \
                record's earlier messages, and a Message-ID that mailsh remembers. The body is --body, or \
                --body-file, or standard input.
                """)

        @Argument(help: "The record number.")
        var number: String

        @Option(help: ArgumentHelp("Recipients instead of the requester (repeatable).", valueName: "address"))
        var to: [String] = []

        @OptionGroup var mail: MailTextOptions

        @OptionGroup var global: GlobalOptions

        func run(desk: Desk, context: CommandContext) throws {
            let delivery = try mail.send(desk: desk, context: context) {
                try desk.queueReply(number, body: $0, to: to.isEmpty ? nil : to)
            }
            try mail.report(delivery, format: global.format, context: context, document: { entry in
                SentDocument(record: entry.recordNumber, conversation_id: ConversationID.display(entry.conversationID),
                             message_id: entry.message.messageID, to: entry.message.to, subject: entry.message.subject,
                             outbox_id: entry.id, status: entry.status.rawValue, server_reply: entry.serverReply)
            }, sent: { entry in "sent \(ConversationID.display(entry.conversationID)) for \(entry.recordNumber)" })
        }
    }

    /// What `record reply --format json` prints.
    struct SentDocument: Encodable {
        var record: String
        var conversation_id: String
        var message_id: String
        var to: [String]
        var subject: String
        var outbox_id: Int
        /// `sent`, or `failed` (kept in the outbox).
        var status: String
        var server_reply: String?
    }

    struct Held: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "held",
            abstract: "List mail the monitor held for a person (ambiguous: it could not be filed safely).")

        @Option(help: ArgumentHelp("Only the mail of this account.", valueName: "account"), completion: .accountName)
        var account: String?

        @OptionGroup var global: GlobalOptions

        func run(desk: Desk, context: CommandContext) throws {
            let entries = try desk.heldMessages(account: account)
            let names = try desk.accountNames(ids: Set(entries.map(\.accountID)))
            if global.format == .json {
                context.io.write(Output.json(entries.map { InboxDocument($0, accountName: names[$0.accountID] ?? "") }))
                return
            }
            context.io.write(Listing(columns: ["id", "account", "received", "from", "subject", "reason", "answered"],
                                     rows: entries.map { [String($0.id), names[$0.accountID] ?? "",
                                                          Timestamp.format($0.receivedAt), $0.from, $0.subject,
                                                          $0.reason, $0.answeredAt.map(Timestamp.format) ?? ""] })
                .render(global.format))
        }
    }

    struct Assign: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "assign",
            abstract: "File a held message: attach it to a record, or make a new record of it (--new).",
            discussion: "Example: mailsh record held; mailsh record assign 17 INC0000042")

        @Argument(help: "The held message's id (from `record held`).")
        var id: Int

        @Argument(help: "The record to attach it to.")
        var number: String?

        @Flag(help: "Make a new record of it instead.")
        var new = false

        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if new == (number != nil) { throw ValidationError("give a record number or --new (not both)") }
        }

        func run(desk: Desk, context: CommandContext) throws {
            let held = try desk.heldMessage(id)
            let parsed = MessageParser.parse(held.raw ?? [])
            let message = parsed.inbound(digest: held.digest, uid: held.uid, receivedAt: held.receivedAt)
            let record = try desk.assignHeld(id, to: number, message: message)
            context.io.write(global.format == .json
                ? Output.json(RecordDocument(record, accountName: try desk.accountNames(ids: [record.accountID])[record.accountID] ?? "",
                                             withMessages: false))
                : "held message \(id) filed under \(record.number)\n")
        }
    }

    struct Answer: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "answer",
            abstract: "Write to the sender of a held message (it stays held until assigned).",
            discussion: """
                The message goes to the held message's sender (its From address) and to no one else, from the \
                outgoing.from of the account that received it, with that account's stored credentials (which \
                needs the administrate right, as `record reply` does). Its subject is "Re: " and the held \
                message's subject; In-Reply-To and References name the held message. It carries no conversation \
                ID and lands on no record: the held message belongs to none yet. It is put in the outbox and sent \
                once that is committed; a delivery that fails stays there (`mailsh outbox list`, `mailsh outbox \
                retry ID`), and the command exits 69. The held message is marked answered (`record held` shows \
                when) and stays held until someone assigns it (`record assign`). The body is --body, or \
                --body-file, or standard input. Example: mailsh record held; mailsh record answer 17 --body \
                'Which record is this about?'
                """)

        @Argument(help: "The held message's id (from `record held`).")
        var id: Int

        @OptionGroup var mail: MailTextOptions

        @OptionGroup var global: GlobalOptions

        func run(desk: Desk, context: CommandContext) throws {
            let delivery = try mail.send(desk: desk, context: context) { try desk.queueHeldReply(id, body: $0) }
            try mail.report(delivery, format: global.format, context: context, document: { entry in
                AnswerDocument(held_id: id, message_id: entry.message.messageID, to: entry.message.to,
                               subject: entry.message.subject, in_reply_to: entry.message.inReplyTo, outbox_id: entry.id,
                               status: entry.status.rawValue, server_reply: entry.serverReply)
            }, sent: { _ in "sent the answer to held message \(id)" })
        }
    }

    /// What `record answer --format json` prints.
    struct AnswerDocument: Encodable {
        var held_id: Int
        var message_id: String
        var to: [String]
        var subject: String
        var in_reply_to: String?
        var outbox_id: Int
        /// `sent`, or `failed` / `rejected` (kept in the outbox).
        var status: String
        var server_reply: String?
    }
}

/// What `record reply` and `record answer` take for the mail they send: its text and the time its connection has.
struct MailTextOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The text of the message.", valueName: "text"))
    var body: String?

    @Option(help: ArgumentHelp("Read the text from this file ('-' for standard input).", valueName: "path"),
            completion: .file())
    var bodyFile: String?

    @Option(help: ArgumentHelp("Seconds allowed for the connection (1 to 600).", valueName: "seconds"))
    var timeout: Double = 20

    func validate() throws {
        if body != nil && bodyFile != nil { throw ValidationError("give --body or --body-file, not both") }
        if !(timeout >= 1 && timeout <= 600) { throw ValidationError("--timeout must be from 1 to 600 seconds") }
    }

    /// Queues the mail (`queue`, given the text) and delivers it once that is committed, with the warnings about
    /// the outgoing server on standard error: a failed delivery is kept in the outbox.
    func send(desk: Desk, context: CommandContext, queue: (String) throws -> QueuedReply) throws -> OutboxDelivery {
        guard let sender = context.services.mailSender else {
            throw MailshError.configuration("this build of mailsh cannot send mail")
        }
        let queued = try queue(try text())
        for warning in queued.warnings { context.io.writeError(warning + "\n") }
        return try desk.deliverOutbox(queued.entry.id, sender: sender, oauthClient: context.services.oauthClient,
                                      timeout: timeout)
    }

    /// Prints what ``send(desk:context:queue:)`` did: the entry's `document` in JSON, else, when the mail went out,
    /// `sent` followed by ` to ` and its recipients; then the outbox's report of a delivery that failed.
    func report<Document: Encodable>(_ delivery: OutboxDelivery, format: OutputFormat, context: CommandContext,
                                     document: (OutboxEntry) -> Document, sent: (OutboxEntry) -> String) throws {
        let entry = delivery.entry
        if format == .json {
            context.io.write(Output.json(document(entry)))
        } else if entry.status == .sent {
            context.io.write(sent(entry) + " to " + entry.message.to.joined(separator: ", ") + "\n")
        }
        try OutboxCommand.report([delivery], context: context)
    }

    /// The text: --body, or --body-file, or standard input, as UTF-8.
    func text() throws -> String {
        if let body { return body }
        let path = bodyFile ?? "-"
        guard let text = String(data: try InputFile.read(path), encoding: .utf8) else {
            throw MailshError.invalidValue(field: "body", value: path, allowed: "UTF-8 text")
        }
        return text
    }
}

/// A file a command reads, or standard input for `-`.
enum InputFile {
    static func read(_ path: String) throws -> Data {
        if path == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MailshError.notFound(kind: "file", name: path)
        }
        return data
    }
}
