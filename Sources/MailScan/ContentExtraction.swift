// What verify --out and --signer write: a message verified afresh, keeping the
// content of its outermost signed layer (or, unsigned, its decrypted content)
// and its signers' certificates, and the rule for when that content may leave.
import Foundation
import MIME
import SMIME

public enum ContentExtraction {
    public enum Failure: Error, Sendable {
        /// Above the in-memory limit: the content is only written from memory.
        case tooLargeForMemory(size: Int)
        case unreadable(InputFailure)
        /// The MIME reader refused the bytes.
        case notAMessage(String)
    }

    /// `read` verified at `time`, keeping its content; `maxBytes` is the in-memory limit.
    public static func verify(_ read: ReadMessage, verifier: MessageVerifier, at time: Date, maxBytes: Int) -> Result<VerificationResult, Failure> {
        if let m = read.message { return .success(verifier.verify(m, at: time, keepingContent: true)) }
        var bytes = read.bytes
        if bytes == nil {
            if read.source != nil || read.size > maxBytes { return .failure(.tooLargeForMemory(size: read.size)) }
            switch FileBytes.read(read.item, maxBytes: maxBytes) {
            case .success(let b): bytes = b
            case .failure(let f): return .failure(.unreadable(f))
            }
        }
        do {
            return .success(verifier.verify(try Message(bytes: bytes ?? [], limits: verifier.limits), at: time, keepingContent: true))
        } catch {
            return .failure(.notAMessage("\(error)"))
        }
    }

    /// Only verified content leaves, as with openssl cms -verify; encrypted content
    /// without a signature has nothing to fail.
    public static func mayWrite(_ result: VerificationResult) -> Bool {
        let status = result.status
        return result.content != nil
            && (status?.isVerified == true || (result.signers.isEmpty && status?.isFailed != true))
    }
}
