internal import CCurl
import Foundation
import MailshCore

/// libcurl's one-time global set-up, and facts about the library.
enum Curl {
    /// `curl_global_init`, run once (a Swift global is initialized once, thread-safely).
    static let ready: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    /// Such as `libcurl/7.88.1 OpenSSL/3.0.19`.
    static var version: String {
        guard let info = CMailshCurl_version_info() else { return "libcurl" }
        var text = "libcurl/" + String(cString: info.pointee.version)
        if let ssl = info.pointee.ssl_version { text += " " + String(cString: ssl) }
        return text
    }

    /// The text of a result code.
    static func describe(_ code: CURLcode) -> String {
        String(cString: curl_easy_strerror(code))
    }

    /// A monotonic clock in nanoseconds.
    static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}

/// One libcurl easy handle, owned: `deinit` frees it with its error buffer and the lists handed to it.
/// Typed setters over the shim, one per argument kind (libcurl's own setter is variadic).
final class EasyHandle {
    let raw: UnsafeMutableRawPointer
    /// libcurl keeps this pointer (CURLOPT_ERRORBUFFER): it must live as long as the handle.
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// Lists libcurl points into, by option, freed when replaced and with the handle.
    private var lists: [UInt32: UnsafeMutablePointer<curl_slist>] = [:]

    init() {
        precondition(Curl.ready, "libcurl could not be initialized")
        guard let raw = curl_easy_init() else { fatalError("curl_easy_init failed (out of memory)") }
        self.raw = raw
        let size = CMailshCurl_error_size()
        errorBuffer = .allocate(capacity: size)
        errorBuffer.initialize(repeating: 0, count: size)
        _ = CMailshCurl_setopt_pointer(raw, CURLOPT_ERRORBUFFER, errorBuffer)
    }

    deinit {
        curl_easy_cleanup(raw)
        for list in lists.values { curl_slist_free_all(list) }
        errorBuffer.deallocate()
    }

    /// The last error's detail (CURLOPT_ERRORBUFFER), empty when none.
    var errorText: String { String(cString: errorBuffer) }

    func clearError() { errorBuffer[0] = 0 }

    func set(_ option: CURLoption, _ value: Int) {
        _ = CMailshCurl_setopt_long(raw, option, value)
    }

    func set(_ option: CURLoption, _ value: Bool) {
        _ = CMailshCurl_setopt_long(raw, option, value ? 1 : 0)
    }

    /// Sets a string option (`nil` resets or disables it, as the option says). libcurl copies the text.
    func set(_ option: CURLoption, _ value: String?) {
        if let value {
            _ = value.withCString { CMailshCurl_setopt_string(raw, option, $0) }
        } else {
            _ = CMailshCurl_setopt_string(raw, option, nil)
        }
    }

    func set(_ option: CURLoption, offset value: Int64) {
        _ = CMailshCurl_setopt_offset(raw, option, curl_off_t(value))
    }

    /// Sets a blob option from `bytes`: libcurl keeps its own copy (CURL_BLOB_COPY), in memory only.
    @discardableResult
    func set(_ option: CURLoption, blob bytes: UnsafeMutableRawBufferPointer) -> Bool {
        CMailshCurl_setopt_blob(raw, option, bytes.baseAddress, bytes.count) == CURLE_OK
    }

    func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer?) {
        _ = CMailshCurl_setopt_pointer(raw, option, value)
    }

    /// Sets a list option (`[]` removes it); the previous list is freed.
    func set(_ option: CURLoption, list values: [String]) {
        var head: UnsafeMutablePointer<curl_slist>?
        for value in values { head = curl_slist_append(head, value) }
        _ = CMailshCurl_setopt_slist(raw, option, head)
        if let old = lists[option.rawValue] { curl_slist_free_all(old) }
        lists[option.rawValue] = head
    }

    func setDebug(_ callback: curl_debug_callback?) { _ = CMailshCurl_setopt_debugfunction(raw, callback) }
    func setWrite(_ callback: curl_write_callback?) { _ = CMailshCurl_setopt_writefunction(raw, callback) }
    func setRead(_ callback: curl_read_callback?) { _ = CMailshCurl_setopt_readfunction(raw, callback) }

    func info(long option: CURLINFO) -> Int {
        var value = 0
        _ = CMailshCurl_getinfo_long(raw, option, &value)
        return value
    }

    func info(offset option: CURLINFO) -> Int64 {
        var value: curl_off_t = 0
        _ = CMailshCurl_getinfo_offset(raw, option, &value)
        return Int64(value)
    }

    /// Runs the transfer set up on the handle, on the calling thread (`curl_easy_perform`).
    func perform() -> CURLcode { curl_easy_perform(raw) }

    /// The socket of the connection the last transfer used (with `CURLOPT_CONNECT_ONLY`: the open one), if any.
    var activeSocket: Int32? {
        var socket: curl_socket_t = CURL_SOCKET_BAD
        guard CMailshCurl_getinfo_socket(raw, CURLINFO_ACTIVESOCKET, &socket) == CURLE_OK, socket != CURL_SOCKET_BAD
        else { return nil }
        return socket
    }

    /// Sends what it can of `bytes` on a `CURLOPT_CONNECT_ONLY` connection (`CURLE_AGAIN` when it would block).
    func send(_ bytes: UnsafeRawBufferPointer) -> (code: CURLcode, count: Int) {
        var sent = 0
        let code = curl_easy_send(raw, bytes.baseAddress, bytes.count, &sent)
        return (code, sent)
    }

    /// Receives what is there on a `CURLOPT_CONNECT_ONLY` connection (`CURLE_AGAIN` when nothing is; `CURLE_OK` with
    /// 0 bytes when the server closed the connection).
    func receive(into buffer: UnsafeMutableRawBufferPointer) -> (code: CURLcode, count: Int) {
        var received = 0
        let code = curl_easy_recv(raw, buffer.baseAddress, buffer.count, &received)
        return (code, received)
    }

    /// The certificates of the last TLS handshake (CURLOPT_CERTINFO), each as its `Name:value` lines.
    func certificateInfo() -> [[String]] {
        var pointer: UnsafeMutablePointer<curl_certinfo>?
        guard CMailshCurl_getinfo_certinfo(raw, &pointer) == CURLE_OK, let info = pointer?.pointee,
              info.num_of_certs > 0, let lists = info.certinfo else { return [] }
        var result: [[String]] = []
        for index in 0..<Int(info.num_of_certs) {
            var lines: [String] = []
            var node = lists[index]
            while let current = node {
                if let data = current.pointee.data { lines.append(String(cString: data)) }
                node = current.pointee.next
            }
            result.append(lines)
        }
        return result
    }
}

/// One libcurl multi handle, owned, driven on one thread.
final class MultiHandle {
    let raw: UnsafeMutableRawPointer

    init() {
        precondition(Curl.ready, "libcurl could not be initialized")
        guard let raw = curl_multi_init() else { fatalError("curl_multi_init failed (out of memory)") }
        self.raw = raw
    }

    deinit { curl_multi_cleanup(raw) }

    func set(_ option: CURLMoption, _ value: Int) {
        _ = CMailshCurl_multi_setopt_long(raw, option, value)
    }

    @discardableResult
    func add(_ easy: EasyHandle) -> Bool { curl_multi_add_handle(raw, easy.raw) == CURLM_OK }

    func remove(_ easy: EasyHandle) { _ = curl_multi_remove_handle(raw, easy.raw) }

    /// Drives every transfer as far as it can go without waiting.
    func perform() {
        var running: Int32 = 0
        _ = curl_multi_perform(raw, &running)
    }

    /// Waits for activity on any transfer, at most `milliseconds`.
    func poll(milliseconds: Int) {
        var ready: Int32 = 0
        _ = curl_multi_poll(raw, nil, 0, Int32(clamping: milliseconds), &ready)
    }

    /// The transfers that finished since the last call, with their result codes.
    func finished() -> [(UnsafeMutableRawPointer, CURLcode)] {
        var result: [(UnsafeMutableRawPointer, CURLcode)] = []
        var left: Int32 = 0
        while let message = curl_multi_info_read(raw, &left) {
            if message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle {
                result.append((easy, message.pointee.data.result))
            }
        }
        return result
    }
}
