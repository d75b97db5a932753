import Foundation
import MailshCore
import MailshCrypto
@testable import MailshTransport
import XCTest

/// The OAuth wire without a server: request building, reply classification, redaction, the checks before any I/O.
final class OAuthWireTests: XCTestCase {
    let token = "ya29.Canary-" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
    let endpoints = OAuthEndpoints(token: "https://login.example.com/tenant/oauth2/v2.0/token",
                                   revocation: "https://login.example.com/revoke")

    func testPKCEChallengeIsTheRFC7636Example() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        let challenge = OAuthForm.base64URL(CurlOAuthClient.bytes(hex: Digest.sha256Hex(Array(verifier.utf8))))
        XCTAssertEqual(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    }

    func testFormBodiesAndClientAuthentication() throws {
        XCTAssertEqual(OAuthForm.encode([("scope", "https://outlook.office.com/IMAP.AccessAsUser.All offline_access"),
                                         ("a", "x+y&z=~")]),
                       "scope=https%3A%2F%2Foutlook.office.com%2FIMAP.AccessAsUser.All%20offline_access&a=x%2By%26z%3D~")
        let publicClient = OAuthClient(id: "app-id", endpoints: endpoints)
        let (body, headers) = try CurlOAuthClient.request(publicClient, url: endpoints.token, field: "oauth.token_url",
                                                          form: [("grant_type", "refresh_token"), ("refresh_token", "r1")])
        XCTAssertEqual(body, "grant_type=refresh_token&refresh_token=r1&client_id=app-id")
        XCTAssertEqual(headers, [])
        let post = OAuthClient(id: "app-id", secret: Secret("s3cr:et"), endpoints: endpoints)
        XCTAssertEqual(try CurlOAuthClient.request(post, url: endpoints.token, field: "f", form: []).body,
                       "client_id=app-id&client_secret=s3cr%3Aet")
        let basic = OAuthClient(id: "app-id", secret: Secret("s3cr:et"), authentication: .basic, endpoints: endpoints)
        let basicRequest = try CurlOAuthClient.request(basic, url: endpoints.token, field: "f", form: [("grant_type", "x")])
        XCTAssertEqual(basicRequest.body, "grant_type=x")
        XCTAssertEqual(basicRequest.headers, ["Authorization: Basic " + Data("app-id:s3cr%3Aet".utf8).base64EncodedString()])
    }

    func testValuesWithLineBreaksAndBadURLsAreRefusedBeforeAnyIO() {
        let client = OAuthClient(id: "app-id", secret: Secret("line\r\nbreak"), endpoints: endpoints)
        XCTAssertThrowsError(try CurlOAuthClient.request(client, url: endpoints.token, field: "oauth.token_url", form: [])) {
            XCTAssertEqual($0 as? MailshError, .invalidValue(field: "oauth.client_secret", value: "(secret)",
                                                             allowed: "a value without CR, LF or NUL"))
        }
        let good = OAuthClient(id: "app-id", endpoints: endpoints)
        XCTAssertThrowsError(try CurlOAuthClient.request(good, url: endpoints.token, field: "f",
                                                         form: [("refresh_token", "abc\0def")])) {
            XCTAssertFalse("\($0)".contains("abc"), "\($0)")
        }
        for url in ["http://login.example.com/token", "https://user:pw@login.example.com/token", "https:///token",
                    "https://login.example.com/to ken", "https://login.example.com/token#x"] {
            XCTAssertThrowsError(try CurlOAuthClient.request(good, url: url, field: "oauth.token_url", form: []), url)
        }
        XCTAssertThrowsError(try CurlOAuthClient.scopeText(["mail", "bad\nscope"]))
    }

    func reply(_ status: Int, _ json: String) -> HTTPReply { HTTPReply(status: status, body: Array(json.utf8)) }

    func testTokenRepliesAndErrorClasses() throws {
        let replies = OAuthReplies(secrets: ["old-refresh-token"], request: "refresh")
        let tokens = try replies.tokens(reply(200, #"{"access_token":"a1","token_type":"bearer","expires_in":"3599","#
            + #""refresh_token":"r2","scope":"mail offline_access"}"#))
        XCTAssertEqual(tokens.accessToken.reveal(), "a1")
        XCTAssertEqual(tokens.refreshToken?.reveal(), "r2")
        XCTAssertEqual(tokens.expiresIn, 3599)
        XCTAssertEqual(tokens.scopes, ["mail", "offline_access"])
        XCTAssertFalse("\(tokens)".contains("a1\""), "\(tokens)")
        XCTAssertFalse(String(reflecting: tokens).contains("r2"))

        func error(_ status: Int, _ json: String) -> OAuthError { replies.error(reply(status, json)) }
        let grant = error(400, #"{"error":"invalid_grant","error_description":"token old-refresh-token was used\u001b[31m"}"#)
        XCTAssertTrue(grant.needsSignIn)
        XCTAssertEqual(grant.providerError?.text, "token (redacted) was used\\u{001B}[31m")
        XCTAssertFalse(grant.message.contains("old-refresh-token"))
        for code in ["invalid_client", "unauthorized_client", "consent_required", "interaction_required"] {
            XCTAssertTrue(error(400, #"{"error":"\#(code)"}"#).needsSignIn, code)
        }
        let secret = error(401, #"{"error":"invalid_client","error_description":"AADSTS7000222: The provided client "#
            + #"secret keys for app 'x' are expired.","error_codes":[7000222]}"#)
        XCTAssertTrue(secret.needsSignIn)
        XCTAssertTrue(secret.message.contains("client secret has expired"), secret.message)
        XCTAssertEqual(error(400, #"{"error":"invalid_scope"}"#).isPermanent, true)
        XCTAssertEqual(error(400, #"{"error":"invalid_scope"}"#).needsSignIn, false)
        XCTAssertFalse(error(503, "<html>busy</html>").isPermanent)
        XCTAssertFalse(error(429, #"{"error":"too_many"}"#).isPermanent)
        XCTAssertFalse(error(400, #"{"error":"temporarily_unavailable"}"#).isPermanent)
        guard case .failed = error(404, "<html>not found</html>") else { return XCTFail("a page is not an OAuth reply") }
    }

    func testDevicePollsAndStart() throws {
        let replies = OAuthReplies(secrets: [], request: "device sign-in")
        guard case .pending = try replies.devicePoll(reply(400, #"{"error":"authorization_pending"}"#)),
              case .slowDown = try replies.devicePoll(reply(400, #"{"error":"slow_down"}"#)),
              case .granted = try replies.devicePoll(reply(200, #"{"access_token":"a","token_type":"Bearer"}"#)) else {
            return XCTFail("poll replies")
        }
        XCTAssertThrowsError(try replies.devicePoll(reply(400, #"{"error":"access_denied"}"#))) {
            guard case .denied? = $0 as? OAuthError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try replies.devicePoll(reply(400, #"{"error":"expired_token"}"#))) {
            guard case .expired? = $0 as? OAuthError else { return XCTFail("\($0)") }
        }
        // Google's field names; the codes are made safe for a terminal.
        let started = try replies.deviceAuthorization(reply(200, #"{"device_code":"d","user_code":"AB\u001bCD","#
            + #""verification_url":"https://www.google.com/device","expires_in":1800}"#), startedAt: Date(timeIntervalSince1970: 0))
        XCTAssertEqual(started.userCode, "AB\\u{001B}CD")
        XCTAssertEqual(started.verificationURI, "https://www.google.com/device")
        XCTAssertEqual(started.interval, 5)
        XCTAssertEqual(started.expiresAt, Date(timeIntervalSince1970: 1800))
    }

    func testLoginChallengeDecoding() {
        let xoauth2 = Data(#"{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}"#.utf8).base64EncodedString()
        let challenge = OAuthLoginChallenge.decode(base64: xoauth2)
        XCTAssertEqual(challenge?.status, "401")
        XCTAssertEqual(challenge?.summary, "status 401, required scope \"https://mail.google.com/\", schemes bearer")
        XCTAssertNil(OAuthLoginChallenge.decode(base64: ""))
        XCTAssertNil(OAuthLoginChallenge.decode(base64: Data("<1896.697170952@dbc.mtview.ca.us>".utf8).base64EncodedString()))
        XCTAssertEqual(Conversation.challenge(["A1 AUTHENTICATE XOAUTH2 (redacted)", "+ " + xoauth2], mechanism: "XOAUTH2",
                                              proto: .imap)?.scope, "https://mail.google.com/")
        XCTAssertNil(Conversation.challenge(["+ " + xoauth2], mechanism: "PLAIN", proto: .imap))
        XCTAssertEqual(Conversation.challenge(["334 " + xoauth2], mechanism: "XOAUTH2", proto: .smtp)?.status, "401")
    }

    func testTheTokenIsRedactedInsideAnyInitialResponse() {
        let user = "shared-mailbox@example.com"
        let xoauth2 = Data("user=\(user)\u{1}auth=Bearer \(token)\u{1}\u{1}".utf8).base64EncodedString()
        let bearer = Data("n,a=\(user),\u{1}host=imap.example.com\u{1}port=993\u{1}auth=Bearer \(token)\u{1}\u{1}".utf8)
            .base64EncodedString()
        for proto in ServerProtocol.allCases {
            var redactor = Redactor(proto: proto, user: user, password: nil, token: token)
            let command = proto == .imap ? "A1 AUTHENTICATE XOAUTH2 \(xoauth2)" : "AUTH XOAUTH2 \(xoauth2)"
            XCTAssertFalse(redactor.client(command).text.contains(String(xoauth2.prefix(12))))
            // The second line of defence: the same blobs anywhere (a note, a server echo) are cut where the token is.
            for blob in [xoauth2, bearer, token, "prefix " + xoauth2.dropFirst(4)] {
                let scrubbed = redactor.scrub(String(blob))
                XCTAssertTrue(scrubbed.contains(Redactor.mark), "\(proto): \(blob)")
                XCTAssertNil(Data(base64Encoded: scrubbed).flatMap { String(data: $0, encoding: .utf8) }?.contains(token))
                for part in OAuthLabTests.embeddedForms(token) { XCTAssertFalse(scrubbed.contains(part), scrubbed) }
            }
        }
    }

    func testCredentialsNeverPrintAndAreCheckedBeforeAnyIO() {
        let credential = ServerCredential.oauth2(token: Secret(token), mechanism: .xoauth2)
        for text in ["\(credential)", String(reflecting: credential), "\(Mirror(reflecting: credential).children.map { $0 })"] {
            XCTAssertFalse(text.contains(token), text)
        }
        func server(_ user: String, _ credential: ServerCredential, side: Side = .incoming,
                    proto: ServerProtocol = .imap) -> ConnectionTestServer {
            ConnectionTestServer(side: side, proto: proto, host: "imap.example.com", port: 993, security: .ssl, user: user,
                                 credential: credential)
        }
        XCTAssertNoThrow(try Session.validate(server("shared@example.com", credential)))
        XCTAssertThrowsError(try Session.validate(server("a@b", .oauth2(token: Secret(token + "\r\n"), mechanism: .auto)))) {
            XCTAssertFalse("\($0)".contains(token), "\($0)")
            XCTAssertTrue("\($0)".contains("incoming.token"), "\($0)")
        }
        XCTAssertThrowsError(try Session.validate(server("a\u{1}b", credential)))
        XCTAssertThrowsError(try Session.validate(server("a,b=c@example.com", .oauth2(token: Secret(token), mechanism: .oauthbearer))))
        XCTAssertNoThrow(try Session.validate(server("a,b=c@example.com", .oauth2(token: Secret(token), mechanism: .auto))))
        XCTAssertEqual(Session.loginOptions(.auto, user: "a,b=c@example.com"), "AUTH=XOAUTH2")
        XCTAssertEqual(Session.loginOptions(.auto, user: "a@example.com"), "AUTH=OAUTHBEARER;AUTH=XOAUTH2")
        XCTAssertThrowsError(try Session.validate(server("", .none))) {
            XCTAssertTrue("\($0)".contains("incoming.auth"), "\($0)")
        }
        XCTAssertNoThrow(try Session.validate(server("", .none, side: .outgoing, proto: .smtp)))
    }
}
