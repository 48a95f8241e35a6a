// Mailbox/get, Mailbox/query, Mailbox/changes and Mailbox/set over maildirs
// (with Maildir++ folders) and plain directories (RFC 8621 2).
import Foundation
import JMAP
@testable import JMAPServer
import XCTest

final class MailboxTests: BackendTestCase {
    /// mail/ (maildir) with .Sent, .Work and .Work.Projects; notes/ (plain) with notes/old/.
    func makeTree() throws -> (mail: URL, notes: URL) {
        _ = try maildir("mail")
        _ = try maildir("mail/.Sent")
        _ = try maildir("mail/.Work")
        _ = try maildir("mail/.Work.Projects")
        try put(Self.message(subject: "one"), "mail/cur/1.host:2,S")
        try put(Self.message(subject: "two"), "mail/new/2.host")
        try put(Self.message(subject: "three"), "mail/.Work.Projects/cur/3.host:2,FS")
        // Control files of a maildir are not mail.
        try put("x", "mail/dovecot-uidlist")
        try put(Self.message(subject: "note"), "notes/a.eml")
        try put(Self.message(subject: "old"), "notes/old/b.eml")
        try put(Self.message(subject: "hidden"), "notes/.hidden.eml")
        return (root.appendingPathComponent("mail"), root.appendingPathComponent("notes"))
    }

    func byName(_ list: JSON?) -> [String: JSON] {
        var out: [String: JSON] = [:]
        for m in list?.arrayValue ?? [] { out[m["name"]?.stringValue ?? ""] = m }
        return out
    }

    func testTreeNamesRolesAndCounts() throws {
        let (mail, notes) = try makeTree()
        let b = backend([mail.path, notes.path])
        let got = try one(b, "Mailbox/get", #"{"accountId":"local","ids":null}"#)
        let m = byName(got["list"])
        XCTAssertEqual(Set(m.keys), ["mail", "Sent", "Work", "Projects", "notes", "old"])
        XCTAssertEqual(m["mail"]?["role"]?.stringValue, "inbox")
        XCTAssertEqual(m["Sent"]?["role"]?.stringValue, "sent")
        XCTAssertEqual(m["mail"]?["parentId"], .null)
        XCTAssertEqual(m["Sent"]?["parentId"], m["mail"]?["id"])
        XCTAssertEqual(m["Work"]?["parentId"], m["mail"]?["id"])
        XCTAssertEqual(m["Projects"]?["parentId"], m["Work"]?["id"])
        XCTAssertEqual(m["old"]?["parentId"], m["notes"]?["id"])
        XCTAssertEqual(m["notes"]?["role"], .null)
        XCTAssertEqual(m["mail"]?["totalEmails"]?.numberValue, 2)
        XCTAssertEqual(m["mail"]?["unreadEmails"]?.numberValue, 1)
        XCTAssertEqual(m["Projects"]?["totalEmails"]?.numberValue, 1)
        XCTAssertEqual(m["Projects"]?["unreadEmails"]?.numberValue, 0)
        XCTAssertEqual(m["notes"]?["totalEmails"]?.numberValue, 1)
        XCTAssertEqual(m["old"]?["totalEmails"]?.numberValue, 1)
        XCTAssertEqual(m["mail"]?["myRights"]?["mayAddItems"]?.boolValue, true)
        XCTAssertEqual(m["mail"]?["myRights"]?["mayDelete"]?.boolValue, false)

        // Ids come from the paths: the same in another run, whatever the operand spelling.
        let again = try one(backend([mail.path + "/", notes.path + "/./"]), "Mailbox/get", #"{"accountId":"local"}"#)
        XCTAssertEqual(strings(.array((got["list"]?.arrayValue ?? []).compactMap { $0["id"] })),
                       strings(.array((again["list"]?.arrayValue ?? []).compactMap { $0["id"] })))
        XCTAssertEqual(got["state"], again["state"])

        // ids and properties.
        let sentId = try XCTUnwrap(m["Sent"]?["id"]?.stringValue)
        let few = try one(b, "Mailbox/get", #"{"accountId":"local","ids":["\#(sentId)","Bnope"],"properties":["name"]}"#)
        XCTAssertEqual(few["list"]?.serialized(), #"[{"id":"\#(sentId)","name":"Sent"}]"#)
        XCTAssertEqual(strings(few["notFound"]), ["Bnope"])
        XCTAssertEqual(try errorType(b, "Mailbox/get", #"{"accountId":"local","properties":["colour"]}"#), "invalidArguments")
    }

    func testQuery() throws {
        let (mail, notes) = try makeTree()
        let b = backend([mail.path, notes.path])
        let all = try one(b, "Mailbox/get", #"{"accountId":"local","properties":["name"]}"#)
        let id = Dictionary(uniqueKeysWithValues: (all["list"]?.arrayValue ?? []).map { ($0["name"]!.stringValue!, $0["id"]!.stringValue!) })

        let top = try one(b, "Mailbox/query", #"{"accountId":"local","filter":{"parentId":null},"calculateTotal":true}"#)
        XCTAssertEqual(strings(top["ids"]), [id["mail"]!, id["notes"]!])
        XCTAssertEqual(top["total"]?.numberValue, 2)

        let sorted = try one(b, "Mailbox/query", #"{"accountId":"local","sort":[{"property":"name","isAscending":false}],"limit":2}"#)
        XCTAssertEqual(strings(sorted["ids"]), [id["Work"]!, id["Sent"]!])

        let roles = try one(b, "Mailbox/query", #"{"accountId":"local","filter":{"hasAnyRole":true}}"#)
        XCTAssertEqual(Set(strings(roles["ids"])), [id["mail"]!, id["Sent"]!])
        let named = try one(b, "Mailbox/query", #"{"accountId":"local","filter":{"operator":"NOT","conditions":[{"name":"o"}]}}"#)
        XCTAssertEqual(Set(strings(named["ids"])), [id["mail"]!, id["Sent"]!])

        XCTAssertEqual(try errorType(b, "Mailbox/query", #"{"accountId":"local","filter":{"colour":"red"}}"#), "unsupportedFilter")
        XCTAssertEqual(try errorType(b, "Mailbox/query", #"{"accountId":"local","sort":[{"property":"totalEmails"}]}"#), "unsupportedSort")
    }

    func testChanges() throws {
        let (mail, notes) = try makeTree()
        let b = backend([mail.path, notes.path])
        let state = try XCTUnwrap(try one(b, "Mailbox/get", #"{"accountId":"local","properties":["id"]}"#)["state"]?.stringValue)

        let none = try one(b, "Mailbox/changes", #"{"accountId":"local","sinceState":"\#(state)"}"#)
        XCTAssertEqual(none["newState"]?.stringValue, state)
        XCTAssertEqual(strings(none["created"]) + strings(none["updated"]) + strings(none["destroyed"]), [])

        // A new message changes its mailbox's counts only.
        try put(Self.message(subject: "four"), "mail/new/4.host")
        let counts = try one(b, "Mailbox/changes", #"{"accountId":"local","sinceState":"\#(state)"}"#)
        XCTAssertEqual(strings(counts["updated"]), [MailboxNode.id(for: mail.path)])
        XCTAssertEqual(strings(counts["updatedProperties"]), ["totalEmails", "unreadEmails", "totalThreads", "unreadThreads"])
        XCTAssertNotEqual(counts["newState"]?.stringValue, state)

        // A new folder is created, a removed directory destroyed.
        _ = try maildir("mail/.Archive")
        try FileManager.default.removeItem(at: notes.appendingPathComponent("old"))
        let tree = try one(b, "Mailbox/changes", #"{"accountId":"local","sinceState":"\#(state)"}"#)
        XCTAssertEqual(strings(tree["created"]), [MailboxNode.id(for: mail.appendingPathComponent(".Archive").path)])
        XCTAssertEqual(strings(tree["destroyed"]), [MailboxNode.id(for: notes.appendingPathComponent("old").path)])
        // The inbox is still updated since that state, in its counts only.
        XCTAssertEqual(strings(tree["updated"]), [MailboxNode.id(for: mail.path)])

        XCTAssertEqual(try errorType(b, "Mailbox/changes", #"{"accountId":"local","sinceState":"garbage"}"#), "cannotCalculateChanges")
        XCTAssertEqual(try errorType(b, "Mailbox/changes", #"{"accountId":"local"}"#), "invalidArguments")
    }

    func testARoleNamesOneMailbox() throws {
        let a = try maildir("a")
        let b = try maildir("b")
        _ = try maildir("a/.Sent")
        _ = try maildir("b/.Sent")
        let got = try one(backend([a.path, b.path]), "Mailbox/get", #"{"accountId":"local","properties":["name","role"]}"#)
        let roles = (got["list"]?.arrayValue ?? []).compactMap { $0["role"]?.stringValue }
        XCTAssertEqual(roles.sorted(), ["inbox", "sent"])
        XCTAssertEqual(got["list"]?.arrayValue?.first?["role"]?.stringValue, "inbox", "the first operand is the inbox")

        // Two operands of one name are told apart by the directory they are in.
        let one1 = try maildir("x/Maildir"), two = try maildir("y/Maildir")
        let named = try self.one(backend([one1.path, two.path]), "Mailbox/get", #"{"accountId":"local","properties":["name"]}"#)
        XCTAssertEqual((named["list"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }, ["Maildir", "Maildir (y)"])
    }

    func testSetIsRefused() throws {
        let (mail, _) = try makeTree()
        let b = backend([mail.path])
        let id = MailboxNode.id(for: mail.path)
        let r = try one(b, "Mailbox/set", #"{"accountId":"local","create":{"k":{"name":"New"}},"update":{"\#(id)":{"name":"x"}},"destroy":["Bmissing"]}"#)
        XCTAssertEqual(r["notCreated"]?["k"]?["type"]?.stringValue, "forbidden")
        XCTAssertEqual(r["notUpdated"]?[id]?["type"]?.stringValue, "forbidden")
        XCTAssertEqual(r["notDestroyed"]?["Bmissing"]?["type"]?.stringValue, "notFound")
        XCTAssertTrue(MailTree.isDirectory(mail.path))
    }
}
