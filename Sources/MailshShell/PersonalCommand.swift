import ArgumentParser
import MailshCore

/// `personal …`: the current user's own values for a global account.
struct PersonalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "personal",
        abstract: "Your own settings for a global account, where its padlocks allow.",
        discussion: "Personal values override the global account in unlocked sections (credentials, by default). "
            + "A user with override_locks may override locked sections too. Use --as USER to act for another user.",
        subcommands: [Set.self, Password.self, Login.self, Logout.self, Show.self, Clear.self]
    )
}

extension PersonalCommand {
    struct Set: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "set",
            abstract: "Set your own values (an empty value removes yours).",
            discussion: "Fields: " + Field.personalizable.filter { !$0.isSecret }.map(\.name).joined(separator: ", "))

        @Argument(help: "The global account.", completion: .accountName)
        var account: String

        @Argument(help: ArgumentHelp("Settings, such as incoming.user=alice.", valueName: "field=value"),
                  completion: .custom { _, _, prefix in
                      completeAssignment(prefix: prefix, fields: Field.personalizable.filter { !$0.isSecret })
                  })
        var assignments: [String]

        @OptionGroup var global: GlobalOptions

        func run(desk: Desk, context: CommandContext) throws {
            let parsed = try Assignment.parseAll(assignments, passwordHint: "mailsh personal password \(account) incoming|outgoing")
            let effective = try desk.setPersonal(account, parsed)
            context.io.write(global.format == .json ? Output.json(PersonalCommand.document(effective))
                             : "updated your settings for \(account)\n")
        }
    }

    struct Password: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "password",
            abstract: "Set your own incoming or outgoing password (or OAuth client secret) for a global account.",
            discussion: "Asked without echo on a terminal, or one line from a pipe, or from --password-file, "
                + "--password-fd or --password-env (required when commands are read from standard input); never "
                + "from the command line.")

        @Argument(help: "The global account.", completion: .accountName)
        var account: String

        @Argument(help: "incoming, outgoing, or oauth (the OAuth client secret).")
        var side: SecretArgument

        @Flag(help: "Remove your password.")
        var clear = false

        @OptionGroup var source: SecretSourceOptions

        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if clear && source.isGiven { throw ValidationError("--clear takes no --password-file, --password-fd or --password-env") }
        }

        func run(desk: Desk, context: CommandContext) throws {
            // Refuse a locked section before asking for anything.
            let (target, _) = try desk.personal(account)
            let field = side.field
            try desk.requireUnlocked(field, target)
            let secret = clear ? nil : try readNewPassword(side.field == .oauthClientSecret ? "your OAuth client secret for \(account)"
                                                     : "your \(side.promptName) login to \(account)",
                                                     source: source, context: context)
            _ = try desk.setPersonalSecret(account, field: field, secret)
            context.io.write(clear ? "cleared your \(side.label) for \(account)\n"
                             : "set your \(side.label) for \(account)\n")
        }
    }

    struct Show: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show your own values for a global account.")

        @Argument(help: "The global account.", completion: .accountName)
        var account: String

        @OptionGroup var global: GlobalOptions

        func run(desk: Desk, context: CommandContext) throws {
            let (target, settings) = try desk.personal(account)
            if global.format == .json {
                context.io.write(Output.json(PersonalDocument(
                    user: settings.user, account: target.name,
                    values: Dictionary(uniqueKeysWithValues: settings.values.map { ($0.key.name, $0.value) }),
                    secrets_sealed: nil, passwords_set: settings.secrets.keys.sorted().map(\.name))))
                return
            }
            let rows = Field.personalizable.compactMap { field -> [String]? in
                let value = field.isSecret ? (settings.secrets[field] == nil ? nil : "(set)") : settings.values[field]
                guard let value else { return nil }
                let section = field.section!
                let state = !target.personalValuesApply(in: section, for: desk.actor) ? "ignored: \(section.rawValue) is locked"
                    : target.isLocked(section) ? "in effect (override_locks)" : "in effect"
                return [field.name, value, state]
            }
            if global.format == .table && rows.isEmpty {
                context.io.write("no personal settings of \(settings.user) for \(target.name)\n")
            } else {
                context.io.write(Listing(columns: ["field", "value", "state"], rows: rows).render(global.format))
            }
        }
    }

    struct Clear: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "clear",
            abstract: "Remove your own values (of one section, or all).",
            discussion: """
                The sections named (a shorthand such as credentials names several) are cleared together or not at \
                all. On a terminal mailsh asks first; --yes skips the question, and is required when standard input \
                is not a terminal (a script, a pipe, mailsh < FILE). --dry-run lists what would be cleared and \
                clears nothing.
                """)

        @Argument(help: "The global account.", completion: .accountName)
        var account: String

        @Argument(help: ArgumentHelp("A section (default: all of them). " + AccountCommand.sectionsHelp),
                  completion: .list(Section.allNames))
        var section: String?

        @Flag(name: [.customShort("y"), .long], help: "Clear without asking (required when not on a terminal).")
        var yes = false

        @Flag(help: "List what would be cleared, and clear nothing.")
        var dryRun = false

        @OptionGroup var global: GlobalOptions

        func run(desk: Desk, context: CommandContext) throws {
            if dryRun {
                let outcome = try desk.dryRun { try $0.clearPersonal(account, sections: section) }
                return reportDryRun(outcome.changes, global: global, context: context)
            }
            let what = "your settings for \(account)\(section.map { " (\($0))" } ?? "")"
            if !yes {
                // Every rule first: a question that is refused anyway is not asked.
                _ = try desk.dryRun { try $0.clearPersonal(account, sections: section) }
                try confirm("Clear \(what)? [y/N] ", doing: "personal clear \(account)", context: context)
            }
            _ = try desk.clearPersonal(account, sections: section)
            context.io.write("cleared \(what)\n")
        }
    }

    static func document(_ effective: EffectiveSettings) -> AccountCommand.Show.Document {
        AccountCommand.Show.Document(
            user: effective.user, account: AccountDocument(effective.account),
            origins: Dictionary(uniqueKeysWithValues: effective.origins.map { ($0.key.name, $0.value.rawValue) }),
            warnings: [])
    }
}
