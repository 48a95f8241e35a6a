// JMAP request bodies from arbitrary bytes: the JSON reader, the filter
// decoder, and the Email/set path that `sign`/`encrypt --jmap` take (request,
// arguments, each create object built into a message), whose output must be
// mail the MIME reader accepts.
import Foundation
import JMAP
import MIME

/// No blob directory: blob references must fail cleanly, never touch files.
private let builder = EmailCreateBuilder(
    blobDirectory: nil, now: Date(timeIntervalSince1970: 1_780_272_000), smimeCapability: true,
    digestHex: { bytes in
        // Any stable digest will do for Message-ID and boundaries: FNV-1a.
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return String(h, radix: 16)
    })

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJMAP(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let json = try? JSON.parse(bytes) else { return 0 }
    _ = json.serialized()
    // A query carries the filter either alone or under "filter".
    _ = try? Filter.parse(json)
    if let inner = json["filter"] { _ = try? Filter.parse(inner) }

    guard let input = try? EmailSetInput.parse(bytes) else { return 0 }
    for call in input.calls {
        let (arguments, _) = EmailSetArguments.parse(call.arguments)
        guard let arguments else { continue }
        for (_, email) in arguments.create {
            guard let composed = try? builder.build(email) else { continue }
            // What we compose, we must be able to read back.
            do {
                _ = try Message(bytes: composed.bytes)
            } catch {
                preconditionFailure("Email/set built a message the MIME reader refuses: \(error)")
            }
        }
    }
    return 0
}
