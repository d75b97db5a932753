import Foundation

// What the monitor records of each mailbox, and `mailsh status`.
extension Desk {
    /// Records how a poll of `account`'s mailbox ended, in a short transaction of its own (a read of the last state
    /// and one upsert), so that a slow mailbox never holds the store.
    @discardableResult
    public func recordPoll(_ account: Account, holder: String, mode: MonitorMode = .poll,
                           outcome: PollOutcome) throws -> MailboxState {
        let at = now()
        return try writing { tx in
            let last = try tx.mailboxState(accountID: account.id)
                ?? MailboxState(accountID: account.id, holder: holder, mode: mode, lastAttemptAt: at)
            let next = last.after(outcome, holder: holder, mode: mode, at: at)
            try tx.putMailboxState(next)
            return next
        }
    }

    /// Every monitored mailbox (a global account a monitor holds or has polled), by name, optionally only names
    /// matching `match` (a glob): who reads it, how its last polls went, how many messages wait for a person, and
    /// what stops working on a known date (soon: within `window`).
    public func monitorStatus(match: String? = nil, window: ExpiryWindow? = nil) throws -> [MailboxStatus] {
        let window = try window ?? ExpiryWindow()
        let at = now()
        return try reading { tx in
            let states = Dictionary(try tx.mailboxStates().map { ($0.accountID, $0) }, uniquingKeysWith: { a, _ in a })
            let held = try tx.heldCounts()
            var result: [MailboxStatus] = []
            for account in try tx.accounts(AccountQuery(match: match, owner: .global)) {
                let lease = try tx.lease(accountID: account.id).flatMap { $0.expiresAt > at ? $0 : nil }
                let state = states[account.id]
                guard lease != nil || state != nil else { continue }
                let expiries = try tx.certificateExpiries(accountID: account.id)
                    .sorted { $0.notAfter < $1.notAfter }.map { MailboxExpiry($0, now: at, window: window) }
                result.append(MailboxStatus(account: account.qualifiedName, accountID: account.id, lease: lease,
                                            state: state, held: held[account.id] ?? 0, expiries: expiries))
            }
            return result.sorted { $0.account < $1.account }
        }
    }
}
