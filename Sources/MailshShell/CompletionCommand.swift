import ArgumentParser

/// `completion bash|zsh|fish`: the completion script for an operator's shell, generated from the declarations.
struct CompletionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completion",
        abstract: "Print the completion script for bash, zsh or fish.",
        discussion: """
            bash:  mailsh completion bash > ~/.local/share/bash-completion/completions/mailsh
            zsh:   mailsh completion zsh > ~/.zfunc/_mailsh   (with fpath+=(~/.zfunc); autoload -U compinit; compinit)
            fish:  mailsh completion fish > ~/.config/fish/completions/mailsh.fish
            The scripts complete commands, options and values, and account and user names from the store the \
            command line names (--store), by calling mailsh back.
            """)

    @Argument(help: "bash, zsh or fish.", completion: .list(["bash", "zsh", "fish"]))
    var shell: String

    func validate() throws {
        guard CompletionShell(rawValue: shell) != nil else {
            throw ValidationError("shell: \"\(shell)\" is not allowed; allowed: bash, zsh, fish")
        }
    }

    func run() throws {
        print(MailshCommand.completionScript(for: CompletionShell(rawValue: shell)!), terminator: "")
    }
}
