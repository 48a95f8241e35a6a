import ArgumentParser
import Foundation
import JMAP
import MIME
import ResultStore
import SMIME

struct Query: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the messages that match a JMAP filter (RFC 8621 Email/query with the RFC 9219 conditions).",
        discussion: """
            Conditions are ANDed; --filter takes a whole FilterCondition or FilterOperator (AND, OR, NOT, nested) as JSON and is ANDed with the flags. A property this tool does not support is an unsupportedFilter error, never a silent match. Cheap conditions are checked first: a message is verified only when its answer depends on it, through the result cache (as verify does, with the same trust options). receivedAt is the topmost Received date, else the later of Date and the signingTime (never after now), else the file's modification time. --text, --body and --has-attachment look inside opaque signed content and, with --decrypt-key, encrypted content; one warning at the end says how many messages could not be searched in full, and why. Keywords come from maildir file names (":2,FRS": F $flagged, R $answered, S $seen, D $draft, P $forwarded). With --at, cached current verdicts are neither used nor stored.

            Output: matching paths, one a line (-0: NUL-terminated), in input order unless --sort is given; --format ndjson prints a JSON object a match (path, id and the --properties); --format json prints an RFC 8620 Response with Email/query (ids, position, total, queryState, and paths: id to files).

            Examples:
              smimekit query --has-verified-smime=false -0 ~/Maildir | xargs -0 mv -t quarantine/
              smimekit query --has-smime --from alice@example.org --after 2026-01-01 ~/Maildir
              smimekit query --filter '{"operator":"OR","conditions":[{"hasVerifiedSmime":true},{"subject":"invoice"}]}' ~/Maildir
              smimekit query --sort receivedAt:desc --limit 10 --trust ca.pem ~/Maildir
              smimekit query --has-verified-smime --format json --properties smimeStatus ~/Maildir

            Exit status (like grep):
              0  some message matches (with -q: as soon as one does, even if an error was seen)
              1  no message matches
              2  trouble: a bad option or filter, an unreadable file (even when some matched)
            """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup(title: "Filter") var filterOptions: FilterOptions

    @Option(help: ArgumentHelp("Sort by receivedAt, sentAt, size, from, to or subject, ascending unless :desc (repeatable; ties by path).", valueName: "property[:asc|desc]"),
            completion: .list(SortProperty.allCases.flatMap { [$0.rawValue, $0.rawValue + ":desc"] }))
    var sort: [String] = []

    @Option(parsing: .unconditional, help: ArgumentHelp("Skip this many matches (negative: count from the end).", valueName: "n"))
    var position: Int = 0

    @Option(parsing: .unconditional, help: ArgumentHelp("Print at most this many matches.", valueName: "n"))
    var limit: Int?

    @Flag(name: [.short, .long], help: "Print nothing; only the exit status tells (0 as soon as a message matches, like grep -q).")
    var quiet = false

    @Flag(name: [.customShort("0"), .customLong("null")], help: "End each path with NUL instead of a newline (for xargs -0).")
    var nullSeparated = false

    @OptionGroup var output: OutputOptions
    @OptionGroup(title: "Trust and verification (for the S/MIME conditions)") var trust: TrustOptions
    @OptionGroup(title: "Result cache") var cache: StoreOptions
    @OptionGroup var config: ConfigOptions

    func validate() throws {
        for spec in sort where JMAP.Comparator(spec) == nil {
            throw ValidationError("--sort takes one of \(SortProperty.allCases.map(\.rawValue).joined(separator: ", ")), optionally followed by :asc or :desc, not '\(spec)'")
        }
        if let limit, limit < 0 { throw ValidationError("--limit must be >= 0, not \(limit)") }
        if nullSeparated, let format = output.format, format != .text {
            throw ValidationError("-0 separates paths; it does not go with --format \(format.rawValue)")
        }
    }

    func run() throws {
        if quiet { StandardOutput.shared.discarding = true }
        let format = output.format ?? .text
        let filter: Filter
        do {
            filter = try filterOptions.build()
        } catch {
            Self.report(error, format: format)
            throw ExitCode(ExitStatus.trouble)
        }
        try input.requireInput()
        let properties = output.properties == nil ? [] : try output.selectedProperties(default: [])
        let plan = FilterPlan(filter)
        let comparators = sort.compactMap(JMAP.Comparator.init)

        let needsProperties = format != .text && !properties.isEmpty
        let needsVerifier = plan.needsVerification || needsProperties
        var service: VerdictService?
        var store: ResultStore?
        if needsVerifier || format == .json { store = try cache.open() }
        if needsVerifier {
            service = VerdictService(
                verifier: try trust.verifier(limits: input.limits, inMemoryLimit: input.maxInMemorySize), store: store, maxAge: TimeInterval(cache.maxAge),
                at: try trust.parsedTime(trust.at, option: "--at"),
                receivedAt: try trust.parsedTime(trust.receivedAt, option: "--received-at"),
                maxBytes: input.maxMessageSize, jobs: input.jobCount)
        }
        let receivedAtOption = try trust.parsedTime(trust.receivedAt, option: "--received-at")
        let wantDelivery = plan.needsDelivery || (needsProperties && properties.contains(.smimeStatusAtDelivery))

        var sink = QuerySink(format: format, properties: properties, nullSeparated: nullSeparated,
                             comparators: comparators, position: position, limit: limit)
        var sawError = false
        var blindCounts: [SearchBlind: Int] = [:]
        // Keys for encrypted content, which the text conditions and receivedAt look into.
        let identities = try service?.verifier.identities ?? trust.identities()
        let jobs = input.jobCount
        let limits = input.limits
        let maxBytes = input.maxMessageSize
        let inMemory = input.maxInMemorySize
        // Ids name messages by digest: skip hashing when only paths are printed and nothing is verified.
        let needsDigest = format != .text || needsVerifier

        // Only verdicts asked for: a message the result cache knows need not be read at all.
        let verdictsOnly = store != nil && needsVerifier && !plan.readsMessage && comparators.isEmpty

        BatchScan(jobs: jobs, progress: input.progress()).run(input.walk()) { batch in
            let screened: [Result<Screening, InputFailure>]
            if verdictsOnly, let reads = service?.read(batch) {
                let (answer, memo) = plan.firstPassWithoutMessage()
                screened = reads.map { $0.map { Screening(read: $0, answer: answer, memo: memo, keys: [], refusal: nil) } }
            } else {
                screened = Parallel.map(batch, jobs: jobs) { item in
                    Screening.run(item, plan: plan, comparators: comparators, limits: limits, maxBytes: maxBytes,
                                  inMemory: inMemory, receivedAt: receivedAtOption, identities: identities, digest: needsDigest,
                                  keepMessage: needsVerifier)
                }
            }
            // Verify what the first pass left open, and what is printed with its properties.
            var requests: [VerdictRequest] = []
            for case .success(let s) in screened where s.answer == nil || (s.answer == true && needsProperties) {
                requests.append(VerdictRequest(message: s.read, delivery: wantDelivery))
            }
            let verdicts = service?.resolve(requests) ?? []
            var next = 0
            for (item, result) in zip(batch, screened) {
                switch result {
                case .failure(let f):
                    sawError = true
                    Diagnostics.error("\(item.displayPath): \(f.reason)")
                case .success(let s):
                    if let refusal = s.refusal { Diagnostics.warning("\(item.displayPath): \(refusal)") }
                    if let blind = s.blind { blindCounts[blind, default: 0] += 1 }
                    var verdict: Verdict?
                    if s.answer == nil || (s.answer == true && needsProperties) {
                        defer { next += 1 }
                        switch verdicts[next] {
                        case .failure(let f):
                            sawError = true
                            Diagnostics.error("\(item.displayPath): \(f.reason)")
                            continue
                        case .success(let v): verdict = v
                        }
                    }
                    let matches = s.answer ?? plan.secondPass(s.memo, status: verdict?.status, statusAtDelivery: verdict?.statusAtDelivery)
                    if matches {
                        sink.add(path: item.displayPath, id: s.read.id, keys: s.keys, values: verdict?.properties)
                    }
                }
            }
            // -q: the first match answers the question.
            return !sink.isSatisfied && !(quiet && sink.total > 0)
        }
        service?.finish()
        if let warning = SearchBlind.warning(blindCounts) { Diagnostics.warning(warning) }
        let state = (try? store?.state(scope: ScanScope.key(operands: input.paths))) ?? nil
        sink.finish(queryState: state ?? "0")
        if quiet && sink.total > 0 { throw ExitCode(ExitStatus.success) }
        throw ExitCode(sawError ? ExitStatus.trouble : (sink.total > 0 ? ExitStatus.success : ExitStatus.noMatch))
    }

    /// A bad filter: the JMAP error on standard error, and as a JMAP error response in --format json.
    static func report(_ error: FilterError, format: OutputFormat) {
        Diagnostics.error("\(error.type): \(error.description)")
        if format == .json {
            let response = JMAPResponse.error(type: error.type, description: error.description)
            StandardOutput.shared.write(response.serialized() + "\n")
            StandardOutput.shared.flush()
        }
    }
}

/// The first pass over one message, on a worker thread.
struct Screening: Sendable {
    var read: ReadMessage
    /// nil: depends on a verification.
    var answer: Bool?
    var memo: FilterPlan.Memo
    var keys: [SortValue]
    /// The limit the MIME reader hit, if a condition needed the parse.
    var refusal: String?
    /// Why a text condition could not look at all of it, if one needed to.
    var blind: SearchBlind? = nil

    static func run(_ item: InputItem, plan: FilterPlan, comparators: [JMAP.Comparator], limits: MIMELimits, maxBytes: Int,
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
            var read = ReadMessage(item: item, digest: digest ? Digest.sha256Hex(bytes) : "", size: bytes.count, bytes: nil)
            // Standard input cannot be read a second time: its bytes are always kept.
            if keepMessage && answer != false && (bytes.count <= ReadMessage.keepLimit || item.isStandardInput) {
                // Hand over the parse if the first pass made one; the verifier would make the same.
                if let parsed = subject.parsedSoFar { read.message = parsed } else { read.bytes = bytes }
            }
            return Screening(read: read, answer: answer, memo: memo, keys: keys, refusal: subject.refusal, blind: subject.blindSearch)
        }
    }
}

extension Screening {
    /// A file above --max-in-memory-size: conditions see its header block (and its size);
    /// the structural status is read by streaming; the body is never held.
    static func runLarge(_ item: InputItem, source: FileSource, plan: FilterPlan, comparators: [JMAP.Comparator],
                         limits: MIMELimits, receivedAt: Date?, digest: Bool) -> Result<Screening, InputFailure> {
        let large: LargeMessage
        do throws(StreamingError) {
            large = try LargeMessage.open(source, limits: limits)
        } catch {
            switch error {
            case .source(let e): return .failure(InputFailure(e.description))
            case .mime(let e):
                // As for a small message past a MIME limit: no header or text condition matches.
                let subject = FileSubject(bytes: [], item: item, limits: limits, receivedAt: receivedAt, size: source.count,
                                          structure: { (SMIMEStatus.unknown.rawValue, "\(e)") })
                return finish(item, source: source, subject: subject, plan: plan, comparators: comparators, digest: digest)
            }
        }
        let subject = FileSubject(bytes: large.header.message.bytes, item: item, limits: limits, receivedAt: receivedAt,
                                  size: source.count, structure: {
            do throws(StreamingError) {
                return (try StructureDetector.status(of: large)?.rawValue, nil)
            } catch {
                return (SMIMEStatus.unknown.rawValue, "\(error)")
            }
        })
        return finish(item, source: source, subject: subject, plan: plan, comparators: comparators, digest: digest)
    }

    private static func finish(_ item: InputItem, source: FileSource, subject: FileSubject, plan: FilterPlan,
                               comparators: [JMAP.Comparator], digest: Bool) -> Result<Screening, InputFailure> {
        let (answer, memo) = plan.firstPass(subject)
        let keys = answer == false ? [] : comparators.map { SortValue.of($0.property, subject: subject) }
        var hex = ""
        if digest {
            switch LargeFile.digest(source) {
            case .failure(let f): return .failure(f)
            case .success(let d): hex = d
            }
        }
        let read = ReadMessage(item: item, digest: hex, size: source.count, bytes: nil, source: source)
        // Its body is never searched: counted, and said once at the end of the run.
        return .success(Screening(read: read, answer: answer, memo: memo, keys: keys, refusal: subject.refusal,
                                  blind: subject.blindSearch))
    }
}

/// Where matches go: straight out in input order, or kept (only their sort keys,
/// path, id and printed values) until the end when sorted.
struct QuerySink {
    let format: OutputFormat
    let properties: [SMIMEProperty]
    let nullSeparated: Bool
    let comparators: [JMAP.Comparator]
    let position: Int
    let limit: Int?
    private(set) var total = 0
    private var printed = 0
    private var ids: [String] = []
    /// --format json: the files of each id (the same bytes at several paths are one Email).
    private var pathsByID: [String: [String]] = [:]
    private var kept: [(keys: [SortValue], path: String, id: String, values: SMIMEProperties?)] = []

    init(format: OutputFormat, properties: [SMIMEProperty], nullSeparated: Bool, comparators: [JMAP.Comparator], position: Int, limit: Int?) {
        self.format = format
        self.properties = properties
        self.nullSeparated = nullSeparated
        self.comparators = comparators
        self.position = position
        self.limit = limit
    }

    /// Streaming needs the window's start known before the end: not for sorting or a negative position.
    private var streams: Bool { comparators.isEmpty && position >= 0 }

    /// Nothing more would be printed, and nothing needs the total.
    var isSatisfied: Bool {
        guard streams, format != .json, let limit else { return false }
        return printed >= limit
    }

    mutating func add(path: String, id: String, keys: [SortValue], values: SMIMEProperties?) {
        if format == .json {
            if pathsByID[id] != nil {
                pathsByID[id]!.append(path)
                return
            }
            pathsByID[id] = [path]
        }
        total += 1
        if streams {
            guard total > position, limit.map({ printed < $0 }) ?? true else { return }
            printed += 1
            emit(path: path, id: id, values: values)
        } else {
            kept.append((keys, path, id, values))
        }
    }

    mutating func finish(queryState: String) {
        var start = position
        if !streams {
            let comparators = self.comparators
            // Without comparators (a negative position alone) input order stands.
            if !comparators.isEmpty {
                kept.sort { a, b in
                    for (i, c) in comparators.enumerated() where a.keys[i] != b.keys[i] {
                        return c.isAscending ? a.keys[i] < b.keys[i] : a.keys[i] > b.keys[i]
                    }
                    return a.path < b.path
                }
            }
            // RFC 8620 5.5: a negative position counts from the end, clamped to 0.
            if start < 0 { start = max(0, total + start) }
            let window = kept.dropFirst(start).prefix(limit ?? Int.max)
            for m in window { emit(path: m.path, id: m.id, values: m.values) }
            kept = []
        }
        if format == .json {
            let response = EmailQueryResponse(queryState: queryState, position: min(start, total), ids: ids, total: total,
                                              paths: ids.map { ($0, pathsByID[$0] ?? []) })
            StandardOutput.shared.write(response.json().serialized() + "\n")
        }
        StandardOutput.shared.flush()
    }

    private mutating func emit(path: String, id: String, values: SMIMEProperties?) {
        switch format {
        case .text:
            StandardOutput.shared.write(path + (nullSeparated ? "\0" : "\n"))
        case .ndjson:
            var pairs: [(String, JSON)] = [("path", .string(path)), ("id", .string(id))]
            let v = values ?? SMIMEProperties(status: nil)
            for p in properties { pairs.append((p.rawValue, v.value(p))) }
            StandardOutput.shared.write(JSON.object(pairs).serialized() + "\n")
        case .json:
            ids.append(id)
        }
    }
}
