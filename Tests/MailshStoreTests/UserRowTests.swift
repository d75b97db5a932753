import MailshCore
@testable import MailshStore
import XCTest

/// How the user table's values are read back.
final class UserRowTests: XCTestCase {
    /// A user's stored rights are read as the comma split of the list reads them, ASCII lists (split by bytes) or not.
    func testStoredRightsReadAsTheirCommaSplit() {
        let lists = ["", ",", ",,", "administrate", "administrate,override_locks,add_accounts", "add_accounts,",
                     ",administrate", "administrate,,add_accounts", "future_right,override_locks", "administrate ",
                     "Administrate", "administrate,\u{301}add_accounts", "\u{301}administrate,override_locks",
                     "override_locks,administrate\u{301}", "é,add_accounts"]
        for list in lists {
            XCTAssertEqual(UserRow.storedRights(list),
                           Set(list.split(separator: ",").compactMap { Right(rawValue: String($0)) }), list.debugDescription)
        }
        XCTAssertEqual(UserRow.storedRights("administrate,override_locks,add_accounts"), Set(Right.allCases))
    }
}
