import ArgumentParser
import Foundation
import Logging
import MailshCore
import MailshMonitor

/// How the monitor's log lines are written: `text` for people, `json` (JSON Lines) for machines.
enum LogFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text, json
}

/// Where log lines go: one whole line at a time (worker threads log concurrently), through the command's error
/// stream, which makes text safe for a terminal.
final class LogSink: @unchecked Sendable {
    private let lock = NSLock()
    private let io: CommandIO

    init(io: CommandIO) {
        self.io = io
    }

    func write(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        io.writeError(line)
    }
}

/// mailsh's swift-log handler: each record one line on standard error (journald under systemd).
///
/// `text`: `2026-12-05T03:10:00Z info Support created INC0000001 uid 7 from ann@example.com "Printer"`, every
/// character a terminal would act on escaped. `json`: `{"timestamp":…,"level":…,"message":…}` and the metadata as
/// further keys (`account`, `event`, `verdict`, `record`, `message_id`, …), strings JSON-encoded with DEL, C1,
/// bidirectional and invisible characters as `\uXXXX`. Nothing logged through it carries a secret: the monitor's
/// events name accounts and mail, and errors are the redacted messages of ``MailshError``.
struct LogLineHandler: LogHandler {
    let format: LogFormat
    let sink: LogSink
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(format: LogFormat, level: Logger.Level, sink: LogSink) {
        self.format = format
        self.logLevel = level
        self.sink = sink
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let given = event.metadata { merged.merge(given) { $1 } }
        sink.write(Self.line(format: format, at: Date(), level: event.level, message: event.message.description,
                             metadata: merged))
    }

    /// One record as a line (ending in a newline).
    static func line(format: LogFormat, at date: Date, level: Logger.Level, message: String,
                     metadata: Logger.Metadata) -> String {
        switch format {
        case .text:
            // The message is one line: a line break in it (from a subject, a server's reply) is shown escaped.
            return "\(Timestamp.format(date)) \(level.rawValue) \(TerminalText.escaped(message))\n"
        case .json:
            var fields: [(String, JSONValue)] = [
                ("timestamp", .string(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))),
                ("level", .string(level.rawValue)),
                ("message", .string(message)),
            ]
            for key in metadata.keys.sorted() where !["timestamp", "level", "message"].contains(key) {
                if let value = metadata[key] { fields.append((key, json(value))) }
            }
            return Output.safeJSON(JSONValue.object(fields).serialized()) + "\n"
        }
    }

    /// A metadata value as JSON: integers as numbers, the rest as strings, arrays and objects.
    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): return .string(text)
        case .stringConvertible(let item):
            if let number = item as? Int { return .integer(number) }
            return .string(item.description)
        case .array(let items): return .array(items.map(json))
        case .dictionary(let entries): return .object(entries.keys.sorted().map { ($0, json(entries[$0]!)) })
        }
    }
}

/// Which level, format and sink the monitor logs with: `--log-level` / `MAILSH_LOG_LEVEL` (default `info`) and
/// `--log-format` / `MAILSH_LOG_FORMAT` (default `text`), the option winning over the variable.
struct MonitorLogSettings {
    static let levelVariable = "MAILSH_LOG_LEVEL"
    static let formatVariable = "MAILSH_LOG_FORMAT"

    var format: LogFormat
    var level: Logger.Level

    init(format: LogFormat?, level: Logger.Level?, environment: [String: String]) throws {
        if let format {
            self.format = format
        } else if let text = environment[Self.formatVariable], !text.isEmpty {
            guard let named = LogFormat(rawValue: text) else {
                throw MailshError.invalidValue(field: Self.formatVariable, value: TerminalText.shortened(text),
                                               allowed: LogFormat.allCases.map(\.rawValue).joined(separator: ", "))
            }
            self.format = named
        } else {
            self.format = .text
        }
        if let level {
            self.level = level
        } else if let text = environment[Self.levelVariable], !text.isEmpty {
            guard let named = Logger.Level(rawValue: text.lowercased()) else {
                throw MailshError.invalidValue(field: Self.levelVariable, value: TerminalText.shortened(text),
                                               allowed: Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))
            }
            self.level = named
        } else {
            self.level = .info
        }
    }

    /// The monitor's logger, writing through `io`'s error stream.
    func logger(io: CommandIO) -> Logger {
        let sink = LogSink(io: io)
        let (format, level) = (format, level)
        return Logger(label: "mailsh.monitor") { _ in LogLineHandler(format: format, level: level, sink: sink) }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

extension MonitorEvent {
    /// How much the event matters: a decision is `info` (`notice` when a person must look at held mail), a poll that
    /// found nothing `debug`, a start or stop `notice`, a warning `warning`, a failure `error`.
    var level: Logger.Level {
        switch kind {
        case .started, .stopped: return .notice
        case .idling: return .info
        case .polled: return (pending ?? 0) > 0 ? .info : .debug
        case .message: return outcome == "held" ? .notice : .info
        case .duplicate, .sent: return .info
        case .alert: return .critical
        case .recovered: return .notice
        case .warning: return .warning
        case .error, .signInNeeded: return .error
        }
    }

    /// The event's fields as the log's structured metadata (snake_case keys, as its JSON).
    var metadata: Logger.Metadata {
        var metadata: Logger.Metadata = ["event": .string(kind.rawValue), "account": .string(account)]
        let strings: [(String, String?)] = [("uid", uid), ("message_id", messageID), ("from", from),
                                            ("subject", subject), ("verdict", outcome), ("record", record),
                                            ("rule", rule), ("reason", reason)]
        for (key, value) in strings { if let value { metadata[key] = .string(value) } }
        if kind == .error || kind == .signInNeeded || kind == .warning { metadata["error"] = .string(text) }
        if let pending { metadata["pending"] = .stringConvertible(pending) }
        if let retryIn { metadata["retry_in"] = .stringConvertible(retryIn) }
        if let summary {
            metadata["summary"] = .dictionary([
                "polls": .stringConvertible(summary.polls), "attached": .stringConvertible(summary.attached),
                "created": .stringConvertible(summary.created), "held": .stringConvertible(summary.held),
                "skipped": .stringConvertible(summary.skipped), "duplicates": .stringConvertible(summary.duplicates),
                "errors": .stringConvertible(summary.errors), "left": .stringConvertible(summary.left),
                "sent": .stringConvertible(summary.sent), "undelivered": .stringConvertible(summary.undelivered),
            ])
        }
        return metadata
    }

    /// Logs the event: its sentence as the message, its fields as metadata.
    func log(to logger: Logger) {
        logger.log(level: level, "\(sentence)", metadata: metadata)
    }
}
