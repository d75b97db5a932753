import XCTest
@testable import MailshCore

/// `monitor --metrics`: loopback addresses only, with a port.
final class MetricsAddressTests: XCTestCase {
    func testLoopbackAddressesAreAccepted() throws {
        XCTAssertEqual(try MetricsAddress.parse("127.0.0.1:9464"), MetricsAddress(host: "127.0.0.1", port: 9464))
        XCTAssertEqual(try MetricsAddress.parse("127.1.2.3:0"), MetricsAddress(host: "127.1.2.3", port: 0))
        XCTAssertEqual(try MetricsAddress.parse("[::1]:9464"), MetricsAddress(host: "::1", port: 9464))
        XCTAssertEqual(try MetricsAddress.parse("localhost:9464"), MetricsAddress(host: "127.0.0.1", port: 9464))
        XCTAssertEqual(MetricsAddress(host: "::1", port: 9464).text, "[::1]:9464")
    }

    func testOtherHostsAreRefusedSayingLoopback() {
        for text in ["0.0.0.0:9464", "10.0.0.1:9464", "[::]:9464", "example.org:9464", "128.0.0.1:9464",
                     "127.0.0.256:9464", "127.0.0:9464"] {
            XCTAssertThrowsError(try MetricsAddress.parse(text), text) { error in
                XCTAssertTrue((error as? MailshError)?.message.contains("loopback") == true, "\(text): \(error)")
            }
        }
    }

    func testMalformedAddressesAreRefused() {
        for text in ["127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:9x", "::1:9464", "[::1]9464", ""] {
            XCTAssertThrowsError(try MetricsAddress.parse(text), text) { error in
                guard case .invalidValue(let field, _, _)? = error as? MailshError else {
                    return XCTFail("\(text): \(error)")
                }
                XCTAssertEqual(field, "metrics")
            }
        }
    }
}
