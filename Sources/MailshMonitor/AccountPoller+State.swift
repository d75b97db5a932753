import Foundation
import MailshCore

extension AccountPoller {
    /// ``poll(_:summary:stored:)``, then how it ended recorded in the store for `mailsh status` (in a short
    /// transaction of its own, after the poll's connection is closed). A failure to record is logged as a warning
    /// and never fails the poll.
    /// With `open`, the poll reads that session and leaves it open (``MailboxWatch``), recorded in `mode`.
    func pollRecordingState(_ account: Account, holder: String, summary: inout MonitorSummary,
                            stored: inout Int, on open: OpenMailbox? = nil, mode: MonitorMode = .poll) throws {
        let before = summary
        do {
            let found = try poll(account, summary: &summary, stored: &stored, on: open)
            let removed = (summary.messages - before.messages) - (summary.left - before.left)
            record(account, holder: holder, .succeeded(waiting: max(0, found - removed)), mode: mode)
        } catch let error as MailshError {
            record(account, holder: holder, .failed(error.message), mode: mode)
            throw error
        }
    }

    /// Records how reading the mailbox went (a failure to record is logged as a warning).
    func record(_ account: Account, holder: String, _ outcome: PollOutcome, mode: MonitorMode = .poll) {
        do {
            if let policy = options.alert {
                try recordAlerting(account, holder: holder, outcome, mode: mode, policy: policy)
            } else {
                try desk.recordPoll(account, holder: holder, mode: mode, outcome: outcome)
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
