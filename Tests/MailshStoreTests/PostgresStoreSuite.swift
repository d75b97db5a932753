import Foundation
import XCTest

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
    override func testAFailedSendRemembersNothingAndAReplyNeedsAPrefixAndSafeRecipients() throws {
        try super.testAFailedSendRemembersNothingAndAReplyNeedsAPrefixAndSafeRecipients()
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
