// The JMAP backend over mail on disk: the Session resource, request
// processing (using, result references, creation ids), and the state every
// Email method answers with. The methods themselves are in Methods*.swift.
import Dispatch
import Foundation
import JMAP
import MailScan
import MIME
import ResultStore
import SMIME

/// What the backend serves and how.
public struct MailBackendConfiguration: Sendable {
    /// The directory operands: each is a mailbox tree.
    public var operands: [String]
    public var limits: JMAPLimits
    /// The Session's username (and the account's name).
    public var username: String
    /// Signing keys and recipient certificates for Email/set's smimeSign and smimeEncrypt.
    public var composer: MailComposer
    /// Where Email/set attachment blobIds are found as file names (as `sign --jmap --blob-dir`).
    public var blobDirectory: URL?
    /// Largest message file read.
    public var maxMessageSize: Int
    public var mimeLimits: MIMELimits
    /// Seconds the event source waits between looks at the mail (0: only after requests).
    public var pollInterval: Double

    public init(operands: [String], limits: JMAPLimits = JMAPLimits(), username: String = "local",
                composer: MailComposer = MailComposer(), blobDirectory: URL? = nil,
                maxMessageSize: Int = 256 << 20, mimeLimits: MIMELimits = .default, pollInterval: Double = 10) {
        self.operands = operands
        self.limits = limits
        self.username = username
        self.composer = composer
        self.blobDirectory = blobDirectory
        self.maxMessageSize = maxMessageSize
        self.mimeLimits = mimeLimits
        self.pollInterval = pollInterval
    }
}

/// The capability URIs this backend knows.
public enum Capabilities {
    public static let core = JMAPCapability.core
    public static let mail = JMAPCapability.mail
    /// RFC 9219.
    public static let smimeVerify = "urn:ietf:params:jmap:smimeverify"
    /// The draft "JMAP extension for S/MIME signing and encryption".
    public static let smimeAdvanced = JMAPCapability.smimeAdvanced
    /// RFC 9404 (Blob/get).
    public static let blob = "urn:ietf:params:jmap:blob"

    public static let all: Set<String> = [core, mail, smimeVerify, smimeAdvanced, blob]
}

/// The state of the Email data at one moment: what was found, and its verdicts.
struct Synced: Sendable {
    let snapshot: Snapshot
    /// smimeStatus, smimeErrors and smimeVerifiedAt of each Email, by id.
    let verdicts: [String: SMIMEProperties]
    /// The Email/changes state; `journaled` false when the engine keeps no journal
    /// (then the state is a digest of what was seen, and changes cannot be calculated).
    let emailState: String
    let journaled: Bool
    /// The index's generation of the snapshot (the same: nothing on disk changed).
    let generation: Int
    let at: Date
}

public final class MailBackend: JMAPBackend, Sendable {
    public let configuration: MailBackendConfiguration
    let engine: any MailEngine
    let index: MailIndex
    public let accountId = "local"
    /// The Email/changes journal's scope: this backend's set of operands.
    let scope: String

    /// What changes while the backend serves, all under one lock.
    private struct State: Sendable {
        var lastSync: Synced?
        var uploads: [String: JMAPBlob] = [:]
        /// Upload ids, oldest first: uploads are kept in memory, at most `uploadBudget` bytes of them.
        var uploadOrder: [String] = []
        var uploadBytes = 0
        var derived: [String: Derived] = [:]
        var subscribers: [UUID: AsyncStream<[UInt8]>.Continuation] = [:]
        var announced: (email: String, mailbox: String)?
        var poller: Task<Void, Never>?
    }
    private let shared = Locked(State())
    /// One look that verifies and journals at a time (it guards no data of its own).
    private let syncLock = NSLock()
    private var uploadBudget: Int { max(limits.maxSizeUpload, 1) * 4 }

    public init(configuration: MailBackendConfiguration, engine: any MailEngine) {
        self.configuration = configuration
        self.engine = engine
        index = MailIndex(operands: configuration.operands, maxMessageSize: configuration.maxMessageSize, engine: engine)
        let canonical = Set(configuration.operands.map(MailTree.absolute)).sorted().joined(separator: "\0")
        scope = "jmap" + Digest.sha256Hex(Array(canonical.utf8)).prefix(16)
    }

    deinit {
        shared.withLock { s in
            s.poller?.cancel()
            for c in s.subscribers.values { c.finish() }
        }
    }

    public var limits: JMAPLimits { configuration.limits }

    // MARK: Session

    public func sessionObject(urls: SessionURLs) -> JSON { sessionObject(urls: urls, state: sessionState) }

    private func sessionObject(urls: SessionURLs, state: String) -> JSON {
        let l = limits
        let core: JSON = .object([
            ("maxSizeUpload", .number(Double(l.maxSizeUpload))),
            ("maxConcurrentUpload", .number(Double(l.maxConcurrentUpload))),
            ("maxSizeRequest", .number(Double(l.maxSizeRequest))),
            ("maxConcurrentRequests", .number(Double(l.maxConcurrentRequests))),
            ("maxCallsInRequest", .number(Double(l.maxCallsInRequest))),
            ("maxObjectsInGet", .number(Double(l.maxObjectsInGet))),
            ("maxObjectsInSet", .number(Double(l.maxObjectsInSet))),
            ("collationAlgorithms", .array([.string("i;ascii-casemap"), .string("i;unicode-casemap")])),
        ])
        let capabilities: JSON = .object([
            (Capabilities.core, core),
            (Capabilities.mail, .object([])),
            (Capabilities.smimeVerify, .object([])),
            (Capabilities.smimeAdvanced, JMAPCapability.smimeAdvancedObject),
            (Capabilities.blob, .object([])),
        ])
        let mailAccount: JSON = .object([
            ("maxMailboxesPerEmail", .null),
            ("maxMailboxDepth", .null),
            ("maxSizeMailboxName", .number(255)),
            ("maxSizeAttachmentsPerEmail", .number(Double(l.maxSizeUpload))),
            ("emailQuerySortOptions", .array(EmailQuery.sortProperties.map { .string($0) })),
            ("mayCreateTopLevelMailbox", .bool(false)),
        ])
        let blobAccount: JSON = .object([
            ("maxSizeBlobSet", .null),
            ("maxDataSources", .number(64)),
            ("supportedTypeNames", .array([.string("Email"), .string("Mailbox"), .string("Thread")])),
            ("supportedDigestAlgorithms", .array([.string("sha-256")])),
        ])
        let accounts: JSON = .object([(accountId, .object([
            ("name", .string(configuration.username)),
            ("isPersonal", .bool(true)),
            ("isReadOnly", .bool(false)),
            ("accountCapabilities", .object([
                (Capabilities.mail, mailAccount),
                (Capabilities.smimeVerify, .object([])),
                (Capabilities.smimeAdvanced, JMAPCapability.smimeAdvancedObject),
                (Capabilities.blob, blobAccount),
            ])),
        ]))])
        let primary: JSON = .object([Capabilities.mail, Capabilities.smimeVerify, Capabilities.smimeAdvanced, Capabilities.blob]
            .map { ($0, .string(accountId)) })
        return .object([
            ("capabilities", capabilities),
            ("accounts", accounts),
            ("primaryAccounts", primary),
            ("username", .string(configuration.username)),
            ("apiUrl", .string(urls.apiUrl)),
            ("downloadUrl", .string(urls.downloadUrl)),
            ("uploadUrl", .string(urls.uploadUrl)),
            ("eventSourceUrl", .string(urls.eventSourceUrl)),
            ("state", .string(state)),
        ])
    }

    /// Changes when the capabilities or the accounts do (RFC 8620 2): a digest of the
    /// Session without its URLs and state.
    public var sessionState: String {
        let urls = SessionURLs(apiUrl: "", downloadUrl: "", uploadUrl: "", eventSourceUrl: "")
        guard case .object(let pairs) = sessionObject(urls: urls, state: "") else { return "0" }
        let body = JSON.object(pairs.filter { ["capabilities", "accounts", "primaryAccounts", "username"].contains($0.0) })
        return String(Digest.sha256Hex(Array(body.serialized().utf8)).prefix(16))
    }

    public func session(urls: SessionURLs) async -> [UInt8] {
        Array(sessionObject(urls: urls).serialized().utf8)
    }

    // MARK: Requests

    public func api(body: [UInt8]) async -> JMAPReply {
        await withCheckedContinuation { (c: CheckedContinuation<JMAPReply, Never>) in
            DispatchQueue.global().async { c.resume(returning: self.respond(body: body)) }
        }
    }

    /// The same as `api(body:)`, on the caller's thread (for `smimekit jmap`).
    public func respond(body: [UInt8]) -> JMAPReply {
        if body.count > limits.maxSizeRequest {
            return RequestProblem.limit("maxSizeRequest", "the request is \(body.count) bytes; at most \(limits.maxSizeRequest) are allowed").reply
        }
        let request: JMAPRequest
        do {
            request = try JMAPRequest.parse(body, known: Capabilities.all, limits: limits)
        } catch {
            return error.reply
        }
        let response = process(request)
        return JMAPReply(status: 200, body: Array(response.serialized().utf8))
    }

    func process(_ request: JMAPRequest) -> JSON {
        let context = RequestContext(backend: self, using: Set(request.using), createdIds: request.createdIds ?? [])
        for call in request.methodCalls {
            let args: JSON
            do {
                args = try ResultReferences.resolve(call.arguments, responses: context.responses)
            } catch {
                context.responses.append(Invocation(name: "error", arguments: error.json, callId: call.callId))
                continue
            }
            do {
                let outs = try context.dispatch(call.name, args)
                for (name, a) in outs { context.responses.append(Invocation(name: name, arguments: a, callId: call.callId)) }
            } catch {
                context.responses.append(Invocation(name: "error", arguments: error.json, callId: call.callId))
            }
        }
        var pairs: [(String, JSON)] = [("methodResponses", .array(context.responses.map(\.json)))]
        if request.createdIds != nil {
            pairs.append(("createdIds", .object(context.createdIds.map { ($0.0, .string($0.1)) })))
        }
        pairs.append(("sessionState", .string(sessionState)))
        return .object(pairs)
    }

    // MARK: State

    /// The Email data now: reuses the last look when nothing on disk changed since
    /// (a minute at most, so that a verdict's expiry is seen).
    func sync(force: Bool = false) -> Synced {
        // The look at the directories is made by every request, in parallel, and costs a
        // stat a directory when nothing changed; the verdicts and the journal only when it
        // found something new, one request at a time.
        var (snapshot, generation) = index.current()
        func reusable() -> Synced? {
            guard !force, let last = shared.withLock({ $0.lastSync }), last.generation == generation,
                  Date().timeIntervalSince(last.at) < 60 else { return nil }
            return last
        }
        if let last = reusable() { return last }
        if !force, let last = shared.withLock({ $0.lastSync }), last.generation == generation {
            // Only the minute is up (for a verdict's expiry): one request looks again, the
            // others answer from the last look meanwhile.
            guard syncLock.try() else { return last }
        } else {
            syncLock.lock()
        }
        defer { syncLock.unlock() }
        // The newest look (another request may have found more while this one waited).
        (snapshot, generation) = index.current()
        if let last = reusable() { return last }
        // Within the minute of the last full look, the verdicts it made are kept (an id names
        // the same bytes): only Emails new since then are asked of the engine.
        let previous = force ? nil : shared.withLock { $0.lastSync }.flatMap { Date().timeIntervalSince($0.at) < 60 ? $0 : nil }
        let carried = previous?.verdicts ?? [:]
        let asked = snapshot.emails.filter { carried[$0.id] == nil }
        let messages = asked.map(\.unread)
        var fresh: [String: Result<SMIMEProperties, MethodError>] = [:]
        for (e, v) in zip(asked, messages.isEmpty ? [] : engine.verdicts(messages, delivery: false)) { fresh[e.id] = v }
        var verdicts: [String: SMIMEProperties] = [:]
        var seen: [ResultStore.SeenMessage] = []
        for e in snapshot.emails {
            let v: Result<SMIMEProperties, MethodError> = carried[e.id].map { .success($0) } ?? fresh[e.id] ?? .success(SMIMEProperties(status: nil))
            let props = (try? v.get()) ?? SMIMEProperties(status: nil)
            if case .success = v { verdicts[e.id] = props }
            for p in e.paths { seen.append((id: e.id, path: p, status: props.status?.rawValue, errors: props.errors)) }
        }
        let present = snapshot.emails.flatMap(\.paths) + snapshot.unreadable.map(\.path)
        var state: String
        var journaled = true
        do {
            state = try engine.recordScan(seen, present: present, scope: scope)
        } catch {
            journaled = false
            let text = seen.map { "\($0.id) \($0.status ?? "-") \(($0.errors ?? []).joined(separator: "\u{1}"))" }.sorted().joined(separator: "\n")
            state = "h" + Digest.sha256Hex(Array(text.utf8)).prefix(20)
        }
        let synced = Synced(snapshot: snapshot, verdicts: verdicts, emailState: state, journaled: journaled,
                            generation: generation, at: previous?.at ?? Date())
        shared.withLock { $0.lastSync = synced }
        announce(synced)
        return synced
    }

    /// The mailboxes and their files as found now (no verdicts): enough for Mailbox/*.
    func mailboxSnapshot() -> Snapshot { index.snapshot() }

    // MARK: Derived facts (kept by digest: the bytes never change under an id)

    struct Derived: Sendable {
        var receivedAt: Date?
        var sentAt: Date?
        var from: String
        var to: String
        var subject: String
    }

    func derivedFacts(_ email: EmailEntry, message: ReadMessage?, parsed: Message?) -> Derived {
        if let d = shared.withLock({ $0.derived[email.digest] }) { return d }
        let m = message ?? index.bytes(of: email)
        let parsed = parsed ?? m.flatMap { try? Message(bytes: $0.bytes ?? [], limits: configuration.mimeLimits) }
        func first(_ field: String) -> String {
            guard let p = parsed, let f = p.root.fields(named: field).last else { return "" }
            for entry in p.addresses(f) {
                switch entry {
                case .mailbox(let mb): return (mb.name?.isEmpty == false ? mb.name! : mb.email)
                case .group(_, let members): if let mb = members.first { return mb.name?.isEmpty == false ? mb.name! : mb.email }
                }
            }
            return ""
        }
        var d = Derived(receivedAt: nil, sentAt: nil, from: first("From"), to: first("To"), subject: "")
        if let m { d.receivedAt = engine.receivedAt(m, parsed: parsed) }
        if let p = parsed {
            d.sentAt = p.root.fields(named: "Date").last.flatMap { MailDate.parse(p.headerText($0)) }
            d.subject = p.root.fields(named: "Subject").last.map { EmailQuery.baseSubject(p.headerText($0)) } ?? ""
        }
        shared.withLock { $0.derived[email.digest] = d }
        return d
    }

    // MARK: Blobs

    func storeUpload(_ blob: JMAPBlob) -> String {
        let id = "U" + Digest.sha256Hex(blob.bytes).prefix(40)
        let budget = uploadBudget
        shared.withLock { s in
            if s.uploads[id] == nil {
                s.uploads[id] = blob
                s.uploadOrder.append(id)
                s.uploadBytes += blob.bytes.count
            }
            // RFC 8620 6.1: a server may delete an unused upload after a while; here the oldest go first.
            while s.uploadBytes > budget, s.uploadOrder.count > 1 {
                let old = s.uploadOrder.removeFirst()
                s.uploadBytes -= s.uploads.removeValue(forKey: old)?.bytes.count ?? 0
            }
        }
        return id
    }

    func blob(_ blobId: String) -> JMAPBlob? {
        if let u = shared.withLock({ $0.uploads[blobId] }) { return u }
        let snapshot = shared.withLock { $0.lastSync?.snapshot } ?? index.snapshot()
        if blobId.hasPrefix("G"), blobId.count == 41 {
            let prefix = String(blobId.dropFirst())
            guard let e = snapshot.emails.first(where: { $0.digest.hasPrefix(prefix) }), let m = index.bytes(of: e), let b = m.bytes else {
                return nil
            }
            return JMAPBlob(bytes: b, type: "message/rfc822")
        }
        if blobId.hasPrefix("P"), let dash = blobId.firstIndex(of: "-") {
            let prefix = String(blobId[blobId.index(after: blobId.startIndex)..<dash])
            let partId = String(blobId[blobId.index(after: dash)...])
            guard prefix.count == 40, let e = snapshot.emails.first(where: { $0.digest.hasPrefix(prefix) }),
                  let m = index.bytes(of: e), let parsed = try? Message(bytes: m.bytes ?? [], limits: configuration.mimeLimits) else { return nil }
            let view = EmailView(message: parsed, digest: e.digest)
            guard let part = view.structure.find(partId) else { return nil }
            return JMAPBlob(bytes: view.decoded(part), type: part.type)
        }
        return nil
    }

    public func download(accountId: String, blobId: String) async -> JMAPBlob? {
        guard accountId == self.accountId else { return nil }
        return await withCheckedContinuation { (c: CheckedContinuation<JMAPBlob?, Never>) in
            DispatchQueue.global().async { c.resume(returning: self.blob(blobId)) }
        }
    }

    public func upload(accountId: String, type: String, bytes: [UInt8]) async -> JMAPReply {
        guard accountId == self.accountId else {
            let doc: JSON = .object([("type", .string("about:blank")), ("status", .number(404)), ("detail", .string("no account \"\(accountId)\""))])
            return JMAPReply(status: 404, contentType: "application/problem+json", body: Array(doc.serialized().utf8))
        }
        if bytes.count > limits.maxSizeUpload {
            return RequestProblem.limit("maxSizeUpload", "the upload is \(bytes.count) bytes; at most \(limits.maxSizeUpload) are allowed").reply
        }
        let id = storeUpload(JMAPBlob(bytes: bytes, type: type))
        let body: JSON = .object([("accountId", .string(self.accountId)), ("blobId", .string(id)),
                                  ("type", .string(type)), ("size", .number(Double(bytes.count)))])
        return JMAPReply(status: 201, body: Array(body.serialized().utf8))
    }

    // MARK: Push (RFC 8620 7.1)

    public func stateChanges() -> AsyncStream<[UInt8]> {
        let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self)
        let key = UUID()
        let interval = configuration.pollInterval
        shared.withLock { s in
            s.subscribers[key] = continuation
            if s.poller == nil, interval > 0 {
                s.poller = Task.detached { [weak self] in
                    while !Task.isCancelled {
                        try? await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
                        guard let self else { return }
                        if self.shared.withLock({ $0.subscribers.isEmpty }) { continue }
                        // The look (and any verification) runs off the cooperative pool.
                        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                            DispatchQueue.global().async { _ = self.sync(); c.resume() }
                        }
                    }
                }
            }
        }
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            _ = self.shared.withLock { $0.subscribers.removeValue(forKey: key) }
        }
        return stream
    }

    func mailboxState(_ s: Snapshot) -> String { MailboxStates.state(s) }

    private func announce(_ synced: Synced) {
        let mailbox = mailboxState(synced.snapshot)
        let targets: [AsyncStream<[UInt8]>.Continuation] = shared.withLock { s in
            let changed = s.announced.map { $0.email != synced.emailState || $0.mailbox != mailbox } ?? false
            let first = s.announced == nil
            s.announced = (synced.emailState, mailbox)
            return (changed && !first) ? Array(s.subscribers.values) : []
        }
        guard !targets.isEmpty else { return }
        let event: JSON = .object([
            ("@type", .string("StateChange")),
            ("changed", .object([(accountId, .object([("Email", .string(synced.emailState)), ("Mailbox", .string(mailbox)),
                                                      ("Thread", .string(synced.emailState))]))])),
        ])
        let bytes = Array(event.serialized().utf8)
        for t in targets { t.yield(bytes) }
    }

    /// Forgets the last look at the mail (after a write), so the next method looks again.
    func invalidate() {
        shared.withLock { $0.lastSync = nil }
    }
}

/// One request being processed: what it uses, the responses so far, the creation ids.
final class RequestContext {
    let backend: MailBackend
    let using: Set<String>
    var responses: [Invocation] = []
    var createdIds: [(String, String)]
    private var synced: Synced?

    init(backend: MailBackend, using: Set<String>, createdIds: [(String, String)]) {
        self.backend = backend
        self.using = using
        self.createdIds = createdIds
    }

    /// The Email data, looked at once a request (again after a write).
    func sync() -> Synced {
        if let synced { return synced }
        let s = backend.sync()
        synced = s
        return s
    }

    func invalidate() {
        synced = nil
        backend.invalidate()
    }

    /// An id argument, with `#creationId` replaced by the id it was given (RFC 8620 5.3).
    func resolve(id: String) -> String {
        guard id.hasPrefix("#") else { return id }
        let key = String(id.dropFirst())
        return createdIds.last(where: { $0.0 == key })?.1 ?? id
    }

    func requireAccount(_ args: JSON) throws(MethodError) {
        guard let a = args["accountId"] else { throw .invalidArguments("\"accountId\" is required") }
        guard let id = a.stringValue else { throw .invalidArguments("\"accountId\" must be a string") }
        guard id == backend.accountId else { throw MethodError("accountNotFound", "there is no account \"\(id)\" (the account is \"\(backend.accountId)\")") }
    }

    func dispatch(_ name: String, _ args: JSON) throws(MethodError) -> [(String, JSON)] {
        let needed: String
        switch name {
        case "Core/echo": needed = Capabilities.core
        case "Blob/get": needed = Capabilities.blob
        case "Mailbox/get", "Mailbox/query", "Mailbox/changes", "Mailbox/queryChanges", "Mailbox/set",
             "Email/get", "Email/query", "Email/queryChanges", "Email/changes", "Email/set", "Email/import", "Email/parse", "SearchSnippet/get",
             "Thread/get":
            needed = Capabilities.mail
        default:
            throw MethodError("unknownMethod", "the server has no method \"\(name)\"")
        }
        guard using.contains(needed) else {
            throw MethodError("unknownMethod", "\(name) needs \(needed) in \"using\"")
        }
        if name == "Core/echo" { return [(name, args)] }
        guard args.objectValue != nil else { throw .invalidArguments("the arguments must be an object") }
        try requireAccount(args)
        switch name {
        case "Mailbox/get": return [(name, try MailboxMethods.get(self, args))]
        case "Mailbox/query": return [(name, try MailboxMethods.query(self, args))]
        case "Mailbox/changes": return [(name, try MailboxMethods.changes(self, args))]
        case "Mailbox/queryChanges":
            throw MethodError("cannotCalculateChanges", "Mailbox/query results are cheap to fetch again: run Mailbox/query")
        case "Mailbox/set": return [(name, try MailboxMethods.set(self, args))]
        case "Email/get": return [(name, try EmailGet.run(self, args))]
        case "Email/query": return [(name, try EmailQuery.run(self, args))]
        case "Email/queryChanges": return [(name, try EmailQuery.changes(self, args))]
        case "Email/changes": return [(name, try EmailChanges.run(self, args, type: "Email"))]
        case "Thread/get": return [(name, try ThreadGet.run(self, args))]
        case "Email/set": return [(name, try EmailSet.run(self, args))]
        case "Email/import": return [(name, try EmailSet.importEmails(self, args))]
        case "Email/parse": return [(name, try EmailParse.run(self, args))]
        case "SearchSnippet/get": return [(name, try SearchSnippets.run(self, args))]
        case "Blob/get": return [(name, try BlobGet.run(self, args))]
        default: throw MethodError("unknownMethod", "the server has no method \"\(name)\"")
        }
    }
}

/// Arguments read with their types checked (RFC 8620 3.6.2 invalidArguments otherwise).
struct Arguments {
    let json: JSON
    init(_ json: JSON) { self.json = json }

    func has(_ key: String) -> Bool { if let v = json[key], v != .null { return true } else { return false } }

    func bool(_ key: String, default d: Bool) throws(MethodError) -> Bool {
        guard let v = json[key], v != .null else { return d }
        guard let b = v.boolValue else { throw .invalidArguments("\"\(key)\" must be true or false") }
        return b
    }

    func int(_ key: String) throws(MethodError) -> Int? {
        guard let v = json[key], v != .null else { return nil }
        guard let n = v.numberValue, n == n.rounded(), abs(n) < 9e15 else { throw .invalidArguments("\"\(key)\" must be an integer") }
        return Int(n)
    }

    func unsigned(_ key: String) throws(MethodError) -> Int? {
        guard let n = try int(key) else { return nil }
        guard n >= 0 else { throw .invalidArguments("\"\(key)\" must not be negative") }
        return n
    }

    func string(_ key: String) throws(MethodError) -> String? {
        guard let v = json[key], v != .null else { return nil }
        guard let s = v.stringValue else { throw .invalidArguments("\"\(key)\" must be a string") }
        return s
    }

    func strings(_ key: String) throws(MethodError) -> [String]? {
        guard let v = json[key], v != .null else { return nil }
        guard let a = v.arrayValue else { throw .invalidArguments("\"\(key)\" must be an array of strings") }
        var out: [String] = []
        for item in a {
            guard let s = item.stringValue else { throw .invalidArguments("\"\(key)\" must be an array of strings") }
            out.append(s)
        }
        return out
    }
}
