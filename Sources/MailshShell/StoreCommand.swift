import ArgumentParser
import Foundation
import MailshCore

/// `store …`: the store itself: its schema, and moving a desk to another store.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Create a store, bring a store's schema up to date, or copy a whole desk into another store.",
        discussion: """
            A store is a SQLite file (the default) or a PostgreSQL database (--store postgres://USER@HOST/DB). \
            mailsh opens only stores that exist: `store init --store LOCATION` makes a new one (with its key file; \
            you become its first user, with every right); the default store (no --store, no MAILSH_STORE) is \
            made on first use. Opening a store applies its missing migrations; `store migrate` does only that and lists them. \
            `store copy --to LOCATION` moves a desk, say from SQLite to PostgreSQL: every user, account, personal \
            setting, audit entry, record and the monitor's inbox, into an empty store, and then compares both \
            field by field. Passwords are opened with this store's key and sealed again with the destination's.
            """,
        subcommands: [Init.self, Migrate.self, Copy.self]
    )

    struct Init: ContextCommand {
        static let configuration = CommandConfiguration(commandName: "init",
            abstract: "Create a new, empty store and its key file; you become its first user, with every right.",
            discussion: "Example: mailsh store init --store /srv/desk/mailsh.db (a PostgreSQL database must exist "
                + "and be empty of mailsh tables). A store that exists is refused (status 73).")

        @OptionGroup var global: GlobalOptions

        func run(context: CommandContext) throws {
            let location = try context.storeLocation(global)
            if let openExisting = context.services.openExistingStore {
                do {
                    let store = try openExisting(location)
                    throw MailshError.alreadyExists(kind: "store", name: store.displayName)
                } catch MailshError.missingStore {
                    // What init is for.
                }
            }
            let store = try context.services.openStore(location)
            guard store.isNew else { throw MailshError.alreadyExists(kind: "store", name: store.displayName) }
            let secrets = try context.services.openSecrets(location, context.environment, true)
            let desk = try Desk.open(store: store, secrets: secrets, osUser: context.services.loginName())
            let key = KeyFileLocation(store: location, environment: context.environment).path
            context.io.write("created store \(store.displayName) (key file \(key))"
                + "; \(desk.actor.name) is its first user, with every right\n")
        }
    }

    struct Migrate: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply missing schema migrations and list them all.")

        @OptionGroup var global: GlobalOptions

        func run(desk: Desk, context: CommandContext) throws {
            let store = try context.openStore(global).store
            let applied = try store.appliedMigrations()
            if global.format == .json {
                context.io.write(Output.json(MigrationsDocument(store: store.displayName, migrations: applied)))
            } else {
                context.io.write("store \(store.displayName) is up to date: \(applied.count) migrations\n"
                    + applied.map { "  \($0)\n" }.joined())
            }
        }
    }

    struct Copy: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "copy",
            abstract: "Copy every user, account, setting, record and audit entry into another, empty store.",
            discussion: "Example: mailsh store copy --to 'postgres://desk@db.example.com/mailsh' (needs administrate)")

        @Option(help: ArgumentHelp("The destination: a file path, or postgres://USER@HOST[:PORT]/DB.",
                                   valueName: "location"))
        var to: String

        @OptionGroup var global: GlobalOptions

        func run(desk: Desk, context: CommandContext) throws {
            try desk.requireRight(.administrate, "copying the whole store")
            let (location, source) = try context.openStore(global)
            if location == to { throw MailshError.usage("--to names this very store") }
            let sourceSecrets = try context.services.openSecrets(location, context.environment, source.isNew)
            let destination = try context.services.openStore(to)
            let destinationSecrets = try context.services.openSecrets(to, context.environment, destination.isNew)
            let io = context.io
            let summary = try StoreCopier.copy(from: source, secrets: sourceSecrets, to: destination,
                                               secrets: destinationSecrets,
                                               progress: { io.writeError("copying: \($0)\n") })
            // The proof: both stores hold the same desk, field by field.
            guard try StoreSnapshot.take(source) == StoreSnapshot.take(destination) else {
                throw MailshError.store("the copy in \(destination.displayName) differs from \(source.displayName); "
                    + "do not use it")
            }
            if global.format == .json {
                context.io.write(Output.json(summary))
            } else {
                context.io.write("copied to \(destination.displayName) and compared: \(summary.users) users, "
                    + "\(summary.accounts) accounts, \(summary.personalSettings) personal settings, "
                    + "\(summary.secrets) passwords, \(summary.auditEntries) audit entries, \(summary.records) records "
                    + "with \(summary.messages) messages, \(summary.inboxEntries) inbox entries, "
                    + "\(summary.outboxEntries) outbox entries\n")
            }
        }
    }
}

/// What `store migrate --format json` prints.
struct MigrationsDocument: Encodable {
    var store: String
    var migrations: [String]
}
