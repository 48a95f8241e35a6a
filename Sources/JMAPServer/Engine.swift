// What the JMAP methods ask of the run engine (the cached verifier, the
// receivedAt rule, the Email/changes journal): a small protocol, so that the
// protocol layer here does not depend on where the engine lives. The CLI's
// option group (`JMAPServiceOptions`) hands in the engine that `verify`,
// `query` and `changes` use, so both give the same answer for the same file.
import Foundation
import JMAP
import MIME
import ResultStore
import SMIME

/// One message file as the methods read it.
public struct EngineMessage: Sendable {
    /// The path the file was found at.
    public var path: String
    /// nil: not read yet; the engine reads the file when it must (and checks the digest).
    public var bytes: [UInt8]?
    /// Hex SHA-256 of the bytes (the id and the cache key come from it).
    public var digest: String
    public var size: Int

    public init(path: String, bytes: [UInt8]?, digest: String, size: Int) {
        self.size = size
        self.path = path
        self.bytes = bytes
        self.digest = digest
    }
}

/// One message as the Email/changes journal records it (RFC 9219: smimeStatus and
/// smimeErrors are part of the Email; smimeVerifiedAt alone is not).
public struct SeenEmail: Sendable, Equatable {
    public var id: String
    public var path: String
    public var status: String?
    public var errors: [String]?

    public init(id: String, path: String, status: String?, errors: [String]?) {
        self.id = id
        self.path = path
        self.status = status
        self.errors = errors
    }
}

/// RFC 8620 5.2 changes, as the journal answers them: the store's own type.
public typealias EmailChangeSet = ResultStore.Changes

/// A method-level error the engine raises (RFC 8620 3.6.2): `type` is the JMAP error type.
public struct MailEngineError: Error, Sendable, CustomStringConvertible {
    public var type: String
    public var description: String

    public init(type: String, description: String) {
        self.type = type
        self.description = description
    }
}

/// A file named by its bytes: the digest, and the bytes when they had to be read.
public struct IdentifiedFile: Sendable, Equatable {
    public var digest: String
    public var size: Int
    /// nil when the digest was known for the file's stat(2) stamp and nothing was read.
    public var bytes: [UInt8]?

    public init(digest: String, size: Int, bytes: [UInt8]?) {
        self.digest = digest
        self.size = size
        self.bytes = bytes
    }
}

/// The run engine as the JMAP methods use it. Calls may come from many threads.
public protocol MailEngine: Sendable {
    /// The digest of each file, parallel to `files`: from the result store when it
    /// recorded one for the same stamp, else read and hashed (and recorded).
    func identify(_ files: [(path: String, stamp: FileStamp)], maxBytes: Int) -> [Result<IdentifiedFile, MailEngineError>]
    /// The RFC 9219 properties of each message, through the result cache, parallel to
    /// `messages`; `delivery` asks for smimeStatusAtDelivery too. A message that cannot
    /// be judged gets a failure with a reason.
    func verdicts(_ messages: [EngineMessage], delivery: Bool) -> [Result<SMIMEProperties, MailEngineError>]
    /// receivedAt as the CLI reckons it (semantics.md "Times"), without verifying.
    func receivedAt(_ message: EngineMessage, parsed: Message?) -> Date?
    /// The structural status (no signature checked): enough for hasSmime.
    func detectedStatus(_ message: EngineMessage, parsed: Message?) -> SMIMEStatus?
    /// The messages inside the S/MIME layers (opaque signed or decrypted content),
    /// for the text, body and hasAttachment conditions and for reading the body.
    func innerMessages(_ message: EngineMessage, parsed: Message) -> [Message]
    /// Records one whole scan of `scope` (every Email seen, and every path present) and
    /// returns the journal's state after it.
    func recordScan(_ seen: [SeenEmail], present: [String], scope: String) throws(MailEngineError) -> String
    /// The journal's changes of `scope` since `state`.
    func changes(since state: String, maxChanges: Int?, scope: String) throws(MailEngineError) -> EmailChangeSet
}

extension MailEngine {
    /// Without a store of digests: every file is read and hashed.
    public func identify(_ files: [(path: String, stamp: FileStamp)], maxBytes: Int) -> [Result<IdentifiedFile, MailEngineError>] {
        files.map { f in
            MailIndex.read(f.path, maxBytes: maxBytes).map { IdentifiedFile(digest: Digest.sha256Hex($0), size: $0.count, bytes: $0) }
        }
    }
}
