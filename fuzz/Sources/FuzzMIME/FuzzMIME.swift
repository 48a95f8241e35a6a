// The MIME reader on arbitrary bytes: parse, then touch every accessor a
// command would, on every part, so a bad range or a decoder that traps on
// odd input shows up here rather than in a user's mailbox.
import MIME

/// Small limits keep each run fast; the limits themselves are tested elsewhere.
private let limits = MIMELimits(maxDepth: 32, maxParts: 2_000, maxHeaderBytes: 256 << 10, maxHeaderFields: 2_000)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMIME(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let message = try? Message(bytes: bytes, limits: limits) else { return 0 }
    visit(message, message.root)
    return 0
}

private func visit(_ m: Message, _ part: MIMEPart) {
    // Ranges must nest inside the input; a violation is a reader bug.
    precondition(part.range.lowerBound >= 0 && part.range.upperBound <= m.bytes.count)
    precondition(part.bodyRange.lowerBound >= part.range.lowerBound && part.bodyRange.upperBound <= part.range.upperBound)
    precondition(part.headerRange.lowerBound == part.range.lowerBound && part.headerRange.upperBound <= part.bodyRange.lowerBound)
    _ = m.decodedBody(part)
    _ = m.text(part)
    _ = part.contentTransferEncoding
    _ = part.contentDisposition
    _ = part.filename
    _ = part.receivedDate
    for field in part.headers {
        precondition(field.range.lowerBound >= part.range.lowerBound && field.range.upperBound <= part.bodyRange.lowerBound)
        _ = m.headerText(field)
        _ = m.addresses(field)
    }
    for child in part.children { visit(m, child) }
    if let inner = part.encapsulated { visit(m, inner) }
}
