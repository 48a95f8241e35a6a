// Messages too large to hold in memory: read through a ByteSource, and walked
// as any other message (LayerWalk.swift) with their entities left in the source
// (Entity.swift). A multipart/signed is checked in full, its signed part fed
// through the CMS digest a chunk at a time; what could not be checked is said.
import COpenSSLShim
import Foundation
import JMAP
import MIME

/// A message read through a ByteSource: its top-level header block, nothing more.
public struct LargeMessage: Sendable {
    public let source: ByteSource
    public let header: StreamedHeader
    public let limits: MIMELimits

    public static func open(_ source: ByteSource, limits: MIMELimits = .default) throws(StreamingError) -> LargeMessage {
        LargeMessage(source: source, header: try StreamingReader.header(of: source, isRoot: true, limits: limits), limits: limits)
    }

    /// The top-level body.
    public var body: Range<Int> { header.bodyStart..<max(header.bodyStart, source.count) }
}

extension MessageVerifier {
    /// Verifies the message in `source`: read whole and checked in memory up to
    /// `inMemoryLimit` bytes, streamed above it. Fails when the source changed or
    /// could not be read while it was checked.
    public func verify(source: ByteSource, at time: Date) -> Result<VerificationResult, SourceError> {
        if source.count <= inMemoryLimit {
            do throws(SourceError) {
                let bytes = try source.bytes(0..<source.count)
                try source.checkUnchanged()
                return .success(verify(bytes: bytes, at: time))
            } catch {
                return .failure(error)
            }
        }
        return verifyStreamed(source, at: time)
    }

    /// `verify(source:at:)`, reusing an earlier verdict when no check could tell the times apart.
    public func verify(source: ByteSource, at time: Date, reusing earlier: VerificationResult,
                       checkedAt earlierTime: Date) -> Result<VerificationResult, SourceError> {
        if earlier.holds(at: time, as: earlierTime, skew: options.clockSkew) { return .success(earlier) }
        return verify(source: source, at: time)
    }

    /// The streaming check, whatever the size (tests call it on small messages
    /// to compare it with the in-memory one).
    public func verifyStreamed(_ source: ByteSource, at time: Date) -> Result<VerificationResult, SourceError> {
        let large: LargeMessage
        do throws(StreamingError) {
            large = try LargeMessage.open(source, limits: limits)
        } catch {
            switch error {
            case .source(let e): return .failure(e)
            case .mime(let e): return .success(Self.unreadable(e))
            }
        }
        var walk = LayerWalk(verifier: self, root: Entity(large), time: time)
        walk.run()
        if let e = walk.sourceError { return .failure(e) }
        do throws(SourceError) { try source.checkUnchanged() } catch { return .failure(error) }
        return .success(walk.result)
    }
}

extension Digest {
    /// Hex SHA-256 of a whole source, read a chunk at a time.
    public static func sha256Hex(source: ByteSource, chunkSize: Int = StreamingReader.defaultChunkSize) throws(SourceError) -> String {
        guard let ctx = EVP_MD_CTX_new() else { throw SourceError("no digest context") }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestInit_ex(ctx, EVP_sha256(), nil) == 1 else { throw SourceError("SHA-256 is not available") }
        try source.forEachChunk(0..<source.count, chunkSize: chunkSize) { (chunk, _) throws(SourceError) -> Bool in
            EVP_DigestUpdate(ctx, chunk.baseAddress, chunk.count)
            return true
        }
        var md = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        md.withUnsafeMutableBufferPointer { _ = EVP_DigestFinal_ex(ctx, $0.baseAddress, &len) }
        try source.checkUnchanged()
        return hex(md)
    }
}
