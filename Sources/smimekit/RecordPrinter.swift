// Prints one record a message in the chosen format: an aligned line for
// people, NDJSON for pipelines, or a JMAP Email/get response.
import Foundation
import JMAP

struct RecordPrinter {
    let format: OutputFormat
    let properties: [SMIMEProperty]
    var state = "0"
    private var response: EmailGetResponse?
    /// JSON list items by id, in first-seen order: the same bytes at two paths are one Email.
    private var items: [(id: String, pairs: [(String, JSON)], paths: [String])] = []
    private var itemIndex: [String: Int] = [:]

    init(format: OutputFormat, properties: [SMIMEProperty]) {
        self.format = format
        self.properties = properties
        if format == .json { response = EmailGetResponse(state: state) }
    }

    /// One message's record. `extra` goes into the JSON object after the properties (e.g. details);
    /// `textDetail` is appended to the text line or printed below it.
    mutating func record(path: String, id: String, values: SMIMEProperties, extra: [(String, JSON)] = [], textLines: [String] = []) {
        switch format {
        case .text:
            var line = TextColumns.pad(values.status?.rawValue ?? "null", 26) + path
            if textLines.isEmpty, let first = values.errors?.first {
                line += ": " + first
                if let n = values.errors?.count, n > 1 { line += " (+\(n - 1) more)" }
            }
            // The answer at delivery, when asked for and not the same as now (--details shows why).
            if textLines.isEmpty, properties.contains(.smimeStatusAtDelivery), let d = values.statusAtDelivery, d != values.status {
                line += " (at delivery: \(d.rawValue))"
            }
            StandardOutput.shared.write(line + "\n")
            for l in textLines { StandardOutput.shared.write(l + "\n") }
        case .ndjson:
            var pairs: [(String, JSON)] = [("path", .string(path)), ("id", .string(id))]
            for p in properties { pairs.append((p.rawValue, values.value(p))) }
            pairs += extra
            StandardOutput.shared.write(JSON.object(pairs).serialized() + "\n")
        case .json:
            if let i = itemIndex[id] {
                items[i].paths.append(path)
                return
            }
            var pairs: [(String, JSON)] = []
            for p in properties { pairs.append((p.rawValue, values.value(p))) }
            pairs += extra
            itemIndex[id] = items.count
            items.append((id, pairs, [path]))
        }
    }

    /// A message that could not be read: reported on stderr; in JSON also listed under
    /// notFoundPaths (notFound holds ids, and a file that cannot be read has none).
    mutating func failure(path: String, reason: String) {
        Diagnostics.error("\(path): \(reason)")
        if format == .json { response?.notFoundPaths.append(path) }
    }

    mutating func finish() {
        if var response {
            response.state = state
            // id, path (the first file with these bytes), paths (every one), then the properties.
            response.list = items.map { item in
                .object([("id", .string(item.id)), ("path", .string(item.paths[0])),
                         ("paths", .array(item.paths.map { .string($0) }))] + item.pairs)
            }
            StandardOutput.shared.write(response.json().serialized() + "\n")
        }
        StandardOutput.shared.flush()
    }
}
