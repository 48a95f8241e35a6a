// RFC 8620 5.5 (Foo/query): which matches a query returns, given its sort,
// position, anchor and limit, as a pure value that matches are added to one by one.
import Foundation
import JMAP

/// The window of a query's matches. Without a sort, a negative position or an
/// anchor, the window's start is known from the beginning, so matches inside it
/// are handed back at once (`add` returns them) and a limit met ends the scan
/// (`isSatisfied`); otherwise they are kept, with only their sort keys, and the
/// window is cut at `finish`.
public struct QueryWindow<Element: Sendable>: Sendable {
    public struct Entry: Sendable {
        public var keys: [SortValue]
        public var path: String
        public var id: String?
        public var element: Element
    }

    /// What `finish` gives: the elements of the window in order, the RFC 8620
    /// position of the first one, and the number of matches.
    public struct Window: Sendable {
        public var elements: [Element]
        public var position: Int
        public var total: Int
    }

    public enum Failure: Error, Sendable, Equatable {
        /// RFC 8620 5.5: the anchor is not among the matches.
        case anchorNotFound
    }

    public let comparators: [JMAP.Comparator]
    public let position: Int
    public let anchor: String?
    public let anchorOffset: Int
    public let limit: Int?
    /// The same bytes at several paths are one Email: a later path of a known id is
    /// only noted (`pathsByID`), and counts once.
    public let collapsesIDs: Bool
    /// The total is wanted (a JMAP response): the scan cannot stop at the limit.
    public let needsTotal: Bool

    public private(set) var total = 0
    /// With `collapsesIDs`: the files of each id, in input order.
    public private(set) var pathsByID: [String: [String]] = [:]
    private var emitted = 0
    private var kept: [Entry] = []

    public init(comparators: [JMAP.Comparator] = [], position: Int = 0, anchor: String? = nil, anchorOffset: Int = 0,
                limit: Int? = nil, collapsesIDs: Bool = false, needsTotal: Bool = false) {
        self.comparators = comparators
        self.position = position
        self.anchor = anchor
        self.anchorOffset = anchorOffset
        self.limit = limit
        self.collapsesIDs = collapsesIDs
        self.needsTotal = needsTotal
    }

    /// The window's start is known before the end: not for sorting, a negative position or an anchor.
    public var streams: Bool { comparators.isEmpty && position >= 0 && anchor == nil }

    /// Nothing more would be returned, and nothing needs the total.
    public var isSatisfied: Bool {
        guard streams, !needsTotal, let limit else { return false }
        return emitted >= limit
    }

    /// Adds a match; returns it when it is to be given out now (streaming).
    /// `id` may be nil only when neither ids are collapsed nor an anchor is given.
    public mutating func add(_ element: Element, id: String?, path: String, keys: [SortValue] = []) -> Element? {
        if collapsesIDs, let id {
            if pathsByID[id] != nil {
                pathsByID[id]!.append(path)
                return nil
            }
            pathsByID[id] = [path]
        }
        total += 1
        if streams {
            guard total > position, limit.map({ emitted < $0 }) ?? true else { return nil }
            emitted += 1
            return element
        }
        kept.append(Entry(keys: keys, path: path, id: id, element: element))
        return nil
    }

    /// The rest of the window: everything when streaming was not possible, nothing more otherwise.
    public mutating func finish() -> Result<Window, Failure> {
        guard !streams else {
            return .success(Window(elements: [], position: min(position, total), total: total))
        }
        let comparators = self.comparators
        // Without comparators (a negative position or an anchor alone) input order stands.
        if !comparators.isEmpty {
            kept.sort { a, b in
                for (i, c) in comparators.enumerated() where a.keys[i] != b.keys[i] {
                    return c.isAscending ? a.keys[i] < b.keys[i] : a.keys[i] > b.keys[i]
                }
                return a.path < b.path
            }
        }
        var start = position
        if let anchor {
            // RFC 8620 5.5: the anchor's index plus the offset, clamped to 0; position is ignored.
            guard let index = kept.firstIndex(where: { $0.id == anchor }) else { return .failure(.anchorNotFound) }
            start = max(0, index + anchorOffset)
        } else if start < 0 {
            // A negative position counts from the end, clamped to 0.
            start = max(0, total + start)
        }
        let window = kept.dropFirst(start).prefix(limit ?? Int.max).map(\.element)
        kept = []
        return .success(Window(elements: Array(window), position: min(start, total), total: total))
    }
}
