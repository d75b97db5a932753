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

    func run(desk: Desk, context: CommandContext) throws {
        // Without --sort, --limit N is the last N entries (read so from the store); with it, the first N after
        // sorting every entry.
        let entries = try desk.audit(name, limit: listing.sort == nil ? listing.limit : nil)
        context.page(try Listing(columns: ["at", "actor", "account", "field", "old", "new"], rows: entries.map {
            [Timestamp.format($0.at), $0.actor, $0.account, $0.field, $0.oldValue ?? "", $0.newValue ?? ""]
        }).render(global.format, options: listing, width: context.tableWidth))
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
        let document = try desk.export(withSecrets: withSecrets)
        let text = global.format == .csv ? document.csv : Output.json(document)
        guard let file, file != "-" else {
            context.io.write(text)
            return
        }
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw MailshError.usage("cannot write \(file): \(String(cString: strerror(errno)))") }
        // An existing file keeps its mode through O_TRUNC: make it private before writing.
        fchmod(fd, 0o600)
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        handle.write(Data(text.utf8))
        context.io.writeError("exported to \(file)\n")
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
            throw MailshError.invalidValue(field: "file", value: file, allowed: "JSON written by `mailsh export` (\(Self.describe(error)))")
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
