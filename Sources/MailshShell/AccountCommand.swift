import ArgumentParser
import Foundation
import MailshCore

/// `account …`: global e-mail accounts.
struct AccountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account",
        abstract: "List, show, create, edit, copy, rename, delete and lock e-mail accounts.",
        subcommands: [List.self, Show.self, Create.self, Set.self, Copy.self, Rename.self, Delete.self,
                      Lock.self, Unlock.self, Password.self, ClientKey.self, Login.self, Logout.self, Test.self,
                      Discover.self, Audit.self]
    )
}

extension AccountCommand {
    static let fieldHelp = "Fields: " + Field.allCases.filter { !$0.isSecret }.map(\.name).joined(separator: ", ")
        + ". An empty value clears a field (or restores its default)."

    struct List: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "list",
            abstract: "List accounts.",
            discussion: "Test accounts (named like *Dev* or *Test*) are marked; drafts miss required fields.")

        @Option(help: ArgumentHelp("Only names matching this glob (*, ?, [...]; case-sensitive).", valueName: "glob"))
        var match: String?

        @Option(name: .customLong("protocol"), help: "Only accounts of this protocol: imap or pop3.")
        var proto: ProtocolArgument?

        @Option(help: ArgumentHelp("Only global accounts (global) or those a user owns (a user name).", valueName: "owner"))
        var owner: String?

        @OptionGroup var listing: ListingOptions

        @OptionGroup var global: GlobalOptions

        /// The columns of the listing (the table, its CSV and `--columns`/`--sort` names).
        static let columns = ["name", "protocol", "incoming", "outgoing", "status", "kind", "last_test", "locked"]

        func run(desk: Desk, context: CommandContext) throws {
            try Self.list(match: match, proto: proto, owner: owner, listing: listing, global: global.settings, desk: desk,
                          context: context)
        }

        /// The listing of these options' values (`listing` `nil`: every listing option at its default), as `run`
        /// prints it; ``OneShotLine`` calls it without building the command.
        static func list(match: String?, proto: ProtocolArgument?, owner: String?, listing: ListingOptions?,
                         global: GlobalSettings, desk: Desk, context: CommandContext) throws {
            let filter: OwnerFilter = switch owner {
            case nil: .any
            case "global": .global
            case let user?: .user(user)
            }
            let query = AccountQuery(match: match, proto: proto?.value, owner: filter)
            // Written as read, unless the output is a terminal (cut to its width, paged) or --sort needs every row.
            if listing?.sort == nil && !context.io.outputIsTerminal {
                return try stream(query, listing: listing, global: global, desk: desk, context: context)
            }
            var accounts = try desk.accounts(query)
            let signIn = try desk.globalSignInStates(accounts)
            let rows = accounts.map { Self.row($0, signIn: signIn[$0.id]) }
            if global.format == .json {
                // --sort and --limit choose the accounts; the documents are whole.
                accounts = try (listing?.order(rows, columns: Self.columns) ?? Array(rows.indices)).map { accounts[$0] }
                context.page(Output.json(accounts.map { Self.document($0, signIn: signIn[$0.id]) },
                                         lines: listing?.jsonLines ?? false))
                return
            }
            context.page(try Listing(columns: Self.columns, rows: rows)
                .render(global.format, options: listing, width: context.tableWidth))
        }

        /// The listing written as the store reads it (see ``ListingStream``), in one snapshot of the store.
        static func stream(_ query: AccountQuery, listing: ListingOptions?, global: GlobalSettings, desk: Desk,
                           context: CommandContext) throws {
            let sink = context.io.write
            if global.format == .json {
                var documents = DocumentStream(lines: listing?.jsonLines ?? false, sink: context.io.writeSafe)
                var left = listing?.limit ?? Int.max
                try desk.forEachAccount(query) { account, signIn in
                    if left == 0 { throw Desk.StopListing() }
                    left -= 1
                    documents.add { Self.document(account, signIn: signIn).write(to: &$0) }
                }
                documents.end()
                return
            }
            var stream = try ListingStream(columns: Self.columns, format: global.format, options: listing, sink: sink)
            try desk.snapshot { desk in
                // Only the columns the rows show and their status needs are read.
                var cells = ListingCells()
                let rows = { (row: (ListingCells) throws -> Void) in
                    try desk.forEachListedAccount(query) { account, signIn in
                        Self.cells(account, signIn: signIn, into: &cells)
                        try row(cells)
                    }
                }
                if stream.needsWidths { try stream.measure(cells: rows) }
                try stream.write(cells: rows)
            }
        }

        /// An account's row of the listing (from what ``Desk/forEachListedAccount(_:_:)`` reads: nothing else).
        static func row(_ account: Account, signIn: SignInState?) -> [String] {
            var status = account.isComplete ? "ready" : "draft"
            if case .needed? = signIn { status = "sign-in needed" }
            return [account.qualifiedName, account.proto.rawValue,
                    server(account.incoming.host, account.incoming.port, account.incoming.security),
                    server(account.outgoing.host, account.outgoing.port, account.outgoing.security),
                    status, account.isTestAccount ? "test" : "",
                    account.lastTest.map(lastTest) ?? "",
                    Section.summary(lockedWhere: account.isLocked)]
        }

        /// ``row(_:signIn:)`` of an account as ``Desk/forEachListedAccount(_:_:)`` reads it, written as UTF-8 bytes
        /// into `cells` (emptied first) straight from the store's row: the same cells.
        static func cells(_ account: ListedAccount, signIn: SignInState?, into cells: inout ListingCells) {
            cells.removeAll()
            let row = account.row
            // Account.qualifiedName: OWNER/NAME, or NAME.
            if !row.isNull(ListedAccountColumn.owner.rawValue) {
                row.withBytes(ListedAccountColumn.owner.rawValue) { cells.bytes.append(contentsOf: $0) }
                cells.append("/" as StaticString)
            }
            row.withBytes(ListedAccountColumn.name.rawValue) { cells.bytes.append(contentsOf: $0) }
            cells.endCell()
            // A named column's bytes are its value's name (ListedAccount read the value by comparing them).
            row.withBytes(ListedAccountColumn.proto.rawValue) { cells.bytes.append(contentsOf: $0) }
            cells.endCell()
            server(row, .incomingHost, account.incomingPort, .incomingSecurity, into: &cells)
            server(row, .outgoingHost, account.outgoingPort, .outgoingSecurity, into: &cells)
            if case .needed? = signIn {
                cells.append("sign-in needed" as StaticString)
            } else {
                cells.append(account.isComplete ? "ready" as StaticString : "draft")
            }
            cells.endCell()
            if account.isTestAccount { cells.append("test" as StaticString) }
            cells.endCell()
            // The last test: as `lastTest(_:)` writes it, from what the store holds of it.
            if !row.isNull(ListedAccountColumn.lastTestVerdict.rawValue) {
                row.withBytes(ListedAccountColumn.lastTestVerdict.rawValue) { cells.bytes.append(contentsOf: $0) }
                cells.append(" " as StaticString)
                cells.append(decimal: row.integer(ListedAccountColumn.lastTestMilliseconds.rawValue) ?? 0)
                cells.append("ms " as StaticString)
                cells.append(Timestamp.format(Date(timeIntervalSince1970: row.real(ListedAccountColumn.lastTestAt.rawValue) ?? 0)))
            }
            cells.endCell()
            cells.append(account.lockSummary)
            cells.endCell()
        }

        /// ``server(_:_:_:)`` of a side read from the store's row, into `cells`.
        private static func server(_ row: ListingRow, _ host: ListedAccountColumn, _ port: Int,
                                   _ security: ListedAccountColumn, into cells: inout ListingCells) {
            if row.isNull(host.rawValue) {
                cells.append("-" as StaticString)
            } else {
                row.withBytes(host.rawValue) { cells.bytes.append(contentsOf: $0) }
            }
            cells.append(":" as StaticString)
            cells.append(decimal: port)
            cells.append(" " as StaticString)
            // The security mode's name (ListedAccount read the mode from these bytes).
            row.withBytes(security.rawValue) { cells.bytes.append(contentsOf: $0) }
            cells.endCell()
        }

        /// An account's document of the JSON listing.
        static func document(_ account: Account, signIn: SignInState?) -> AccountDocument {
            var document = AccountDocument(account)
            document.sign_in = signIn.map { AccountDocument.SignIn($0, origin: .global) }
            if case .needed? = signIn { document.status = "sign-in needed" }
            return document
        }

        /// `HOST:PORT SECURITY` (`-` for no host), made in one string (a listing makes two per row).
        static func server(_ host: String?, _ port: Int, _ security: SecurityMode) -> String {
            let host = host ?? "-"
            var text = ""
            text.reserveCapacity(host.utf8.count + 16)
            text += host
            text += ":"
            text += String(port)
            text += " "
            text += security.rawValue
            return text
        }

        /// The last test's cell: `VERDICT MSms TIME`, made in one string.
        static func lastTest(_ test: TestRecord) -> String {
            let at = Timestamp.format(test.at)
            var text = ""
            text.reserveCapacity(test.verdict.utf8.count + at.utf8.count + 24)
            text += test.verdict
            text += " "
            text += String(test.milliseconds)
            text += "ms "
            text += at
            return text
        }
    }

    struct Show: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "show",
            abstract: "Show an account's effective settings for the current user, with where each value came from.",
            discussion: "With --as USER, the settings that user works with: personal, global, or locked global.")

        @Argument(help: "The account (NAME, or OWNER/NAME for a user's own account).", completion: .accountName)
        var name: String

        @Option(help: ArgumentHelp("Print only this field's value (a dotted name such as incoming.host), for scripts.",
                                   valueName: "field"), completion: .list(Field.allCases.filter { !$0.isSecret }.map(\.name)))
        var field: String?

        @OptionGroup var global: GlobalOptions

        struct Document: Encodable {
            var user: String
            var account: AccountDocument
            var sign_in: AccountDocument.SignIn?
            var origins: [String: String]
            var warnings: [String]
        }

        func run(desk: Desk, context: CommandContext) throws {
            let effective = try desk.effective(name)
            let account = effective.account
            if let field {
                context.io.write(try Self.value(of: field, in: account, format: global.format))
                return
            }
            let signIn = try desk.signInState(name)
            let rows = Field.allCases.compactMap { field -> [String]? in
                if field == .incomingFolder && account.proto == .pop3 { return nil }
                let value = field.isSecret ? (account.secret(field) == nil ? "" : "(set)") : account.value(field) ?? ""
                return [field.name, value, effective.origins[field]?.rawValue ?? "global"]
            }
            switch global.format {
            case .json:
                context.io.write(Output.json(Document(
                    user: effective.user, account: AccountDocument(account),
                    sign_in: signIn.state == .notUsed ? nil : AccountDocument.SignIn(signIn.state, origin: signIn.origin),
                    origins: Dictionary(uniqueKeysWithValues: effective.origins.map { ($0.key.name, $0.value.rawValue) }),
                    warnings: account.warnings)))
            case .csv:
                context.io.write(Listing(columns: ["field", "value", "origin"], rows: rows).render(.csv))
            case .table:
                var out = "account \(account.qualifiedName)"
                out += account.owner == nil ? " (global" : " (owned by \(account.owner!)"
                out += ", version \(account.version), changed by \(account.modifiedBy) at \(Timestamp.format(account.modifiedAt)))\n"
                out += "settings for user \(effective.user)\n\n"
                out += Listing(columns: ["field", "value", "origin"], rows: rows).table(width: context.tableWidth)
                out += "\npadlocks: " + Section.allCases.map { "\($0.rawValue) \(account.isLocked($0) ? "locked" : "unlocked")" }
                    .joined(separator: ", ") + "\n"
                out += account.isComplete ? "status: ready\n"
                    : "status: draft (missing: \(account.missingFields.map(\.name).joined(separator: ", ")))\n"
                if account.isTestAccount { out += "kind: test account\n" }
                switch signIn.state {
                case .notUsed: break
                case .notSignedIn: out += "sign-in: not signed in (\(signIn.origin.rawValue) tokens)\n"
                case .signedIn(let expires):
                    out += "sign-in: signed in (\(signIn.origin.rawValue) tokens"
                        + (expires.map { ", access token valid until \(Timestamp.format($0))" } ?? "") + ")\n"
                case .needed(let reason, let since):
                    out += "sign-in: sign-in needed since \(Timestamp.format(since)) (\(signIn.origin.rawValue) tokens): "
                        + MailshError.quote(reason) + "\n"
                }
                context.page(out)
            }
            report(account.warnings, context.io)
        }

        /// `--field NAME`: the effective value alone, on one line (empty when not set); in JSON, with its type.
        /// A secret field prints whether it is set, never its value.
        static func value(of name: String, in account: Account, format: OutputFormat) throws -> String {
            guard let field = Field(rawValue: name) else {
                throw MailshError.unknownField(name, known: Field.allCases.map(\.name))
            }
            let shape = JSONValue.shape(of: AccountDocument(account))
            let parts = field.name.split(separator: ".").map(String.init)
            var value: JSONValue = field.isSecret ? .bool(account.secret(field) != nil) : shape
            if !field.isSecret { for part in parts { value = value[part] ?? .null } }
            if format == .json { return value.serialized() + "\n" }
            switch value {
            case .null: return "\n"
            case .string(let text): return TerminalText.escaped(text) + "\n"
            default: return value.serialized() + "\n"
            }
        }
    }

    struct Create: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "create",
            abstract: "Create a global account (needs administrate).",
            discussion: """
                New accounts are IMAP over implicit TLS (ssl) with default ports unless told otherwise, server \
                sections locked and credentials unlocked. An account may be created incomplete, as a draft. \
                Passwords are set with `account password`, never here. \(AccountCommand.fieldHelp)
                """)

        @Argument(help: "The new account's name.")
        var name: String

        @Argument(help: ArgumentHelp("Settings, such as incoming.host=imap.example.com protocol=pop3.",
                                     valueName: "field=value"), completion: .fieldAssignment)
        var assignments: [String] = []

        @Option(help: ArgumentHelp("Discover the servers of this address first (as `account discover`), show them, and "
                                   + "create the account with the best ones once accepted; settings given here win.",
                                   valueName: "address"))
        var discover: String?

        @Flag(name: [.customShort("y"), .long], help: "With --discover: create without asking (required when not on a terminal).")
        var yes = false

        @OptionGroup var discovery: DiscoveryArguments

        @OptionGroup var global: GlobalOptions

        func run(desk: Desk, context: CommandContext) throws {
            var assignments = assignments
            if let address = discover {
                let report = try discovery.discover(address, context: context)
                context.io.writeError(Discover.render(report, format: .table, width: context.tableWidth))
                try Discover.requireComplete(report)
                let given = Swift.Set(assignments.compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) })
                assignments = report.assignments().filter { !given.contains(String($0.prefix { $0 != "=" })) } + assignments
                if !yes {
                    // Every rule first: a question about settings that would be refused anyway is not asked.
                    let parsed = try Assignment.parseAll(assignments, passwordHint: "mailsh account password \(name) incoming|outgoing")
                    _ = try desk.dryRun { try $0.createAccount(name, assignments: parsed) }
                    try confirm("Create account \(name) with these servers? [y/N] ", doing: "account create \(name) --discover",
                                context: context)
                }
            }
            let parsed = try Assignment.parseAll(assignments, passwordHint: "mailsh account password \(name) incoming|outgoing")
            let change = try desk.createAccount(name, assignments: parsed)
            announce(change, "created", global: global, context: context)
        }
    }

    struct Set: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "set",
            abstract: "Change fields of an account, all or none (needs administrate).",
            discussion: """
                Changing a security mode (or the protocol) moves a port that still holds the old default to the new \
                default; a port you chose stays. \(AccountCommand.fieldHelp)
                """)

        @Argument(help: "The account.", completion: .accountName)
        var name: String

        @Argument(help: ArgumentHelp("Settings to change.", valueName: "field=value"), completion: .fieldAssignment)
        var assignments: [String]

        @Option(help: ArgumentHelp("Refuse (as a conflict) unless the account is still at this version.", valueName: "n"))
        var ifVersion: Int?

        @Flag(help: "Check and list the changes, and change nothing.")
        var dryRun = false

        @OptionGroup var global: GlobalOptions

        func run(desk: Desk, context: CommandContext) throws {
            let parsed = try Assignment.parseAll(assignments, passwordHint: "mailsh account password \(name) incoming|outgoing")
            if dryRun {
                let outcome = try desk.dryRun { try $0.setFields(name, parsed, baseVersion: ifVersion) }
                report(outcome.value.warnings, context.io)
                return reportDryRun(outcome.changes, global: global, context: context)
            }
            announce(try desk.setFields(name, parsed, baseVersion: ifVersion), "updated", global: global, context: context)
        }

        /// A shell's next line: the edit reads the acting user in its own transaction (one round trip fewer on
        /// PostgreSQL), with the same refusals in the same order as ``run(desk:context:)`` on a reopened desk.
        func run(reopening: Desk.Reopening, context: CommandContext) throws {
            if dryRun { return try run(desk: try reopening.desk(), context: context) }
            let parsed: [Assignment]
            do {
                parsed = try Assignment.parseAll(assignments, passwordHint: "mailsh account password \(name) incoming|outgoing")
            } catch {
                // The acting user's refusal comes first, as when the desk is reopened before the line runs.
                _ = try reopening.desk()
                throw error
            }
            announce(try reopening.setFields(name, parsed, baseVersion: ifVersion).change, "updated", global: global,
                     context: context)
        }
    }

    struct Copy: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "copy",
            abstract: "Copy an account under a new name, padlocks and passwords included (needs administrate).")

        @Argument(help: "The account to copy.", completion: .accountName)
        var source: String

        @Argument(help: "The name of the copy.")
        var newName: String

        @OptionGroup var global: GlobalOptions

        func run(desk: Desk, context: CommandContext) throws {
            announce(try desk.copyAccount(source, to: newName), "created", global: global, context: context)
        }
    }

    struct Rename: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "rename", abstract: "Rename an account (needs administrate).")

        @Argument(help: "The account.", completion: .accountName)
        var old: String

        @Argument(help: "Its new name.")
        var new: String

        @Option(help: ArgumentHelp("Refuse (as a conflict) unless the account is still at this version.", valueName: "n"))
        var ifVersion: Int?

        @OptionGroup var global: GlobalOptions

        func run(desk: Desk, context: CommandContext) throws {
            announce(try desk.renameAccount(old, to: new, baseVersion: ifVersion), "renamed", global: global, context: context)
        }
    }

    struct Delete: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "delete",
            abstract: "Delete an account (needs administrate).",
            discussion: """
                When users have personalized the account, choose what becomes of them: --keep-user-accounts makes \
                each user's account a full copy of the global settings plus their own (owned by them, shown as \
                USER/NAME), --delete-customizations deletes their personal settings. On a terminal mailsh asks \
                before deleting; --yes skips the question, and is required when standard input is not a terminal \
                (a script, a pipe, mailsh < FILE). --dry-run lists what would be deleted and deletes nothing.
                """)

        @Argument(help: "The account.", completion: .accountName)
        var name: String

        @Flag(help: "Keep each personalizing user's account as their own full copy.")
        var keepUserAccounts = false

        @Flag(help: "Delete the users' personal settings with the account.")
        var deleteCustomizations = false

        @Flag(name: [.customShort("y"), .long], help: "Delete without asking (required when not on a terminal).")
        var yes = false

        @Flag(help: "List what would be deleted, and delete nothing.")
        var dryRun = false

        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if keepUserAccounts && deleteCustomizations {
                throw ValidationError("choose one of --keep-user-accounts and --delete-customizations")
            }
        }

        func run(desk: Desk, context: CommandContext) throws {
            let mode: Desk.DeleteMode? = keepUserAccounts ? .keepUserAccounts : deleteCustomizations ? .deleteCustomizations : nil
            if dryRun {
                let outcome = try desk.dryRun { try $0.deleteAccount(name, mode: mode) }
                return reportDryRun(outcome.changes, global: global, context: context)
            }
            if !yes {
                // Every rule first (it exists, the right, the users' choice): a question that is refused anyway is
                // not asked.
                _ = try desk.dryRun { try $0.deleteAccount(name, mode: mode) }
                try confirm("Delete account \(name)? [y/N] ", doing: "account delete \(name)", context: context)
            }
            let kept = try desk.deleteAccount(name, mode: mode)
            if global.format == .json {
                struct Done: Encodable { var deleted: String; var kept: [String] }
                context.io.write(Output.json(Done(deleted: name, kept: kept.map(\.qualifiedName))))
            } else {
                context.io.write("deleted account \(name)\n")
                for account in kept { context.io.write("kept user account \(account.qualifiedName)\n") }
            }
        }
    }

    static let sectionsHelp = "Sections: incoming.server, incoming.credentials, outgoing.server, outgoing.credentials, "
        + "and the shorthands server, credentials, all."

    /// What `lock` and `unlock` take: an account and sections.
    struct PadlockArguments: ParsableArguments {
        @Argument(help: "The account.", completion: .accountName)
        var name: String

        @Argument(help: "The sections.", completion: .list(Section.allNames))
        var sections: [String]

        @Flag(help: "Check and list the changes, and change nothing.")
        var dryRun = false

        @OptionGroup var global: GlobalOptions

        func run(locked: Bool, desk: Desk, context: CommandContext) throws {
            let parsed = try sections.flatMap(Section.parse)
            if dryRun {
                let outcome = try desk.dryRun { try $0.setLocks(name, parsed, locked: locked) }
                report(outcome.value.warnings, context.io)
                return reportDryRun(outcome.changes, global: global, context: context)
            }
            announce(try desk.setLocks(name, parsed, locked: locked), locked ? "locked" : "unlocked",
                     global: global, context: context)
        }
    }

    struct Lock: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "lock",
            abstract: "Close padlocks: users can no longer personalize those sections (needs administrate).",
            discussion: AccountCommand.sectionsHelp)

        @OptionGroup var padlock: PadlockArguments
        var global: GlobalOptions { padlock.global }

        func run(desk: Desk, context: CommandContext) throws {
            try padlock.run(locked: true, desk: desk, context: context)
        }
    }

    struct Unlock: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "unlock",
            abstract: "Open padlocks: users may personalize those sections (needs administrate).",
            discussion: AccountCommand.sectionsHelp)

        @OptionGroup var padlock: PadlockArguments
        var global: GlobalOptions { padlock.global }

        func run(desk: Desk, context: CommandContext) throws {
            try padlock.run(locked: false, desk: desk, context: context)
        }
    }

    struct Password: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "password",
            abstract: "Set an account's incoming or outgoing password, or its OAuth client secret (needs administrate).",
            discussion: """
                The password is asked without echo on a terminal (twice), or read as one line from a pipe, or from \
                --password-file, --password-fd or --password-env; it is never taken from the command line. When \
                commands are read from standard input (mailsh < FILE), one of those three is required. It is \
                stored encrypted (AES-256-GCM). --clear removes it, so that each user supplies their own. `oauth` \
                sets oauth.client_secret the same way.
                """)

        @Argument(help: "The account.", completion: .accountName)
        var name: String

        @Argument(help: "Which secret: incoming, outgoing (passwords) or oauth (the OAuth client secret).")
        var side: SecretArgument

        @Flag(help: "Remove the password instead of setting one.")
        var clear = false

        @OptionGroup var source: SecretSourceOptions

        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if clear && source.isGiven { throw ValidationError("--clear takes no --password-file, --password-fd or --password-env") }
        }

        func run(desk: Desk, context: CommandContext) throws {
            let account = try desk.account(name)
            try desk.requireAdministrate(account)
            let secret = clear ? nil : try readNewPassword("\(side.promptName) of \(account.qualifiedName)",
                                                           source: source, context: context)
            announce(try desk.setSecret(name, field: side.field, secret, baseVersion: account.version),
                     clear ? "cleared the \(side.label) of" : "set the \(side.label) of",
                     global: global, context: context)
        }
    }
}

/// Prints what a `--dry-run` would have changed (the audit entries it wrote before rolling back), then says on the
/// error stream that nothing was changed.
func reportDryRun(_ changes: [AuditEntry], global: GlobalOptions, context: CommandContext) {
    if global.format == .table && changes.isEmpty {
        context.io.write("no changes\n")
    } else {
        context.io.write(Listing(columns: ["account", "field", "old", "new"], rows: changes.map {
            [$0.account, $0.field, $0.oldValue ?? "", $0.newValue ?? ""]
        }).render(global.format))
    }
    context.io.writeError("mailsh: dry run: nothing was changed\n")
}

/// Asks before a destructive command: on a terminal, the question; elsewhere (a pipe, a script, commands on
/// standard input) a refusal naming `--yes`. Throws unless the answer is yes.
func confirm(_ question: String, doing: String, context: CommandContext) throws {
    guard context.io.inputIsTerminal && !context.io.inputIsCommandStream else {
        throw MailshError.usage("\(doing) needs a confirmation, and standard input is not a terminal: give --yes "
            + "to go ahead (or --dry-run to see what it would do); nothing was changed")
    }
    guard try context.io.confirm(question) else {
        throw MailshError.usage("not confirmed; nothing was changed")
    }
}

/// Prints the result of a change: a line for people, the account's document for machines, and warnings.
func announce(_ change: Desk.Change, _ verb: String, global: GlobalOptions, context: CommandContext) {
    if global.format == .json {
        context.io.write(Output.json(AccountDocument(change.account)))
    } else {
        context.io.write("\(verb) account \(change.account.qualifiedName) (version \(change.account.version))\n")
    }
    report(change.warnings, context.io)
}

/// `imap` or `pop3` as an argument.
struct ProtocolArgument: ExpressibleByArgument {
    var value: MailProtocol
    init?(argument: String) {
        guard let value = MailProtocol(rawValue: argument) else { return nil }
        self.value = value
    }
    static var allValueStrings: [String] { MailProtocol.allCases.map(\.rawValue) }
    /// Not CaseIterable, so the bash, zsh and fish scripts would offer no values without this.
    static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
}

/// Which secret a password command sets: `incoming`, `outgoing` (passwords) or `oauth` (the OAuth client secret).
struct SecretArgument: ExpressibleByArgument {
    var field: Field
    init?(argument: String) {
        switch argument {
        case "incoming": field = .incomingPassword
        case "outgoing": field = .outgoingPassword
        case "oauth": field = .oauthClientSecret
        default: return nil
        }
    }
    /// What messages call it: `incoming password`, `OAuth client secret`.
    var label: String { field == .oauthClientSecret ? "OAuth client secret" : "\(field.side!.rawValue) password" }
    /// What the prompt calls it: `incoming`, `outgoing`, `OAuth client secret`.
    var promptName: String { field == .oauthClientSecret ? "OAuth client secret" : field.side!.rawValue }
    static var allValueStrings: [String] { ["incoming", "outgoing", "oauth"] }
    /// Not CaseIterable, so the bash, zsh and fish scripts would offer no values without this.
    static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
}

/// `incoming` or `outgoing` as an argument.
struct SideArgument: ExpressibleByArgument {
    var value: Side
    init?(argument: String) {
        guard let value = Side(rawValue: argument) else { return nil }
        self.value = value
    }
    static var allValueStrings: [String] { Side.allCases.map(\.rawValue) }
    /// Not CaseIterable, so the bash, zsh and fish scripts would offer no values without this.
    static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
}
