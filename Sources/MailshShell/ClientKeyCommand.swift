import ArgumentParser
import Foundation
import MailshCore

extension AccountCommand {
    /// `account client-key`: seals a client certificate's private key in the store (mutual TLS).
    struct ClientKey: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "client-key",
            abstract: "Seal the private key of a side's client certificate in the store (needs administrate).",
            discussion: """
                For servers that require a client certificate (mutual TLS). The key is read from --key-file (an \
                unencrypted PEM private key; the file may be removed afterwards) and stored encrypted \
                (AES-256-GCM) as incoming.client_key_pem or outgoing.client_key_pem; it is opened only in memory \
                when mailsh connects, never written to a file, never printed. The certificate itself is named with \
                `account set ACCOUNT incoming.client_cert=PATH`. Instead of a sealed key, a key file only its owner \
                may read can be named with incoming.client_key=PATH. --clear removes the sealed key.
                """)

        @Argument(help: "The account.", completion: .accountName)
        var name: String

        @Argument(help: "Which side: incoming or outgoing.")
        var side: SideArgument

        @Option(help: ArgumentHelp("Read the PEM private key from this file (private to you, not a symbolic link).",
                                   valueName: "path"), completion: .file())
        var keyFile: String?

        @Flag(help: "Remove the sealed key instead of setting one.")
        var clear = false

        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if clear == (keyFile != nil) { throw ValidationError("give either --key-file PATH or --clear") }
        }

        func run(desk: Desk, context: CommandContext) throws {
            let account = try desk.account(name)
            try desk.requireAdministrate(account)
            let field = Field.clientCertificate(side.value).sealedKey
            var pem: String?
            if let keyFile {
                guard let bytes = try LocalFile.read(keyFile, kind: "key file", limit: 64 * 1024) else {
                    throw MailshError.notFound(kind: "key file", name: keyFile)
                }
                pem = try TextInput.decode(bytes, what: "the key file")
            }
            announce(try desk.setSecret(name, field: field, pem, baseVersion: account.version),
                     clear ? "cleared the sealed \(side.value.rawValue) client key of" : "sealed the \(side.value.rawValue) client key of",
                     global: global, context: context)
        }
    }
}
