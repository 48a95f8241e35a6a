import Foundation

/// Email/changes (RFC 8620 section 5.2, RFC 9219 section 4.1): the store numbers
/// every change to a message's smimeStatus/smimeErrors, creation and destruction.
///
/// A message is identified by its id (the CLI derives it from the message bytes);
/// the store also remembers the paths where each id was seen, so that a sweep over
/// the files present can tell which messages are gone. One id may be at several
/// paths (identical files); it is destroyed when none of them remains.
///
/// All of that belongs to a scope: the set of paths a scan covers (the CLI names
/// one by a digest of its canonical operand list). A message seen in scope A and
/// then copied into the tree of scope B is created in B; a state of one scope is
/// not a state of another. The scope "" (`defaultScope`) is the library's default,
/// and holds what caches before version 3 recorded.
extension ResultStore {
    /// The scope of callers that name none.
    public static let defaultScope = ""

    public struct Changes: Sendable, Equatable {
        public var oldState: String
        public var newState: String
        public var hasMoreChanges: Bool
        public var created: [String]
        public var updated: [String]
        public var destroyed: [String]

        public init(oldState: String, newState: String, hasMoreChanges: Bool,
                    created: [String], updated: [String], destroyed: [String]) {
            self.oldState = oldState
            self.newState = newState
            self.hasMoreChanges = hasMoreChanges
            self.created = created
            self.updated = updated
            self.destroyed = destroyed
        }
    }

    /// A message seen at a path, with its current smimeStatus and smimeErrors.
    public typealias SeenMessage = (id: String, path: String, status: String?, errors: [String]?)

    enum ChangeKind: Int64 {
        case created = 0, updated = 1, destroyed = 2
    }

    /// The default scope's current state.
    public var state: String {
        get throws { try state(scope: Self.defaultScope) }
    }

    /// A scope's current state. Opaque: it names this cache file, the scope and a step
    /// counter (the last step that changed something in the scope; 0 for a scope never seen).
    public func state(scope: String) throws -> String {
        try checkScope(scope)
        return try locked { connection in stateString(try Self.scopeState(connection, scope).state, scope: scope) }
    }

    func checkScope(_ scope: String) throws {
        guard scope.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw ResultStoreError.invalidArguments("a scope is letters and digits, not \"\(scope)\"")
        }
    }

    /// (state, min_state) of a scope; (0, 0) for one never seen.
    static func scopeState(_ connection: SQLiteConnection, _ scope: String) throws -> (state: Int64, oldest: Int64) {
        let select = try connection.statement("SELECT state, min_state FROM scopes WHERE key = ?1")
        defer { select.reset() }
        try select.bind(1, scope)
        guard try select.step() else { return (0, 0) }
        return (select.int64(0) ?? 0, select.int64(1) ?? 0)
    }

    /// Notes that message `id` is at `path` with this status and these errors.
    /// A new id is created; a different status or errors than last recorded is an
    /// update; the same ones are no change (so a new smimeVerifiedAt alone never is).
    /// If `path` held another id before (the file was replaced), that id is destroyed
    /// unless it is still seen at another path.
    public func recordSeen(id: String, path: String, status: String?, errors: [String]?, scope: String = defaultScope) throws {
        try recordSeen(batch: [(id: id, path: path, status: status, errors: errors)], scope: scope)
    }

    /// Many `recordSeen` in one write transaction.
    public func recordSeen(batch: [SeenMessage], scope: String = defaultScope) throws {
        guard !batch.isEmpty else { return }
        try checkScope(scope)
        try locked { connection in
            try connection.transaction(write: true) {
                var journal = try ChangeJournal(connection, scope: scope)
                for message in batch {
                    try journal.seen(message)
                }
                try journal.finish()
            }
        }
    }

    /// Marks messages destroyed (deleted, or no longer in the folder) and forgets their paths.
    public func markGone(ids: some Sequence<String>, scope: String = defaultScope) throws {
        let ids = Array(ids)
        guard !ids.isEmpty else { return }
        try checkScope(scope)
        try locked { connection in
            try connection.transaction(write: true) {
                var journal = try ChangeJournal(connection, scope: scope)
                let forget = try connection.statement("DELETE FROM message_paths WHERE scope = ?2 AND id = ?1")
                for id in ids {
                    try forget.bind(1, id)
                    try forget.bind(2, scope)
                    try forget.run()
                    try journal.destroy(id)
                }
                try journal.finish()
            }
        }
    }

    /// Forgets every known path not in `presentPaths` (only paths inside `directory`
    /// when it is given) and destroys the messages left with no path. Returns the
    /// ids destroyed.
    @discardableResult
    public func sweep(presentPaths: some Sequence<String>, under directory: String? = nil, scope: String = defaultScope) throws -> [String] {
        try clearPresent()
        defer { try? clearPresent() }
        try markPresent(Array(presentPaths))
        return try sweepUnmarked(under: directory, scope: scope)
    }

    /// Notes paths seen by a scan, in a table private to this connection, so that
    /// a scan of a million files need not hold them all in memory until `sweepUnmarked`.
    public func markPresent(_ paths: [String]) throws {
        try locked { connection in
            try connection.execute("CREATE TEMP TABLE IF NOT EXISTS present_paths(path TEXT PRIMARY KEY) WITHOUT ROWID")
            try connection.transaction(write: true) {
                let insert = try connection.statement("INSERT OR IGNORE INTO temp.present_paths(path) VALUES (?1)")
                for path in paths {
                    try insert.bind(1, path)
                    try insert.run()
                }
            }
        }
    }

    /// Forgets what `markPresent` noted.
    public func clearPresent() throws {
        try locked { connection in
            try connection.execute("CREATE TEMP TABLE IF NOT EXISTS present_paths(path TEXT PRIMARY KEY) WITHOUT ROWID")
            try connection.execute("DELETE FROM temp.present_paths")
        }
    }

    /// Forgets every known path that `markPresent` did not note (only paths inside
    /// `directory` when it is given) and destroys the messages left with no path.
    /// Returns the ids destroyed.
    @discardableResult
    public func sweepUnmarked(under directory: String? = nil, scope: String = defaultScope) throws -> [String] {
        try checkScope(scope)
        let inScope: (String) -> Bool
        if let directory {
            var base = directory
            while base.count > 1, base.hasSuffix("/") { base.removeLast() }
            let prefix = base == "/" ? "/" : base + "/"
            inScope = { $0 == base || $0.hasPrefix(prefix) }
        } else {
            inScope = { _ in true }
        }
        return try locked { connection in
            try connection.execute("CREATE TEMP TABLE IF NOT EXISTS present_paths(path TEXT PRIMARY KEY) WITHOUT ROWID")
            return try connection.transaction(write: true) {
                let absent = try connection.statement("""
                    SELECT path, id FROM message_paths WHERE scope = ?1 AND path NOT IN (SELECT path FROM temp.present_paths)
                    """)
                var vanished: [(path: String, id: String)] = []
                do {
                    defer { absent.reset() }
                    try absent.bind(1, scope)
                    while try absent.step() {
                        if let path = absent.string(0), let id = absent.string(1), inScope(path) {
                            vanished.append((path, id))
                        }
                    }
                }
                var journal = try ChangeJournal(connection, scope: scope)
                let forget = try connection.statement("DELETE FROM message_paths WHERE scope = ?2 AND path = ?1")
                for entry in vanished {
                    try forget.bind(1, entry.path)
                    try forget.bind(2, scope)
                    try forget.run()
                }
                var destroyed: [String] = []
                var considered: Set<String> = []
                for entry in vanished where considered.insert(entry.id).inserted {
                    if try journal.destroyIfPathless(entry.id) { destroyed.append(entry.id) }
                }
                try journal.finish()
                return destroyed
            }
        }
    }

    /// RFC 8620 /changes. With `maxChanges`, at most that many ids are returned and
    /// `newState` is an intermediate state to continue from (`hasMoreChanges`).
    /// Throws `ResultStoreError.cannotCalculateChanges` for a state that is malformed,
    /// from another cache file, newer than the current one, or older than the kept
    /// history (see `compact`), and `invalidArguments` for maxChanges < 1.
    public func changes(since: String, maxChanges: Int? = nil, scope: String = defaultScope) throws -> Changes {
        if let maxChanges, maxChanges < 1 {
            throw ResultStoreError.invalidArguments("maxChanges must be a positive integer, not \(maxChanges)")
        }
        try checkScope(scope)
        guard let (sinceCounter, sinceScope) = parseState(since) else {
            throw ResultStoreError.cannotCalculateChanges(since: since, reason: "it is not a state of this cache")
        }
        guard sinceScope == scope else {
            throw ResultStoreError.cannotCalculateChanges(
                since: since, reason: "it is a state of another set of paths (each list of operands has its own states)")
        }
        return try locked { connection in
            try connection.transaction(write: false) {
                let (current, oldest) = try Self.scopeState(connection, scope)
                guard sinceCounter <= current else {
                    throw ResultStoreError.cannotCalculateChanges(since: since, reason: "it is newer than the current state")
                }
                guard sinceCounter >= oldest else {
                    throw ResultStoreError.cannotCalculateChanges(since: since, reason: "the history before it has been discarded")
                }
                let select = try connection.statement("SELECT modseq, id, kind FROM changelog WHERE scope = ?2 AND modseq > ?1 ORDER BY modseq")
                defer { select.reset() }
                try select.bind(1, sinceCounter)
                try select.bind(2, scope)

                var order: [String] = []
                var first: [String: ChangeKind] = [:]
                var last: [String: ChangeKind] = [:]
                var reached = sinceCounter
                var hasMore = false
                while try select.step() {
                    guard let modseq = select.int64(0), let id = select.string(1),
                          let kind = select.int64(2).flatMap(ChangeKind.init(rawValue:)) else {
                        throw ResultStoreError.corrupt("a change log row is malformed")
                    }
                    if first[id] == nil {
                        if let maxChanges, order.count == maxChanges {
                            hasMore = true
                            break
                        }
                        order.append(id)
                        first[id] = kind
                    }
                    last[id] = kind
                    reached = modseq
                }
                if !hasMore { reached = current }

                // What the client knew at `since` (the first step) against what is true now (the last).
                var changes = Changes(oldState: since, newState: stateString(reached, scope: scope), hasMoreChanges: hasMore,
                                      created: [], updated: [], destroyed: [])
                for id in order {
                    let existedBefore = first[id] != .created
                    let existsNow = last[id] != .destroyed
                    switch (existedBefore, existsNow) {
                    case (true, true): changes.updated.append(id)
                    case (true, false): changes.destroyed.append(id)
                    case (false, true): changes.created.append(id)
                    case (false, false): break  // came and went in between: the client never needs to know
                    }
                }
                return changes
            }
        }
    }
}

/// Applies message changes inside one write transaction, numbering each step.
private struct ChangeJournal {
    let connection: SQLiteConnection
    let scope: String
    /// The counter over every scope: each step gets the next one.
    private(set) var state: Int64
    private let startState: Int64

    init(_ connection: SQLiteConnection, scope: String) throws {
        self.connection = connection
        self.scope = scope
        state = try ResultStore.meta(connection, "state")
        startState = state
    }

    func finish() throws {
        guard state != startState else { return }
        try ResultStore.setMeta(connection, "state", state)
        // The scope's state is its last step; a new scope can answer from any state before it.
        let upsert = try connection.statement("""
            INSERT INTO scopes(key, state, min_state) VALUES (?1, ?2, 0) ON CONFLICT(key) DO UPDATE SET state = excluded.state
            """)
        try upsert.bind(1, scope)
        try upsert.bind(2, state)
        try upsert.run()
    }

    private mutating func log(_ id: String, _ kind: ResultStore.ChangeKind) throws -> Int64 {
        state += 1
        let insert = try connection.statement("INSERT INTO changelog(modseq, id, kind, scope) VALUES (?1, ?2, ?3, ?4)")
        try insert.run(state, id, kind.rawValue, scope)
        return state
    }

    mutating func seen(_ message: ResultStore.SeenMessage) throws {
        let errors = message.errors.map(StringArrayJSON.encode)

        let pathLookup = try connection.statement("SELECT id FROM message_paths WHERE scope = ?2 AND path = ?1")
        try pathLookup.bind(1, message.path)
        try pathLookup.bind(2, scope)
        let previousID = try pathLookup.step() ? pathLookup.string(0) : nil
        pathLookup.reset()
        if previousID != message.id {
            let place = try connection.statement("""
                INSERT INTO message_paths(scope, path, id) VALUES (?3, ?1, ?2) ON CONFLICT(scope, path) DO UPDATE SET id = excluded.id
                """)
            try place.run(message.path, message.id, scope)
            if let previousID { try destroyIfPathless(previousID) }
        }

        let lookup = try connection.statement("SELECT status, errors_json, destroyed FROM messages WHERE scope = ?2 AND id = ?1")
        try lookup.bind(1, message.id)
        try lookup.bind(2, scope)
        let found = try lookup.step()
        let oldStatus = lookup.string(0), oldErrors = lookup.string(1), wasDestroyed = lookup.int64(2) != 0
        lookup.reset()

        // Both statements take the message's row as ?1 id, ?2 status, ?3 errors, ?4 modseq, ?5 scope.
        func run(_ statement: Statement, _ modseq: Int64) throws {
            try statement.run(message.id, message.status, errors, modseq, scope)
        }
        if !found || wasDestroyed {
            let modseq = try log(message.id, .created)
            let upsert = try connection.statement("""
                INSERT INTO messages(scope, id, status, errors_json, modseq, created_modseq, destroyed) VALUES (?5, ?1, ?2, ?3, ?4, ?4, 0)
                ON CONFLICT(scope, id) DO UPDATE SET status = excluded.status, errors_json = excluded.errors_json,
                    modseq = excluded.modseq, created_modseq = excluded.created_modseq, destroyed = 0
                """)
            try run(upsert, modseq)
        } else if oldStatus != message.status || oldErrors != errors {
            let modseq = try log(message.id, .updated)
            try run(try connection.statement("UPDATE messages SET status = ?2, errors_json = ?3, modseq = ?4 WHERE scope = ?5 AND id = ?1"), modseq)
        }
    }

    /// Destroys `id` when no path refers to it any more. True when it was destroyed now.
    @discardableResult
    mutating func destroyIfPathless(_ id: String) throws -> Bool {
        let anyPath = try connection.statement("SELECT 1 FROM message_paths WHERE scope = ?2 AND id = ?1 LIMIT 1")
        try anyPath.bind(1, id)
        try anyPath.bind(2, scope)
        let stillSomewhere = try anyPath.step()
        anyPath.reset()
        return stillSomewhere ? false : try destroy(id)
    }

    /// Marks `id` destroyed if it is alive. True when it was.
    @discardableResult
    mutating func destroy(_ id: String) throws -> Bool {
        let update = try connection.statement("UPDATE messages SET destroyed = 1, modseq = ?2 WHERE scope = ?3 AND id = ?1 AND destroyed = 0")
        try update.bind(1, id)
        try update.bind(2, state + 1)
        try update.bind(3, scope)
        try update.run()
        guard connection.changes > 0 else { return false }
        _ = try log(id, .destroyed)
        return true
    }
}
