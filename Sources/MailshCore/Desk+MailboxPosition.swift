import Foundation

extension Desk {
    /// Where `incoming.read=since-last` reads on from in the account's folder (`nil`: never read in that mode).
    public func mailboxPosition(_ account: Account) throws -> MailboxPosition? {
        try reading { try $0.mailboxPosition(accountID: account.id, folder: account.incoming.folder) }
    }

    /// Remembers that every message up to `lastUID` of the account's folder (at `uidValidity`) has been handled,
    /// in a short transaction of its own.
    public func saveMailboxPosition(_ account: Account, uidValidity: Int, lastUID: Int) throws {
        let position = MailboxPosition(accountID: account.id, folder: account.incoming.folder,
                                       uidValidity: uidValidity, lastUID: lastUID, updatedAt: now())
        try writing { try $0.putMailboxPosition(position) }
    }
}
