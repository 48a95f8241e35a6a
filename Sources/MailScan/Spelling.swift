// The word meant by one that names nothing: "did you mean" for a mistyped command.

public enum Spelling {
    /// The candidate within two edits (or the only one `word` is a prefix of), ignoring case in `word`.
    public static func nearest(_ word: String, in candidates: [String]) -> String? {
        let w = word.lowercased()
        let prefixed = candidates.filter { $0.hasPrefix(w) }
        if prefixed.count == 1 { return prefixed[0] }
        let scored = candidates.map { ($0, distance(Array(w), Array($0))) }.filter { $0.1 <= 2 }
        return scored.min { $0.1 < $1.1 }?.0
    }

    /// Damerau-Levenshtein (optimal string alignment): a swapped pair is one edit.
    public static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
}
