import ArgumentParser
import Foundation
import MailshCore

/// `audit [NAME]`: who changed what, when.
struct AuditCommand: DeskCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show the audit log, of one account or of everything (needs administrate).",
        discussion: "Passwords never appear: their changes read (secret changed).")

    @Argument(help: "An account (its current or an earlier name).", completion: .accountName)
    var name: String?

    @OptionGroup var listing: ListingOptions

    @OptionGroup var global: GlobalOptions

    static let columns = ["at", "actor", "account", "field", "old", "new"]

    static func row(_ entry: AuditEntry) -> [String] {
        [Timestamp.format(entry.at), entry.actor, entry.account, entry.field, entry.oldValue ?? "", entry.newValue ?? ""]
    }

    /// Hands `body` each entry's cells as ``row(_:)`` makes them, as UTF-8 read from the store (the time written
    /// as its text, an old or new value that is not set as an empty cell) into one ``ListingCells`` reused from
    /// entry to entry.
    static func forEachCells(_ desk: Desk, _ name: String?, limit: Int?, _ body: (ListingCells) throws -> Void) throws {
        var cells = ListingCells()
        try desk.forEachAuditEntryText(name, limit: limit) { entry in
            cells.removeAll()
            Timestamp.append(entry.at, to: &cells.bytes)
            cells.endCell()
            for text in entry.texts {
                if let text { cells.bytes.append(contentsOf: text) }
                cells.endCell()
            }
            try body(cells)
        }
    }

    func run(desk: Desk, context: CommandContext) throws {
        // Without --sort, --limit N is the last N entries (read so from the store); with it, the first N after
        // sorting every entry.
        if listing.sort == nil && !context.io.outputIsTerminal {
            // Written as read (see ``ListingStream``), in one snapshot of the store.
            var stream = try ListingStream(columns: Self.columns, format: global.format, options: listing,
                                           sink: context.io.write)
            if global.format != .table {
                // CSV and JSON straight from the store's bytes: the same cells as ``row(_:)`` (`AuditListingTests`).
                try stream.write(cells: { row in try Self.forEachCells(desk, name, limit: listing.limit, row) })
                return
            }
            try desk.snapshot { desk in
                let rows = { (row: ([String]) throws -> Void) in
                    try desk.forEachAuditEntry(name, limit: listing.limit) { try row(Self.row($0)) }
                }
                if stream.needsWidths { try stream.measure(rows) }
                try stream.write(rows)
            }
            return
        }
        let entries = try desk.audit(name, limit: listing.sort == nil ? listing.limit : nil)
        context.page(try Listing(columns: Self.columns, rows: entries.map(Self.row))
            .render(global.format, options: listing, width: context.tableWidth))
    }
}

/// `export [FILE]`: the whole store as JSON.
struct ExportCommand: DeskCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export accounts, users and personal settings as JSON, or accounts as CSV (needs administrate).",
        discussion: "Passwords are left out unless --with-secrets, and then they stay encrypted, readable only "
            + "with this store's key file. --format csv writes the global accounts in the dotted vocabulary "
            + "(name, protocol, incoming.host, …; no passwords, padlocks or users), as `import FILE.csv` and "
            + "bulk-create.lua read it.")

    @Argument(help: "The file to write (default, or -: standard output).", completion: .file(extensions: ["json"]))
    var file: String?

    @Flag(help: "Include the encrypted passwords.")
    var withSecrets = false

    @OptionGroup var global: GlobalOptions

    func run(desk: Desk, context: CommandContext) throws {
        if global.format == .csv && withSecrets {
            throw MailshError.invalidValue(field: "--format", value: "csv",
                                           allowed: "json with --with-secrets (CSV never carries passwords)")
        }
        // Written as read: the file (or standard output) gets each account's document as the store hands it on.
        // A file is written under a private temporary name beside it (mkstemp: mode 0600) and renamed over it only
        // once every row is in, so an export that fails part-way leaves no half-written file and the old one as it was.
        var handle: FileHandle?
        var partial: String?
        var sink: (String) -> Void = context.io.write
        // JSON, safe for a terminal as it is written (``DocumentJSON``).
        var safeSink: (TerminalSafeText) -> Void = context.io.writeSafe
        let openFile = {
            guard let file, file != "-" else { return }
            var template = Array((file + ".partial-XXXXXX").utf8CString)
            let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard fd >= 0 else { throw MailshError.usage("cannot write \(file): \(String(cString: strerror(errno)))") }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            partial = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            let opened = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            handle = opened
            sink = { opened.write(Data($0.utf8)) }
            safeSink = { opened.write(Data($0.bytes)) }
        }
        var out = PieceWriter { sink($0) }
        do {
            if global.format == .csv {
                // The global accounts in the dotted vocabulary (`ExportDocument.csv`), each line written from the
                // store's row as it is read (``AccountDocument/appendCSVLine(of:to:)``).
                try desk.exportCSV(begin: {
                    try openFile()
                    Table.appendCSVLine(AccountDocument.csvColumns.map(Table.key), to: &out.bytes)
                }, account: { account in
                    AccountDocument.appendCSVLine(of: account, to: &out.bytes)
                    out.unitEnded()
                })
                out.unitEnded(force: true)
            } else {
                var json = DocumentJSON(pretty: true, capacity: PieceWriter.pieceSize + (1 << 14))
                func flush(force: Bool) {
                    if json.byteCount > 0 && (force || json.byteCount >= PieceWriter.pieceSize) {
                        json.flush(to: safeSink)
                    }
                }
                let (personal, users) = try desk.export(withSecrets: withSecrets, begin: {
                    try openFile()
                    json.beginObject()
                    json.array("accounts")
                }, account: { document in
                    document.write(to: &json)
                    flush(force: false)
                })
                json.endArray()
                json.string("exported_at", Timestamp.format(Date()))
                json.string("format", "mailsh-export")
                json.integer("format_version", 1)
                json.array("personal")
                for document in personal { document.write(to: &json) }
                json.endArray()
                json.array("users")
                for document in users { document.write(to: &json) }
                json.endArray()
                json.endObject()
                json.newline()
                flush(force: true)
            }
            if let handle, let partial, let file {
                try handle.close()
                guard rename(partial, file) == 0 else {
                    throw MailshError.usage("cannot write \(file): \(String(cString: strerror(errno)))")
                }
                context.io.writeError("exported to \(file)\n")
            }
        } catch {
            if let partial { unlink(partial) }
            throw error
        }
    }
}

/// `import FILE`: all or nothing.
struct ImportCommand: DeskCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a file made by `export`, all or nothing (needs administrate).",
        discussion: "Every problem is reported at once and nothing changes. Accounts whose names exist are refused; "
            + "existing users are kept as they are. A file named *.csv (or --format csv) is read as CSV: a name "
            + "column and dotted field columns, as `export --format csv` writes. Passwords exported --with-secrets "
            + "from another store are sealed with that store's key: --source-key names its key file, and they are "
            + "sealed again with this store's key (without it, such passwords refuse the import).")

    @Argument(help: "The JSON or CSV file (- for standard input).", completion: .file(extensions: ["json", "csv"]))
    var file: String

    @Option(help: ArgumentHelp("The key file of the store the file was exported from (to seal its passwords again).",
                               valueName: "path"),
            completion: .file(extensions: ["key"]))
    var sourceKey: String?

    @Flag(help: "Check everything and list what would be imported, and change nothing.")
    var dryRun = false

    @OptionGroup var global: GlobalOptions

    func run(desk: Desk, context: CommandContext) throws {
        let data: Data
        if file == "-" {
            if context.io.inputIsCommandStream {
                throw MailshError.usage("import -: standard input carries the commands here; name the file instead")
            }
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: file) else {
                throw MailshError.notFound(kind: "file", name: file)
            }
            data = contents
        }
        let document: ExportDocument
        if global.format == .csv || file.lowercased().hasSuffix(".csv") {
            document = try ExportDocument(csv: Array(data))
        } else { do {
            document = try JSONDecoder().decode(ExportDocument.self, from: data)
        } catch {
            throw MailshError.invalidValue(field: "file", value: TerminalText.pathExcerpt(file), allowed: "JSON written by `mailsh export` (\(Self.describe(error)))")
        } }
        var sourceSecrets: (any SecretBox)?
        if let sourceKey {
            guard let openKeyFile = context.services.openKeyFile else {
                throw MailshError.configuration("this mailsh cannot read key files (--source-key)")
            }
            sourceSecrets = try openKeyFile(sourceKey)
        }
        if dryRun {
            let outcome = try desk.dryRun { try $0.import(document, sourceSecrets: sourceSecrets) }
            return reportDryRun(outcome.changes, global: global, context: context)
        }
        let summary = try desk.import(document, sourceSecrets: sourceSecrets)
        context.io.write("imported \(summary.accounts) account(s), \(summary.users) user(s), "
            + "\(summary.personal) personal setting(s)\n")
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing \(key.stringValue) at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.dataCorrupted(let context):
            return context.debugDescription
        default:
            return "\(error)"
        }
    }
}
