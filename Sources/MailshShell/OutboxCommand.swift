import ArgumentParser
import Foundation
import MailshCore

/// `outbox …`: mail mailsh queued (replies, scripts' mail), sent only after the transaction that decided it
/// committed; what is pending or failed, with the server's reply, and retrying it.
struct OutboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "List mail waiting to go out or that failed, and send it again.",
        discussion: """
            Mail about a record (`record reply`, a script's mail.record.reply) is written to the outbox by the \
            transaction that decides it and sent only after that transaction committed, once: a script that fails \
            sends nothing. A delivery that fails (the server refused or could not be reached) stays here as \
            failed (a temporary failure: a running monitor tries it again, waiting longer each time) or rejected (the \
            server refused it for good: a 5xx reply), with the server's reply, until `outbox retry` sends it again \
            with the same Message-ID, so a receiver can recognise a repeat. `record show` marks each message sent, pending or failed.
            """,
        subcommands: [List.self, Retry.self]
    )

    /// Says what became of queued mail; throws the first failure (exit 69 for a server's refusal), after naming
    /// every failed message and how to retry it.
    static func report(_ deliveries: [OutboxDelivery], context: CommandContext) throws {
        var first: MailshError?
        for delivery in deliveries {
            guard case let .failed(error) = delivery.outcome else { continue }
            let entry = delivery.entry
            context.io.writeError("mail \(entry.id) for \(entry.concerns) to \(entry.message.to.joined(separator: ", ")) "
                + "was not delivered: \(error.message); it is kept in the outbox: mailsh outbox retry \(entry.id)\n")
            first = first ?? error
        }
        if let first { throw first }
    }

    struct List: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "list",
            abstract: "List queued mail: pending, failed and rejected by default, with the server's last reply.")

        @Flag(help: "Also the mail that was sent.")
        var all = false

        @OptionGroup var global: GlobalOptions

        func run(desk: Desk, context: CommandContext) throws {
            let entries = try desk.outbox(all ? nil : [.pending, .sending, .failed, .rejected])
            if global.format == .json {
                context.io.write(Output.json(entries.map(OutboxDocument.init)))
                return
            }
            context.io.write(Listing(
                columns: ["id", "status", "record", "to", "attempts", "queued", "subject", "reply"],
                rows: entries.map { [String($0.id), $0.status.rawValue, $0.concerns,
                                     $0.message.to.joined(separator: ","), String($0.attempts),
                                     Timestamp.format($0.queuedAt), $0.message.subject, $0.serverReply ?? ""] }
            ).render(global.format))
        }
    }

    struct Retry: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "retry",
            abstract: "Send failed or pending mail again: one message by id, or all of it.",
            discussion: "Example: mailsh outbox list; mailsh outbox retry 3")

        @Argument(help: "The message's id (from `outbox list`); without it, every pending, failed and rejected message.")
        var id: Int?

        @Option(help: ArgumentHelp("Seconds allowed for each connection (1 to 600).", valueName: "seconds"))
        var timeout: Double = 20

        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if !(timeout >= 1 && timeout <= 600) { throw ValidationError("--timeout must be from 1 to 600 seconds") }
        }

        func run(desk: Desk, context: CommandContext) throws {
            guard let sender = context.services.mailSender else {
                throw MailshError.configuration("this build of mailsh cannot send mail")
            }
            var deliveries: [OutboxDelivery] = []
            for entry in try desk.retryableOutbox(id) {
                let delivery = try desk.deliverOutbox(entry.id, sender: sender, oauthClient: context.services.oauthClient,
                                                      timeout: timeout)
                deliveries.append(delivery)
                switch delivery.outcome {
                case .sent:
                    context.io.write("sent mail \(entry.id) for \(entry.concerns) to "
                        + entry.message.to.joined(separator: ", ") + "\n")
                case let .skipped(status):
                    context.io.write("mail \(entry.id) was not sent again: it is \(status.rawValue)\n")
                case .failed:
                    break
                }
            }
            try OutboxCommand.report(deliveries, context: context)
        }
    }
}

/// An outbox entry as JSON (`outbox list --format json`).
struct OutboxDocument: Encodable {
    var id: Int
    var status: String
    var record: String
    /// For an answer to held mail (`record answer`): the held message's id.
    var held_id: Int?
    var message_id: String
    var conversation_id: String
    var to: [String]
    var subject: String
    var queued_by: String
    var queued_at: String
    var attempts: Int
    var last_attempt_at: String?
    var sent_at: String?
    var server_reply: String?

    init(_ entry: OutboxEntry) {
        id = entry.id
        status = entry.status.rawValue
        record = entry.recordNumber
        held_id = entry.heldID
        message_id = entry.message.messageID
        conversation_id = ConversationID.display(entry.conversationID)
        to = entry.message.to
        subject = entry.message.subject
        queued_by = entry.queuedBy
        queued_at = Timestamp.format(entry.queuedAt)
        attempts = entry.attempts
        last_attempt_at = entry.lastAttemptAt.map(Timestamp.format)
        sent_at = entry.sentAt.map(Timestamp.format)
        server_reply = entry.serverReply
    }
}
