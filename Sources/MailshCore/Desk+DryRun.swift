import Foundation

/// What an operation would have done: its result and the changes it made before they were rolled back.
public struct DryRun<Value> {
    /// What the operation returned.
    public var value: Value
    /// The audit entries the operation wrote (every change the store keeps is audited), oldest first.
    public var changes: [AuditEntry]
}

/// Thrown to end a dry run's transaction.
private struct DryRunRollBack: Error {}

extension Desk {
    /// Runs `body` in a transaction that is always rolled back (`--dry-run`): every rule is checked and every change
    /// made as for real, and the changes are read back from the audit log before the store forgets them.
    ///
    /// Inside a larger transaction the body runs in a savepoint that is rolled back alone. Errors of the body are
    /// thrown as they are (nothing was changed either way).
    public func dryRun<Value>(_ body: (Desk) throws -> Value) throws -> DryRun<Value> {
        var outcome: DryRun<Value>?
        // The body's own error must survive the store, which turns every other error into a store error.
        var failure: (any Error)?
        do {
            try transaction { desk in
                let before = try desk.reading { try $0.auditCount() }
                let value: Value
                do {
                    value = try body(desk)
                } catch {
                    failure = error
                    throw DryRunRollBack()
                }
                let after = try desk.reading { try $0.auditCount() }
                let changes = after > before ? try desk.reading { try $0.audit(account: nil, limit: after - before) } : []
                outcome = DryRun(value: value, changes: changes)
                throw DryRunRollBack()
            }
        } catch {
            if let failure { throw failure }
            if outcome == nil { throw error }
        }
        guard let outcome else { throw MailshError.store("the dry run ended without a result") }
        return outcome
    }
}

extension StoreTransaction {
    /// How many entries the audit log holds (stores count them in SQL; this default reads them all).
    public func auditCount() throws -> Int {
        try audit(account: nil, limit: nil).count
    }
}
