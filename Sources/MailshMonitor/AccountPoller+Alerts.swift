import Foundation
import MailshCore

extension AccountPoller {
    /// Records how a poll ended and, in the same transaction, queues the incident's alert or recovery notice when
    /// one is due (``Desk/recordPoll(_:holder:mode:outcome:alerting:)``); then delivers it, now that the
    /// transaction has committed, and logs it (`alert`, `recovered`: the metrics count these events). Mail that
    /// could not be delivered now stays in the outbox, where the monitor's outbox drain tries it again.
    func recordAlerting(_ account: Account, holder: String, _ outcome: PollOutcome, mode: MonitorMode = .poll,
                        policy: AlertPolicy) throws {
        let result = try desk.recordPoll(account, holder: holder, mode: mode, outcome: outcome, alerting: policy)
        if let problem = result.problem {
            log(MonitorEvent(kind: .warning, account: account.qualifiedName,
                             text: "failing since \(Timestamp.format(result.state.errorSince ?? Date())); "
                                + "no alert was sent: \(problem)"))
            return
        }
        guard let entry = result.queued, let notice = result.notice else { return }
        let route = (try? desk.account(id: entry.accountID))?.qualifiedName ?? entry.accountID
        var event = MonitorEvent(kind: notice == .alert ? .alert : .recovered, account: account.qualifiedName,
                                 text: "", messageID: entry.message.messageID, subject: entry.message.subject)
        let to = entry.message.to.joined(separator: ", ")
        switch notice {
        case .alert:
            event.text = "failing since \(Timestamp.format(result.state.errorSince ?? Date())) "
                + "(\(result.state.failures) poll(s) in a row): alert mail \(entry.id) to \(to) through \(route)"
        case .recovery:
            event.text = "works again: recovery mail \(entry.id) to \(to) through \(route)"
        }
        guard let sender else {
            event.text += "; left in the outbox"
            log(event)
            return
        }
        do {
            let delivery = try desk.deliverOutbox(entry.id, sender: sender, oauthClient: oauthClient,
                                                  timeout: options.timeout)
            if case .failed(let error) = delivery.outcome {
                event.text += "; not delivered yet (kept in the outbox): \(error.message)"
            }
        } catch let error as MailshError {
            event.text += "; not delivered yet (kept in the outbox): \(error.message)"
        }
        log(event)
    }
}
