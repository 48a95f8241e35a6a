// The streaming reader and the streaming verify path against the in-memory
// ones. The first input byte picks a chunk size (1 to 64 bytes), so boundaries
// and line ends fall on chunk edges; the rest is the message. The split of a
// top-level multipart must equal the in-memory reader's, and the streamed
// verdict may never be better than the in-memory one.
import Foundation
import MIME
import SMIME

private let trustDirectory: URL = {
    if let dir = ProcessInfo.processInfo.environment["SMIMEKIT_FUZZ_TRUST"] { return URL(fileURLWithPath: dir) }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../seeds/trust").standardizedFileURL
}()

private let limits = MIMELimits(maxDepth: 32, maxParts: 2_000, maxHeaderBytes: 256 << 10, maxHeaderFields: 2_000)

private let verifier: MessageVerifier = {
    do {
        let trust = try TrustStore(TrustConfiguration(anchors: [trustDirectory], useSystemTrust: false))
        return MessageVerifier(trust: trust, limits: limits, inMemoryLimit: 0)
    } catch {
        fatalError("FuzzStream: cannot load the trust anchors in \(trustDirectory.path): \(error)")
    }
}()

private let verificationTime = Date(timeIntervalSince1970: 1_780_272_000)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStream(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let chunk = Int(data[0] % 64) + 1
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let source = MemorySource(bytes)

    guard let message = try? Message(bytes: bytes, limits: limits) else {
        // The streaming reader may still read what the in-memory one refuses: it must just not crash.
        _ = verifier.verifyStreamed(source, at: verificationTime)
        return 0
    }
    let root = message.root
    if let header = try? StreamingReader.header(of: source, isRoot: true, limits: limits) {
        precondition(header.bodyStart == root.bodyRange.lowerBound, "body start \(header.bodyStart) != \(root.bodyRange.lowerBound)")
        if root.contentType.isMultipart, let boundary = root.contentType.parameters["boundary"], !boundary.isEmpty,
           let split = try? StreamingReader.splitMultipart(source, body: header.bodyStart..<bytes.count, boundary: Array(boundary.utf8),
                                                           maxParts: limits.maxParts, chunkSize: chunk) {
            precondition(split.parts == root.children.map(\.range), "parts \(split.parts) != \(root.children.map(\.range))")
            precondition(split.epilogue == root.epilogueRange)
        }
    }
    for form in [LineEndForm.crlf, .lf] {
        var fed: [UInt8] = []
        try? StreamingReader.feed(source, range: 0..<bytes.count, form: form, chunkSize: chunk) { fed += $0; return true }
        let crlf = Canonical.crlf(bytes[...])
        precondition(fed == (form == .crlf ? crlf : Canonical.bareLF(crlf)), "feed \(form) differs")
    }

    let memory = verifier.verify(bytes: bytes, at: verificationTime)
    guard case .success(let streamed) = verifier.verifyStreamed(source, at: verificationTime) else {
        preconditionFailure("a memory source cannot change")
    }
    if let status = streamed.status {
        precondition(status.isFailed == !streamed.problems.isEmpty, "status \(status.rawValue) with problems \(streamed.problems.map(\.code))")
        precondition(status != .signed)
    } else {
        precondition(streamed.problems.isEmpty)
    }
    // Never signed/verified for something the in-memory check does not verify
    // (except a message the in-memory reader refuses for a MIME limit deeper down).
    if streamed.status?.isVerified == true {
        precondition(memory.status?.isVerified == true || memory.notes.contains { $0.code == .unreadableMessage },
                     "streamed verified, in memory \(String(describing: memory.status)) \(memory.problems.map(\.code))")
    }
    return 0
}
