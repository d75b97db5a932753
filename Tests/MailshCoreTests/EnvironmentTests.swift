import Foundation
import MailshCore
import XCTest

/// ``Environment`` reads the process's variables one by one (getenv) and must give what `ProcessInfo.environment`,
/// which the commands read before, gives; values set over it win, and unset names stay unset.
final class EnvironmentTests: XCTestCase {
    func testTheProcessEnvironmentReadsAsProcessInfoReadsIt() {
        let expected = ProcessInfo.processInfo.environment
        XCTAssertFalse(expected.isEmpty)
        let environment = Environment.process
        for (name, value) in expected { XCTAssertEqual(environment[name], value, name) }
        XCTAssertNil(environment["MAILSH_NO_SUCH_VARIABLE_\(UUID().uuidString.prefix(8))"])
        XCTAssertEqual(environment.variables, expected)
    }

    func testValuesSetOverTheProcessWinAndUnsetNamesStayUnset() throws {
        let name = try XCTUnwrap(ProcessInfo.processInfo.environment.keys.sorted().first)
        var environment = Environment.process
        environment["MAILSH_SET_HERE"] = "a=b"
        environment[name] = nil
        environment.merge(["MAILSH_MERGED": "m", "MAILSH_SET_HERE": "c"])
        XCTAssertEqual(environment["MAILSH_SET_HERE"], "c")
        XCTAssertEqual(environment["MAILSH_MERGED"], "m")
        XCTAssertNil(environment[name])
        var expected = ProcessInfo.processInfo.environment
        expected[name] = nil
        expected["MAILSH_SET_HERE"] = "c"
        expected["MAILSH_MERGED"] = "m"
        XCTAssertEqual(environment.variables, expected)
    }

    func testGivenValuesAloneNeverReadTheProcess() throws {
        let name = try XCTUnwrap(ProcessInfo.processInfo.environment.keys.sorted().first)
        let given: Environment = ["HOME": "/h"]
        XCTAssertEqual(given["HOME"], "/h")
        XCTAssertNil(given[name == "HOME" ? "PATH" : name])
        XCTAssertEqual(given.variables, ["HOME": "/h"])
        XCTAssertEqual(Environment(["A": "1"]).variables, ["A": "1"])
    }
}
