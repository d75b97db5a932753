import Foundation
import MailshCore

extension AccountPoller {
    /// ``poll(_:summary:stored:)``, then how it ended recorded in the store for `mailsh status` (in a short
    /// transaction of its own, after the poll's connection is closed). A failure to record is logged as a warning
    /// and never fails the poll.
    func pollRecordingState(_ account: Account, holder: String, summary: inout MonitorSummary,
                            stored: inout Int) throws {
        let before = summary
        do {
            let found = try poll(account, summary: &summary, stored: &stored)
            let removed = (summary.messages - before.messages) - (summary.left - before.left)
            record(account, holder: holder, .succeeded(waiting: max(0, found - removed)))
        } catch let error as MailshError {
            record(account, holder: holder, .failed(error.message))
            throw error
        }
    }

    private func record(_ account: Account, holder: String, _ outcome: PollOutcome) {
        do {
            if let policy = options.alert {
                try recordAlerting(account, holder: holder, outcome, policy: policy)
            } else {
                try desk.recordPoll(account, holder: holder, outcome: outcome)
            }
        } catch let error as MailshError {
            log(MonitorEvent(kind: .warning, account: account.qualifiedName,
                             text: "the mailbox's state was not recorded: \(error.message)"))
        } catch {
            log(MonitorEvent(kind: .warning, account: account.qualifiedName,
                             text: "the mailbox's state was not recorded: \(error)"))
        }
    }
}
