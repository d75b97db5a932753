import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a secret from the terminal without echo, or one line from a pipe. Never from argv.
public enum SecretPrompt {
    public static func read(prompt: String) -> String? {
        if isatty(0) == 1 {
            FileHandle.standardError.write(Data(prompt.utf8))
            var saved = termios()
            tcgetattr(0, &saved)
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            silent.c_lflag |= tcflag_t(ECHONL)
            tcsetattr(0, TCSAFLUSH, &silent)
            defer { tcsetattr(0, TCSAFLUSH, &saved) }
            return readLine(strippingNewline: true)
        }
        guard var line = readLine(strippingNewline: true) else { return nil }
        if line.hasSuffix("\r") { line.removeLast() }
        return line
    }
}
