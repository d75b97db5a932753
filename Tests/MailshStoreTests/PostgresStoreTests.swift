import Foundation
import MailshCore
import MailshCrypto
@testable import MailshStore
@testable import MailshPostgres
import MailshTesting
import XCTest

/// What only PostgreSQL has: TLS by default, a masked password, migrating from many processes, concurrent writers,
/// deadlocks retried, leases raced for over separate connections, and a lost connection.
final class PostgresStoreTests: StoreTestCase {
    override class var engines: [StoreKind] { [.postgres] }

    var url: String { databaseURL! }

    /// The test database's URL with other parameters (and optionally a password).
    func url(query: String?, password: String? = nil) throws -> String {
        var components = try XCTUnwrap(URLComponents(string: url))
        components.query = query
        components.password = password
        return try XCTUnwrap(components.string)
    }

    /// The test server speaks TLS (see ``PostgresTLSTests``), so a server without TLS is played by
    /// ``ServerWithoutTLS``, which declines the TLS request as PostgreSQL with `ssl = off` does.
    func testTLSIsVerifiedInFullByDefaultSoAServerWithoutTLSIsRefusedClearly() throws {
        let plain = try ServerWithoutTLS()
        defer { plain.stop() }
        for query in [nil, "sslmode=verify-full", "sslmode=require"] {
            var components = try XCTUnwrap(URLComponents(string: url(query: query, password: "Canary-Pw-31")))
            components.port = plain.port
            let target = try XCTUnwrap(components.string)
            XCTAssertThrowsError(try PostgresStore(url: target), "\(query ?? "default")") { error in
                guard let error = error as? MailshError, case .store = error else { return XCTFail("\(error)") }
                XCTAssertTrue(error.message.contains("does not offer TLS"), error.message)
                XCTAssertTrue(error.message.contains("sslmode=disable"), error.message)
                XCTAssertFalse(error.message.contains("Canary"), error.message)
            }
        }
        XCTAssertNoThrow(try PostgresStore(url: url(query: "sslmode=disable")))
    }

    /// An account edit of the desk makes its caller wait for the server twice: for its `BEGIN` with the account's
    /// read (`FOR UPDATE`), then for its UPDATE (with its audit rows) with the `COMMIT`, whose answers come back
    /// together; and it is stored with its audit entries.
    func testADeskEditWaitsForTheServerTwiceItsUpdateGoingWithTheCommit() throws {
        let admin = try desk()
        _ = try makeComplete("Support", desk: admin)
        let postgres = try XCTUnwrap(store as? PostgresStore)
        let audited = try store.read { try $0.auditCount() }
        let before = postgres.statementWaits
        let change = try admin.setFields("Support", assign(["outgoing.display_name": "Desk", "incoming.port": "1993"]))
        XCTAssertEqual(postgres.statementWaits - before, 2)
        let stored = try XCTUnwrap(try store.read { try $0.account(id: change.account.id) })
        XCTAssertEqual(stored.outgoing.displayName, "Desk")
        XCTAssertEqual(stored.version, change.account.version)
        XCTAssertEqual(try store.read { try $0.auditCount() }, audited + 2)
    }

    /// A shell's next line of `account set` (``Desk/Reopening``) waits for the server twice in all: the acting
    /// user is read by the account's read (one statement, sent with the `BEGIN`), the UPDATE goes with the
    /// `COMMIT` (a desk reopened before the line waits once more, for the user).
    func testAPipedEditWaitsForTheServerTwiceTheActingUserReadWithTheAccount() throws {
        let admin = try desk()
        _ = try makeComplete("Support", desk: admin)
        let postgres = try XCTUnwrap(store as? PostgresStore)
        let before = postgres.statementWaits, sent = postgres.statementsSent
        let (desk, change) = try admin.reopening(osUser: "admin")
            .setFields("Support", assign(["outgoing.display_name": "Piped", "incoming.port": "1993"]))
        XCTAssertEqual(postgres.statementWaits - before, 2)
        // BEGIN, the user's and the account's read (one statement), the UPDATE with its audit rows, COMMIT.
        XCTAssertEqual(postgres.statementsSent - sent, 4)
        XCTAssertEqual(desk.actor.name, "admin")
        XCTAssertEqual(try store.read { try $0.account(id: change.account.id) }?.outgoing.displayName, "Piped")
    }

    /// A piped edit's UPDATE sets only the columns whose values it changes (its row, read locked by the edit, is
    /// still as read), and the row it leaves is the row a whole-row UPDATE leaves: every written column holds the
    /// edited account's value.
    func testAPipedEditSetsOnlyTheColumnsItChangesLeavingTheRowAWholeUpdateLeaves() throws {
        let admin = try desk()
        _ = try makeComplete("Support", desk: admin)
        let postgres = try XCTUnwrap(store as? PostgresStore)
        let sent = postgres.valuesSent
        let (_, change) = try admin.reopening(osUser: "admin")
            .setFields("Support", assign(["outgoing.display_name": "Piped", "incoming.port": "1993"]))
        // The read: the user's name, the owner and the account's name. The UPDATE: the two fields, the version and
        // when (not by whom: admin made the account), then the key and the version read; two audit rows.
        XCTAssertEqual(postgres.valuesSent - sent, 3 + 4 + 2 + 2 * AuditRow.table.columns.count)
        let stored = try store.read { tx in
            let sql = try XCTUnwrap(tx as? any SQLTransaction)
            return try sql.rows("\(AccountRow.select(sql.dialect)) WHERE id = ?", [.text(change.account.id)],
                                refusing: nil) { value in try (0..<AccountRow.table.columns.count).map(value) }
        }
        XCTAssertEqual(stored, [AccountRow.table.values(change.account)])
        XCTAssertEqual(change.account.outgoing.displayName, "Piped")
        XCTAssertEqual(change.account.incoming.port, 1993)
    }

    /// The columns an UPDATE sets are told from the row as read only while the transaction has written nothing since
    /// it read it locked: after another write, or for another version, every column is set.
    func testOnlyARowStillAsReadIsUpdatedByItsChangedColumns() throws {
        let admin = try desk()
        let account = try makeComplete("Support", desk: admin)
        try store.writeOperation { tx in
            let postgres = try XCTUnwrap(tx as? PostgresTransaction)
            let read = try XCTUnwrap(try tx.usersAndAccount(named: ["admin"], account: "Support", owner: nil).account)
            var edited = read
            edited.outgoing.displayName = "Edited"
            XCTAssertEqual(postgres.changedColumns(edited, expectedVersion: read.version)?.map(\.name), ["out_display_name"])
            XCTAssertEqual(postgres.changedColumns(read, expectedVersion: read.version)?.map(\.name), nil)
            XCTAssertNil(postgres.changedColumns(edited, expectedVersion: read.version + 1))
            try postgres.run("UPDATE account SET out_host = 'other.example.com' WHERE id = ?", [.text(account.id)])
            XCTAssertNil(postgres.changedColumns(edited, expectedVersion: read.version))
        }
    }

    func testDisplayNameMasksThePasswordEverywhereTheDeskShowsIt() throws {
        let withPassword = try url(query: "sslmode=disable", password: "Canary-Pw-32")
        let opened = try PostgresStore(url: withPassword)
        XCTAssertTrue(opened.displayName.contains(":***@"), opened.displayName)
        XCTAssertFalse(opened.displayName.contains("Canary"))
        XCTAssertEqual(try desk(store: opened).storeName, opened.displayName)
    }

    func testMigrationsAreNamedAndMigratingAgainOrFromManyProcessesAtOnceIsHarmless() throws {
        let names = ["v1: accounts, users, personal settings, audit", "v2: trust settings and last test",
                     "v3: records, the monitor's inbox, mailbox leases, what the monitor does with mail",
                     "v4: live monitors",
                     "v5: OAuth 2.0 logins: each side's auth, the OAuth client and its padlocks, tokens",
                     "v6: the outbox: mail recorded by the transaction that decided it, sent after commit",
                     "v7: what the monitor saw of each mailbox (mailsh status)",
                     "v8: what the monitor reads (since the last filed UID), quoted conversation IDs",
                     "v9: client certificates for mutual TLS: certificate file, key file or sealed key per side",
                     "v10: accounts that only receive or only send",
                     "v11: the certificate expiry account audit saw (mailsh status)",
                     "v12: records by creation time (record list reads them in order)",
                     "v13: answers to held mail",
                     "v14: records by second created (record list --sort created reads them in order)",
                     "v15: accounts by name and owner (account list reads them in order)"]
        XCTAssertEqual(try XCTUnwrap(store as? PostgresStore).appliedMigrations(), names)
        XCTAssertEqual(PostgresStore.migrations.map(\.name), names, "the same names as SQLite's")
        XCTAssertEqual(try (reopenStore() as? PostgresStore)?.appliedMigrations(), names)

        // A fresh database, opened by six processes at once (each its own connection), each then opening a desk:
        // one migration, one creator registered.
        let fresh = try XCTUnwrap(server).createDatabase()
        let failures = LockedList<String>()
        let secrets = self.secrets!
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            do {
                _ = try Desk.open(store: PostgresStore(url: fresh), secrets: secrets, osUser: "admin")
            } catch {
                failures.append("\(error)")
            }
        }
        XCTAssertEqual(failures.items, [])
        let opened = try PostgresStore(url: fresh)
        XCTAssertEqual(try opened.appliedMigrations(), names)
        let desk = try desk(store: opened)
        XCTAssertEqual(try desk.users().map(\.name), ["admin"])
        XCTAssertEqual(try desk.audit().filter { $0.field == "user" }.count, 1)
    }

    /// A transaction PostgreSQL re-runs (a serialization failure, forced by a trigger that fails once: a sequence
    /// is not rolled back) queued its mail twice, once per run; only the committed run's is sent, once.
    func testAReplyInATransactionPostgreSQLReRunsIsSentOnce() throws {
        let admin = try desk()
        try makeComplete("Support", desk: admin)
        try admin.setFields("Support", try assign(["conversation.prefix": "SUP"]))
        let record = try admin.createRecord(account: "Support", subject: "Printer on floor 3 is jammed",
                                            requester: "a@b.c")
        try store.write { tx in
            let session = (tx as! PostgresTransaction).session
            try session.execute("CREATE SEQUENCE fail_once")
            try session.execute("""
                CREATE FUNCTION fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF nextval('fail_once') = 1 THEN
                        RAISE EXCEPTION 'forced serialization failure' USING ERRCODE = '40001';
                    END IF;
                    RETURN NEW;
                END $$
                """)
            try session.execute("CREATE TRIGGER fail_once BEFORE UPDATE ON record FOR EACH ROW EXECUTE FUNCTION fail_once()")
        }
        let sender = ScriptedMailSender()
        var runs = 0
        let (_, deliveries) = try admin.transactionDelivering(sender: sender) { desk in
            runs += 1
            _ = try desk.queueReply(record.number, body: "We are on it.")
            try desk.setRecordStatus(record.number, .closed)
        }
        XCTAssertEqual(runs, 2, "PostgreSQL re-ran the transaction")
        XCTAssertEqual(sender.sent.count, 1, "sent once")
        XCTAssertEqual(deliveries.map(\.outcome), [.sent("250 2.0.0 Ok: queued")])
        XCTAssertEqual(try admin.record(record.number).messages.map(\.conversationID), ["SUP1"])
        XCTAssertEqual(try admin.outbox().map(\.status), [.sent])
    }

    func testConcurrentEditsFromSeveralConnectionsLoseNothingAndShowNoError() throws {
        let admin = try desk()
        try makeComplete("Support", desk: admin)
        let writers = 4, edits = 50
        let desks = try (0..<writers).map { _ in try desk(store: reopenStore()) }
        // Each edit changes something (a blind `account set` of a new folder).
        let assignments = try (0..<writers).map { writer in
            try (0..<edits).map { edit in try assign(["incoming.folder": "w\(writer)-\(edit)"]) }
        }
        let failures = LockedList<String>()
        let started = Date()
        DispatchQueue.concurrentPerform(iterations: writers) { writer in
            for edit in 0..<edits {
                do {
                    try desks[writer].setFields("Support", assignments[writer][edit])
                } catch {
                    failures.append("\(error)")
                }
            }
        }
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(failures.items, [])
        XCTAssertEqual(try admin.account("Support").version, 1 + writers * edits, "no lost update")
        XCTAssertEqual(try admin.audit("Support").filter { $0.field == "incoming.folder" }.count, writers * edits)
        print("postgres: \(writers) connections x \(edits) edits of one account in "
            + String(format: "%.2f s (%.0f edits/s)", seconds, Double(writers * edits) / seconds))
    }

    func testADeadlockIsRetriedInsideMailshAndNeverShown() throws {
        let admin = try desk()
        try makeComplete("A", desk: admin)
        try makeComplete("B", desk: admin)
        let first = try desk(store: reopenStore())
        let second = try desk(store: reopenStore())
        let failures = LockedList<String>()
        let attempts = LockedCounter()
        // Each transaction locks one account, waits for the other to lock the other one, then wants it: a deadlock
        // PostgreSQL breaks by failing one of them, which mailsh runs again.
        let changes = [try assign(["incoming.port": "1111"]), try assign(["outgoing.port": "2222"])]
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            let (mine, theirs) = index == 0 ? ("A", "B") : ("B", "A")
            do {
                try (index == 0 ? first : second).transaction { tx in
                    attempts.add()
                    try tx.setFields(mine, changes[index])
                    Thread.sleep(forTimeInterval: 0.3)
                    try tx.setFields(theirs, changes[index])
                }
            } catch {
                failures.append("\(error)")
            }
        }
        XCTAssertEqual(failures.items, [])
        XCTAssertGreaterThan(attempts.value, 2, "one of them was run again")
        for name in ["A", "B"] {
            let account = try admin.account(name)
            XCTAssertEqual(account.incoming.port, 1111)
            XCTAssertEqual(account.outgoing.port, 2222)
            XCTAssertEqual(account.version, 3)
        }
    }

    func testASerializationFailureReRunsTheWholeTransactionEvenWhenTheCallerCaughtIt() throws {
        let postgres = try XCTUnwrap(store as? PostgresStore)
        let raise = "DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = 'serialization_failure'; END $$"
        var attempts = 0
        try postgres.write { tx in
            attempts += 1
            try tx.insert(User(name: "u\(attempts)", rights: [], createdAt: Date()))
            if attempts < 3 {
                // The caller turns the failure into something else: mailsh still knows to run it again.
                do { try (tx as! PostgresTransaction).session.execute(raise) } catch { throw CocoaError(.featureUnsupported) }
            }
        }
        XCTAssertEqual(attempts, 3)
        XCTAssertEqual(try postgres.read { try $0.users().map(\.name) }, ["u3"], "the failed attempts left nothing")

        // Past the bound, a plain store error without the server's internals.
        postgres.maximumAttempts = 4
        attempts = 0
        assertThrows(.store, {
            try postgres.write { tx in
                attempts += 1
                try (tx as! PostgresTransaction).session.execute(raise)
            }
        }, message: { $0.contains("busy with other writers") && !$0.contains("40001") })
        XCTAssertEqual(attempts, 4)
    }

    func testTwoConnectionsRacingForLeasesNeverBothWin() throws {
        let admin = try desk()
        let accounts = try admin.transaction { tx in
            try (0..<40).map { try tx.createAccount("Box\($0)").account }
        }
        let desks = try (0..<2).map { _ in try desk(store: reopenStore()) }
        let winners = LockedList<String>()
        let failures = LockedList<String>()
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            for account in accounts {
                do {
                    _ = try desks[index].acquireMailbox(account, holder: "monitor-\(index)", period: 60)
                    winners.append("\(account.name) monitor-\(index)")
                } catch let error as MailshError where error.exitStatus == .conflict {
                    // The other one holds it.
                } catch {
                    failures.append("\(error)")
                }
            }
        }
        XCTAssertEqual(failures.items, [])
        XCTAssertEqual(winners.items.count, accounts.count, "\(winners.items)")
        for account in accounts {
            let holders = winners.items.filter { $0.hasPrefix(account.name + " ") }
            XCTAssertEqual(holders.count, 1, "\(account.name): \(holders)")
            let lease = try store.read { try $0.lease(accountID: account.id) }
            XCTAssertEqual(holders.first.map { String($0.split(separator: " ")[1]) }, lease?.holder)
        }
    }

    func testALostConnectionIsAClearStoreErrorAndTheNextCallReconnects() throws {
        let admin = try desk()
        try makeComplete("Support", desk: admin)
        let postgres = try XCTUnwrap(store as? PostgresStore)
        let pid = try postgres.backendProcessID()
        assertThrows(.store, {
            _ = try postgres.write { tx in
                try self.server?.execute("SELECT pg_terminate_backend(\(pid))")
                Thread.sleep(forTimeInterval: 0.2)
                return try tx.account(named: "Support", owner: nil)
            }
        }, message: { $0.contains("lost the connection") && $0.contains("127.0.0.1") })
        // The next call gets a new connection.
        XCTAssertEqual(try admin.account("Support").version, 1)
        XCTAssertNotEqual(try postgres.backendProcessID(), pid)
        // A connection cut while idle is replaced without a word.
        try server?.execute("SELECT pg_terminate_backend(\(try postgres.backendProcessID()))")
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertNoThrow(try admin.account("Support"))
    }

    /// A desk operation (``AccountStore/writeOperation(_:)``) sends its `BEGIN` with its first statement: when the
    /// connection turns out lost before that `BEGIN` reached the server, nothing of the operation did, and it runs
    /// again from its start on a new connection, as when a waited `BEGIN` finds the connection gone. (A `write`
    /// waits for its `BEGIN`, so the same loss in its body is reported: the test above.)
    func testADeskOperationWhoseBeginFoundTheConnectionLostRunsAgainOnANewOne() throws {
        let admin = try desk()
        try makeComplete("Support", desk: admin)
        let postgres = try XCTUnwrap(store as? PostgresStore)
        let pid = try postgres.backendProcessID()
        var runs = 0
        let account = try postgres.writeOperation { tx in
            runs += 1
            // The server's process of this connection ends (waited for) before the operation's first statement.
            if runs == 1 { try self.server?.execute("SELECT pg_terminate_backend(\(pid), 60000)") }
            return try tx.account(named: "Support", owner: nil)
        }
        XCTAssertEqual(account?.version, 1)
        XCTAssertEqual(runs, 2)
        XCTAssertNotEqual(try postgres.backendProcessID(), pid)
    }

    // MARK: libpq's pipeline (PostgresSession over PostgresConnection)

    /// Thrown at the end of a transaction whose checks were made inside it, so that it rolls back.
    struct Done: Error {}

    /// A statement sent without waiting is not waited for; its failure is thrown by the next statement waited for
    /// (one wait for both, in one batch), which the server then skipped, and names the sent statement's number.
    func testASentStatementsFailureIsThrownByTheNextWaitedStatementInOneWait() throws {
        let postgres = try XCTUnwrap(store as? PostgresStore)
        var checked = false
        assertThrows(.store, {
            try postgres.write { tx in
                let session = (tx as! PostgresTransaction).session
                let waits = session.waits
                try session.send("SAVEPOINT sent")
                let failing = try session.send("SELECT 1 / 0")
                try session.send("RELEASE SAVEPOINT sent")
                XCTAssertEqual(session.waits, waits, "nothing sent was waited for")
                XCTAssertNil(session.failedSequence)
                do {
                    try session.query("SELECT 1 AS one")
                    XCTFail("the waited statement hid the sent one's failure")
                } catch let error as PostgresServerError {
                    XCTAssertEqual(error.sqlState, "22012", "\(error)")
                    XCTAssertFalse(error.connectionLost)
                }
                XCTAssertEqual(session.waits, waits + 1, "one wait for the batch")
                XCTAssertEqual(session.failedSequence, failing)
                checked = true
                throw Done()
            }
        })
        XCTAssertTrue(checked)
        // The connection goes on: the next transaction begins clean.
        XCTAssertEqual(try postgres.read { tx in
            try (tx as! PostgresTransaction).session.row("SELECT 2::bigint AS two").map { try $0("two", as: Int.self) }
        }, 2)
    }

    /// A connection the server closed (pg_terminate_backend from another connection, waited for until the process
    /// is gone) fails the next batch, never hangs: the first statement of the batch, sent without waiting, carries
    /// the loss, and the session knows itself closed.
    func testAConnectionTheServerClosedFailsTheNextBatchInsteadOfHanging() throws {
        let postgres = try XCTUnwrap(store as? PostgresStore)
        let pid = try postgres.backendProcessID()
        var checked = false
        assertThrows(.store, {
            try postgres.write { tx in
                let session = (tx as! PostgresTransaction).session
                try self.server?.execute("SELECT pg_terminate_backend(\(pid), 60000)")
                let first = try session.send("SAVEPOINT gone")
                do {
                    try session.query("SELECT 1 AS one")
                    XCTFail("a statement on a closed connection was answered")
                } catch {
                    XCTAssertTrue(PostgresFailure.isConnectionLoss(error), "\(error)")
                }
                XCTAssertEqual(session.failedSequence, first)
                XCTAssertTrue(session.isClosed)
                // Later statements fail at once, without touching the socket.
                XCTAssertThrowsError(try session.query("SELECT 1 AS one")) {
                    XCTAssertTrue(PostgresFailure.isConnectionLoss($0), "\($0)")
                }
                checked = true
                return
            }
        }, message: { $0.contains("lost the connection") })
        XCTAssertTrue(checked)
        XCTAssertNotEqual(try postgres.backendProcessID(), pid, "the next call connected again")
    }

    /// More statements sent without waiting than the session queues (``PostgresSession/maximumQueued``): their
    /// answers are read when the queue is full (one wait), all are stored, and the first failure among them is
    /// still thrown by the next statement waited for, with nothing stored.
    func testALongRunOfSentStatementsIsReadOnceTheQueueIsFullKeepingTheFirstFailure() throws {
        let postgres = try XCTUnwrap(store as? PostgresStore)
        try postgres.execute("CREATE TABLE pipelined (n BIGINT NOT NULL)")
        let count = PostgresSession.maximumQueued + 44
        let waits = try postgres.write { tx in
            let session = (tx as! PostgresTransaction).session
            let before = session.waits
            for number in 0..<count {
                try session.send(PostgresStatement(sql: "INSERT INTO pipelined (n) VALUES ($1)", values: [.integer(number)]))
            }
            return session.waits - before
        }
        XCTAssertEqual(waits, 1, "the full queue was read once")
        func stored() throws -> [Int] {
            try postgres.read { tx in
                try (tx as! PostgresTransaction).session.rows("SELECT n FROM pipelined ORDER BY n")
                    .map { try $0("n", as: Int.self) }
            }
        }
        XCTAssertEqual(try stored(), Array(0..<count))

        try postgres.execute("DELETE FROM pipelined")
        var failing = 0
        assertThrows(.store, {
            try postgres.write { tx in
                let session = (tx as! PostgresTransaction).session
                for number in 0..<count {
                    // One NULL early on, refused by the column; the rest of its batch is skipped.
                    let value: SQLValue = number == 10 ? .null : .integer(number)
                    let sent = try session.send(PostgresStatement(sql: "INSERT INTO pipelined (n) VALUES ($1)",
                                                                  values: [value]))
                    if number == 10 { failing = sent }
                }
                XCTAssertNil(session.failedSequence, "nothing waited for yet")
                do {
                    try session.query("SELECT 1 AS one")
                } catch {
                    XCTAssertEqual(PostgresFailure.sqlState(error), PostgresFailure.notNullViolation, "\(error)")
                    XCTAssertEqual(session.failedSequence, failing)
                    throw error
                }
            }
        }, message: { $0.contains("SQLSTATE 23502") })
        XCTAssertEqual(try stored(), [])
    }

    /// Every kind of value the SQL layer binds comes back as bound (text format both ways, `bytea` binary): the
    /// extremes of a 64-bit integer, doubles to the bit (negative zero, infinities, the smallest subnormal), text
    /// with quotes, backslashes and non-ASCII letters, every byte, flags, NULL and NaN.
    func testEveryKindOfValueComesBackAsBound() throws {
        let values: [SQLValue] = [
            .integer(Int.min), .integer(Int.max), .integer(0), .integer(-42),
            .real(0.1), .real(-0.0), .real(1e308), .real(.infinity), .real(-.infinity), .real(5e-324),
            .real(-123.456e-7),
            .text(""), .text("it's a \\ \"test\" ümlaut 漢字 🙂"), .text("$1 ? --"),
            .blob(Array(0...255)), .blob([]),
            .boolean(true), .boolean(false),
        ]
        let read = try XCTUnwrap(store as? PostgresStore).read { tx in
            let sql = try XCTUnwrap(tx as? any SQLTransaction)
            let list = values.indices.map { "? AS v\($0)" }.joined(separator: ", ")
            return try sql.rows("SELECT " + list, values, refusing: nil) { value in try values.indices.map(value) }
        }
        XCTAssertEqual(read.count, 1)
        for (index, (got, bound)) in zip(read.first ?? [], values).enumerated() {
            XCTAssertTrue(got.isStored(as: bound), "value \(index): \(got) read, \(bound) bound")
        }
        // NULL (of a type the statement gives it) and NaN, which is not equal to itself.
        let rows = try XCTUnwrap(store as? PostgresStore).read { tx in
            try (tx as! PostgresTransaction).session.query(PostgresStatement(
                sql: "SELECT CAST($1 AS BIGINT) AS nothing, $2 AS nan", values: [.null, .real(.nan)])).rows
        }
        XCTAssertEqual(rows.first?.first, .null)
        guard case .real(let number) = rows.first?.last, number.isNaN else { return XCTFail("\(rows)") }
    }

    /// A server that takes the connection but never answers (a listener that accepts nothing: the kernel completes
    /// the handshake) is given up after ``PostgresConnection/connectTimeout`` seconds, with a clear store error.
    func testAServerThatNeverAnswersIsGivenUpWithAClearStoreError() throws {
        // Never accepted: the kernel completes the handshake and takes the login; nobody answers it.
        let (listening, port) = try ServerWithoutTLS.listen()
        defer { close(listening) }
        let location = try PostgresLocation(url)
        let target = "postgres://\(location.user)@127.0.0.1:\(port)/x?sslmode=disable"
        assertThrows(.store, { _ = try PostgresStore(url: target) }, message: {
            $0.contains("cannot reach the PostgreSQL server at 127.0.0.1")
                && $0.contains("no answer within \(PostgresConnection.connectTimeout) seconds")
        })
    }

    func testAnUnreachableServerIsAClearStoreError() throws {
        let location = try PostgresLocation(url)
        // A port nothing listens on (the server's own port plus one is very likely free).
        let target = "postgres://\(location.user)@127.0.0.1:\(location.port == 65535 ? 1 : location.port + 1)/x?sslmode=disable"
        assertThrows(.store, { _ = try PostgresStore(url: target) },
                     message: { $0.contains("cannot reach the PostgreSQL server at 127.0.0.1") })
        assertThrows(.store, { _ = try PostgresStore(url: self.url.replacingOccurrences(of: "/mailsh_test_", with: "/nope_")) },
                     message: { $0.contains("no database nope_") })
    }
}

/// A list shared by threads.
final class LockedList<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [Element] = []
    func append(_ element: Element) { lock.withLock { list.append(element) } }
    var items: [Element] { lock.withLock { list } }
}
