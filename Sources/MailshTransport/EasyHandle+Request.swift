internal import CCurl
import Foundation

/// The body of an HTTP reply, collected up to a limit (past it the transfer fails with `CURLE_WRITE_ERROR` and
/// ``overflow`` is set).
final class BodyCollector {
    let limit: Int
    var bytes: [UInt8] = []
    var overflow = false

    init(limit: Int) { self.limit = limit }
}

private let collectBody: curl_write_callback = { data, size, count, context in
    guard let context, let data else { return 0 }
    let collector = Unmanaged<BodyCollector>.fromOpaque(context).takeUnretainedValue()
    let total = size * count
    guard collector.bytes.count + total <= collector.limit else {
        collector.overflow = true
        return 0
    }
    collector.bytes += UnsafeRawBufferPointer(start: data, count: total)
    return total
}

extension EasyHandle {
    /// The set-up every HTTP(S) request of mailsh shares (autoconfig and MTA-STS documents, OAuth endpoints): the URL,
    /// only `protocols` (`https`, or `https,http`), no redirect followed, no proxy and no `.netrc` from the
    /// environment, no signals, `timeout` seconds for the connection and for the whole request, and the reply's body
    /// into `collector` (which must outlive the transfer; ``endRequest()`` lets go of it).
    func beginRequest(url: String, protocols: String, timeout: Double, collector: BodyCollector) {
        set(CURLOPT_URL, url)
        set(CURLOPT_PROTOCOLS_STR, protocols)
        set(CURLOPT_FOLLOWLOCATION, false)
        set(CURLOPT_PROXY, "")
        set(CURLOPT_NOSIGNAL, true)
        set(CURLOPT_NETRC, Int(CURL_NETRC_IGNORED.rawValue))
        let milliseconds = max(1, Int(timeout * 1000))
        set(CURLOPT_CONNECTTIMEOUT_MS, milliseconds)
        set(CURLOPT_TIMEOUT_MS, milliseconds)
        set(CURLOPT_USERAGENT, "mailsh")
        setWrite(collectBody)
        set(CURLOPT_WRITEDATA, pointer: Unmanaged.passUnretained(collector).toOpaque())
    }

    /// Forgets the collector of ``beginRequest(url:protocols:timeout:collector:)``.
    func endRequest() {
        setWrite(nil)
        set(CURLOPT_WRITEDATA, pointer: nil)
    }
}
