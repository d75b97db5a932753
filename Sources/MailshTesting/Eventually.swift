import Foundation

/// Waits until `condition` holds, checking it every 20 ms, for at most `seconds`; returns whether it held. Tests
/// wait for the event itself (a file, a log line, a row) with a generous bound, never sleep and then assert.
public func eventually(_ seconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}
