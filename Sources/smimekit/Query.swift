import ArgumentParser
import Foundation
import JMAP
import MailScan
import MIME
import ResultStore
import SMIME

struct Query: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",  // explicit: the default is derived by reflection at every start-up
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
        let needsProperties = format != .text && !properties.isEmpty
        let receivedAtOption = try trust.settings.deliveryTime()
        let plan = FilterPlan(filter)
        let needsVerifier = plan.needsVerification || needsProperties
        var store: ResultStore?
        if needsVerifier || format == .json { store = try cache.open() }
        var service: VerdictService?
        if needsVerifier {
            service = try trust.service(input, cache, store: store)
        }
        let comparators = sort.compactMap(JMAP.Comparator.init)
        let scan = QueryScan(filter: filter, comparators: comparators, limits: input.limits, maxBytes: input.maxMessageSize,
                             inMemoryLimit: input.maxInMemorySize, receivedAt: receivedAtOption,
                             identities: try service?.verifier.identities ?? trust.settings.identities(),
                             verdictsForMatches: needsProperties, deliveryForMatches: properties.contains(.smimeStatusAtDelivery),
                             needsIDs: format != .text, jobs: input.jobs.count)
        var sink = QuerySink(format: format, properties: properties, nullSeparated: nullSeparated,
                             comparators: comparators, position: position, limit: limit)
        var sawError = false
        var blindCounts: [SearchBlind: Int] = [:]
        BatchScan(jobs: input.jobs.count, progress: input.progress()).run(input.walk()) { batch in
            for r in scan.run(batch, service: service) {
                if let refusal = r.refusal { Diagnostics.warning("\(r.item.displayPath): \(refusal)") }
                if let blind = r.blind { blindCounts[blind, default: 0] += 1 }
                switch r.outcome {
                case .failure(let f):
                    sawError = true
                    Diagnostics.error("\(r.item.displayPath): \(f.text)")
                case .success(let match?):
                    sink.add(path: r.item.displayPath, id: match.id, keys: match.keys, values: match.verdict?.properties)
                case .success(nil): break
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
        Diagnostics.jmapError("\(error.type): \(error.description)", type: error.type, description: error.description,
                              asResponse: format == .json)
    }
}
