// A backend over temporary mail directories, with an engine that answers from a
// table (status by digest) and keeps an in-memory Email/changes journal.
import Foundation
import JMAP
@testable import JMAPServer
import MailScan
import MIME
import ResultStore
import SMIME
import XCTest

final class TableEngine: MailEngine, @unchecked Sendable {
    private let lock = NSLock()
    /// Status and errors by digest; messages not listed get the structural status.
    var verdictTable: [String: SMIMEProperties] = [:]
    var verdictCalls = 0
    /// The journal: every recorded distinct set of (id -> status, errors), per scope.
    private var history: [[String: String]] = []

    func setVerdict(_ bytes: [UInt8], _ p: SMIMEProperties) {
        lock.withLock { verdictTable[Digest.sha256Hex(bytes)] = p }
    }

    func verdicts(_ messages: [ReadMessage], delivery: Bool) -> [Result<SMIMEProperties, MethodError>] {
        lock.withLock { verdictCalls += 1 }
        return messages.map { m in
            if let v = lock.withLock({ verdictTable[m.digest.hex] }) { return .success(v) }
            let bytes = m.bytes ?? [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: m.item.displayPath))) ?? Data())
            let status = (try? Message(bytes: bytes)).flatMap { StructureDetector.status(of: $0) }
            return .success(SMIMEProperties(status: status, statusAtDelivery: delivery ? status : nil))
        }
    }

    func receivedAt(_ message: ReadMessage, parsed: Message?) -> Date? {
        parsed?.root.receivedDate ?? parsed?.root.firstValue(named: "Date").flatMap(MailDate.parse)
    }

    func detectedStatus(_ message: ReadMessage, parsed: Message?) -> SMIMEStatus? {
        parsed.flatMap { StructureDetector.status(of: $0) }
    }

    func innerMessages(_ message: ReadMessage, parsed: Message) -> [Message] { [] }

    func recordScan(_ seen: [ResultStore.SeenMessage], present: [String], scope: String) throws(MethodError) -> String {
        lock.withLock {
            var now: [String: String] = [:]
            for s in seen { now[s.id] = "\(s.status ?? "-") \((s.errors ?? []).joined(separator: "|"))" }
            if history.last != now { history.append(now) }
            return "s\(history.count)"
        }
    }

    func changes(since state: String, maxChanges: Int?, scope: String) throws(MethodError) -> EmailChangeSet {
        lock.lock()
        defer { lock.unlock() }
        guard state.hasPrefix("s"), let n = Int(state.dropFirst()), n >= 1, n <= history.count else {
            throw MethodError("cannotCalculateChanges", "unknown state \(state)")
        }
        let old = history[n - 1], now = history.last ?? [:]
        return EmailChangeSet(oldState: state, newState: "s\(history.count)", hasMoreChanges: false,
                              created: now.keys.filter { old[$0] == nil }.sorted(),
                              updated: now.keys.filter { old[$0] != nil && old[$0] != now[$0] }.sorted(),
                              destroyed: old.keys.filter { now[$0] == nil }.sorted())
    }
}

class BackendTestCase: XCTestCase {
    var root: URL!
    var engine: TableEngine!

    static let all = [Capabilities.core, Capabilities.mail, Capabilities.smimeVerify]

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("jmapserver-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        engine = TableEngine()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    func maildir(_ relative: String) throws -> URL {
        let dir = root.appendingPathComponent(relative)
        for sub in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        return dir
    }

    @discardableResult
    func put(_ text: String, _ relative: String) throws -> [UInt8] {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let bytes = Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
        try Data(bytes).write(to: url)
        return bytes
    }

    func backend(_ operands: [String]? = nil, limits: JMAPLimits = JMAPLimits(), username: String = "tester") -> MailBackend {
        MailBackend(configuration: MailBackendConfiguration(operands: operands ?? [root.path], limits: limits, username: username,
                                                            pollInterval: 0),
                    engine: engine)
    }

    static func message(from: String = "alice@example.org", to: String = "bob@example.org", subject: String = "Hello",
                        date: String = "Mon, 26 Jan 2026 14:38:03 +0000", body: String = "Hi Bob.", extra: String = "") -> String {
        "From: \(from)\nTo: \(to)\nSubject: \(subject)\nDate: \(date)\nMessage-ID: <\(UUID().uuidString)@example.org>\n\(extra)MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n\(body)\n"
    }

    /// Sends a request and returns the whole reply.
    func send(_ b: MailBackend, _ request: String) -> JMAPReply {
        b.respond(body: Array(request.utf8))
    }

    func request(_ calls: String, using: [String] = BackendTestCase.all) -> String {
        let u = using.map { "\"\($0)\"" }.joined(separator: ",")
        return #"{"using":[\#(u)],"methodCalls":\#(calls)}"#
    }

    /// The method responses of a request that must succeed at the request level.
    func call(_ b: MailBackend, _ calls: String, using: [String] = BackendTestCase.all,
              file: StaticString = #filePath, line: UInt = #line) throws -> [(String, JSON, String)] {
        let reply = send(b, request(calls, using: using))
        XCTAssertEqual(reply.status, 200, String(decoding: reply.body, as: UTF8.self), file: file, line: line)
        let json = try JSON.parse(reply.body)
        let list = try XCTUnwrap(json["methodResponses"]?.arrayValue, file: file, line: line)
        return list.map { inv in
            let a = inv.arrayValue ?? []
            return (a[0].stringValue ?? "", a[1], a[2].stringValue ?? "")
        }
    }

    /// One method's arguments, which must not be an error.
    func one(_ b: MailBackend, _ name: String, _ args: String, using: [String] = BackendTestCase.all,
             file: StaticString = #filePath, line: UInt = #line) throws -> JSON {
        let r = try call(b, #"[["\#(name)",\#(args),"c"]]"#, using: using, file: file, line: line)
        XCTAssertEqual(r.first?.0, name, r.first?.1.serialized() ?? "", file: file, line: line)
        return try XCTUnwrap(r.first?.1, file: file, line: line)
    }

    /// The error type of a single call that must fail.
    func errorType(_ b: MailBackend, _ name: String, _ args: String, using: [String] = BackendTestCase.all,
                   file: StaticString = #filePath, line: UInt = #line) throws -> String? {
        let r = try call(b, #"[["\#(name)",\#(args),"c"]]"#, using: using, file: file, line: line)
        XCTAssertEqual(r.first?.0, "error", r.first?.1.serialized() ?? "", file: file, line: line)
        return r.first?.1["type"]?.stringValue
    }

    func strings(_ j: JSON?) -> [String] { j?.arrayValue?.compactMap(\.stringValue) ?? [] }
}
