// The first pass of a query over one message: the cheap conditions, the sort
// keys, and what the verifier will need, on a worker thread.
import Foundation
import JMAP
import MIME
import SMIME

/// The first pass over one message, on a worker thread.
public struct Screening: Sendable {
    /// Nil when the bytes were not hashed (nothing wanted their id or a verdict).
    public var read: ReadMessage?
    /// nil: depends on a verification.
    public var answer: Bool?
    public var memo: FilterPlan.Memo
    public var keys: [SortValue]
    /// The limit the MIME reader hit, if a condition needed the parse.
    public var refusal: String?
    /// Why a text condition could not look at all of it, if one needed to.
    public var blind: SearchBlind? = nil

    public init(read: ReadMessage?, answer: Bool?, memo: FilterPlan.Memo, keys: [SortValue], refusal: String?, blind: SearchBlind? = nil) {
        self.read = read
        self.answer = answer
        self.memo = memo
        self.keys = keys
        self.refusal = refusal
        self.blind = blind
    }

    public static func run(_ item: InputItem, plan: FilterPlan, comparators: [JMAP.Comparator], limits: MIMELimits, maxBytes: Int,
                    inMemory: Int, receivedAt: Date?, identities: [DecryptionIdentity], digest: Bool,
                    keepMessage: Bool) -> Result<Screening, InputFailure> {
        let read: Result<[UInt8], InputFailure>
        switch LargeFile.open(item, above: inMemory, maxBytes: maxBytes) {
        case .success(.large(let source))?:
            return runLarge(item, source: source, plan: plan, comparators: comparators, limits: limits,
                            receivedAt: receivedAt, digest: digest)
        case .success(.bytes(let bytes))?: read = .success(bytes)
        case .failure(let f)?: read = .failure(f)
        case nil: read = FileBytes.read(item, maxBytes: maxBytes)
        }
        return read.map { bytes in
            let subject = FileSubject(bytes: bytes, item: item, limits: limits, receivedAt: receivedAt, identities: identities)
            let (answer, memo) = plan.firstPass(subject)
            let keys = answer == false ? [] : comparators.map { SortValue.of($0.property, subject: subject) }
            var read = digest ? ReadMessage(item: item, digest: .of(bytes), size: bytes.count, bytes: nil) : nil
            // Standard input cannot be read a second time: its bytes are always kept.
            if keepMessage && answer != false && (bytes.count <= ReadMessage.keepLimit || item.isStandardInput) {
                // Hand over the parse if the first pass made one; the verifier would make the same.
                if let parsed = subject.parsedSoFar { read?.message = parsed } else { read?.bytes = bytes }
            }
            return Screening(read: read, answer: answer, memo: memo, keys: keys, refusal: subject.refusal, blind: subject.blindSearch)
        }
    }
}

extension Screening {
    /// A file above --max-in-memory-size: conditions see its header block (and its size);
    /// the structural status is read by streaming; the body is never held.
    public static func runLarge(_ item: InputItem, source: FileSource, plan: FilterPlan, comparators: [JMAP.Comparator],
                         limits: MIMELimits, receivedAt: Date?, digest: Bool) -> Result<Screening, InputFailure> {
        let large: LargeMessage
        do throws(StreamingError) {
            large = try LargeMessage.open(source, limits: limits)
        } catch {
            switch error {
            case .source(let e): return .failure(InputFailure(.source(e)))
            case .mime(let e):
                // As for a small message past a MIME limit: no header or text condition matches.
                let subject = FileSubject(bytes: [], item: item, limits: limits, receivedAt: receivedAt, size: source.count,
                                          structure: { (.unknown, "\(e)") })
                return finish(item, source: source, subject: subject, plan: plan, comparators: comparators, digest: digest)
            }
        }
        let subject = FileSubject(bytes: large.header.message.bytes, item: item, limits: limits, receivedAt: receivedAt,
                                  size: source.count, structure: {
            do throws(StreamingError) {
                return (try StructureDetector.status(of: large), nil)
            } catch {
                return (.unknown, "\(error)")
            }
        })
        return finish(item, source: source, subject: subject, plan: plan, comparators: comparators, digest: digest)
    }

    private static func finish(_ item: InputItem, source: FileSource, subject: FileSubject, plan: FilterPlan,
                               comparators: [JMAP.Comparator], digest: Bool) -> Result<Screening, InputFailure> {
        let (answer, memo) = plan.firstPass(subject)
        let keys = answer == false ? [] : comparators.map { SortValue.of($0.property, subject: subject) }
        var read: ReadMessage?
        if digest {
            switch LargeFile.digest(source) {
            case .failure(let f): return .failure(f)
            case .success(let d): read = ReadMessage(item: item, digest: d, size: source.count, bytes: nil, source: source)
            }
        }
        // Its body is never searched: counted, and said once at the end of the run.
        return .success(Screening(read: read, answer: answer, memo: memo, keys: keys, refusal: subject.refusal,
                                  blind: subject.blindSearch))
    }
}
