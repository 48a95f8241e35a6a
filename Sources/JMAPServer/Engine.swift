// What the JMAP methods ask of the run engine (the cached verifier, the
// receivedAt rule, the Email/changes journal): a small protocol, so that the
// protocol layer here does not depend on where the engine lives. The CLI's
// option group (`JMAPServiceOptions`) hands in the engine that `verify`,
// `query` and `changes` use, so both give the same answer for the same file.
import Foundation
import JMAP
import MailScan
import MIME
import ResultStore
import SMIME

/// RFC 8620 5.2 changes, as the journal answers them: the store's own type.
public typealias EmailChangeSet = ResultStore.Changes

// A message file is MailScan's `ReadMessage` (an `.file` item, its digest and size,
// the bytes when they were read), one Email seen by a scan is the store's
// `ResultStore.SeenMessage` (RFC 9219: smimeStatus and smimeErrors are part of the
// Email; smimeVerifiedAt alone is not), and what the engine fails with is a
// method-level `MethodError` (RFC 8620 3.6.2).

/// The run engine as the JMAP methods use it. Calls may come from many threads.
public protocol MailEngine: Sendable {
    /// The digest of each file, parallel to `files`: from the result store when it
    /// recorded one for the same stamp, else read and hashed (and recorded).
    func identify(_ files: [(path: String, stamp: FileStamp)], maxBytes: Int) -> [Result<ReadMessage, MethodError>]
    /// The RFC 9219 properties of each message, through the result cache, parallel to
    /// `messages`; `delivery` asks for smimeStatusAtDelivery too. A message that cannot
    /// be judged gets a failure with a reason.
    func verdicts(_ messages: [ReadMessage], delivery: Bool) -> [Result<SMIMEProperties, MethodError>]
    /// receivedAt as the CLI reckons it (semantics.md "Times"), without verifying.
    func receivedAt(_ message: ReadMessage, parsed: Message?) -> Date?
    /// The structural status (no signature checked): enough for hasSmime.
    func detectedStatus(_ message: ReadMessage, parsed: Message?) -> SMIMEStatus?
    /// The messages inside the S/MIME layers (opaque signed or decrypted content),
    /// for the text, body and hasAttachment conditions and for reading the body.
    func innerMessages(_ message: ReadMessage, parsed: Message) -> [Message]
    /// Records one whole scan of `scope` (every Email seen, and every path present) and
    /// returns the journal's state after it.
    func recordScan(_ seen: [ResultStore.SeenMessage], present: [String], scope: String) throws(MethodError) -> String
    /// The journal's changes of `scope` since `state`.
    func changes(since state: String, maxChanges: Int?, scope: String) throws(MethodError) -> EmailChangeSet
}

extension MailEngine {
    /// Without a store of digests: every file is read and hashed.
    public func identify(_ files: [(path: String, stamp: FileStamp)], maxBytes: Int) -> [Result<ReadMessage, MethodError>] {
        files.map { f in
            MailIndex.read(f.path, maxBytes: maxBytes).map {
                ReadMessage(item: .file(f.path, stamp: f.stamp), digest: .of($0), size: $0.count, bytes: $0)
            }
        }
    }
}
