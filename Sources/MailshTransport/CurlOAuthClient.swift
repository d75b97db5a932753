import Foundation
public import MailshCore

/// Gets tokens from an authorization server over HTTPS (libcurl): device sign-in (RFC 8628), browser sign-in with
/// PKCE and a loopback redirect (RFC 7636, RFC 8252), client credentials, refresh, revocation (RFC 7009).
///
/// Every value is checked for CR, LF and NUL and every URL for `https` before any I/O; the client's secret, the
/// tokens, codes and the PKCE verifier never appear in an error (the server's texts are cleaned of them too).
public struct CurlOAuthClient: OAuthTokenClient {
    /// SHA-256 as lower-case hex (MailshCrypto's `Digest.sha256Hex`), for the PKCE challenge.
    let sha256Hex: @Sendable ([UInt8]) -> String

    public init(sha256Hex: @escaping @Sendable ([UInt8]) -> String) {
        self.sha256Hex = sha256Hex
    }

    // MARK: Requests

    /// Sends a form to an endpoint with the client's authentication and returns the reply.
    func post(_ client: OAuthClient, url: String, field: String, form: [(String, String)], secrets: [String],
              request: String) throws -> (HTTPReply, OAuthReplies) {
        let (body, headers) = try Self.request(client, url: url, field: field, form: form)
        var all = secrets
        if let secret = client.secret?.reveal() { all.append(secret) }
        let reply = try HTTPSPost.send(url: url, body: body, headers: headers, trust: client.trust, timeout: client.timeout,
                                       endpoint: "\(request) endpoint")
        return (reply, OAuthReplies(secrets: all, request: request))
    }

    /// The body and headers of a request, every value checked before any I/O: the client's id (and secret, in the body
    /// or as HTTP Basic) added.
    static func request(_ client: OAuthClient, url: String, field: String, form: [(String, String)]) throws
        -> (body: String, headers: [String]) {
        try OAuthForm.checkURL(url, field: field)
        try OAuthForm.check(client.id, field: "oauth.client_id")
        guard !client.id.isEmpty else {
            throw MailshError.invalidValue(field: "oauth.client_id", value: "", allowed: "the application's client id")
        }
        for (name, value) in form {
            try OAuthForm.check(value, field: name, secret: secretParameters.contains(name))
        }
        var pairs = form
        var headers: [String] = []
        if let secret = client.secret {
            try OAuthForm.check(secret.reveal(), field: "oauth.client_secret", secret: true)
            switch client.authentication {
            case .post:
                pairs += [("client_id", client.id), ("client_secret", secret.reveal())]
            case .basic:
                let pair = OAuthForm.escape(client.id) + ":" + OAuthForm.escape(secret.reveal())
                headers.append("Authorization: Basic " + Data(pair.utf8).base64EncodedString())
            }
        } else {
            pairs.append(("client_id", client.id))
        }
        return (OAuthForm.encode(pairs), headers)
    }

    /// Parameters whose values are secrets (named, never shown, in a refusal).
    static let secretParameters: Set<String> = ["refresh_token", "code", "code_verifier", "device_code", "token",
                                                "client_secret"]

    static func scopeText(_ scopes: [String]) throws -> String {
        for scope in scopes {
            if scope.isEmpty || scope.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F || $0 == "\"" || $0 == "\\" }) {
                throw MailshError.invalidValue(field: "oauth.scopes", value: scope,
                                               allowed: "scope names of visible characters, without quotes or backslashes")
            }
        }
        return scopes.joined(separator: " ")
    }

    // MARK: Grants

    public func startDeviceAuthorization(_ client: OAuthClient, scopes: [String]) throws -> DeviceAuthorization {
        guard let url = client.endpoints.deviceAuthorization else {
            throw MailshError.invalidValue(field: "oauth.device_url", value: "",
                                           allowed: "the device authorization endpoint (this provider has none: use the browser sign-in)")
        }
        let startedAt = Date()
        let (reply, replies) = try post(client, url: url, field: "oauth.device_url",
                                        form: [("scope", try Self.scopeText(scopes))], secrets: [],
                                        request: "device authorization")
        return try replies.deviceAuthorization(reply, startedAt: startedAt)
    }

    public func pollDeviceAuthorization(_ client: OAuthClient, _ authorization: DeviceAuthorization) throws -> DevicePollResult {
        let code = authorization.deviceCode.reveal()
        let (reply, replies) = try post(client, url: client.endpoints.token, field: "oauth.token_url",
                                        form: [("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                                               ("device_code", code)],
                                        secrets: [code], request: "device sign-in")
        return try replies.devicePoll(reply)
    }

    public func startAuthorizationCode(_ client: OAuthClient, scopes: [String], options: AuthorizationCodeOptions) throws
        -> any AuthorizationCodeSignIn {
        guard let endpoint = client.endpoints.authorization else {
            throw MailshError.invalidValue(field: "oauth.authorize_url", value: "", allowed: "the authorization endpoint")
        }
        try OAuthForm.checkURL(endpoint, field: "oauth.authorize_url")
        try OAuthForm.check(client.id, field: "oauth.client_id")
        guard options.redirectPath.hasPrefix("/"),
              !options.redirectPath.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7F || "?#%".unicodeScalars.contains($0) }) else {
            throw MailshError.invalidValue(field: "redirect path", value: options.redirectPath,
                                           allowed: "a path starting with / of visible ASCII, without ? # %")
        }
        var parameters: [(String, String)] = []
        for (name, value) in options.extraParameters.sorted(by: { $0.key < $1.key }) {
            try OAuthForm.check(name, field: "authorization parameter")
            try OAuthForm.check(value, field: name)
            parameters.append((name, value))
        }
        if let hint = options.loginHint {
            try OAuthForm.check(hint, field: "login hint")
            parameters.append(("login_hint", hint))
        }
        let scope = try Self.scopeText(scopes)
        var random = SystemRandomNumberGenerator()
        let verifier = OAuthForm.base64URL((0..<32).map { _ in random.next() as UInt8 })
        let state = OAuthForm.base64URL((0..<16).map { _ in random.next() as UInt8 })
        let challenge = OAuthForm.base64URL(Self.bytes(hex: sha256Hex(Array(verifier.utf8))))
        let listener = try LoopbackListener()
        let redirectURI = "http://127.0.0.1:\(listener.port)\(options.redirectPath)"
        let query = OAuthForm.encode([("response_type", "code"), ("client_id", client.id), ("redirect_uri", redirectURI),
                                      ("scope", scope), ("state", state), ("code_challenge", challenge),
                                      ("code_challenge_method", "S256")] + parameters)
        let url = endpoint + (endpoint.contains("?") ? "&" : "?") + query
        let signIn = LoopbackSignIn(client: client, oauth: self, listener: listener, url: url, redirectURI: redirectURI,
                                    path: options.redirectPath, state: state, verifier: verifier)
        if let open = options.openBrowser {
            do { try open(url) } catch {
                signIn.cancel()
                throw error
            }
        }
        return signIn
    }

    /// Exchanges an authorization code (with its PKCE verifier) for tokens.
    func exchange(_ client: OAuthClient, code: String, redirectURI: String, verifier: String) throws -> OAuthTokenSet {
        let (reply, replies) = try post(client, url: client.endpoints.token, field: "oauth.token_url",
                                        form: [("grant_type", "authorization_code"), ("code", code),
                                               ("redirect_uri", redirectURI), ("code_verifier", verifier)],
                                        secrets: [code, verifier], request: "authorization code")
        return try replies.tokens(reply)
    }

    public func clientCredentials(_ client: OAuthClient, scopes: [String]) throws -> OAuthTokenSet {
        let (reply, replies) = try post(client, url: client.endpoints.token, field: "oauth.token_url",
                                        form: [("grant_type", "client_credentials"), ("scope", try Self.scopeText(scopes))],
                                        secrets: [], request: "client credentials")
        return try replies.tokens(reply)
    }

    public func refresh(_ client: OAuthClient, refreshToken: Secret, scopes: [String]?) throws -> OAuthTokenSet {
        let token = refreshToken.reveal()
        var form = [("grant_type", "refresh_token"), ("refresh_token", token)]
        if let scopes { form.append(("scope", try Self.scopeText(scopes))) }
        let (reply, replies) = try post(client, url: client.endpoints.token, field: "oauth.token_url", form: form,
                                        secrets: [token], request: "refresh")
        var tokens = try replies.tokens(reply)
        // The same refresh token back is no rotation.
        if tokens.refreshToken?.reveal() == token { tokens.refreshToken = nil }
        return tokens
    }

    public func revoke(_ client: OAuthClient, token: Secret, kind: OAuthTokenKind?) throws {
        guard let url = client.endpoints.revocation else {
            throw MailshError.invalidValue(field: "oauth.revoke_url", value: "", allowed: "the revocation endpoint")
        }
        let text = token.reveal()
        var form = [("token", text)]
        if let kind { form.append(("token_type_hint", kind.rawValue)) }
        let (reply, replies) = try post(client, url: url, field: "oauth.revoke_url", form: form, secrets: [text],
                                        request: "revocation")
        guard (200..<300).contains(reply.status) else { throw replies.error(reply) }
    }

    static func bytes(hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var high: UInt8?
        for char in hex.utf8 {
            let value: UInt8
            switch char {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = char - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = char - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = char - UInt8(ascii: "A") + 10
            default: continue
            }
            if let first = high {
                result.append(first << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return result
    }
}

/// A browser sign-in waiting on its loopback listener.
///
/// `@unchecked Sendable`: its properties are `let`s; the listener guards its own state with its lock.
final class LoopbackSignIn: AuthorizationCodeSignIn, @unchecked Sendable {
    let client: OAuthClient
    let oauth: CurlOAuthClient
    let listener: LoopbackListener
    let url: String
    let redirectURI: String
    let path: String
    private let state: String
    private let verifier: String

    init(client: OAuthClient, oauth: CurlOAuthClient, listener: LoopbackListener, url: String, redirectURI: String,
         path: String, state: String, verifier: String) {
        self.client = client
        self.oauth = oauth
        self.listener = listener
        self.url = url
        self.redirectURI = redirectURI
        self.path = path
        self.state = state
        self.verifier = verifier
    }

    func cancel() { listener.close() }

    func finish(timeout: Double) throws -> OAuthTokenSet {
        defer { listener.close() }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            guard let request = try listener.next(until: deadline) else {
                throw OAuthError.expired("no sign-in came back to \(redirectURI) within \(Int(timeout)) s; start again")
            }
            guard request.path == path else {
                request.respond(status: "404 Not Found", text: "Not found.")
                continue
            }
            let query = request.query
            guard query["state"] == state else {
                request.respond(status: "400 Bad Request", text: "This sign-in answer does not belong to the sign-in "
                    + "mailsh started. Nothing was done.")
                throw OAuthError.failed("the redirect's state did not match the sign-in mailsh started (a stale or forged "
                    + "redirect); nothing was exchanged; start again")
            }
            if let error = query["error"] {
                request.respond(status: "200 OK", text: "The sign-in failed. You may close this window.")
                let replies = OAuthReplies(secrets: [verifier], request: "authorization")
                throw OAuthReplies.classify(OAuthProviderError(code: replies.clean(error, limit: 80),
                                                               text: query["error_description"].map { replies.clean($0) },
                                                               httpStatus: 0, request: "authorization"))
            }
            guard let code = query["code"], !code.isEmpty else {
                request.respond(status: "400 Bad Request", text: "No authorization code. Nothing was done.")
                throw OAuthError.failed("the redirect carried neither a code nor an error")
            }
            request.respond(status: "200 OK", text: "Signed in. You may close this window and go back to mailsh.")
            listener.close()
            return try oauth.exchange(client, code: code, redirectURI: redirectURI, verifier: verifier)
        }
    }
}

/// A listener on 127.0.0.1 on a port the system picks (RFC 8252 section 7.3), taking one small HTTP request at a time.
///
/// `@unchecked Sendable`: `fd` is read and written only under `lock`.
final class LoopbackListener: @unchecked Sendable {
    let port: Int
    private var fd: Int32
    private let lock = NSLock()

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw OAuthError.failed("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 8) == 0 else {
            let text = String(cString: strerror(errno))
            Glibc.close(fd)
            throw OAuthError.failed("could not listen on 127.0.0.1 for the sign-in's redirect: \(text)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close() }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    private var listening: Int32 {
        lock.lock()
        defer { lock.unlock() }
        return fd
    }

    /// The next request, or `nil` at the deadline; throws ``OAuthError/interrupted`` at Ctrl-C.
    func next(until deadline: Date) throws -> LoopbackRequest? {
        while true {
            if Interrupt.requested { throw OAuthError.interrupted }
            let listening = self.listening
            guard listening >= 0 else { throw OAuthError.failed("the sign-in was cancelled") }
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return nil }
            var poller = pollfd(fd: listening, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(min(100, max(1, left * 1000)))) > 0 else { continue }
            let client = accept(listening, nil, nil)
            guard client >= 0 else { continue }
            if let request = LoopbackRequest(fd: client, until: min(deadline, Date().addingTimeInterval(5))) {
                return request
            }
        }
    }
}

/// One HTTP request on the loopback listener: its request line only (the headers are read and ignored).
final class LoopbackRequest {
    let fd: Int32
    let path: String
    let query: [String: String]
    static let limit = 16 * 1024

    /// Reads the request head (at most 16 KiB, until `deadline`); `nil` (connection closed) when it is not a GET.
    init?(fd: Int32, until deadline: Date) {
        self.fd = fd
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !Self.headEnds(bytes) {
            let left = deadline.timeIntervalSinceNow
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard left > 0, bytes.count < Self.limit, poll(&poller, 1, Int32(max(1, left * 1000))) > 0 else { break }
            let count = recv(fd, &chunk, chunk.count, 0)
            if count <= 0 { break }
            bytes += chunk[..<count]
        }
        let line = String(decoding: bytes.prefix { $0 != 0x0D && $0 != 0x0A }, as: UTF8.self)
        let words = line.split(separator: " ")
        guard words.count >= 2, words[0] == "GET" else {
            Glibc.close(fd)
            return nil
        }
        let target = words[1]
        if let mark = target.firstIndex(of: "?") {
            path = String(target[..<mark])
            query = OAuthForm.decodeQuery(target[target.index(after: mark)...])
        } else {
            path = String(target)
            query = [:]
        }
    }

    private static func headEnds(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 2 else { return false }
        for index in 0..<(bytes.count - 1) where bytes[index] == 0x0A {
            if bytes[index + 1] == 0x0A || (index + 2 < bytes.count && bytes[index + 1] == 0x0D && bytes[index + 2] == 0x0A) {
                return true
            }
        }
        return false
    }

    /// Answers with a small plain-text page and closes the connection.
    func respond(status: String, text: String) {
        let body = Array((text + "\n").utf8)
        let head = "HTTP/1.1 \(status)\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.count)\r\n"
            + "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
        let bytes = Array(head.utf8) + body
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { break }
            offset += sent
        }
        Glibc.close(fd)
    }
}
