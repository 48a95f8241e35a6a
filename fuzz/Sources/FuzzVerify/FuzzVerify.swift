// The whole verify path on one message: MIME reader, S/MIME shape detection,
// CMS and ASN.1 parsing inside OpenSSL, path building to a committed test CA,
// and the sender check. The trust store is built once; each input is one message.
import Foundation
import MIME
import SMIME

/// fuzz/seeds/trust, found from this file so the target runs from any directory.
private let trustDirectory: URL = {
    if let dir = ProcessInfo.processInfo.environment["SMIMEKIT_FUZZ_TRUST"] { return URL(fileURLWithPath: dir) }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../seeds/trust").standardizedFileURL
}()

private let verifier: MessageVerifier = {
    do {
        // Only the committed anchors: the system store would make runs machine-dependent.
        let trust = try TrustStore(TrustConfiguration(anchors: [trustDirectory], useSystemTrust: false))
        let limits = MIMELimits(maxDepth: 32, maxParts: 2_000, maxHeaderBytes: 256 << 10, maxHeaderFields: 2_000)
        return MessageVerifier(trust: trust, limits: limits)
    } catch {
        fatalError("FuzzVerify: cannot load the trust anchors in \(trustDirectory.path): \(error)")
    }
}()

/// A fixed verification time (2026-06-01T00:00:00Z, inside both test CAs' validity):
/// the verdict depends on the input only.
private let verificationTime = Date(timeIntervalSince1970: 1_780_272_000)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVerify(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let result = verifier.verify(bytes: bytes, at: verificationTime)
    // The invariants every verdict keeps (semantics.md): errors exactly for */failed,
    // and a verified message has no problem at all.
    if let status = result.status {
        precondition(status.isFailed == !result.problems.isEmpty,
                     "status \(status.rawValue) with problems \(result.problems.map(\.code))")
        precondition(status != .signed, "verify answered the detector's status")
        precondition((result.smimeErrors != nil) == status.isFailed)
    } else {
        precondition(result.problems.isEmpty && result.smimeErrors == nil)
    }
    return 0
}
