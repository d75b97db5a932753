import ArgumentParser

/// `completion bash|zsh|fish`: the completion script for an operator's shell, generated from the declarations.
struct CompletionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completion",
        abstract: "Print the completion script for bash, zsh or fish, or the manual page (man).",
        discussion: """
            Install them as the README's "Completion for bash, zsh and fish" shows (the folders follow \
            XDG_DATA_HOME and XDG_CONFIG_HOME). man prints mailsh(1) in roff, generated from the same declarations.
            The scripts complete commands, options and values, and account and user names from the store the \
            command line names (--store), by calling mailsh back.
            """)

    @Argument(help: "bash, zsh, fish or man.", completion: .list(["bash", "zsh", "fish", "man"]))
    var shell: String

    func validate() throws {
        guard shell == "man" || CompletionShell(rawValue: shell) != nil else {
            throw ValidationError("shell: \"\(shell)\" is not allowed; allowed: bash, zsh, fish, man")
        }
    }

    func run() throws {
        if shell == "man" {
            print(Manual.page(), terminator: "")
            return
        }
        print(CompletionScripts.script(for: CompletionShell(rawValue: shell)!), terminator: "")
    }
}
