internal import CCurl
import Foundation
import MailshCore

/// How a transfer ended: libcurl's result, its error text, and the system error of the connection, if any.
struct TransferOutcome {
    var code: CURLcode
    var errorText: String
    var osError: Int32

    var ok: Bool { code == CURLE_OK }

    /// The error as libcurl words it, with its code.
    var curlText: String {
        let text = errorText.isEmpty ? Curl.describe(code) : errorText
        return "\(text) (libcurl error \(code.rawValue))"
    }
}

/// A server's text in double quotes, with control characters escaped so that no server can drive the terminal
/// of the person reading the report.
func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        default:
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                out += String(format: "\\x%02X", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

/// Turns how a conversation ended into a verdict and a sentence for people.
enum Verdicts {
    static func classify(_ outcome: TransferOutcome, analysis: ConversationAnalysis, server: ConnectionTestServer,
                         timeout: Double) -> (TestVerdict, String?) {
        let endpoint = "\(server.host):\(server.port)"
        let error = outcome.errorText
        let last = analysis.lastServerLine.map { ": " + quoted($0) } ?? ""
        let side = server.side.rawValue
        let seconds = timeout == timeout.rounded() ? String(Int(timeout)) : String(timeout)

        if let message = clientCertificateWanted(outcome, analysis: analysis, server: server, endpoint: endpoint) {
            return (.tls, message)
        }

        if analysis.uploadRefusedWithoutLogin {
            let offered = analysis.auth == nil ? "did not offer AUTH after EHLO" : "did not accept the login"
            return (.auth, "the server at \(endpoint) \(offered), so the message was NOT sent: the account has \(side) "
                + "credentials, and mailsh never sends without the login they ask for (capabilities: "
                + "\(analysis.capabilities.joined(separator: " "))); for a relay that takes mail without a login, "
                + "set \(side).auth=none")
        }

        switch outcome.code {
        case CURLE_OK:
            if server.proto == .smtp && analysis.auth == nil, case .none = server.credential {
                return (.ok, nil)
            }
            if server.proto == .smtp && analysis.auth == nil {
                return (.auth, "the server at \(endpoint) did not offer AUTH after EHLO, so the credentials were not "
                    + "tested (capabilities: \(analysis.capabilities.joined(separator: " ")))")
            }
            if server.security != .none, let credentials = analysis.firstCredentialAt,
               analysis.tlsUpAt.map({ $0 > credentials }) ?? true {
                return (.protocol, "credentials were sent before TLS was up; this must never happen, report it")
            }
            return (.ok, nil)

        case CURLE_COULDNT_RESOLVE_HOST:
            return (.cannotConnect, "cannot resolve the host name \(server.host) (\(error))")

        case CURLE_COULDNT_CONNECT:
            let reason: String
            switch outcome.osError {
            case ECONNREFUSED: reason = "connection refused: nothing listens on port \(server.port)"
            case EHOSTUNREACH: reason = "host unreachable"
            case ENETUNREACH: reason = "network unreachable"
            case 0: reason = error
            default: reason = String(cString: strerror(outcome.osError))
            }
            return (.cannotConnect, "cannot connect to \(endpoint): \(reason)")

        case CURLE_OPERATION_TIMEDOUT:
            if !analysis.connected {
                return (.timeout, "no connection to \(endpoint) within \(seconds) s")
            }
            if let garbage = analysis.unfinishedGarbage {
                return (.protocol, "the server's reply\(analysis.unfinished.map { " to " + describe($0) } ?? "") makes no "
                    + "sense: \(quoted(String(garbage.prefix(120))))")
            }
            if analysis.excessiveLine {
                return (.protocol, "the server sent a line of endless length\(analysis.unfinished.map { " during " + describe($0) } ?? ""); "
                    + "gave up after \(seconds) s")
            }
            if let stage = analysis.unfinished, analysis.unfinishedLines > 200 || analysis.unfinishedBytes > 64 * 1024 {
                return (.protocol, "the server kept sending (\(analysis.unfinishedLines) lines, \(analysis.unfinishedBytes) "
                    + "bytes) without ever completing its reply to \(stage); gave up after \(seconds) s")
            }
            let waiting = analysis.unfinished ?? analysis.stages.last(where: { !$0.ok })?.name ?? "a reply"
            var hint = ""
            if waiting == "greeting" && server.security != .ssl {
                hint = "; a server that expects TLS from the first byte stays silent like this: is port \(server.port) "
                    + "an implicit-TLS port (then \(side).security=ssl)?"
            }
            return (.timeout, "no answer from \(endpoint) within \(seconds) s (waiting for: \(waiting))\(hint)")

        case CURLE_RECV_ERROR where error.contains("Too large"):
            // libcurl stops reading replies past its limit.
            let what = analysis.unfinishedLines == 0 ? "a line of endless length"
                : "\(analysis.unfinishedLines) lines (\(analysis.unfinishedBytes) bytes)"
            return (.protocol, "the server kept sending \(what) without ever completing its reply"
                + "\(analysis.unfinished.map { " to " + describe($0) } ?? ""); mailsh stopped reading (\(error))")

        case CURLE_SSL_CONNECT_ERROR:
            var hint = ""
            if server.security == .ssl && error.contains("wrong version number") {
                hint = "; the port may not speak implicit TLS (try \(side).security=starttls or the server's TLS port)"
            }
            return (.tls, "the TLS handshake with \(endpoint) failed: \(error)\(hint)")

        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
             CURLE_SSL_INVALIDCERTSTATUS:
            return (.certificate, "the certificate of \(endpoint) was not accepted: \(explain(error, server: server))")

        case CURLE_SSL_CERTPROBLEM:
            // The client certificate or its key was refused locally, before anything was sent.
            return (.tls, "the client certificate \(side).client_cert could not be used with its key (\(side).client_key or "
                + "\(side).client_key_pem): \(error.isEmpty ? outcome.curlText : error); a PEM certificate and the "
                + "unencrypted private key that belongs to it are needed")

        case CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CRL_BADFILE:
            return (.certificate, "the CA file \(server.trust.caFile ?? "(system)") could not be used: \(error)")

        case CURLE_USE_SSL_FAILED:
            if analysis.preauth {
                return (.refused, "the server greeted with PREAUTH (already logged in) on a connection that must first "
                    + "switch to TLS: a STARTTLS downgrade; refused, nothing was sent")
            }
            if let starttls = analysis.stage("starttls"), !starttls.ok {
                return (.refused, "the server refused STARTTLS, which \(side).security=starttls requires: "
                    + quoted(starttls.reply ?? "(no reply)"))
            }
            return (.refused, "the server at \(endpoint) does not offer STARTTLS, which \(side).security=starttls requires "
                + "(capabilities: \(analysis.capabilities.joined(separator: " "))); no credentials were sent")

        case CURLE_LOGIN_DENIED, CURLE_AUTH_ERROR:
            if let auth = analysis.auth, let challenge = auth.challenge {
                // A refused token: the decoded challenge says why (its status, the scope the server wants).
                return (.auth, "the server refused the token for the login \(server.user) (\(auth.mechanism)): "
                    + challenge.summary + (auth.ok || auth.reply == Conversation.noReply ? "" : "; " + quoted(auth.reply)))
            }
            if analysis.auth == nil, case let .oauth2(_, mechanism) = server.credential {
                return (.auth, "the server does not offer \(mechanism.saslName ?? "OAUTHBEARER or XOAUTH2"), so the token "
                    + "could not be presented (capabilities: \(analysis.capabilities.joined(separator: " ")))")
            }
            if let auth = analysis.auth {
                return (.auth, "the server refused the login of \(server.user) (\(auth.mechanism)): "
                    + quoted(auth.reply))
            }
            return (.auth, "the server offers no way to log in that mailsh can use (\(error); capabilities: "
                + "\(analysis.capabilities.joined(separator: " ")))")

        case CURLE_REMOTE_ACCESS_DENIED, CURLE_QUOTE_ERROR, CURLE_REMOTE_FILE_NOT_FOUND:
            let stage = analysis.stages.last { !$0.ok }
            return (.refused, "the server refused \(stage.map { describe($0.name) } ?? "a command")"
                + (stage?.reply.map { ": " + quoted($0) } ?? last))

        default:
            break
        }

        // What is left: the connection broke or the replies made no sense. Which stage tells what it means.
        if !analysis.connected {
            return (.cannotConnect, "cannot connect to \(endpoint): \(outcome.curlText)")
        }
        if analysis.banner == nil {
            if server.security == .ssl && analysis.tlsUpAt == nil {
                return (.tls, "the TLS handshake with \(endpoint) failed: \(outcome.curlText)")
            }
            if analysis.lastServerLine == nil {
                return (.cannotConnect, "the server at \(endpoint) closed the connection before it greeted (\(outcome.curlText))")
            }
        }
        if server.security == .starttls, analysis.stage("starttls")?.ok == true, analysis.tlsUpAt == nil {
            // libcurl refuses a reply that carries more data after the yes to STARTTLS (CVE-2021-22947).
            if outcome.code == CURLE_WEIRD_SERVER_REPLY || error.localizedCaseInsensitiveContains("after")
                || error.localizedCaseInsensitiveContains("pipelin") {
                return (.protocol, "the server sent data right after its yes to STARTTLS, before TLS was up (a command "
                    + "injection attempt); nothing more was sent (\(outcome.curlText))")
            }
            return (.tls, "the TLS handshake after STARTTLS failed: \(outcome.curlText)")
        }
        if server.proto == .smtp, let failed = analysis.stages.last(where: { !$0.ok }),
           ["mail", "rcpt", "data"].contains(failed.name), let reply = failed.reply,
           let first = reply.first, first == "4" || first == "5" {
            return (.refused, "the server refused \(describe(failed.name)): \(quoted(reply))")
        }
        if let reply = analysis.stage("starttls")?.reply, analysis.stage("starttls")?.ok == false {
            return (.refused, "the server refused STARTTLS: \(quoted(reply))")
        }
        let stage = analysis.unfinished ?? analysis.stages.last(where: { !$0.ok })?.name
        return (.protocol, "unexpected reply from the server\(stage.map { " during " + describe($0) } ?? "")\(last) "
            + "(\(outcome.curlText))")
    }

    /// The sentence for a server that refused the connection over its client certificate (mutual TLS), or `nil`: none
    /// was presented, or the one presented (`client_cert`) was not accepted. How servers say it:
    /// - a TLS 1.3 alert "certificate required" (116), often only at the first read after the handshake, where it looks
    ///   like a broken connection; with TLS 1.2 the server aborts the very handshake it asked a certificate in
    ///   (`handshake_failure`);
    /// - an alert about the certificate presented ("unknown ca", "bad certificate", "certificate expired", …): only the
    ///   client's certificate can be the subject of an alert from the server;
    /// - a reply after a handshake that asked for a certificate, naming it: Postfix `421 4.7.1 … No client certificate
    ///   presented` / `Client certificate not trusted`, Dovecot `NO [ALERT] Client didn't present valid SSL certificate`.
    /// Many servers ask without requiring one, so a request alone followed by any other failure does not count.
    static func clientCertificateWanted(_ outcome: TransferOutcome, analysis: ConversationAnalysis,
                                        server: ConnectionTestServer, endpoint: String) -> String? {
        guard !outcome.ok else { return nil }
        let error = outcome.errorText.lowercased()
        let requiredAlert = error.contains("certificate required")
        let certificateAlerts = ["alert unknown ca", "alert bad certificate", "alert certificate unknown",
                                 "alert unsupported certificate", "alert certificate expired", "alert certificate revoked",
                                 "alert decrypt error", "alert access denied"]
        let refusedAlert = error.contains("alert") && certificateAlerts.contains { error.contains($0) }
        let handshakeAbortedAfterRequest = analysis.clientCertificateRequested && outcome.code == CURLE_SSL_CONNECT_ERROR
        let replies = [analysis.auth?.reply, analysis.lastServerLine].compactMap { $0 }
        let reply = analysis.clientCertificateRequested
            ? replies.first { $0.range(of: "certificate", options: .caseInsensitive) != nil } : nil
        guard requiredAlert || refusedAlert || handshakeAbortedAfterRequest || reply != nil else { return nil }
        let side = server.side.rawValue
        let said = reply.map { "the server said \(quoted($0))" } ?? outcome.curlText
        guard let client = server.clientCertificate else {
            return "the server at \(endpoint) wants a client certificate (TLS client authentication) and refused the "
                + "connection without one; mailsh presented none: set \(side).client_cert=PATH and \(side).client_key=PATH "
                + "(a 0600 file), or seal the key with `mailsh account client-key ACCOUNT \(side)` (\(said))"
        }
        return "the server at \(endpoint) did not accept the client certificate \(side).client_cert="
            + "\(quoted(client.certificateFile)): it takes only certificates issued by a CA it trusts, still valid, for "
            + "client authentication (\(said))"
    }

    /// A certificate failure in words, with what the certificate was checked against.
    static func explain(_ error: String, server: ConnectionTestServer) -> String {
        let against = server.trust.caFile.map { "the CA file \($0)" } ?? "the system's CA certificates"
        let lower = error.lowercased()
        if lower.contains("unable to get local issuer") || lower.contains("unable to get issuer") {
            return "its issuer is unknown (not in \(against)) (\(error))"
        }
        if lower.contains("self-signed") || lower.contains("self signed") {
            return "it is self-signed and not trusted by \(against) (\(error))"
        }
        if lower.contains("subject name") || lower.contains("does not match") || lower.contains("alternative certificate") {
            return "it is not valid for the host name \(server.host) (\(error))"
        }
        if lower.contains("expired") { return "it has expired (\(error))" }
        if lower.contains("not yet valid") { return "it is not valid yet (\(error))" }
        return error
    }

    static func describe(_ stage: String) -> String {
        switch stage {
        case "folder": return "the folder"
        case "mail": return "the sender (MAIL FROM)"
        case "rcpt": return "the recipient (RCPT TO)"
        case "data": return "the message (DATA)"
        case "auth": return "the login"
        case "capabilities": return "the capability request"
        default: return stage
        }
    }
}
