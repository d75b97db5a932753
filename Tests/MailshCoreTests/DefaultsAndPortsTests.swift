import XCTest
@testable import MailshCore

final class DefaultsAndPortsTests: XCTestCase {

    // MARK: New account defaults

    func testNewIMAPAccountDefaults() {
        let account = Account(name: "Desk", id: "id-1", by: "admin", at: Fixture.date)
        XCTAssertEqual(account.name, "Desk")
        XCTAssertEqual(account.id, "id-1")
        XCTAssertNil(account.owner)
        XCTAssertEqual(account.qualifiedName, "Desk")
        XCTAssertEqual(account.proto, .imap)
        XCTAssertEqual(account.incoming.security, .ssl)
        XCTAssertEqual(account.incoming.port, 993)
        XCTAssertEqual(account.outgoing.security, .ssl)
        XCTAssertEqual(account.outgoing.port, 465)
        XCTAssertEqual(account.incoming.folder, "INBOX")
        XCTAssertEqual(account.value(.incomingFolder), "INBOX")
        XCTAssertNil(account.incoming.host)
        XCTAssertNil(account.incoming.user)
        XCTAssertNil(account.incoming.password)
        XCTAssertNil(account.outgoing.host)
        XCTAssertNil(account.outgoing.user)
        XCTAssertNil(account.outgoing.password)
        XCTAssertNil(account.outgoing.from)
        XCTAssertNil(account.outgoing.displayName)
        XCTAssertNil(account.outgoing.replyTo)
        XCTAssertNil(account.conversation.prefix)
        XCTAssertEqual(account.conversation.placement, .subject)
        XCTAssertEqual(account.version, 1)
        XCTAssertEqual(account.createdAt, Fixture.date)
        XCTAssertEqual(account.modifiedAt, Fixture.date)
        XCTAssertEqual(account.modifiedBy, "admin")
    }

    /// `Account.init` builds its parts through the compiler's memberwise inits (every argument written out): each
    /// part equals what its public init gives by default, for both protocols.
    func testNewAccountPartsAreThePublicInitsDefaults() {
        for proto in MailProtocol.allCases {
            let account = Account(name: "Desk", proto: proto, id: "id-1", by: "admin", at: Fixture.date)
            XCTAssertEqual(account.incoming, IncomingServer(port: DefaultPort.incoming(proto, .ssl), security: .ssl))
            XCTAssertEqual(account.outgoing, OutgoingServer(port: DefaultPort.outgoing(.ssl), security: .ssl))
            XCTAssertEqual(account.incoming.trust, TrustSettings())
            XCTAssertEqual(account.outgoing.trust, TrustSettings())
            XCTAssertEqual(account.conversation, ConversationOptions())
            XCTAssertEqual(account.oauth, OAuthSettings())
            XCTAssertEqual(account.direction, .both)
            XCTAssertNil(account.lastTest)
            XCTAssertNil(account.owner)
            XCTAssertEqual(Account(name: "Desk", proto: proto, id: "id-1", owner: "ann", by: "admin", at: Fixture.date).owner,
                           "ann")
        }
        // The public inits' own defaults, spelled out (a part's init and the memberwise one could drift together).
        let incoming = IncomingServer(port: 993, security: .ssl)
        XCTAssertEqual([incoming.after.rawValue, incoming.auth.rawValue, incoming.read.rawValue, incoming.folder],
                       ["read", "password", "unseen", "INBOX"])
        XCTAssertNil(incoming.host ?? incoming.user ?? incoming.moveTo)
        XCTAssertNil(incoming.password)
        let outgoing = OutgoingServer(port: 465, security: .ssl)
        XCTAssertEqual(outgoing.auth, .password)
        XCTAssertNil(outgoing.host ?? outgoing.user ?? outgoing.from ?? outgoing.displayName ?? outgoing.replyTo)
        let trust = TrustSettings()
        XCTAssertFalse(trust.insecure || trust.allowPlaintext)
        XCTAssertNil(trust.caFile ?? trust.clientCert ?? trust.clientKey)
        XCTAssertNil(trust.clientKeySealed)
        let conversation = ConversationOptions()
        XCTAssertEqual(conversation.placement, .subject)
        XCTAssertEqual(conversation.quoted, .attach)
        XCTAssertEqual(OAuthSettings().flow, .delegated)
        XCTAssertEqual(TrustSettings(insecure: true, allowPlaintext: false).insecure, true)
        XCTAssertEqual(TrustSettings(insecure: false, allowPlaintext: true).allowPlaintext, true)
        XCTAssertEqual(ConversationOptions(placement: .body, quoted: .hold).placement, .body)
    }

    func testNewAccountPadlocksServerLockedCredentialsUnlocked() {
        let account = Account(name: "Desk")
        XCTAssertEqual(account.locked, [.incomingServer, .outgoingServer, .oauth])
        XCTAssertTrue(account.isLocked(.incomingServer))
        XCTAssertTrue(account.isLocked(.outgoingServer))
        XCTAssertFalse(account.isLocked(.incomingCredentials))
        XCTAssertFalse(account.isLocked(.outgoingCredentials))
        XCTAssertEqual(Account(name: "P", proto: .pop3).locked, [.incomingServer, .outgoingServer, .oauth])
    }

    func testNewPOP3AccountDefaults() {
        let account = Account(name: "Pop", proto: .pop3)
        XCTAssertEqual(account.proto, .pop3)
        XCTAssertEqual(account.incoming.security, .ssl)
        XCTAssertEqual(account.incoming.port, 995)
        XCTAssertEqual(account.outgoing.security, .ssl)
        XCTAssertEqual(account.outgoing.port, 465)
        XCTAssertEqual(account.version, 1)
        // POP3 has no folder: the field reads as unset, the stored folder keeps its default.
        XCTAssertNil(account.value(.incomingFolder))
        XCTAssertEqual(account.incoming.folder, "INBOX")
    }

    func testNewAccountsGetDistinctIDs() {
        let a = Account(name: "A"), b = Account(name: "A")
        XCTAssertNotEqual(a.id, b.id)
        XCTAssertFalse(a.id.isEmpty)
        XCTAssertEqual(a.id, a.id.lowercased())
    }

    func testOwnedAccountQualifiedName() {
        XCTAssertEqual(Account(name: "Mine", owner: "alice").qualifiedName, "alice/Mine")
    }

    func testValueReadsFieldsAsText() throws {
        let account = try Fixture.completeAccount()
        XCTAssertEqual(account.value(.proto), "imap")
        XCTAssertEqual(account.value(.incomingPort), "993")
        XCTAssertEqual(account.value(.incomingSecurity), "ssl")
        XCTAssertEqual(account.value(.outgoingPort), "465")
        XCTAssertEqual(account.value(.conversationPlacement), "subject")
        XCTAssertEqual(account.value(.incomingHost), "imap.example.com")
        XCTAssertNil(account.value(.conversationPrefix))
        // Passwords never read as their value.
        XCTAssertEqual(account.value(.incomingPassword), "(secret)")
        XCTAssertEqual(account.value(.outgoingPassword), "(secret)")
        XCTAssertNil(Account(name: "New").value(.incomingPassword))
    }

    func testSetPasswordAndClear() {
        var account = Account(name: "Desk")
        let sealed = SealedSecret(bytes: [7, 7])
        account.setPassword(.outgoing, sealed)
        XCTAssertEqual(account.password(.outgoing), sealed)
        XCTAssertNil(account.password(.incoming))
        account.setPassword(.outgoing, nil)
        XCTAssertNil(account.password(.outgoing))
    }

    // MARK: Default ports table

    func testDefaultIncomingPorts() {
        let table: [(MailProtocol, SecurityMode, Int)] = [
            (.pop3, .none, 110), (.pop3, .starttls, 110), (.pop3, .ssl, 995),
            (.imap, .none, 143), (.imap, .starttls, 143), (.imap, .ssl, 993),
        ]
        for (proto, security, port) in table {
            XCTAssertEqual(DefaultPort.incoming(proto, security), port, "\(proto) \(security)")
        }
    }

    func testDefaultOutgoingPorts() {
        XCTAssertEqual(DefaultPort.outgoing(.starttls), 587)
        XCTAssertEqual(DefaultPort.outgoing(.ssl), 465)
        XCTAssertEqual(DefaultPort.outgoing(.none), 25)
    }

    // MARK: Port follows security

    func testIncomingSecurityChangeMovesDefaultPort() throws {
        var account = Account(name: "Desk")
        try account.set(.incomingSecurity, to: "starttls")
        XCTAssertEqual(account.incoming.security, .starttls)
        XCTAssertEqual(account.incoming.port, 143)
        try account.set(.incomingSecurity, to: "none")
        XCTAssertEqual(account.incoming.port, 143)
        try account.set(.incomingSecurity, to: "ssl")
        XCTAssertEqual(account.incoming.port, 993)
    }

    func testPOP3SecurityChangeMovesDefaultPort() throws {
        var account = Account(name: "Pop", proto: .pop3)
        try account.set(.incomingSecurity, to: "starttls")
        XCTAssertEqual(account.incoming.port, 110)
        try account.set(.incomingSecurity, to: "ssl")
        XCTAssertEqual(account.incoming.port, 995)
    }

    func testIncomingSecurityChangeKeepsChosenPort() throws {
        var account = Account(name: "Desk")
        try account.set(.incomingPort, to: "10993")
        try account.set(.incomingSecurity, to: "starttls")
        XCTAssertEqual(account.incoming.security, .starttls)
        XCTAssertEqual(account.incoming.port, 10993)
        try account.set(.incomingSecurity, to: "ssl")
        XCTAssertEqual(account.incoming.port, 10993)
    }

    func testIncomingPortAtAnotherModesDefaultIsAChosenPort() throws {
        // 143 is not the default for ssl, so it was chosen and stays when the mode changes.
        var account = Account(name: "Desk")
        try account.set(.incomingPort, to: "143")
        try account.set(.incomingSecurity, to: "none")
        XCTAssertEqual(account.incoming.port, 143)
        var other = Account(name: "Desk")
        try other.set(.incomingPort, to: "110")
        try other.set(.incomingSecurity, to: "starttls")
        XCTAssertEqual(other.incoming.port, 110)
    }

    func testOutgoingSecurityChangeMovesDefaultPort() throws {
        var account = Account(name: "Desk")
        XCTAssertEqual(account.outgoing.port, 465)
        try account.set(.outgoingSecurity, to: "starttls")
        XCTAssertEqual(account.outgoing.security, .starttls)
        XCTAssertEqual(account.outgoing.port, 587)
        try account.set(.outgoingSecurity, to: "none")
        XCTAssertEqual(account.outgoing.port, 25)
        try account.set(.outgoingSecurity, to: "ssl")
        XCTAssertEqual(account.outgoing.port, 465)
    }

    func testOutgoingSecurityChangeKeepsChosenPort() throws {
        var account = Account(name: "Desk")
        try account.set(.outgoingPort, to: "2525")
        try account.set(.outgoingSecurity, to: "starttls")
        XCTAssertEqual(account.outgoing.port, 2525)
        try account.set(.outgoingSecurity, to: "none")
        XCTAssertEqual(account.outgoing.port, 2525)
    }

    func testSecurityChangesDoNotCrossSides() throws {
        var account = Account(name: "Desk")
        try account.set(.incomingSecurity, to: "starttls")
        XCTAssertEqual(account.outgoing.port, 465)
        XCTAssertEqual(account.outgoing.security, .ssl)
        try account.set(.outgoingSecurity, to: "none")
        XCTAssertEqual(account.incoming.port, 143)
        XCTAssertEqual(account.incoming.security, .starttls)
    }

    func testProtocolChangeMovesDefaultPort() throws {
        var account = Account(name: "Desk")
        try account.set(.proto, to: "pop3")
        XCTAssertEqual(account.proto, .pop3)
        XCTAssertEqual(account.incoming.port, 995)
        try account.set(.proto, to: "imap")
        XCTAssertEqual(account.incoming.port, 993)
        try account.set(.incomingSecurity, to: "starttls")
        try account.set(.proto, to: "pop3")
        XCTAssertEqual(account.incoming.port, 110)
        XCTAssertEqual(account.outgoing.port, 465, "the protocol does not touch the outgoing port")
    }

    func testProtocolChangeKeepsChosenPort() throws {
        var account = Account(name: "Desk")
        try account.set(.incomingPort, to: "10993")
        try account.set(.proto, to: "pop3")
        XCTAssertEqual(account.proto, .pop3)
        XCTAssertEqual(account.incoming.port, 10993)
    }

    func testExplicitPortWinsOverSecurityInOneApplyInAnyOrder() throws {
        let orders: [[Assignment]] = [
            [Assignment(field: .incomingSecurity, value: "starttls"), Assignment(field: .incomingPort, value: "1143")],
            [Assignment(field: .incomingPort, value: "1143"), Assignment(field: .incomingSecurity, value: "starttls")],
        ]
        for assignments in orders {
            var account = Account(name: "Desk")
            try account.apply(assignments)
            XCTAssertEqual(account.incoming.security, .starttls, "\(assignments)")
            XCTAssertEqual(account.incoming.port, 1143, "\(assignments)")
        }
    }

    func testExplicitOldDefaultPortWinsOverSecurityInOneApply() throws {
        // Port 993 given with starttls: the explicit port stays although it is ssl's default.
        var account = Account(name: "Desk")
        try account.apply([Assignment(field: .incomingPort, value: "993"),
                           Assignment(field: .incomingSecurity, value: "starttls")])
        XCTAssertEqual(account.incoming.port, 993)
        XCTAssertEqual(account.incoming.security, .starttls)
    }

    func testExplicitOutgoingPortWinsOverSecurityInOneApplyInAnyOrder() throws {
        for flip in [false, true] {
            var assignments = [Assignment(field: .outgoingPort, value: "2525"),
                               Assignment(field: .outgoingSecurity, value: "none")]
            if flip { assignments.reverse() }
            var account = Account(name: "Desk")
            try account.apply(assignments)
            XCTAssertEqual(account.outgoing.security, .none)
            XCTAssertEqual(account.outgoing.port, 2525, "flip \(flip)")
        }
    }

    func testExplicitPortWinsOverProtocolAndSecurityInOneApply() throws {
        var account = Account(name: "Desk")
        try account.apply([Assignment(field: .incomingPort, value: "2000"),
                           Assignment(field: .incomingSecurity, value: "none"),
                           Assignment(field: .proto, value: "pop3")])
        XCTAssertEqual(account.proto, .pop3)
        XCTAssertEqual(account.incoming.security, .none)
        XCTAssertEqual(account.incoming.port, 2000)
    }

    func testProtocolAndSecurityTogetherLandOnTheNewDefault() throws {
        var account = Account(name: "Desk")
        try account.apply([Assignment(field: .incomingSecurity, value: "starttls"),
                           Assignment(field: .proto, value: "pop3")])
        XCTAssertEqual(account.incoming.port, 110)
    }

    func testParsedAssignmentsPortFirstStillWins() throws {
        var account = Account(name: "Desk")
        let assignments = try Assignment.parseAll(["outgoing.port=2587", "outgoing.security=starttls"],
                                                  passwordHint: "account password")
        try account.apply(assignments)
        XCTAssertEqual(account.outgoing.port, 2587)
        XCTAssertEqual(account.outgoing.security, .starttls)
    }

    func testEmptyPortRestoresDefault() throws {
        var account = Account(name: "Desk")
        try account.set(.incomingPort, to: "10993")
        try account.set(.incomingPort, to: "")
        XCTAssertEqual(account.incoming.port, 993)

        try account.set(.incomingSecurity, to: "starttls")
        try account.set(.incomingPort, to: "2000")
        try account.set(.incomingPort, to: "")
        XCTAssertEqual(account.incoming.port, 143)

        try account.set(.outgoingPort, to: "2525")
        try account.set(.outgoingPort, to: "")
        XCTAssertEqual(account.outgoing.port, 465)
        try account.set(.outgoingSecurity, to: "starttls")
        try account.set(.outgoingPort, to: "2525")
        try account.set(.outgoingPort, to: "")
        XCTAssertEqual(account.outgoing.port, 587)

        var pop = Account(name: "Pop", proto: .pop3)
        try pop.set(.incomingPort, to: "1995")
        try pop.set(.incomingPort, to: "")
        XCTAssertEqual(pop.incoming.port, 995)
    }

    func testEmptyPortInOneApplyWithSecurityRestoresTheNewDefault() throws {
        var account = Account(name: "Desk")
        try account.set(.incomingPort, to: "10993")
        try account.apply([Assignment(field: .incomingPort, value: ""),
                           Assignment(field: .incomingSecurity, value: "starttls")])
        XCTAssertEqual(account.incoming.port, 143)
    }
}
