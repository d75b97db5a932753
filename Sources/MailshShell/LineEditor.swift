@preconcurrency internal import CEditLine
import Foundation
import MailshCore

/// Line editing, history and Tab completion through libedit's readline interface.
///
/// libedit keeps its state in globals, so there is one editor per process. Ctrl-C while typing returns
/// ``Line/interrupted`` (the line is dropped); Ctrl-D on an empty line returns ``Line/end``.
final class LineEditor {
    enum Line: Equatable {
        case text(String)
        /// A line that is not text (invalid UTF-8): refused whole.
        case refused(MailshError)
        case interrupted
        case end
    }

    /// The completion function libedit calls back (a C function pointer cannot capture context).
    /// `nonisolated(unsafe)`: set and called only on the shell's one thread (libedit calls back on the thread that
    /// reads the line).
    nonisolated(unsafe) static var complete: ((String) -> Completer.Completion)?

    let historyPath: String?
    let historyLimit: Int

    init(historyPath: String?, historyLimit: Int = 2000) {
        self.historyPath = historyPath
        self.historyLimit = historyLimit
        mailsh_rl_readline_name().pointee = UnsafePointer(strdup("mailsh"))
        mailsh_rl_catch_signals().pointee = 0
        // Words break at blanks only, so `incoming.security=` and `OWNER/NAME` complete as one word.
        mailsh_rl_basic_word_break_characters().pointee = UnsafePointer(strdup(" \t\n"))
        mailsh_rl_completer_word_break_characters().pointee = strdup(" \t\n")
        mailsh_rl_attempted_completion_function().pointee = { text, start, end in
            LineEditor.attemptCompletion(text: text, start: Int(start), end: Int(end))
        }
        stifle_history(Int32(historyLimit))
        loadHistory()
    }

    /// Reads one line, showing `prompt`.
    func read(prompt: String) -> Line {
        Interrupt.reset()
        errno = 0
        guard let raw = readline(prompt) else {
            if Interrupt.requested || errno == EINTR {
                Interrupt.reset()
                return .interrupted
            }
            return .end
        }
        defer { free(raw) }
        if Interrupt.requested {
            Interrupt.reset()
            return .interrupted
        }
        do {
            return .text(try TextInput.decode(UnsafeRawBufferPointer(start: raw, count: strlen(raw)), what: "the line"))
        } catch {
            return .refused(error as? MailshError ?? .usage("\(error)"))
        }
    }

    // MARK: History

    /// Why the history file is not used (a symbolic link at its path), told once; `nil` while it is usable.
    private(set) var historyRefusal: MailshError?

    /// Loads the shared history file (other sessions' lines included), never through a symbolic link: libedit
    /// reads the descriptor opened here (as `/proc/self/fd/N`), not the path again.
    func loadHistory() {
        guard let historyPath, historyRefusal == nil else { return }
        let fd: Int32
        do {
            guard let opened = try LocalFile.open(historyPath, O_RDONLY | O_NONBLOCK, kind: "history file") else { return }
            fd = opened
        } catch let error as MailshError {
            historyRefusal = error
            return
        } catch {
            return
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return }
        clear_history()
        _ = read_history("/proc/self/fd/\(fd)")
    }

    /// Adds a line to the history and to the shared file (0600, at most `historyLimit` lines). Merges what other
    /// sessions wrote meanwhile, so the history is shared across sessions.
    ///
    /// The file is written under a new private name in its folder and renamed over the history file: a rename
    /// replaces a symbolic link planted there, it never writes (or `chmod`s) the file the link points to.
    func remember(_ line: String) {
        guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        guard let historyPath, historyRefusal == nil else {
            add_history(line)
            return
        }
        loadHistory()
        add_history(line)
        guard historyRefusal == nil, let temporary = Self.createPrivately(historyPath) else { return }
        if write_history(temporary) == 0, history_truncate_file(temporary, Int32(historyLimit)) == 0,
           rename(temporary, historyPath) == 0 {
            return
        }
        unlink(temporary)
    }

    /// Creates the history's folder (0700) and a new empty file (0600) beside `path`; returns its name.
    static func createPrivately(_ path: String) -> String? {
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        let temporary = path + ".new-\(getpid())"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        fchmod(fd, 0o600)
        close(fd)
        return temporary
    }

    // MARK: Completion

    /// Builds libedit's match array: the common prefix first, then every candidate, then NULL.
    static func attemptCompletion(text: UnsafePointer<CChar>?, start: Int, end: Int) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        mailsh_rl_attempted_completion_over().pointee = 1
        guard let complete, let buffer = mailsh_rl_line_buffer().pointee else { return nil }
        // The line up to the cursor, as characters (libedit counts bytes).
        let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self),
                                              count: Int(mailsh_rl_point().pointee)))
        let line = String(decoding: bytes, as: UTF8.self)
        let word = text.map { String(cString: $0) } ?? ""
        let completion = complete(line)
        // libedit replaces `word`; our candidates replace the word starting at completion.start, which may begin
        // earlier (an opening quote). Keep only the part from where libedit's word starts.
        let ourWord = String(line.dropFirst(completion.start))
        let extra = ourWord.count - word.count
        var matches = completion.candidates.map { candidate -> String in
            let escaped = escape(candidate)
            return extra > 0 ? String(escaped.dropFirst(extra)) : escaped
        }.filter { $0.hasPrefix(word) }
        guard !matches.isEmpty else { return nil }
        let common = commonPrefix(matches)
        if matches.count == 1 {
            mailsh_rl_completion_append_character().pointee = (common.hasSuffix("=") || common.hasSuffix("/")) ? 0 : 32
            matches = []
        } else {
            mailsh_rl_completion_append_character().pointee = 0
        }
        let all = [common] + matches
        // libedit looks at matches[2] even when there is one match: end with two NULLs.
        let array = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: all.count + 2)
        for (index, item) in all.enumerated() { array[index] = strdup(item) }
        array[all.count] = nil
        array[all.count + 1] = nil
        return array
    }

    /// Backslash-escapes blanks and quotes, as the tokenizer reads them back.
    static func escape(_ word: String) -> String {
        var out = ""
        for character in word {
            if character == " " || character == "\"" || character == "'" || character == "\\" || character == "#" {
                out.append("\\")
            }
            out.append(character)
        }
        return out
    }

    static func commonPrefix(_ words: [String]) -> String {
        guard var prefix = words.first else { return "" }
        for word in words.dropFirst() {
            while !word.hasPrefix(prefix) { prefix.removeLast() }
        }
        return prefix
    }
}
