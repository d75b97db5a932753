import XCTest
@testable import MailshCore

/// The one rule for where a store's key file is (opening the secrets and keeping scripts away from the key).
final class KeyFileLocationTests: XCTestCase {
    func testAStoreFilesKeyIsNextToIt() {
        let location = KeyFileLocation(store: "/var/lib/mailsh/store.db", environment: ["HOME": "/home/a"])
        XCTAssertEqual(location.path, "/var/lib/mailsh/store.db.key")
        XCTAssertFalse(location.isNamedByEnvironment)
        XCTAssertFalse(location.storeIsURL)
    }

    func testAStoreURLsKeyIsInTheConfigFolderWithoutUserOrPassword() {
        let url = "postgres://alice:s3cret@db.example.com:5433/desk?sslmode=require"
        let location = KeyFileLocation(store: url, environment: ["XDG_CONFIG_HOME": "/cfg", "HOME": "/home/a"])
        XCTAssertEqual(location.path, "/cfg/mailsh/db.example.com_5433_desk.key")
        XCTAssertTrue(location.storeIsURL)
        XCTAssertEqual(KeyFileLocation(store: "postgresql://alice@db.example.com/desk%2Fx",
                                       environment: ["HOME": "/home/a"]).path,
                       "/home/a/.config/mailsh/db.example.com_desk_x.key")
        XCTAssertEqual(KeyFileLocation(store: url, environment: ["XDG_CONFIG_HOME": "relative", "HOME": "/h"]).path,
                       "/h/.config/mailsh/db.example.com_5433_desk.key", "a relative XDG_CONFIG_HOME is ignored")
        XCTAssertFalse(KeyFileLocation(store: url, environment: ["HOME": "/h"]).path.contains("s3cret"))
    }

    func testMailshKeyFileNamesItForEveryKindOfStore() {
        for store in ["/srv/desk.db", "postgres://u@db/desk"] {
            let named = KeyFileLocation(store: store, environment: ["MAILSH_KEY_FILE": "/keys/desk.key", "HOME": "/h"])
            XCTAssertEqual(named.path, "/keys/desk.key")
            XCTAssertTrue(named.isNamedByEnvironment)
            // Set but empty is not set.
            let empty = KeyFileLocation(store: store, environment: ["MAILSH_KEY_FILE": "", "HOME": "/h"])
            XCTAssertEqual(empty.path, KeyFileLocation.defaultPath(forStore: store, environment: ["HOME": "/h"]))
            XCTAssertFalse(empty.isNamedByEnvironment)
        }
    }
}
