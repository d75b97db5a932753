import Foundation
import XCTest

/// The interactive shell in a real terminal (a tmux pane): typing, Tab completion, history across sessions,
/// Ctrl-C and Ctrl-D, a password prompt without echo, and the start-up file.
final class InteractiveShellTests: TerminalTestCase {

    func testTypedCommandsRunAndAFailingOneLeavesTheShellRunning() throws {
        ok("account", "create", "Sales", "incoming.host=imap.example.com")
        startShell()
        let greeting = terminal.screen()
        assertContains(greeting, ["mailsh on \(store) as \(Tools.loginName)", "exit or Ctrl-D to leave"])

        let listing = enter("account list")
        assertContains(listing, [prompt + "account list", "NAME", "Sales", "imap.example.com:993 ssl"])

        let failure = enter("account show Nowhere")
        assertContains(failure, ["mailsh: ", "Nowhere"])
        // Same words as the one-shot CLI, same error.
        let oneShot = fails(66, "account", "show", "Nowhere")
        XCTAssertTrue(failure.contains(oneShot.err.trimmingCharacters(in: .whitespacesAndNewlines)),
                      "the shell and the CLI should print the same error:\n\(oneShot.err)\n---\n\(failure)")

        // Unique prefixes of commands work, and the store is the shell's.
        enter("acc cre Support")
        assertContains(enter("acc li --format csv"), ["Support,imap"])
        XCTAssertNil(terminal.exitStatus(), "the shell should still be running")
    }

    func testTabCompletesACommandAnAccountNameAFieldAndAValue() throws {
        ok("account", "create", "Support")
        ok("account", "create", "Sales")
        startShell()

        terminal.type("acc")
        terminal.press("Tab")
        terminal.waitForEditedLine(prompt + "account ")
        terminal.type("se")
        terminal.press("Tab")
        terminal.waitForEditedLine(prompt + "account set ")
        terminal.type("Sup")
        terminal.press("Tab")
        terminal.waitForEditedLine(prompt + "account set Support ")
        terminal.type("incoming.sec")
        terminal.press("Tab")
        // A field completes to `FIELD=`, without a blank, ready for its value.
        terminal.waitForEditedLine(prompt + "account set Support incoming.security=")
        terminal.type("st")
        terminal.press("Tab")
        terminal.waitForEditedLine(prompt + "account set Support incoming.security=starttls ")
        terminal.press("Enter")
        terminal.waitFor("updated account Support")
        terminal.waitForEditedLine(prompt)

        let account = accountDoc("Support")
        XCTAssertEqual((account["incoming"] as? [String: Any])?["security"] as? String, "starttls", "\(account)")
    }

    func testTabTwiceListsTheCandidatesAndANameWithABlankIsEscaped() throws {
        for name in ["Sales", "Support", "Sa les"] { ok("account", "create", name) }
        startShell()
        terminal.type("account show S")
        terminal.press("Tab")
        terminal.press("Tab")
        let listed = terminal.waitFor("Support")
        assertContains(listed, ["Sa\\ les", "Sales"])
        terminal.waitForEditedLine(prompt + "account show S")

        terminal.type("a\\ ")
        terminal.press("Tab")
        terminal.waitForEditedLine(prompt + "account show Sa\\ les ")
        terminal.press("Enter")
        // The account's header may scroll off the pane (`account show` prints every field): read the scrollback.
        terminal.waitUntil("the header of account \"Sa les\"") { _ in
            terminal.everything().contains("account Sa les (global")
        }
    }

    func testHistoryIsRecalledInTheNextSessionAndTheFileIsPrivate() throws {
        ok("account", "create", "Sales")
        startShell()
        enter("account list --match S*")
        enter("user list")
        terminal.type("exit")
        terminal.press("Enter")
        XCTAssertEqual(terminal.waitForExit(), 0)

        let text = try String(contentsOf: historyFile, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("_HiStOrY_V2_"), "libedit's history format expected:\n\(text)")
        assertContains(text, ["account\\040list\\040--match\\040S*", "user\\040list"])
        XCTAssertEqual(mode(historyFile.path), 0o600)

        // A new session: Up recalls the previous session's lines, latest first.
        startShell()
        terminal.press("Up")
        terminal.waitForEditedLine(prompt + "exit")
        terminal.press("Up")
        terminal.waitForEditedLine(prompt + "user list")
        terminal.press("Up")
        terminal.waitForEditedLine(prompt + "account list --match S*")
        terminal.press("Enter")
        terminal.waitFor("Sales")
        terminal.waitForEditedLine(prompt)
    }

    func testCtrlCCancelsTheLineBeingTyped() throws {
        startShell()
        terminal.type("account create Cancelled")
        terminal.waitForEditedLine(prompt + "account create Cancelled")
        terminal.press("C-c")
        terminal.waitFor("^C")
        terminal.waitForEditedLine(prompt)
        // The shell goes on: the next line runs.
        assertContains(enter("account create Kept"), ["created account Kept"])
        terminal.press("C-d")
        XCTAssertEqual(terminal.waitForExit(), 0)

        fails(66, "account", "show", "Cancelled")
        ok("account", "show", "Kept")
        let history = try String(contentsOf: historyFile, encoding: .utf8)
        XCTAssertFalse(history.contains("Cancelled"), "a cancelled line must not enter the history:\n\(history)")
        XCTAssertTrue(history.contains("Kept"), history)
    }

    func testCtrlCStopsARunningScriptAndTheShellGoesOn() throws {
        startShell()
        // The marker is printed by the script (built at run time, so the typed line can't match it).
        terminal.type("lua mail.account.create{ name = 'Half' } print('loop' .. 'ing now') while true do end")
        terminal.press("Enter")
        terminal.waitFor("looping now")
        terminal.press("C-c")
        terminal.waitFor("interrupted (Ctrl-C)")
        terminal.waitForEditedLine(prompt)
        // The script's change was rolled back, and the shell still runs commands.
        assertContains(enter("account create After"), ["created account After"])
        terminal.press("C-d")
        XCTAssertEqual(terminal.waitForExit(), 0)
        fails(66, "account", "show", "Half")
        ok("account", "show", "After")
    }

    /// `account test --all` on a terminal shows a progress line while it works (none in a pipe: see the
    /// transport tests), and Ctrl-C there stops it from starting more tests.
    func testAccountTestsShowProgressOnATerminal() throws {
        // A server that accepts and never answers: each test waits for its timeout.
        let silent = try SilentListener()
        silent.start()
        defer { silent.stop() }
        for name in ["Slow1", "Slow2", "Slow3"] {
            ok("account", "create", name, "incoming.host=127.0.0.1", "incoming.port=\(silent.port)", "incoming.user=u",
               "outgoing.host=127.0.0.1", "outgoing.user=u", "outgoing.from=desk@example.com")
            // A test needs every required field, incoming and outgoing, even when it tests one side.
            ok("account", "password", name, "incoming", stdin: "pw\n")
            ok("account", "password", name, "outgoing", stdin: "pw\n")
        }
        startShell()
        terminal.type("account test --all --incoming-only --timeout 2 --concurrency 1")
        terminal.press("Enter")
        terminal.waitFor("[1/3]")
        terminal.press("C-c")
        terminal.waitForEditedLine(prompt)
        let screen = terminal.screen()
        assertContains(screen, ["timeout"])
        XCTAssertTrue(screen.contains("interrupted"), "the accounts not tested say why:\n\(screen)")
        XCTAssertLessThan(silent.connections, 3, "Ctrl-C should have stopped the run before the third test")
    }

    func testPasswordPromptEchoesNothingAndSecretsStayOutOfTheHistory() throws {
        let secret = "Pty-Secret-5e1f"
        let typedSecret = "Typed-Secret-9c2d"
        ok("account", "create", "Sales")
        startShell()
        terminal.type("account password Sales incoming")
        terminal.press("Enter")
        terminal.waitFor("New password for incoming of Sales:")
        terminal.type(secret)
        terminal.press("Enter")
        // Had the terminal echoed the secret, it would be on screen before the second question.
        terminal.waitFor("Retype the password:")
        terminal.type(secret)
        terminal.press("Enter")
        terminal.waitFor("set the incoming password of account Sales")
        terminal.waitForEditedLine(prompt)
        // Echo is back on for the next line.
        enter("account list")

        // A line that carries a secret runs (and is refused: passwords are never set on the command line), but
        // never enters the history.
        let refused = enter("account set Sales incoming.password=\(typedSecret)")
        assertContains(refused, ["mailsh: "])
        enter("user list")
        terminal.press("C-d")
        XCTAssertEqual(terminal.waitForExit(), 0)

        let everything = terminal.everything()
        XCTAssertFalse(everything.contains(secret), "the password was echoed:\n\(everything)")

        let history = try String(contentsOf: historyFile, encoding: .utf8)
        XCTAssertFalse(history.contains(secret), history)
        XCTAssertFalse(history.contains(typedSecret), history)
        XCTAssertFalse(history.contains("incoming.password"), history)
        // The lines around them are remembered, the password command itself included (it carries no secret).
        assertContains(history, ["account\\040password\\040Sales\\040incoming", "account\\040list", "user\\040list"])
        XCTAssertEqual(mode(historyFile.path), 0o600)

        XCTAssertEqual((accountDoc("Sales")["incoming"] as? [String: Any])?["password_set"] as? Bool, true)
    }

    /// Ctrl-C at the hidden password prompt cancels it: echo comes back, the shell's prompt returns, nothing is
    /// changed, and the shell waits for input asleep (a spinning loop shows state R in /proc/PID/stat).
    func testCtrlCAtThePasswordPromptCancelsItAndRestoresTheTerminal() throws {
        ok("account", "create", "Sales")
        startShell()
        terminal.type("account password Sales incoming")
        terminal.press("Enter")
        terminal.waitFor("New password for incoming of Sales:")
        terminal.type("half-typed")
        terminal.press("C-c")
        terminal.waitFor("cancelled")
        terminal.waitForEditedLine(prompt)
        // Echo is back: a typed command shows as it is typed, and runs.
        terminal.type("account list")
        terminal.waitForEditedLine(prompt + "account list")
        terminal.press("Enter")
        terminal.waitFor("imap")
        terminal.waitForEditedLine(prompt)
        // Waiting for the next line, the shell sleeps in the kernel: every sample of its state is S.
        let pid = try XCTUnwrap(terminal.panePID(), "the pane's process")
        for _ in 0..<20 {
            let state = try XCTUnwrap(ProcessState.state(of: pid), "no /proc/\(pid)/stat")
            XCTAssertEqual(state, "S", "the shell should be asleep waiting for input, not running")
        }
        terminal.press("C-d")
        XCTAssertEqual(terminal.waitForExit(), 0)
        XCTAssertEqual((accountDoc("Sales")["incoming"] as? [String: Any])?["password_set"] as? Bool, false)
        XCTAssertFalse(terminal.everything().contains("half-typed"), terminal.everything())
    }

    func testStartupFileRunsBeforeTheFirstPromptUnlessNoRC() throws {
        try FileManager.default.createDirectory(at: startupFile.deletingLastPathComponent(),
                                                withIntermediateDirectories: true)
        try """
            # the desk's start-up file
            account create FromRC incoming.host=imap.rc.example.com

            account show Missing
            user add carol
            """.write(to: startupFile, atomically: true, encoding: .utf8)

        startShell(["--no-rc"])
        XCTAssertFalse(terminal.screen().contains("FromRC"), terminal.screen())
        terminal.press("C-d")
        XCTAssertEqual(terminal.waitForExit(), 0)
        fails(66, "account", "show", "FromRC")

        startShell()
        // Joined: the failing line's message names the start-up file, whose path is as long as the machine's
        // temporary folder makes it, and may wrap.
        let first = terminal.joinedScreen()
        // It ran before the first prompt, and went on after its failing line, naming it.
        let created = first.range(of: "created account FromRC")
        let promptAt = first.range(of: prompt.trimmingCharacters(in: .whitespaces))
        XCTAssertNotNil(created, first)
        if let created, let promptAt { XCTAssertLessThan(created.lowerBound, promptAt.lowerBound, first) }
        assertContains(first, ["mailsh: \(startupFile.path) line 4 failed (exit status 66): account show Missing",
                               "added user carol"])
        assertContains(enter("account list"), ["FromRC", "imap.rc.example.com"])
        assertContains(enter("user list"), ["carol"])
    }

    func testCtrlDOnAnEmptyLineLeaves() throws {
        startShell()
        terminal.press("C-d")
        XCTAssertEqual(terminal.waitForExit(), 0)
    }

    func testExitAndQuitLeave() throws {
        for word in ["exit", "quit"] {
            startShell()
            terminal.type(word)
            terminal.press("Enter")
            XCTAssertEqual(terminal.waitForExit(), 0, word)
        }
    }
}


/// A TCP listener on 127.0.0.1 that accepts connections and never says a word.
final class SilentListener: @unchecked Sendable {
    let port: Int
    private let socket: Int32
    /// Guards `accepted` and `peerPorts`; signalled at each accepted connection.
    private let condition = NSCondition()
    private var accepted: [Int32] = []
    /// The client's port of each accepted connection, in the order accepted.
    private var peerPorts: [Int] = []
    /// Connections this listener made to itself (``settledConnections(timeout:)``), closed by ``stop()``.
    private var markers: [Int32] = []
    private var thread: Thread?

    init() throws {
        let fd = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        socket = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }

    /// The port of a socket's own end (`local`) or of its peer.
    private static func port(of fd: Int32, local: Bool) -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let status = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                local ? getsockname(fd, $0, &length) : getpeername(fd, $0, &length)
            }
        }
        return status == 0 ? Int(UInt16(bigEndian: address.sin_port)) : -1
    }

    /// Starts accepting (after init, so the thread may hold the listener).
    func start() {
        let listener = socket
        thread = Thread { [weak self] in
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 { return }
                let peer = Self.port(of: client, local: false)
                guard let self else { close(client); return }
                self.condition.withLock {
                    self.accepted.append(client)
                    self.peerPorts.append(peer)
                    self.condition.broadcast()
                }
            }
        }
        thread?.start()
    }

    /// The connections accepted so far (markers of ``settledConnections(timeout:)`` included).
    var connections: Int { condition.withLock { accepted.count } }

    /// Waits until `count` connections have been accepted (the event, not a delay); `false` if `timeout` seconds
    /// passed first.
    func waitForConnections(_ count: Int, timeout: TimeInterval = 30) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while accepted.count < count {
            if !condition.wait(until: deadline) { return accepted.count >= count }
        }
        return true
    }

    /// The connections others made, once every connection already made to the listener has been accepted: the
    /// listener connects to itself and waits until that connection is accepted. The kernel hands connections to
    /// `accept` in the order they were established, so every earlier one has been accepted by then (counting at
    /// once could miss one still queued). `nil` if `timeout` seconds passed first.
    func settledConnections(timeout: TimeInterval = 30) -> Int? {
        let fd = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = Self.loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        let marker = connected == 0 ? Self.port(of: fd, local: true) : -1
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        markers.append(fd)
        guard marker > 0 else { return nil }
        while !peerPorts.contains(marker) {
            if !condition.wait(until: deadline) { return nil }
        }
        return accepted.count - markers.count
    }

    func stop() {
        shutdown(socket, Int32(SHUT_RDWR))
        close(socket)
        condition.withLock {
            accepted.forEach { close($0) }
            markers.forEach { close($0) }
        }
    }
}
