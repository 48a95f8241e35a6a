// The seam between a JMAP implementation and the transport that carries it
// (RFC 8620 section 3): `smimekit jmap` hands it one request read from standard
// input, `smimekit serve` hands it the bodies of HTTP requests. The transport
// owns authentication, HTTP routing and the byte limits; everything JMAP
// (parsing, methods, result references, errors) is the backend's.

/// The limits of the core capability (RFC 8620 2), advertised in the Session
/// resource by the backend and enforced on bytes and connections by the transport.
public struct JMAPLimits: Sendable, Equatable {
    public var maxSizeUpload = 50 << 20
    public var maxConcurrentUpload = 4
    public var maxSizeRequest = 10_000_000
    public var maxConcurrentRequests = 16
    public var maxCallsInRequest = 64
    public var maxObjectsInGet = 1_000
    public var maxObjectsInSet = 256

    /// The defaults above; a backend sets the ones it wants otherwise.
    public init() {}
}

/// The URLs a Session resource names (RFC 8620 2), as the transport serves them.
/// `downloadUrl` and `uploadUrl` are RFC 6570 level 1 templates
/// (`{accountId}`, `{blobId}`, `{type}`, `{name}`).
public struct SessionURLs: Sendable, Equatable {
    public var apiUrl: String
    public var downloadUrl: String
    public var uploadUrl: String
    public var eventSourceUrl: String

    public init(apiUrl: String, downloadUrl: String, uploadUrl: String, eventSourceUrl: String) {
        self.apiUrl = apiUrl
        self.downloadUrl = downloadUrl
        self.uploadUrl = uploadUrl
        self.eventSourceUrl = eventSourceUrl
    }
}

/// An HTTP answer: 200 with a JSON body, or an error status with an RFC 7807
/// problem document (`application/problem+json`, RFC 8620 3.6.1).
public struct JMAPReply: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]

    public init(status: Int, contentType: String = "application/json", body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}

/// A blob for the download URL: the raw bytes of a message, or of an upload.
public struct JMAPBlob: Sendable, Equatable {
    public var bytes: [UInt8]
    public var type: String

    public init(bytes: [UInt8], type: String) {
        self.bytes = bytes
        self.type = type
    }
}

/// A JMAP implementation over some mail. Every method may be called from many
/// tasks at once; long work (verification, a scan) must not block the caller's
/// executor.
public protocol JMAPBackend: Sendable {
    /// The limits the transport enforces and the Session resource advertises.
    var limits: JMAPLimits { get }
    /// The Session resource (RFC 8620 2) as a JSON object.
    func session(urls: SessionURLs) async -> [UInt8]
    /// A JMAP Request object (RFC 8620 3.3) as received: 200 with the Response
    /// object, or 400 with a problem document (notJSON, notRequest, unknownCapability, limit).
    func api(body: [UInt8]) async -> JMAPReply
    /// The blob for the download URL, or nil (404) when the account or blob is unknown.
    func download(accountId: String, blobId: String) async -> JMAPBlob?
    /// An upload (RFC 8620 6.1): 201 with {accountId, blobId, type, size}, or a problem document.
    func upload(accountId: String, type: String, bytes: [UInt8]) async -> JMAPReply
    /// StateChange objects (RFC 8620 7.1) as JSON, one element per change of any
    /// type's state, for the event source. Ends when the backend shuts down.
    func stateChanges() -> AsyncStream<[UInt8]>
}
