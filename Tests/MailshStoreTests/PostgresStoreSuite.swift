import Foundation
import XCTest
@testable import MailshStore

// The store suite on PostgreSQL: the very tests of StoreSuite and RecordStoreTests, each on a fresh database.
// XCTest on Linux finds only the test methods a class declares itself, not inherited ones, so each is declared
// again here, calling the shared one; `testEveryTestOfTheSuiteRunsOnPostgreSQL` fails naming any that is missing.

/// The whole store suite on PostgreSQL.
final class PostgresStoreSuite: StoreSuite {
    override class var kind: StoreKind { .postgres }
    override func testNewStoreRegistersItsCreatorWithEveryRight() throws {
        try super.testNewStoreRegistersItsCreatorWithEveryRight()
    }
    override func testUnregisteredUserIsRefusedWithPointerToUserAdd() throws {
        try super.testUnregisteredUserIsRefusedWithPointerToUserAdd()
    }
    override func testActingAsAnotherUserNeedsAdministrate() throws {
        try super.testActingAsAnotherUserNeedsAdministrate()
    }
    override func testChangesToGlobalAccountsNeedAdministrate() throws {
        try super.testChangesToGlobalAccountsNeedAdministrate()
    }
    override func testLastAdministratorKeepsTheRight() throws {
        try super.testLastAdministratorKeepsTheRight()
    }
    override func testUsersMayChangeTheirOwnEmailOnly() throws {
        try super.testUsersMayChangeTheirOwnEmailOnly()
    }
    override func testCreateAppliesDefaultsAndRefusesDuplicates() throws {
        try super.testCreateAppliesDefaultsAndRefusesDuplicates()
    }
    override func testStoredAccountRoundTripsEveryField() throws {
        try super.testStoredAccountRoundTripsEveryField()
    }
    override func testConversationPrefixesAreUnique() throws {
        try super.testConversationPrefixesAreUnique()
    }
    override func testSetIsAllOrNothingAndBumpsTheVersion() throws {
        try super.testSetIsAllOrNothingAndBumpsTheVersion()
    }
    override func testStaleEditIsAConflictNamingWhoChangedIt() throws {
        try super.testStaleEditIsAConflictNamingWhoChangedIt()
    }
    override func testConcurrentWritersFromTwoConnectionsLoseNoUpdate() throws {
        try super.testConcurrentWritersFromTwoConnectionsLoseNoUpdate()
    }
    override func testCopyKeepsSettingsPadlocksAndPasswordsUnderANewIdentity() throws {
        try super.testCopyKeepsSettingsPadlocksAndPasswordsUnderANewIdentity()
    }
    override func testRenameKeepsIdentitySecretsAndAudit() throws {
        try super.testRenameKeepsIdentitySecretsAndAudit()
    }
    override func testLocksAndWarnings() throws {
        try super.testLocksAndWarnings()
    }
    override func testPersonalSettingsFollowPadlocks() throws {
        try super.testPersonalSettingsFollowPadlocks()
    }
    override func testPersonalPasswordIsBoundToItsUser() throws {
        try super.testPersonalPasswordIsBoundToItsUser()
    }
    override func testDeleteWithPersonalizationsNeedsAChoice() throws {
        try super.testDeleteWithPersonalizationsNeedsAChoice()
    }
    override func testDeleteCustomizationsRemovesThem() throws {
        try super.testDeleteCustomizationsRemovesThem()
    }
    override func testAuditRecordsWhoWhatAndWhenWithoutSecrets() throws {
        try super.testAuditRecordsWhoWhatAndWhenWithoutSecrets()
    }
    override func testAFailedTransactionLeavesTheStoreAsItWas() throws {
        try super.testAFailedTransactionLeavesTheStoreAsItWas()
    }
    override func testNestedTransactionRollsBackAlone() throws {
        try super.testNestedTransactionRollsBackAlone()
    }
    override func testImportIsAllOrNothing() throws {
        try super.testImportIsAllOrNothing()
    }
    override func testRefusedOperationsInsideATransactionLeaveNothingAndTheRestCommits() throws {
        try super.testRefusedOperationsInsideATransactionLeaveNothingAndTheRestCommits()
    }
    override func testTrustSettingsAndLastTestRoundTrip() throws {
        try super.testTrustSettingsAndLastTestRoundTrip()
    }
    override func testInsertWithATakenPrefixIsRefusedAsThePrefixAndChangesNothing() throws {
        try super.testInsertWithATakenPrefixIsRefusedAsThePrefixAndChangesNothing()
    }
}

/// Records, the inbox and leases on PostgreSQL.
final class PostgresRecordStoreTests: RecordStoreTests {
    override class var kind: StoreKind { .postgres }
    override func testRecordsAreNumberedInOrderListedNewestFirstAndFiltered() throws {
        try super.testRecordsAreNumberedInOrderListedNewestFirstAndFiltered()
    }
    override func testBadRecordInputIsRefusedNamingTheFieldAndChangesNothing() throws {
        try super.testBadRecordInputIsRefusedNamingTheFieldAndChangesNothing()
    }
    override func testClosingFromAStaleVersionIsAConflict() throws {
        try super.testClosingFromAStaleVersionIsAConflict()
    }
    override func testRepliesCarryGrowingConversationIDsInTheSubjectOrTheBodyAndAreRemembered() throws {
        try super.testRepliesCarryGrowingConversationIDsInTheSubjectOrTheBodyAndAreRemembered()
    }
    override func testAFailedDeliveryIsKeptAndRetriedAndAReplyNeedsAPrefixAndSafeRecipients() throws {
        try super.testAFailedDeliveryIsKeptAndRetriedAndAReplyNeedsAPrefixAndSafeRecipients()
    }
    override func testCredentialRuleNeedsAdministrateAndTheRecordsParticipants() throws {
        try super.testCredentialRuleNeedsAdministrateAndTheRecordsParticipants()
    }

    /// A transaction PostgreSQL re-runs (a serialization failure, forced by a trigger that fails once: a sequence
    /// is not rolled back) queued its mail twice, once per run; only the committed run's is sent, once.
    func testAReplyInATransactionPostgreSQLReRunsIsSentOnce() throws {
        let admin = try desk()
        try makeComplete("Support", desk: admin)
        try admin.setFields("Support", try assign(["conversation.prefix": "SUP"]))
        let record = try admin.createRecord(account: "Support", subject: "Printer on floor 3 is jammed",
                                            requester: "a@b.c")
        try store.write { tx in
            let session = (tx as! PostgresTransaction).session
            try session.execute("CREATE SEQUENCE fail_once")
            try session.execute("""
                CREATE FUNCTION fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF nextval('fail_once') = 1 THEN
                        RAISE EXCEPTION 'forced serialization failure' USING ERRCODE = '40001';
                    END IF;
                    RETURN NEW;
                END $$
                """)
            try session.execute("CREATE TRIGGER fail_once BEFORE UPDATE ON record FOR EACH ROW EXECUTE FUNCTION fail_once()")
        }
        let sender = RecordingSender()
        var runs = 0
        let (_, deliveries) = try admin.transactionDelivering(sender: sender) { desk in
            runs += 1
            _ = try desk.queueReply(record.number, body: "We are on it.")
            try desk.setRecordStatus(record.number, .closed)
        }
        XCTAssertEqual(runs, 2, "PostgreSQL re-ran the transaction")
        XCTAssertEqual(sender.sent.count, 1, "sent once")
        XCTAssertEqual(deliveries.map(\.outcome), [.sent("250 2.0.0 Ok: queued")])
        XCTAssertEqual(try admin.record(record.number).messages.map(\.conversationID), ["SUP1"])
        XCTAssertEqual(try admin.outbox().map(\.status), [.sent])
    }
    override func testInboundMailIsAttachedCreatedHeldOrSkippedAndNeverStoredTwice() throws {
        try super.testInboundMailIsAttachedCreatedHeldOrSkippedAndNeverStoredTwice()
    }
    override func testAReplyToAClosedRecordReopensIt() throws {
        try super.testAReplyToAClosedRecordReopensIt()
    }
    override func testAFailedStoreLeavesNoTrace() throws {
        try super.testAFailedStoreLeavesNoTrace()
    }
    override func testOpenRecordsAreFoundByTheirSubjectKey() throws {
        try super.testOpenRecordsAreFoundByTheirSubjectKey()
    }
    override func testASecondMonitorIsRefusedNamingTheFirstUntilItsLeaseExpires() throws {
        try super.testASecondMonitorIsRefusedNamingTheFirstUntilItsLeaseExpires()
    }
    override func testOfManyMonitorsStartingAtOnceExactlyOneGetsTheMailbox() throws {
        try super.testOfManyMonitorsStartingAtOnceExactlyOneGetsTheMailbox()
    }
}

/// `store copy` from SQLite into PostgreSQL, compared field by field.
final class PostgresStoreCopyTests: StoreCopyTests {
    override class var kind: StoreKind { .postgres }
    override func testAWholeDeskIsCopiedFieldByFieldWithItsSecretsSealedAgain() throws {
        try super.testAWholeDeskIsCopiedFieldByFieldWithItsSecretsSealedAgain()
    }
    override func testADestinationThatIsNotEmptyIsRefusedAndAFailedCopyLeavesNothing() throws {
        try super.testADestinationThatIsNotEmptyIsRefusedAndAFailedCopyLeavesNothing()
    }
}
