import Foundation

extension Account {
    /// The one rule for an account that only receives or only sends (`direction`): what needs a side it lacks is
    /// refused, naming the account, its direction and what it is for. `doing` says what was asked
    /// (`monitoring its mailbox`, `sending a reply`).
    public func requireSide(_ side: Side, _ doing: String) throws {
        guard !direction.has(side) else { return }
        switch side {
        case .incoming:
            throw MailshError.usage("\(qualifiedName) only sends (direction=outgoing): it has no incoming server, so "
                + "\(doing) is not possible")
        case .outgoing:
            throw MailshError.usage("\(qualifiedName) only receives (direction=incoming): it has no outgoing server, so "
                + "\(doing) is not possible")
        }
    }

    /// What a connection test of this account leaves out because the account lacks the side, in words
    /// (`account test` prints them; empty for an account with both sides).
    public func skippedSides(incoming: Bool, outgoing: Bool) -> [String] {
        Side.allCases.filter { !direction.has($0) && ($0 == .incoming ? incoming : outgoing) }.map { side in
            "skipped: the \(side.rawValue) server: \(qualifiedName) only "
                + (side == .incoming ? "sends" : "receives") + " (direction=\(direction.rawValue))"
        }
    }
}

extension Desk {
    /// The global accounts that can send (direction `both` or `outgoing`, with an outgoing server), by name: what a
    /// refusal to send through an incoming-only account offers instead.
    public func sendingAccounts() throws -> [String] {
        try accounts(AccountQuery(owner: .global))
            .filter { $0.direction.has(.outgoing) && $0.outgoing.host?.isEmpty == false }
            .map(\.qualifiedName).sorted()
    }
}
