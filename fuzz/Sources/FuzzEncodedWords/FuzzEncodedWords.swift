// RFC 2047 encoded words and RFC 2045/2231 parameters from arbitrary bytes:
// charsets, base64/Q payloads and continuation numbers all come from strangers.
import MIME

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEncodedWords(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = EncodedWords.decode(text)
    if let ct = HeaderParameters.parse(text) {
        for (_, value) in ct.parameters where value.contains("=?") { _ = EncodedWords.decode(value) }
    }
    return 0
}
