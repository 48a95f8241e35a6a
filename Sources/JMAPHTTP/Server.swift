// The HTTP front of a JMAP backend (RFC 8620 over HTTP/1.1): the routes of the
// Session resource, the API, blobs and the event source; bearer authentication;
// the byte and concurrency limits of the core capability. What a request means
// is the backend's business; this file only carries it.
import Foundation
import HTTPTypes
import Hummingbird
import JMAPServer
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// How to run the front.
public struct JMAPHTTPConfiguration: Sendable {
    public var listen: ListenAddress
    /// The bearer token every request must present.
    public var token: String
    /// Whether an address other than loopback may be bound.
    public var allowNonLoopback: Bool
    /// Where the JMAP resources live: `\(basePath)/api`, `/download/...`, `/upload/...`, `/eventsource/`.
    public var basePath = "/jmap"
    /// The bounds a requested event-source ping interval is clamped to (seconds).
    /// RFC 8620 7.3: a minimum no higher than 30, a maximum no lower than 300.
    public var pingBounds = 1...300
    /// A connection with no request in progress (or one whose request stopped
    /// arriving) is closed after this many seconds; an event stream being
    /// answered is never idle.
    public var idleTimeoutSeconds: Int64 = 120
    /// How long a graceful shutdown may wait for requests in flight.
    public var shutdownGraceSeconds: Int64 = 30

    /// The other settings are their defaults above until set.
    public init(listen: ListenAddress, token: String, allowNonLoopback: Bool = false) {
        self.listen = listen
        self.token = token
        self.allowNonLoopback = allowNonLoopback
    }
}

/// `smimekit serve`'s server: a Hummingbird application around a `JMAPBackend`.
public struct JMAPHTTPServer: Sendable {
    public let backend: any JMAPBackend
    public let configuration: JMAPHTTPConfiguration
    /// What the person starting the server should be told (a non-loopback address).
    public let warnings: [String]

    /// Refuses a non-loopback address unless the configuration allows it.
    public init(backend: any JMAPBackend, configuration: JMAPHTTPConfiguration) throws {
        guard !configuration.token.isEmpty else { throw ServeSetupError.tokenFileEmpty(path: "(token)") }
        var warnings: [String] = []
        if !configuration.listen.isLoopback {
            guard configuration.allowNonLoopback else { throw ServeSetupError.notLoopback(configuration.listen.host) }
            warnings.append("listening on \(configuration.listen.urlHost), which is not loopback: requests and the token travel in clear text unless a TLS proxy is in front")
        }
        self.backend = backend
        self.configuration = configuration
        self.warnings = warnings
    }

    /// The server as a service, for a ServiceGroup of the caller's: `onListening`
    /// gets the bound port (the one picked when the configuration asked for 0).
    public func makeService(logger: Logger? = nil, onListening: @escaping @Sendable (Int) -> Void = { _ in }) -> some Service {
        var log = logger ?? Logger(label: "smimekit.serve", factory: { StreamLogHandler.standardError(label: $0) })
        if logger == nil { log.logLevel = .warning }
        let bound = BoundPort(configuration.listen.port)
        let responder = JMAPResponder(backend: backend, configuration: configuration, bound: bound)
        return Application(
            responder: responder,
            server: .http1(configuration: .init(idleTimeout: .seconds(configuration.idleTimeoutSeconds))),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.listen.host, port: configuration.listen.port),
                serverName: nil,
                reuseAddress: true
            ),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                await bound.set(port)
                onListening(port)
            },
            logger: log
        )
    }

    /// Runs until SIGTERM or SIGINT, then shuts down gracefully: no new connections,
    /// requests in flight answered, event streams ended, then return.
    public func run(logger: Logger? = nil, onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        var log = logger ?? Logger(label: "smimekit.serve", factory: { StreamLogHandler.standardError(label: $0) })
        if logger == nil { log.logLevel = .warning }
        var groupConfiguration = ServiceGroupConfiguration(
            services: [makeService(logger: log, onListening: onListening)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: log
        )
        // A request that will not finish does not hold the shutdown up for ever:
        // after this long the rest is cancelled.
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(configuration.shutdownGraceSeconds)
        try await ServiceGroup(configuration: groupConfiguration).run()
    }
}

/// The request context: Hummingbird's core storage plus the channel, which the
/// limit refusals close.
struct JMAPRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}

/// The port actually bound (the listen address may say 0), for URLs made
/// without a usable Host header.
actor BoundPort {
    private(set) var port: Int
    init(_ port: Int) { self.port = port }
    func set(_ port: Int) { self.port = port }
}

/// Counts requests in flight against a limit (maxConcurrentRequests, maxConcurrentUpload).
actor Gate {
    let limit: Int
    private var inFlight = 0

    init(limit: Int) { self.limit = max(1, limit) }

    func enter() -> Bool {
        guard inFlight < limit else { return false }
        inFlight += 1
        return true
    }

    func leave() { inFlight -= 1 }
}

struct JMAPResponder: HTTPResponder {
    typealias Context = JMAPRequestContext

    let backend: any JMAPBackend
    let configuration: JMAPHTTPConfiguration
    let token: [UInt8]
    let limits: JMAPLimits
    let apiGate: Gate
    let uploadGate: Gate
    let bound: BoundPort

    init(backend: any JMAPBackend, configuration: JMAPHTTPConfiguration, bound: BoundPort) {
        self.bound = bound
        self.backend = backend
        self.configuration = configuration
        self.token = Array(configuration.token.utf8)
        self.limits = backend.limits
        self.apiGate = Gate(limit: limits.maxConcurrentRequests)
        self.uploadGate = Gate(limit: limits.maxConcurrentUpload)
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        guard authorized(request) else { return unauthorized(request, channel: context.channel) }

        let (segments, query) = splitTarget(request.uri.string)
        let base = configuration.basePath.split(separator: "/").map(String.init)

        if segments == [".well-known", "jmap"] || segments == base + ["session"] {
            guard request.method == .get else { return methodNotAllowed("GET") }
            let session = await backend.session(urls: sessionURLs(for: request, port: await bound.port))
            return json(status: .ok, contentType: "application/json", bytes: session,
                        extra: [.cacheControl: "no-cache, no-store, must-revalidate"])
        }
        guard segments.count > base.count, Array(segments.prefix(base.count)) == base else {
            return problem(status: .notFound, type: "about:blank", detail: "no such resource")
        }
        let rest = Array(segments.dropFirst(base.count))
        switch rest.first {
        case "api" where rest.count == 1:
            guard request.method == .post else { return methodNotAllowed("POST") }
            return await api(request, context: context)
        case "download" where rest.count == 4:
            guard request.method == .get else { return methodNotAllowed("GET") }
            return await download(accountId: rest[1], blobId: rest[2], name: rest[3], query: query)
        case "upload" where rest.count == 2:
            guard request.method == .post else { return methodNotAllowed("POST") }
            return await upload(request, accountId: rest[1], context: context)
        case "eventsource" where rest.count == 1:
            guard request.method == .get else { return methodNotAllowed("GET") }
            return eventSource(query: query)
        default:
            return problem(status: .notFound, type: "about:blank", detail: "no such resource")
        }
    }

    // MARK: Authentication (RFC 6750 bearer tokens)

    func authorized(_ request: Request) -> Bool {
        guard let value = request.headers[.authorization] else { return false }
        let bytes = Array(value.utf8)
        let scheme = Array("bearer ".utf8)
        guard bytes.count > scheme.count,
              bytes.prefix(scheme.count).map({ $0 | 0x20 }) == scheme.map({ $0 | 0x20 }) else { return false }
        var presented = bytes.dropFirst(scheme.count)
        while presented.first == UInt8(ascii: " ") { presented = presented.dropFirst() }
        while presented.last == UInt8(ascii: " ") { presented = presented.dropLast() }
        return constantTimeEqual(presented, token)
    }

    /// 401 with the challenge. A request that came with a body is answered and
    /// the connection closed, so that no one without the token makes the server
    /// read (or drain) a body.
    func unauthorized(_ request: Request, channel: any Channel) -> Response {
        let challenge = request.headers[.authorization] == nil
            ? #"Bearer realm="smimekit""#
            : #"Bearer realm="smimekit", error="invalid_token""#
        let bytes = problemBytes(status: .unauthorized, type: "about:blank",
                                 detail: "this server needs Authorization: Bearer and the token from its token file")
        let headers: HTTPFields = [.contentType: "application/problem+json", .wwwAuthenticate: challenge]
        let hasBody = (request.headers[.contentLength].flatMap(Int.init) ?? 0) > 0 || request.headers[.transferEncoding] != nil
        if hasBody { return closing(status: .unauthorized, headers: headers, bytes: bytes, channel: channel) }
        return json(status: .unauthorized, contentType: "application/problem+json", bytes: bytes, extra: [.wwwAuthenticate: challenge])
    }

    // MARK: The API (RFC 8620 3.1)

    func api(_ request: Request, context: Context) async -> Response {
        await admit(request, context: context, gate: apiGate, as: .request(limits)) { body in
            let reply = await backend.api(body: body)
            return json(status: HTTPResponse.Status(code: reply.status), contentType: reply.contentType,
                        bytes: reply.body, extra: [.cacheControl: "no-store"])
        }
    }

    // MARK: Blobs (RFC 8620 6.1, 6.2)

    func download(accountId: String, blobId: String, name: String, query: [String: String]) async -> Response {
        guard let blob = await backend.download(accountId: accountId, blobId: blobId) else {
            return problem(status: .notFound, type: "about:blank", detail: "no blob \(blobId) in account \(accountId)")
        }
        // 6.2: the type parameter, if given, is the Content-Type to answer with.
        var type = blob.type
        if let asked = query["type"], !asked.isEmpty {
            guard isMediaType(asked) else {
                return problem(status: .badRequest, type: "about:blank", detail: "type: not a media type")
            }
            type = asked
        }
        var headers: HTTPFields = [
            .contentType: type,
            .contentDisposition: contentDisposition(filename: name),
            // A blob's content never changes for its id (6.2).
            .cacheControl: "private, immutable, max-age=31536000",
        ]
        headers[.contentLength] = String(blob.bytes.count)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: blob.bytes)))
    }

    func upload(_ request: Request, accountId: String, context: Context) async -> Response {
        await admit(request, context: context, gate: uploadGate, as: .upload(limits)) { body in
            let type = request.headers[.contentType].flatMap { isMediaType($0) ? $0 : nil } ?? "application/octet-stream"
            let reply = await backend.upload(accountId: accountId, type: type, bytes: body)
            return json(status: HTTPResponse.Status(code: reply.status), contentType: reply.contentType,
                        bytes: reply.body, extra: [:])
        }
    }

    // MARK: The event source (RFC 8620 7.3)

    func eventSource(query: [String: String]) -> Response {
        let types = query["types"] ?? "*"
        let wanted: Set<String>? = types == "*" ? nil : Set(types.split(separator: ",").map(String.init))
        let closeAfterState = query["closeafter"] == "state"
        let asked = Int(query["ping"] ?? "0") ?? 0
        let ping = asked <= 0 ? 0 : min(max(asked, configuration.pingBounds.lowerBound), configuration.pingBounds.upperBound)
        let stream = EventStream(changes: backend.stateChanges(), wanted: wanted,
                                 closeAfterState: closeAfterState, pingSeconds: ping)
        let headers: HTTPFields = [
            .contentType: "text/event-stream",
            .cacheControl: "no-cache",
            HTTPField.Name("X-Accel-Buffering")!: "no",  // nginx: pass events on at once
        ]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await stream.write(to: &writer)
        })
    }

    // MARK: Helpers

    /// The limits a route that reads a body is held to (RFC 8620 2), and how it names them.
    struct Admission {
        /// "request" or "upload".
        let what: String
        /// The core capability's names of the concurrency and size limits.
        let concurrentLimit: String, sizeLimit: String
        let maxConcurrent: Int, maxSize: Int
        /// The answer to a body over `maxSize`: a JMAP Request gets the request-level
        /// `limit` error, which a JMAP client knows (3.6.1), rather than a bare 413; an
        /// upload is not a JMAP Request, so 413, with the same problem document.
        let tooLarge: HTTPResponse.Status
        /// What could not be read when the body failed part-way.
        let unreadable: String

        static func request(_ l: JMAPLimits) -> Admission {
            Admission(what: "request", concurrentLimit: "maxConcurrentRequests", sizeLimit: "maxSizeRequest",
                      maxConcurrent: l.maxConcurrentRequests, maxSize: l.maxSizeRequest, tooLarge: .badRequest,
                      unreadable: "the request body")
        }

        static func upload(_ l: JMAPLimits) -> Admission {
            Admission(what: "upload", concurrentLimit: "maxConcurrentUpload", sizeLimit: "maxSizeUpload",
                      maxConcurrent: l.maxConcurrentUpload, maxSize: l.maxSizeUpload, tooLarge: .contentTooLarge,
                      unreadable: "the upload")
        }
    }

    /// Answers a request whose body `answer` takes, within its gate's place and the size
    /// limit: more at once than the gate lets in is the request-level `limit` error; a body
    /// over the limit is refused and the rest of it never read.
    func admit(_ request: Request, context: Context, gate: Gate, as a: Admission,
               _ answer: ([UInt8]) async -> Response) async -> Response {
        guard await gate.enter() else {
            return limitProblem(status: .badRequest, limit: a.concurrentLimit, detail: "more than \(a.maxConcurrent) \(a.what)s at once")
        }
        let response: Response
        switch await collect(request, limit: a.maxSize) {
        case .tooLarge:
            response = refuse(status: a.tooLarge, limit: a.sizeLimit,
                              detail: "the \(a.what) is larger than \(a.maxSize) octets", channel: context.channel)
        case .failed:
            response = problem(status: .badRequest, type: "about:blank", detail: "\(a.unreadable) could not be read")
        case .bytes(let body):
            response = await answer(body)
        }
        await gate.leave()
        return response
    }

    enum Body {
        case bytes([UInt8])
        case tooLarge
        case failed
    }

    /// The request body, up to `limit` octets: refused as soon as Content-Length
    /// or the octets so far pass it, without reading the rest.
    func collect(_ request: Request, limit: Int) async -> Body {
        var declared: Int? = nil
        if let text = request.headers[.contentLength] {
            guard let n = Int(text), n >= 0 else { return .failed }
            if n > limit { return .tooLarge }
            declared = n
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(declared ?? 0)
        do {
            for try await buffer in request.body {
                if bytes.count + buffer.readableBytes > limit { return .tooLarge }
                bytes.append(contentsOf: buffer.readableBytesView)
            }
        } catch {
            return .failed
        }
        return .bytes(bytes)
    }

    /// A refusal after which the connection is closed, so the rest of a body too
    /// big to read is never read (Hummingbird would otherwise drain it to keep the
    /// connection alive). The output side is closed once the answer is written.
    func refuse(status: HTTPResponse.Status, limit: String, detail: String, channel: any Channel) -> Response {
        let bytes = problemBytes(status: status, type: "urn:ietf:params:jmap:error:limit", detail: detail, more: ["limit": limit])
        return closing(status: status, headers: [.contentType: "application/problem+json"], bytes: bytes, channel: channel)
    }

    func closing(status: HTTPResponse.Status, headers: HTTPFields, bytes: [UInt8], channel: any Channel) -> Response {
        var headers = headers
        headers[.contentLength] = String(bytes.count)
        headers[.connection] = "close"
        return Response(status: status, headers: headers, body: ResponseBody(contentLength: bytes.count) { writer in
            try await writer.write(ByteBuffer(bytes: bytes))
            try await writer.finish(nil)
            channel.close(mode: .output).whenComplete { _ in channel.close(promise: nil) }
        })
    }

    func sessionURLs(for request: Request, port: Int) -> SessionURLs {
        let root = origin(of: request, port: port) + configuration.basePath
        return SessionURLs(
            apiUrl: root + "/api",
            downloadUrl: root + "/download/{accountId}/{blobId}/{name}?type={type}",
            uploadUrl: root + "/upload/{accountId}/",
            eventSourceUrl: root + "/eventsource/?types={types}&closeafter={closeafter}&ping={ping}"
        )
    }

    /// scheme://host[:port] as the client reached the server: the Host it used
    /// (or, behind a proxy, X-Forwarded-Host and X-Forwarded-Proto), else the listen address.
    func origin(of request: Request, port: Int) -> String {
        var scheme = "http"
        if let proto = request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased(), proto == "https" || proto == "http" {
            scheme = proto
        }
        let candidates = [request.headers[HTTPField.Name("X-Forwarded-Host")!], request.head.authority]
        for case let host? in candidates {
            let host = host.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if isHostPort(host) { return "\(scheme)://\(host)" }
        }
        return "\(scheme)://\(configuration.listen.urlHost):\(port)"
    }

    func json(status: HTTPResponse.Status, contentType: String, bytes: [UInt8], extra: HTTPFields) -> Response {
        var headers = extra
        headers[.contentType] = contentType
        headers[.contentLength] = String(bytes.count)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// An RFC 7807 problem document (RFC 8620 3.6.1).
    func problem(status: HTTPResponse.Status, type: String, detail: String, more: [String: String] = [:]) -> Response {
        json(status: status, contentType: "application/problem+json",
             bytes: problemBytes(status: status, type: type, detail: detail, more: more), extra: [:])
    }

    func problemBytes(status: HTTPResponse.Status, type: String, detail: String, more: [String: String] = [:]) -> [UInt8] {
        var object: [String: Any] = ["type": type, "status": status.code, "detail": detail]
        for (k, v) in more { object[k] = v }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { [UInt8]($0) } ?? []
    }

    func limitProblem(status: HTTPResponse.Status, limit: String, detail: String) -> Response {
        problem(status: status, type: "urn:ietf:params:jmap:error:limit", detail: detail, more: ["limit": limit])
    }

    func methodNotAllowed(_ allow: String) -> Response {
        var response = problem(status: .methodNotAllowed, type: "about:blank", detail: "use \(allow)")
        response.headers[.allow] = allow
        return response
    }
}

// MARK: Parsing

/// The request target's path as percent-decoded segments (empty ones dropped, so
/// a trailing slash does not matter), and its query as decoded name/value pairs.
func splitTarget(_ target: String) -> ([String], [String: String]) {
    var path = Substring(target)
    var queryText: Substring = ""
    if let mark = target.firstIndex(of: "?") {
        path = target[..<mark]
        queryText = target[target.index(after: mark)...]
    }
    if let scheme = path.range(of: "://") {  // absolute-form target
        let afterScheme = path[scheme.upperBound...]
        path = afterScheme.firstIndex(of: "/").map { afterScheme[$0...] } ?? "/"
    }
    let segments = path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
    var query: [String: String] = [:]
    for pair in queryText.split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let decode = { (s: Substring) in s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
        let name = decode(parts[0])
        if query[name] == nil { query[name] = parts.count > 1 ? decode(parts[1]) : "" }
    }
    return (segments, query)
}

/// `type/subtype` with optional `; name=value` parameters, in RFC 7230 token
/// characters: what may go into a Content-Type header as it is.
func isMediaType(_ text: String) -> Bool {
    let tokenChars = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    let parts = text.split(separator: ";", omittingEmptySubsequences: false)
    let main = parts[0].trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
    guard main.count == 2, main.allSatisfy({ !$0.isEmpty && $0.allSatisfy(tokenChars.contains) }) else { return false }
    for parameter in parts.dropFirst() {
        let nv = parameter.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard nv.count == 2, !nv[0].isEmpty, nv[0].allSatisfy(tokenChars.contains) else { return false }
        let value = nv[1]
        let quoted = value.count >= 2 && value.first == "\"" && value.last == "\""
            && value.dropFirst().dropLast().allSatisfy { $0 != "\"" && $0 != "\\" && $0.isASCII && !$0.isNewline }
        guard quoted || (!value.isEmpty && value.allSatisfy(tokenChars.contains)) else { return false }
    }
    return true
}

/// A Host header value fit to go into a URL: a name or address, optionally :port.
func isHostPort(_ text: String) -> Bool {
    guard !text.isEmpty, text.count <= 300 else { return false }
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]")
    return text.allSatisfy(allowed.contains)
}

/// RFC 6266 Content-Disposition for the download's name: an ASCII fallback in
/// `filename` and the exact name, percent-encoded UTF-8, in `filename*` (RFC 8187).
func contentDisposition(filename: String) -> String {
    let fallback = String(filename.map { c -> Character in
        c.isASCII && !c.isNewline && c != "\"" && c != "\\" && c != "/" && (c.asciiValue ?? 0) >= 0x20 && c != "\u{7f}" ? c : "_"
    })
    var value = "attachment; filename=\"\(fallback)\""
    let attrChars = Set("!#$&+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
    if fallback != filename || filename.contains(" ") {
        let encoded = filename.utf8.map { attrChars.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }.joined()
        value += "; filename*=UTF-8''\(encoded)"
    }
    return value
}
