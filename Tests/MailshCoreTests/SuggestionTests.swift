import MailshCore
import XCTest

/// "Did you mean": near words are suggested, far and very short ones are not, case variants always are.
final class SuggestionTests: XCTestCase {
    func testNearWordsCaseVariantsAndNothingForFarOrShortWords() {
        let commands = ["account", "user", "personal", "record", "audit", "help"]
        XCTAssertEqual(Suggestion.closest(to: "acount", among: commands), "account")
        XCTAssertEqual(Suggestion.closest(to: "recrod", among: commands), "record")
        XCTAssertEqual(Suggestion.closest(to: "zebra", among: commands), nil)
        XCTAssertEqual(Suggestion.closest(to: "account", among: commands), nil)
        XCTAssertEqual(Suggestion.closest(to: "x", among: ["a", "b"]), nil)
        XCTAssertEqual(Suggestion.closest(to: "support", among: ["Support", "Sales"]), "Support")
        XCTAssertEqual(MailshError.notFound(kind: "account", name: "Suport", suggestion: "Support").message,
                       "no account named \"Suport\"; did you mean \"Support\"?")
        XCTAssertEqual(MailshError.unknownField("incoming.hots", known: ["incoming.host", "incoming.port"]).message,
                       "unknown field \"incoming.hots\"; did you mean \"incoming.host\"? fields: incoming.host, incoming.port")
    }
}
