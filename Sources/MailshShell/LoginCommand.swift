import ArgumentParser
import Foundation
import MailshCore

/// What `account login` and `personal login` share: a person signs in to the account's OAuth 2.0 provider.
struct LoginOptions: ParsableArguments {
    @Flag(help: "Sign in in a browser (authorization code with PKCE and a loopback redirect) instead of with a device code.")
    var browser = false

    @Flag(help: "Open the sign-in URL in a browser (xdg-open); otherwise it is only printed.")
    var open = false

    /// A server's text made safe for a terminal: the project's one rule, ``TerminalText/escaped(_:)`` (controls,
    /// bidirectional and invisible characters as `\u{XXXX}`), cut to 2048 characters.
    static func printable(_ text: String) -> String { TerminalText.escaped(String(text.prefix(2048))) }

    /// Opens `url` with `xdg-open` (the URL carries no secret: the PKCE verifier stays in this process).
    static func openInBrowser(_ url: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["xdg-open", url]
        do { try process.run() } catch {
            throw MailshError.configuration("could not run xdg-open to open a browser; open the URL printed above")
        }
    }

    /// Signs in for `reference`: refused without a person at a terminal, and for the `app` flow.
    func signIn(_ reference: String, personal: Bool, desk: Desk, context: CommandContext) throws {
        let effective = try desk.effective(reference)
        if effective.account.usesOAuth && effective.account.oauth.flow == .app {
            throw MailshError.usage("account \(effective.account.qualifiedName) uses oauth.flow=app: no one signs in; "
                + "mailsh fetches a token with the client secret when it needs one")
        }
        guard context.io.inputIsTerminal else {
            throw MailshError.usage("signing in needs a person at a terminal (a browser or a code to enter), so it is "
                + "refused in piped or batch mode; run `mailsh \(personal ? "personal" : "account") login "
                + "\(reference)` on a terminal")
        }
        guard let client = context.services.oauthClient else {
            throw MailshError.configuration("this mailsh has no OAuth 2.0 token client")
        }
        let io = context.io
        var opener: (@Sendable (String) throws -> Void)? = nil
        if open { opener = { @Sendable url in try LoginOptions.openInBrowser(url) } }
        // Ctrl-C ends the wait with a message (nothing saved), in the one-shot CLI too, where SIGINT would
        // otherwise end the process without a word.
        let saved = try Interrupt.catching { try desk.signIn(
            reference, personal: personal, client: client, preferBrowser: browser,
            openBrowser: opener,
            showDevice: { prompt in
                io.write("To sign in, open \(Self.printable(prompt.verificationURI)) and enter the code "
                    + "\(Self.printable(prompt.userCode)) (it expires at \(Timestamp.format(prompt.expiresAt)))\n")
            },
            showURL: { url in io.write("To sign in, open this URL in a browser:\n\(Self.printable(url))\n") }) }
        var line = personal ? "signed in to \(reference) for \(desk.actor.name)" : "signed in to \(reference)"
        if let expires = saved.expiresAt { line += " (access token valid until \(Timestamp.format(expires)))" }
        io.write(line + "\n")
    }
}

extension AccountCommand {
    struct Login: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "login",
            abstract: "Sign in to an account's OAuth 2.0 provider for its global tokens (needs administrate).",
            discussion: """
                For accounts with incoming.auth or outgoing.auth oauth2 and oauth.flow=delegated: a device code \
                (Microsoft) or a browser sign-in (Google, or --browser) gets tokens that are sealed in the store \
                like passwords and refreshed ahead of expiry. A person must be there: refused in piped or batch \
                mode. The app flow needs no sign-in.
                """)

        @Argument(help: "The account.", completion: .accountName)
        var name: String

        @OptionGroup var login: LoginOptions

        @OptionGroup var global: GlobalOptions

        func run(desk: Desk, context: CommandContext) throws {
            let account = try desk.account(name)
            try desk.requireAdministrate(account)
            try login.signIn(name, personal: false, desk: desk, context: context)
        }
    }
}

extension PersonalCommand {
    struct Login: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "login",
            abstract: "Sign in with your own account to a global account's OAuth 2.0 provider (personal tokens).",
            discussion: """
                Your tokens are used instead of the global ones while oauth.credentials is unlocked (the default). \
                Refused in piped or batch mode: a person must be there.
                """)

        @Argument(help: "The global account.", completion: .accountName)
        var account: String

        @OptionGroup var login: LoginOptions

        @OptionGroup var global: GlobalOptions

        func run(desk: Desk, context: CommandContext) throws {
            try login.signIn(account, personal: true, desk: desk, context: context)
        }
    }
}

/// What `account logout` and `personal logout` share: the kept tokens are forgotten (audited), with `--dry-run`.
struct LogoutOptions: ParsableArguments {
    @Flag(help: "Say whether tokens would be forgotten, and change nothing.")
    var dryRun = false

    /// Forgets the tokens of `reference` (`personal`: the acting user's own) and says what happened; never a token.
    func signOut(_ reference: String, personal: Bool, global: GlobalOptions, desk: Desk, context: CommandContext) throws {
        let whose = personal ? " for \(desk.actor.name)" : ""
        if dryRun {
            let outcome = try desk.dryRun { try $0.signOut(reference, personal: personal) }
            return reportDryRun(outcome.changes, global: global, context: context)
        }
        if try desk.signOut(reference, personal: personal) {
            context.io.write("signed out of \(reference)\(whose): the kept OAuth 2.0 tokens are forgotten\n")
        } else {
            context.io.write("no OAuth 2.0 tokens were kept for \(reference)\(whose): nothing to forget\n")
        }
    }
}

extension AccountCommand {
    struct Logout: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "logout",
            abstract: "Forget an account's global OAuth 2.0 tokens (needs administrate).",
            discussion: """
                The sealed access and refresh tokens are deleted from the store (audited as a token change, never \
                shown). The account then needs `account login` before it logs in with OAuth 2.0 again; the \
                provider's grant itself is not revoked (do that at the provider when a device is lost).
                """)

        @Argument(help: "The account.", completion: .accountName)
        var name: String

        @OptionGroup var logout: LogoutOptions

        @OptionGroup var global: GlobalOptions

        func run(desk: Desk, context: CommandContext) throws {
            try logout.signOut(name, personal: false, global: global, desk: desk, context: context)
        }
    }
}

extension PersonalCommand {
    struct Logout: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "logout",
            abstract: "Forget the OAuth 2.0 tokens you signed in with for a global account (personal tokens).",
            discussion: """
                The global tokens, if any, are used again for you. The provider's grant itself is not revoked.
                """)

        @Argument(help: "The global account.", completion: .accountName)
        var account: String

        @OptionGroup var logout: LogoutOptions

        @OptionGroup var global: GlobalOptions

        func run(desk: Desk, context: CommandContext) throws {
            try logout.signOut(account, personal: true, global: global, desk: desk, context: context)
        }
    }
}
