import Foundation
import MailshCore
import MailshCrypto
import MailshShell
import MailshStore

/// In-process measurements of mailsh's own code; the scripts in bench/ run them beside their peers.
///
///     mailsh-bench seed STORE COUNT          create COUNT accounts (Acct000001 …) with all defaults, one transaction
///     mailsh-bench complete STORE LINE [N]   time N completions of LINE (default 1000); prints per-call figures
@main
struct Bench {
    static func main() throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard arguments.count >= 2 else {
            FileHandle.standardError.write(Data("usage: mailsh-bench seed STORE COUNT | complete STORE LINE [N]\n".utf8))
            exit(64)
        }
        let store = try SQLiteStore(path: arguments[1])
        let secrets = try KeyFile.loadOrCreate(at: KeyFileLocation.defaultPath(forStore: arguments[1]))
        let desk = try Desk.open(store: store, secrets: secrets, osUser: loginName())
        switch arguments[0] {
        case "seed":
            let count = Int(arguments[2]) ?? 0
            let start = DispatchTime.now()
            try desk.transaction { tx in
                for index in 1...count { try tx.createAccount(String(format: "Acct%06d", index)) }
            }
            print("seeded \(count) accounts in \(milliseconds(since: start)) ms")
        case "complete":
            let line = arguments[2]
            let rounds = arguments.count > 3 ? Int(arguments[3]) ?? 1000 : 1000
            Completer.readNames(from: desk)
            let completer = Completer(builtins: ["exit", "quit"])
            var candidates = 0
            let first = DispatchTime.now()
            candidates = completer.complete(line).candidates.count
            let firstMs = milliseconds(since: first)
            var samples: [Double] = []
            for _ in 0..<rounds {
                let start = DispatchTime.now()
                _ = completer.complete(line)
                samples.append(milliseconds(since: start))
            }
            samples.sort()
            let median = samples[samples.count / 2]
            let p99 = samples[min(samples.count - 1, samples.count * 99 / 100)]
            print(String(format: "completion of %@: %d candidates; first %.3f ms, median %.3f ms, p99 %.3f ms over %d",
                         line, candidates, firstMs, median, p99, rounds))
        default:
            FileHandle.standardError.write(Data("unknown benchmark \(arguments[0])\n".utf8))
            exit(64)
        }
    }

    static func milliseconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1_000_000
    }

    static func loginName() -> String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "bench"
    }
}
