// What can be told of a message without any cryptography: its digest and the
// S/MIME structure it carries (status's answer).
import Foundation
import JMAP
import MIME
import SMIME

/// A message's digest and structural status (null, unknown or signed).
public struct StructuralStatus: Sendable {
    public var digest: MessageDigest
    public var status: SMIMEStatus?
    /// The MIME limit the reader hit, if any: the status is then unknown.
    public var refusal: String?
}

public enum StructureRead {
    /// Reads `item` whole, or above `inMemory` a chunk at a time, and tells its structure.
    public static func read(_ item: InputItem, limits: MIMELimits, maxBytes: Int, inMemory: Int) -> Result<StructuralStatus, InputFailure> {
        let read: Result<[UInt8], InputFailure>
        switch LargeFile.open(item, above: inMemory, maxBytes: maxBytes) {
        case .success(.large(let source))?: return structure(of: source, limits: limits)
        case .success(.bytes(let bytes))?: read = .success(bytes)
        case .failure(let f)?: read = .failure(f)
        case nil: read = InputReader.read(item, maxBytes: maxBytes)
        }
        return read.map { bytes in
            let digest = MessageDigest.of(bytes)
            do {
                let message = try BareCMS.parse(bytes, limits: limits)
                return StructuralStatus(digest: digest, status: StructureDetector.status(of: message))
            } catch {
                // Past a limit nothing can be told for sure; say which limit, answer unknown.
                return StructuralStatus(digest: digest, status: .unknown, refusal: "\(error)")
            }
        }
    }

    /// A file above the in-memory limit: digest and structure read a chunk at a time.
    public static func structure(of source: FileSource, limits: MIMELimits) -> Result<StructuralStatus, InputFailure> {
        LargeFile.digest(source).flatMap { digest in
            do throws(StreamingError) {
                let status = try StructureDetector.status(of: LargeMessage.open(source, limits: limits))
                do throws(SourceError) { try source.checkUnchanged() } catch { return .failure(InputFailure(.source(error))) }
                return .success(StructuralStatus(digest: digest, status: status))
            } catch {
                switch error {
                case .source(let e): return .failure(InputFailure(.source(e)))
                case .mime(let e): return .success(StructuralStatus(digest: digest, status: .unknown, refusal: "\(e)"))
                }
            }
        }
    }
}
