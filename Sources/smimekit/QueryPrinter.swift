// How query prints its matches: paths, ndjson records, or an Email/query response.
import Foundation
import JMAP
import MailScan

/// Where matches go: straight out in input order, or kept (only their sort keys,
/// path, id and printed values) until the end when sorted (see `QueryWindow`).
struct QuerySink {
    let format: OutputFormat
    let properties: [SMIMEProperty]
    let nullSeparated: Bool
    private var window: QueryWindow<(path: String, id: String?, values: SMIMEProperties?)>
    private var ids: [String] = []

    init(format: OutputFormat, properties: [SMIMEProperty], nullSeparated: Bool, comparators: [JMAP.Comparator], position: Int, limit: Int?) {
        self.format = format
        self.properties = properties
        self.nullSeparated = nullSeparated
        window = QueryWindow(comparators: comparators, position: position, limit: limit,
                             collapsesIDs: format == .json, needsTotal: format == .json)
    }

    var total: Int { window.total }
    var isSatisfied: Bool { window.isSatisfied }

    mutating func add(path: String, id: String?, keys: [SortValue], values: SMIMEProperties?) {
        if let m = window.add((path, id, values), id: id, path: path, keys: keys) { emit(m) }
    }

    mutating func finish(queryState: String) {
        // Only an anchor can fail, and the command line gives none.
        guard case .success(let w) = window.finish() else { return }
        for m in w.elements { emit(m) }
        if format == .json {
            let response = EmailQueryResponse(queryState: queryState, position: w.position, ids: ids, total: w.total,
                                              paths: ids.map { ($0, window.pathsByID[$0] ?? []) })
            StandardOutput.shared.write(response.json().serialized() + "\n")
        }
        StandardOutput.shared.flush()
    }

    private mutating func emit(_ m: (path: String, id: String?, values: SMIMEProperties?)) {
        switch format {
        case .text:
            StandardOutput.shared.write(m.path + (nullSeparated ? "\0" : "\n"))
        case .ndjson:
            var pairs: [(String, JSON)] = [("path", .string(m.path)), ("id", .optional(m.id))]
            let v = m.values ?? SMIMEProperties(status: nil)
            for p in properties { pairs.append((p.rawValue, v.value(p))) }
            StandardOutput.shared.write(JSON.object(pairs).serialized() + "\n")
        case .json:
            if let id = m.id { ids.append(id) }
        }
    }
}
