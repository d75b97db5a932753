import ArgumentParser
import MailshCore

/// `user …`: the people and processes that use the store, and their rights.
struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Register users and manage their rights.",
        discussion: "Rights: administrate (global accounts, users, acting as others), override_locks (personalize "
            + "locked sections), add_accounts (add one's own accounts).",
        subcommands: [Add.self, Set.self, List.self, Show.self, Grant.self, Revoke.self]
    )
}

extension UserCommand {
    static func render(_ users: [User], format: OutputFormat) -> String {
        if format == .json { return Output.json(users.map(UserDocument.init)) }
        return Listing(columns: ["name", "email", "rights"],
                       rows: users.map { [$0.name, $0.email ?? "", $0.rightNames.joined(separator: ",")] }).render(format)
    }

    /// Reads `email=ADDR` and `rights=R1,R2` arguments.
    static func settings(_ texts: [String], allowRights: Bool) throws -> (email: String??, rights: Swift.Set<Right>?) {
        var email: String??
        var rights: Swift.Set<Right>?
        for text in texts {
            guard let eq = text.firstIndex(of: "=") else {
                throw MailshError.usage("expected email=ADDRESS\(allowRights ? " or rights=LIST" : ""), got \(text)")
            }
            let key = text[..<eq], value = String(text[text.index(after: eq)...])
            switch key {
            case "email": email = .some(value.isEmpty ? nil : value)
            case "rights" where allowRights: rights = try User.parseRights(value)
            default:
                throw MailshError.invalidValue(field: String(key), value: value,
                                               allowed: allowRights ? "email=ADDRESS, rights=LIST" : "email=ADDRESS")
            }
        }
        return (email, rights)
    }

    struct Add: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "add",
            abstract: "Register a user (needs administrate).",
            discussion: "Example: mailsh user add alice email=alice@example.com rights=override_locks")

        @Argument(help: "The user's name (their login name, so that mailsh recognizes them).")
        var name: String

        @Argument(help: ArgumentHelp("email=ADDRESS and optionally rights=R1,R2 (administrate, override_locks, add_accounts, all).",
                                     valueName: "setting"),
                  completion: .list(["email=", "rights="]))
        var settings: [String] = []

        @OptionGroup var global: GlobalOptions

        func run(desk: Desk, context: CommandContext) throws {
            let parsed = try UserCommand.settings(settings, allowRights: true)
            let user = try desk.addUser(name, email: parsed.email ?? nil, rights: parsed.rights ?? [])
            context.io.write(global.format == .json ? Output.json(UserDocument(user)) : "added user \(user.name)\n")
        }
    }

    struct Set: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Change a user's e-mail address.")

        @Argument(help: "The user.", completion: .userName)
        var name: String

        @Argument(help: ArgumentHelp("email=ADDRESS (empty to clear).", valueName: "setting"), completion: .list(["email="]))
        var settings: [String]

        @OptionGroup var global: GlobalOptions

        func run(desk: Desk, context: CommandContext) throws {
            let parsed = try UserCommand.settings(settings, allowRights: false)
            guard let email = parsed.email else { throw MailshError.usage("nothing to change; give email=ADDRESS") }
            let user = try desk.setUserEmail(name, email)
            context.io.write(global.format == .json ? Output.json(UserDocument(user)) : "updated user \(user.name)\n")
        }
    }

    struct List: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List users and their rights.")

        @OptionGroup var listing: ListingOptions

        @OptionGroup var global: GlobalOptions

        func run(desk: Desk, context: CommandContext) throws {
            let users = try desk.users()
            if global.format == .json {
                context.page(Output.json(users.map(UserDocument.init), lines: listing.jsonLines))
                return
            }
            context.page(try Listing(columns: ["name", "email", "rights"],
                                     rows: users.map { [$0.name, $0.email ?? "", $0.rightNames.joined(separator: ",")] })
                .render(global.format, options: listing, width: context.tableWidth))
        }
    }

    struct Show: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one user (default: the current user).")

        @Argument(help: "The user.", completion: .userName)
        var name: String?

        @OptionGroup var global: GlobalOptions

        func run(desk: Desk, context: CommandContext) throws {
            context.io.write(UserCommand.render([try desk.user(name ?? desk.actor.name)], format: global.format))
        }
    }

    /// What `grant` and `revoke` take: a user and a right.
    struct RightArguments: ParsableArguments {
        @Argument(help: "The user.", completion: .userName)
        var name: String

        @Argument(help: "administrate, override_locks or add_accounts.", completion: .list(Right.allCases.map(\.rawValue)))
        var right: String

        @OptionGroup var global: GlobalOptions

        func run(granted: Bool, desk: Desk, context: CommandContext) throws {
            let user = try desk.setRight(name, try Right.parse(right), granted: granted)
            context.io.write(UserCommand.render([user], format: global.format))
        }
    }

    struct Grant: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "grant", abstract: "Grant a right (needs administrate).")

        @OptionGroup var arguments: RightArguments
        var global: GlobalOptions { arguments.global }

        func run(desk: Desk, context: CommandContext) throws {
            try arguments.run(granted: true, desk: desk, context: context)
        }
    }

    struct Revoke: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a right (needs administrate).")

        @OptionGroup var arguments: RightArguments
        var global: GlobalOptions { arguments.global }

        func run(desk: Desk, context: CommandContext) throws {
            try arguments.run(granted: false, desk: desk, context: context)
        }
    }
}
