// verify --out and --signer: the content and the signer certificates of one
// message, written out (MailScan's ContentExtraction decides what may leave).
import Foundation
import MailScan
import SMIME

extension Verify {
    /// --out and --signer for the one message: verified afresh, keeping the content.
    static func extract(_ read: ReadMessage, options: ExtractOptions, verifier: MessageVerifier, at: Date?,
                        maxBytes: Int, outcome: inout RunOutcome) {
        let path = read.item.displayPath
        func trouble(_ why: String) {
            Diagnostics.error("\(path): \(why)")
            outcome.sawError = true
        }
        let result: VerificationResult
        switch ContentExtraction.verify(read, verifier: verifier, at: at ?? Date(), maxBytes: maxBytes) {
        case .success(let r): result = r
        case .failure(.tooLargeForMemory(let size)):
            return trouble("\(size) bytes, larger than --max-in-memory-size: --out and --signer read the message into memory; raise --max-in-memory-size to write it out")
        case .failure(.unreadable(let f)): return trouble(f.text)
        case .failure(.notAMessage(let why)): return trouble("cannot be read as a message (\(why)); nothing written")
        }
        if let signer = options.signer {
            if result.signerCertificates.isEmpty {
                trouble("no signer certificate to write to \(signer): the message carries no signature with a certificate")
            } else {
                do { try MessageFiles.emit(Array(result.signerCertificates.map(\.pem).joined().utf8), to: signer == "-" ? nil : signer) }
                catch { trouble("\(error)") }
            }
        }
        if let out = options.out {
            guard let content = result.content, ContentExtraction.mayWrite(result) else {
                if result.content == nil {
                    return trouble("nothing to write to \(out): the message is neither signed nor encrypted to a key given with --decrypt-key")
                }
                Diagnostics.warning("\(path): not written to \(out): the message is \(result.status?.rawValue ?? "null"), not verified")
                return
            }
            do {
                if out == "-" {
                    StandardOutput.shared.flush()
                    FileHandle.standardOutput.write(Data(content))
                } else {
                    try OutputFile.write(content, to: out)
                }
            } catch { trouble("\(error)") }
        }
    }
}
