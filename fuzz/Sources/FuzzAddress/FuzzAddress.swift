// RFC 5322 address lists from arbitrary bytes, read both ways a header can
// arrive: as UTF-8 (RFC 6532) and as Latin-1 (legacy 8-bit mail).
import MIME

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAddress(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let utf8 = String(decoding: bytes, as: UTF8.self)
    var latin1 = ""
    latin1.unicodeScalars.append(contentsOf: bytes.map { Unicode.Scalar($0) })
    for text in [utf8, latin1] {
        for entry in AddressList.parse(text) {
            switch entry {
            case .mailbox(let m): _ = (m.name, m.email)
            case .group(let name, let members): _ = (name, members.count)
            }
        }
    }
    return 0
}
