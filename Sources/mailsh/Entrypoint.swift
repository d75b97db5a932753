import Foundation
import MailshProgram
import MailshShell

/// The installed program, without the PostgreSQL engine and the metrics endpoint (and the NIO behind them): a command
/// line it serves runs here; any other is handed, before any input is read, to `mailsh-full` beside it
/// (``ProgramChoice``).
@main
struct Entrypoint {
    static func main() {
        let arguments = (1..<Int(CommandLine.argc)).map { CommandLine.unsafeArgv[$0].map { String(cString: $0) } ?? "" }
        if !ProgramChoice.leanServes(arguments, storeVariable: getenv("MAILSH_STORE").map { String(cString: $0) }) {
            Program.handOverToFullProgram()
        }
        Program.run(ProgramParts())
    }
}
