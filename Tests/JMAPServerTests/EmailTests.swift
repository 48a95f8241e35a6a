// Email/get, Email/query, Email/queryChanges, Email/changes, Email/set,
// Email/import, Thread/get, Blob/get and the download of blobs.
import Foundation
import JMAP
@testable import JMAPServer
import MIME
import SMIME
import XCTest

final class EmailTests: BackendTestCase {
    static let rich = """
        Received: from mx.example.org by mail.example.org; Tue, 27 Jan 2026 09:00:00 +0000
        From: "Alice Example" <alice@example.org>
        To: bob@example.org, Team: carol@example.org, dave@example.org;
        Cc: =?UTF-8?Q?Zo=C3=AB?= <zoe@example.org>
        Reply-To: replies@example.org
        Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= and a report
        Date: Mon, 26 Jan 2026 14:38:03 +0000
        Message-ID: <rich-1@example.org>
        In-Reply-To: <ask@example.org>
        References: <root@example.org> <ask@example.org>
        List-Unsubscribe: <mailto:leave@example.org>, <https://example.org/leave>
        X-Tag: first
        X-Tag: second
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="outer"

        --outer
        Content-Type: multipart/alternative; boundary="alt"

        --alt
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: quoted-printable

        Gr=C3=BC=C3=9Fe, Bob. The   report
        is attached.
        --alt
        Content-Type: text/html; charset=utf-8

        <p>Gr&uuml;&szlig;e, <b>Bob</b>.</p>
        --alt--
        --outer
        Content-Type: application/pdf; name="report.pdf"
        Content-Disposition: attachment; filename="report.pdf"
        Content-Transfer-Encoding: base64

        JVBERi0xLjQK
        --outer--
        """

    func testGetProperties() throws {
        _ = try maildir("mail")
        let bytes = try put(Self.rich, "mail/cur/1.host:2,FS")
        let b = backend([root.appendingPathComponent("mail").path])
        let digest = Digest.sha256Hex(bytes)
        let id = EmailID.make(digestHex: digest)

        let all = try one(b, "Email/get", #"{"accountId":"local","ids":null}"#)
        let e = try XCTUnwrap(all["list"]?.arrayValue?.first)
        XCTAssertEqual(e["id"]?.stringValue, id)
        XCTAssertEqual(e["blobId"]?.stringValue, "G" + digest.prefix(40))
        XCTAssertEqual(e["size"]?.numberValue, Double(bytes.count))
        XCTAssertEqual(e["threadId"]?.stringValue, "T" + Digest.sha256Hex(Array("root@example.org".utf8)).prefix(24))
        XCTAssertEqual(e["mailboxIds"]?.serialized(), #"{"\#(MailboxNode.id(for: root.appendingPathComponent("mail").path))":true}"#)
        XCTAssertEqual(e["keywords"]?.serialized(), #"{"$flagged":true,"$seen":true}"#)
        XCTAssertEqual(e["receivedAt"]?.stringValue, "2026-01-27T09:00:00Z")
        XCTAssertEqual(e["sentAt"]?.stringValue, "2026-01-26T14:38:03Z")
        XCTAssertEqual(e["subject"]?.stringValue, "Grüße and a report")
        XCTAssertEqual(e["from"]?.serialized(), #"[{"name":"Alice Example","email":"alice@example.org"}]"#)
        XCTAssertEqual(strings(.array((e["to"]?.arrayValue ?? []).compactMap { $0["email"] })),
                       ["bob@example.org", "carol@example.org", "dave@example.org"])
        XCTAssertEqual(e["cc"]?.serialized(), #"[{"name":"Zoë","email":"zoe@example.org"}]"#)
        XCTAssertEqual(e["replyTo"]?.serialized(), #"[{"name":null,"email":"replies@example.org"}]"#)
        XCTAssertEqual(e["sender"], .null)
        XCTAssertEqual(e["bcc"], .null)
        XCTAssertEqual(strings(e["messageId"]), ["rich-1@example.org"])
        XCTAssertEqual(strings(e["inReplyTo"]), ["ask@example.org"])
        XCTAssertEqual(strings(e["references"]), ["root@example.org", "ask@example.org"])
        XCTAssertEqual(e["hasAttachment"]?.boolValue, true)
        XCTAssertEqual(e["preview"]?.stringValue, "Grüße, Bob. The report is attached.")
        // RFC 8621 4.1.4: the alternative's parts are the text and HTML bodies; the PDF is an attachment.
        XCTAssertEqual(strings(.array((e["textBody"]?.arrayValue ?? []).compactMap { $0["partId"] })), ["1"])
        XCTAssertEqual(strings(.array((e["htmlBody"]?.arrayValue ?? []).compactMap { $0["partId"] })), ["2"])
        let attachment = try XCTUnwrap(e["attachments"]?.arrayValue?.first)
        XCTAssertEqual(attachment["name"]?.stringValue, "report.pdf")
        XCTAssertEqual(attachment["type"]?.stringValue, "application/pdf")
        XCTAssertEqual(attachment["disposition"]?.stringValue, "attachment")
        XCTAssertEqual(attachment["size"]?.numberValue, 9)
        XCTAssertEqual(e["bodyValues"]?.serialized(), "{}")
        // The S/MIME properties are not among the defaults.
        XCTAssertNil(e["smimeStatus"])

        let more = try one(b, "Email/get", #"""
            {"accountId":"local","ids":["\#(id)","Mnothere"],
             "properties":["bodyStructure","bodyValues","headers","header:X-Tag","header:X-Tag:all","header:Subject:asText",
                           "header:From:asGroupedAddresses","header:To:asGroupedAddresses","header:List-Unsubscribe:asURLs",
                           "header:Date:asDate","header:X-Missing:all","header:X-Missing"],
             "bodyProperties":["partId","type","charset","size"],
             "fetchTextBodyValues":true,"fetchHTMLBodyValues":true,"maxBodyValueBytes":10}
            """#)
        XCTAssertEqual(strings(more["notFound"]), ["Mnothere"])
        let m = try XCTUnwrap(more["list"]?.arrayValue?.first)
        XCTAssertEqual(m["header:X-Tag"]?.stringValue, " second")
        XCTAssertEqual(strings(m["header:X-Tag:all"]), [" first", " second"])
        XCTAssertEqual(m["header:Subject:asText"]?.stringValue, "Grüße and a report")
        XCTAssertEqual(m["header:To:asGroupedAddresses"]?.arrayValue?.count, 2)
        XCTAssertEqual(m["header:To:asGroupedAddresses"]?.arrayValue?[1]["name"]?.stringValue, "Team")
        XCTAssertEqual(strings(m["header:List-Unsubscribe:asURLs"]), ["mailto:leave@example.org", "https://example.org/leave"])
        XCTAssertEqual(m["header:Date:asDate"]?.stringValue, "2026-01-26T14:38:03Z")
        XCTAssertEqual(m["header:X-Missing:all"]?.serialized(), "[]")
        XCTAssertEqual(m["header:X-Missing"], .null)
        XCTAssertEqual(m["headers"]?.arrayValue?.first?["name"]?.stringValue, "Received")
        let structure = try XCTUnwrap(m["bodyStructure"])
        XCTAssertEqual(structure["type"]?.stringValue, "multipart/mixed")
        XCTAssertEqual(structure["partId"], .null)
        XCTAssertEqual(structure["subParts"]?.arrayValue?.first?["subParts"]?.arrayValue?.first?["charset"]?.stringValue, "utf-8")
        // 10 octets of UTF-8, cut on a character boundary ("Grüße" is 7).
        let text = try XCTUnwrap(m["bodyValues"]?["1"])
        XCTAssertEqual(text["value"]?.stringValue, "Grüße, B")
        XCTAssertEqual(text["isTruncated"]?.boolValue, true)
        XCTAssertNotNil(m["bodyValues"]?["2"])

        XCTAssertEqual(try errorType(b, "Email/get", #"{"accountId":"local","properties":["smimeStatus"]}"#,
                                     using: [Capabilities.core, Capabilities.mail]), "invalidArguments")
        XCTAssertEqual(try errorType(b, "Email/get", #"{"accountId":"local","properties":["colour"]}"#), "invalidArguments")
        XCTAssertEqual(try errorType(b, "Email/get", #"{"accountId":"local","properties":["header:From:asDate"]}"#), "invalidArguments")
        // RFC 8621 4.1.2.2: asText is for Subject, Comments, Keywords, List-Id and fields RFC 5322 does not define.
        XCTAssertEqual(try errorType(b, "Email/get", #"{"accountId":"local","properties":["header:From:asText"]}"#), "invalidArguments")
        XCTAssertEqual(try errorType(b, "Email/get", #"{"accountId":"local","properties":["header:Subject:asAddresses"]}"#), "invalidArguments")
        XCTAssertEqual(try errorType(b, "Email/get", #"{"accountId":"local","properties":["header:From:asWhat"]}"#), "invalidArguments")
        XCTAssertEqual(try errorType(b, "Email/get", #"{"accountId":"local","bodyProperties":["colour"]}"#), "invalidArguments")

        var limits = JMAPLimits()
        limits.maxObjectsInGet = 1
        let small = backend([root.appendingPathComponent("mail").path], limits: limits)
        XCTAssertEqual(try errorType(small, "Email/get", #"{"accountId":"local","ids":["a","b"]}"#), "requestTooLarge")
    }

    func testSMIMEPropertiesComeFromTheEngine() throws {
        let bytes = try put(Self.message(subject: "signed"), "box/a.eml")
        try put(Self.message(subject: "plain"), "box/b.eml")
        let when = Date(timeIntervalSince1970: 1_770_000_000)
        engine.setVerdict(bytes, SMIMEProperties(status: .signedFailed, statusAtDelivery: .signedVerified,
                                                 errors: ["the certificate has expired"], verifiedAt: when))
        let b = backend([root.appendingPathComponent("box").path])
        let id = EmailID.make(digestHex: Digest.sha256Hex(bytes))
        let got = try one(b, "Email/get", #"{"accountId":"local","ids":["\#(id)"],"properties":["smimeStatus","smimeStatusAtDelivery","smimeErrors","smimeVerifiedAt"]}"#)
        XCTAssertEqual(got["list"]?.arrayValue?.first?.serialized(),
                       #"{"id":"\#(id)","smimeStatus":"signed/failed","smimeStatusAtDelivery":"signed/verified","smimeErrors":["the certificate has expired"],"smimeVerifiedAt":"\#(JMAPDate.format(when))"}"#)

        let q = try one(b, "Email/query", #"{"accountId":"local","filter":{"hasSmime":true}}"#)
        XCTAssertEqual(strings(q["ids"]), [id])
        let v = try one(b, "Email/query", #"{"accountId":"local","filter":{"hasVerifiedSmimeAtDelivery":true}}"#)
        XCTAssertEqual(strings(v["ids"]), [id])
        let f = try one(b, "Email/query", #"{"accountId":"local","filter":{"hasVerifiedSmime":true}}"#)
        XCTAssertEqual(strings(f["ids"]), [])
    }

    func testQueryFiltersSortAndWindow() throws {
        let mail = try maildir("mail")
        _ = try maildir("mail/.Sent")
        let small = try put(Self.message(from: "alice@example.org", subject: "lunch", date: "Mon, 26 Jan 2026 10:00:00 +0000", body: "x"), "mail/cur/1:2,S")
        let mid = try put(Self.message(from: "bob@example.org", subject: "Re: lunch", date: "Tue, 27 Jan 2026 10:00:00 +0000", body: String(repeating: "y", count: 60)), "mail/new/2")
        let big = try put(Self.message(from: "carol@example.org", subject: "report", date: "Wed, 28 Jan 2026 10:00:00 +0000", body: String(repeating: "z", count: 900)), "mail/.Sent/cur/3:2,S")
        let ids = [small, mid, big].map { EmailID.make(digestHex: Digest.sha256Hex($0)) }
        let b = backend([mail.path])
        func query(_ args: String) throws -> [String] { strings(try one(b, "Email/query", #"{"accountId":"local",\#(args)}"#)["ids"]) }

        XCTAssertEqual(try query(#""filter":{"from":"bob"}"#), [ids[1]])
        XCTAssertEqual(try query(#""filter":{"subject":"lunch"},"sort":[{"property":"receivedAt","isAscending":false}]"#), [ids[1], ids[0]])
        XCTAssertEqual(try query(#""filter":{"notKeyword":"$seen"}"#), [ids[1]])
        XCTAssertEqual(try query(#""filter":{"inMailbox":"\#(MailboxNode.id(for: mail.path + "/.Sent"))"}"#), [ids[2]])
        XCTAssertEqual(Set(try query(#""filter":{"inMailboxOtherThan":["\#(MailboxNode.id(for: mail.path + "/.Sent"))"]}"#)), [ids[0], ids[1]])
        XCTAssertEqual(try query(#""filter":{"operator":"NOT","conditions":[{"minSize":400},{"text":"alice"}]}"#), [ids[1]])
        XCTAssertEqual(try query(#""filter":{"operator":"OR","conditions":[{"body":"zzzz"},{"from":"alice"}]},"sort":[{"property":"size"}]"#), [ids[0], ids[2]])
        XCTAssertEqual(try query(#""filter":{"after":"2026-01-27T00:00:00Z","before":"2026-01-28T00:00:00Z"}"#), [ids[1]])
        XCTAssertEqual(try query(#""sort":[{"property":"size","isAscending":false}]"#), [ids[2], ids[1], ids[0]])
        // The base subject sorts "Re: lunch" with "lunch".
        XCTAssertEqual(try query(#""sort":[{"property":"subject"},{"property":"size"}]"#), [ids[0], ids[1], ids[2]])
        XCTAssertEqual(try query(#""sort":[{"property":"hasKeyword","keyword":"$seen"},{"property":"size"}]"#), [ids[1], ids[0], ids[2]])

        let sorted = #""sort":[{"property":"size"}]"#
        XCTAssertEqual(try query(sorted + #","position":1,"limit":1"#), [ids[1]])
        XCTAssertEqual(try query(sorted + #","position":-1"#), [ids[2]])
        XCTAssertEqual(try query(sorted + #","position":7"#), [])
        XCTAssertEqual(try query(sorted + #","anchor":"\#(ids[1])","anchorOffset":-1,"limit":2"#), [ids[0], ids[1]])
        let windowed = try one(b, "Email/query", #"{"accountId":"local",\#(sorted),"anchor":"\#(ids[2])","calculateTotal":true}"#)
        XCTAssertEqual(windowed["position"]?.numberValue, 2)
        XCTAssertEqual(windowed["total"]?.numberValue, 3)

        let snippets = try one(b, "SearchSnippet/get", #"{"accountId":"local","filter":{"operator":"OR","conditions":[{"subject":"lunch"},{"text":"zzz"}]},"emailIds":["\#(ids[1])","\#(ids[2])","Mnope"]}"#)
        let list = snippets["list"]?.arrayValue ?? []
        XCTAssertEqual(list.first?["subject"]?.stringValue, "Re: <mark>lunch</mark>")
        XCTAssertEqual(list.first?["preview"], .null)
        XCTAssertEqual(list.last?["subject"], .null)
        XCTAssertTrue(list.last?["preview"]?.stringValue?.hasPrefix("<mark>zzz</mark><mark>zzz</mark>") ?? false, list.last?.serialized() ?? "")
        XCTAssertEqual(strings(snippets["notFound"]), ["Mnope"])
        XCTAssertEqual(try errorType(b, "SearchSnippet/get", #"{"accountId":"local","filter":{"colour":"red"},"emailIds":[]}"#), "unsupportedFilter")
        XCTAssertEqual(try errorType(b, "Email/query", #"{"accountId":"local","anchor":"Mnope"}"#), "anchorNotFound")
        XCTAssertEqual(try errorType(b, "Email/query", #"{"accountId":"local","filter":{"allInThreadHaveKeyword":"$seen"}}"#), "unsupportedFilter")
        XCTAssertEqual(try errorType(b, "Email/query", #"{"accountId":"local","filter":{"colour":"red"}}"#), "unsupportedFilter")
        XCTAssertEqual(try errorType(b, "Email/query", #"{"accountId":"local","filter":{"after":"yesterday"}}"#), "invalidArguments")
        XCTAssertEqual(try errorType(b, "Email/query", #"{"accountId":"local","sort":[{"property":"colour"}]}"#), "unsupportedSort")
        XCTAssertEqual(try errorType(b, "Email/query", #"{"accountId":"local","limit":-1}"#), "invalidArguments")
    }

    func testChangesAndQueryChanges() throws {
        let box = root.appendingPathComponent("box")
        let first = try put(Self.message(subject: "first"), "box/a.eml")
        let b = backend([box.path])
        let state = try XCTUnwrap(try one(b, "Email/get", #"{"accountId":"local","ids":[]}"#)["state"]?.stringValue)
        let query = #""filter":{"subject":"s"},"sort":[{"property":"subject"}]"#
        let q0 = try one(b, "Email/query", #"{"accountId":"local",\#(query)}"#)
        XCTAssertEqual(q0["canCalculateChanges"]?.boolValue, true)
        let queryState = try XCTUnwrap(q0["queryState"]?.stringValue)

        let none = try one(b, "Email/changes", #"{"accountId":"local","sinceState":"\#(state)"}"#)
        XCTAssertEqual(none["newState"]?.stringValue, state)
        XCTAssertEqual(strings(none["created"]), [])

        let second = try put(Self.message(subject: "second"), "box/b.eml")
        let firstId = EmailID.make(digestHex: Digest.sha256Hex(first)), secondId = EmailID.make(digestHex: Digest.sha256Hex(second))
        let changed = try one(b, "Email/changes", #"{"accountId":"local","sinceState":"\#(state)"}"#)
        XCTAssertEqual(strings(changed["created"]), [secondId])
        XCTAssertNotEqual(changed["newState"]?.stringValue, state)

        let qc = try one(b, "Email/queryChanges", #"{"accountId":"local",\#(query),"sinceQueryState":"\#(queryState)","calculateTotal":true}"#)
        XCTAssertEqual(qc["oldQueryState"]?.stringValue, queryState)
        XCTAssertEqual(strings(qc["removed"]), [secondId])
        XCTAssertEqual(qc["added"]?.serialized(), #"[{"id":"\#(secondId)","index":1}]"#)
        XCTAssertEqual(qc["total"]?.numberValue, 2)

        // A verdict that changes is an update (RFC 9219): the engine's status for the first message.
        engine.setVerdict(first, SMIMEProperties(status: .signedFailed, errors: ["bad"]))
        // (A backend looks again at once; one already running reuses its last look for up to a minute.)
        let newState = try XCTUnwrap(changed["newState"]?.stringValue)
        let updated = try one(backend([box.path]), "Email/changes", #"{"accountId":"local","sinceState":"\#(newState)"}"#)
        XCTAssertEqual(strings(updated["updated"]), [firstId])

        XCTAssertEqual(try errorType(b, "Email/changes", #"{"accountId":"local","sinceState":"bogus"}"#), "cannotCalculateChanges")
        XCTAssertEqual(try errorType(b, "Email/queryChanges", #"{"accountId":"local","filter":{"subject":"other"},"sinceQueryState":"\#(queryState)"}"#),
                       "cannotCalculateChanges")
        XCTAssertEqual(try errorType(b, "Email/queryChanges", #"{"accountId":"local"}"#), "invalidArguments")
    }

    func testSetCreateIntoMaildirAndRefusals() throws {
        let mail = try maildir("mail")
        let b = backend([mail.path])
        let inbox = MailboxNode.id(for: mail.path)
        let r = try call(b, #"""
            [["Email/set",{"accountId":"local","create":{
                "k1":{"mailboxIds":{"\#(inbox)":true},"from":[{"email":"alice@example.org"}],"to":[{"email":"bob@example.org"}],
                      "subject":"made over JMAP","sentAt":"2026-01-26T10:00:00Z",
                      "textBody":[{"partId":"t","type":"text/plain"}],"bodyValues":{"t":{"value":"Hello Bob."}}},
                "k2":{"mailboxIds":{"Bnope":true},"subject":"nowhere"},
                "k3":{"mailboxIds":{"\#(inbox)":true},"from":[{"email":"alice@example.org"}],"smimeSign":true,"subject":"signed?",
                      "textBody":[{"partId":"t"}],"bodyValues":{"t":{"value":"x"}}},
                "k4":{"mailboxIds":{"\#(inbox)":true},"keywords":{"$seen":true},"from":[{"email":"alice@example.org"}],"subject":"read",
                      "textBody":[{"partId":"t"}],"bodyValues":{"t":{"value":"seen"}}}},
              "update":{"Mnothere":{"keywords":{}}},"destroy":["Mnothere"]},"s"],
             ["Email/get",{"accountId":"local","ids":["#k1"],"properties":["subject","mailboxIds","keywords","size","blobId"]},"g"]]
            """#, using: [Capabilities.core, Capabilities.mail, Capabilities.smimeAdvanced])
        let set = r[0].1
        XCTAssertEqual(r[0].0, "Email/set", set.serialized())
        let created = try XCTUnwrap(set["created"]?["k1"])
        let id = try XCTUnwrap(created["id"]?.stringValue)
        XCTAssertEqual(set["notCreated"]?["k2"]?["type"]?.stringValue, "invalidProperties")
        XCTAssertEqual(strings(set["notCreated"]?["k2"]?["properties"]), ["mailboxIds"])
        // No signing key was given to the server.
        XCTAssertEqual(strings(set["notCreated"]?["k3"]?["properties"]), ["smimeSign"])
        XCTAssertNotNil(set["created"]?["k4"])
        XCTAssertEqual(set["notUpdated"]?["Mnothere"]?["type"]?.stringValue, "notFound")
        XCTAssertEqual(set["notDestroyed"]?["Mnothere"]?["type"]?.stringValue, "notFound")
        XCTAssertNotEqual(set["oldState"], set["newState"])

        // The message is in new/, named by maildir rules, and its id is the digest of what was written.
        let fresh = try FileManager.default.contentsOfDirectory(atPath: mail.path + "/new")
        XCTAssertEqual(fresh.count, 1)
        XCTAssertTrue(fresh[0].contains(id), fresh[0])
        let written = [UInt8](try Data(contentsOf: URL(fileURLWithPath: mail.path + "/new/" + fresh[0])))
        XCTAssertEqual(EmailID.make(digestHex: Digest.sha256Hex(written)), id)
        XCTAssertEqual(created["size"]?.numberValue, Double(written.count))
        XCTAssertEqual(created["blobId"]?.stringValue, "G" + Digest.sha256Hex(written).prefix(40))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: mail.path + "/tmp"), [])
        // The one with $seen went to cur/ with its flag.
        let cur = try FileManager.default.contentsOfDirectory(atPath: mail.path + "/cur")
        XCTAssertEqual(cur.count, 1)
        XCTAssertTrue(cur[0].hasSuffix(":2,S"), cur[0])

        // The creation id resolves in a later call of the same request.
        XCTAssertEqual(r[1].0, "Email/get")
        let got = try XCTUnwrap(r[1].1["list"]?.arrayValue?.first)
        XCTAssertEqual(got["id"]?.stringValue, id)
        XCTAssertEqual(got["subject"]?.stringValue, "made over JMAP")
        XCTAssertEqual(got["mailboxIds"]?.serialized(), #"{"\#(inbox)":true}"#)

        // An existing Email cannot be changed or destroyed.
        let refuse = try one(b, "Email/set", #"{"accountId":"local","update":{"\#(id)":{"keywords/$seen":true}},"destroy":["\#(id)"]}"#)
        XCTAssertEqual(refuse["notUpdated"]?[id]?["type"]?.stringValue, "forbidden")
        XCTAssertEqual(refuse["notDestroyed"]?[id]?["type"]?.stringValue, "forbidden")
        XCTAssertEqual(try errorType(b, "Email/set", #"{"accountId":"local","ifInState":"old"}"#), "stateMismatch")
        // smimeSign without the smime-advanced capability is an invalid property (the draft).
        let noCap = try one(b, "Email/set", #"{"accountId":"local","create":{"x":{"mailboxIds":{"\#(inbox)":true},"from":[{"email":"a@example.org"}],"smimeSign":true}}}"#)
        XCTAssertEqual(strings(noCap["notCreated"]?["x"]?["properties"]), ["smimeSign"])
    }

    func testImportThreadsAndBlobs() async throws {
        let box = root.appendingPathComponent("box")
        let existing = try put(Self.rich, "box/a.eml")
        let b = backend([box.path])
        let upload = await b.upload(accountId: "local", type: "message/rfc822", bytes: Array(Self.message(subject: "uploaded").utf8))
        XCTAssertEqual(upload.status, 201)
        let blobId = try XCTUnwrap(try JSON.parse(upload.body)["blobId"]?.stringValue)
        let bad = await b.upload(accountId: "someone", type: "x", bytes: [1])
        XCTAssertEqual(bad.status, 404)

        let boxId = MailboxNode.id(for: box.path)
        let r = try one(b, "Email/import", #"{"accountId":"local","emails":{"i1":{"blobId":"\#(blobId)","mailboxIds":{"\#(boxId)":true}},"i2":{"blobId":"Unone","mailboxIds":{"\#(boxId)":true}}}}"#)
        let id = try XCTUnwrap(r["created"]?["i1"]?["id"]?.stringValue)
        XCTAssertEqual(r["notCreated"]?["i2"]?["type"]?.stringValue, "blobNotFound")
        XCTAssertTrue(FileManager.default.fileExists(atPath: box.path + "/" + id + ".eml"))

        let threads = try one(b, "Thread/get", #"{"accountId":"local","ids":null}"#)
        XCTAssertEqual(threads["list"]?.arrayValue?.count, 2)

        // Email/parse reads a blob as an Email without filing it.
        let parsed = try one(b, "Email/parse", #"{"accountId":"local","blobIds":["\#(blobId)","Unone"],"properties":["subject","from","size","blobId","id","preview","smimeStatus"]}"#)
        let e = try XCTUnwrap(parsed["parsed"]?[blobId])
        XCTAssertEqual(e["subject"]?.stringValue, "uploaded")
        XCTAssertEqual(e["from"]?.arrayValue?.first?["email"]?.stringValue, "alice@example.org")
        XCTAssertEqual(e["blobId"]?.stringValue, blobId)
        XCTAssertEqual(e["id"], .null)
        XCTAssertEqual(e["preview"]?.stringValue, "Hi Bob.")
        XCTAssertEqual(e["smimeStatus"], .null)
        XCTAssertEqual(strings(parsed["notFound"]), ["Unone"])
        XCTAssertEqual(try errorType(b, "Email/parse", #"{"accountId":"local","blobIds":["\#(blobId)"],"properties":["smimeStatus"]}"#,
                                     using: [Capabilities.core, Capabilities.mail]), "invalidArguments")

        // Download: the whole message, and one part decoded.
        let digest = Digest.sha256Hex(existing)
        let whole = await b.download(accountId: "local", blobId: "G" + digest.prefix(40))
        XCTAssertEqual(whole?.bytes, existing)
        XCTAssertEqual(whole?.type, "message/rfc822")
        let pdf = await b.download(accountId: "local", blobId: "P" + digest.prefix(40) + "-3")
        XCTAssertEqual(pdf.map { String(decoding: $0.bytes, as: UTF8.self) }, "%PDF-1.4\n")
        XCTAssertEqual(pdf?.type, "application/pdf")
        let none = await b.download(accountId: "local", blobId: "Gnothing")
        XCTAssertNil(none)
        let otherAccount = await b.download(accountId: "other", blobId: "G" + digest.prefix(40))
        XCTAssertNil(otherAccount)

        let blob = try one(b, "Blob/get", #"{"accountId":"local","ids":["P\#(digest.prefix(40))-3","Gnope"],"properties":["data:asText","size","digest:sha-256"],"offset":1,"length":3}"#,
                           using: [Capabilities.core, Capabilities.blob])
        let item = try XCTUnwrap(blob["list"]?.arrayValue?.first)
        XCTAssertEqual(item["data:asText"]?.stringValue, "PDF")
        XCTAssertEqual(item["size"]?.numberValue, 9)
        XCTAssertEqual(item["digest:sha-256"]?.stringValue, Data(Digest.sha256(Array("PDF".utf8))).base64EncodedString())
        XCTAssertEqual(strings(blob["notFound"]), ["Gnope"])
    }

    func testUploadsAreKeptWithinABudget() async throws {
        var limits = JMAPLimits()
        limits.maxSizeUpload = 10
        let b = backend(limits: limits)
        var ids: [String] = []
        for i in 0..<3 {
            let reply = await b.upload(accountId: "local", type: "text/plain", bytes: Array(String(repeating: "\(i)", count: 10).utf8))
            XCTAssertEqual(reply.status, 201)
            ids.append(try XCTUnwrap(try JSON.parse(reply.body)["blobId"]?.stringValue))
        }
        let tooBig = await b.upload(accountId: "local", type: "text/plain", bytes: Array(repeating: 0x41, count: 11))
        XCTAssertEqual(tooBig.status, 400)
        // 4 x maxSizeUpload bytes are kept: all three fit; a fourth and fifth push the oldest out.
        for i in 3..<5 {
            _ = await b.upload(accountId: "local", type: "text/plain", bytes: Array(String(repeating: "\(i)", count: 10).utf8))
        }
        let first = await b.download(accountId: "local", blobId: ids[0])
        XCTAssertNil(first)
        let third = await b.download(accountId: "local", blobId: ids[2])
        XCTAssertEqual(third?.bytes, Array(String(repeating: "2", count: 10).utf8))
    }

    func testStateChangesArePushed() async throws {
        try put(Self.message(subject: "one"), "box/a.eml")
        let b = MailBackend(configuration: MailBackendConfiguration(operands: [root.appendingPathComponent("box").path], pollInterval: 0.2),
                            engine: engine)
        let stream = b.stateChanges()
        _ = try one(b, "Email/get", #"{"accountId":"local","ids":[]}"#)
        try put(Self.message(subject: "two"), "box/b.eml")
        var iterator = stream.makeAsyncIterator()
        let next = await iterator.next()
        let event = try XCTUnwrap(next)
        let json = try JSON.parse(event)
        XCTAssertEqual(json["@type"]?.stringValue, "StateChange")
        XCTAssertNotNil(json["changed"]?["local"]?["Email"]?.stringValue)
        XCTAssertNotNil(json["changed"]?["local"]?["Mailbox"]?.stringValue)
    }
}

final class ConcurrencyTests: BackendTestCase {
    /// Many requests at once through the async seam give the answers one at a time gives.
    func testParallelRequestsAgreeWithSerialOnes() async throws {
        for i in 0..<40 {
            try put(Self.message(from: "p\(i % 7)@example.org", subject: "message \(i)", body: String(repeating: "w", count: i * 10)), "box/\(i).eml")
        }
        let b = backend([root.appendingPathComponent("box").path])
        let body = Array(request(##"""
            [["Email/query",{"accountId":"local","filter":{"from":"p3"},"sort":[{"property":"size","isAscending":false}]},"q"],
             ["Email/get",{"accountId":"local","#ids":{"resultOf":"q","name":"Email/query","path":"/ids"},"properties":["subject","size","smimeStatus"]},"g"],
             ["Mailbox/get",{"accountId":"local","properties":["totalEmails"]},"m"]]
            """##).utf8)
        let serial = b.respond(body: body)
        XCTAssertEqual(serial.status, 200)
        let expected = try JSON.parse(serial.body)
        XCTAssertEqual(expected["methodResponses"]?.arrayValue?[1].arrayValue?[1]["list"]?.arrayValue?.count, 6)
        let replies = await withTaskGroup(of: JMAPReply.self) { group in
            for _ in 0..<8 * 10 { group.addTask { await b.api(body: body) } }
            var out: [JMAPReply] = []
            for await r in group { out.append(r) }
            return out
        }
        XCTAssertEqual(replies.count, 80)
        for r in replies {
            XCTAssertEqual(r.status, 200)
            XCTAssertEqual(try JSON.parse(r.body), expected)
        }
    }
}

final class ThreadTests: BackendTestCase {
    func testThreadsGroupByTheRootOfTheReplyChainOldestFirst() throws {
        let reply = try put("From: b@example.org\nSubject: Re: plan\nDate: Tue, 27 Jan 2026 10:00:00 +0000\nMessage-ID: <r1@example.org>\nIn-Reply-To: <root@example.org>\nReferences: <root@example.org>\n\nok\n", "box/1.eml")
        let root = try put("From: a@example.org\nSubject: plan\nDate: Mon, 26 Jan 2026 10:00:00 +0000\nMessage-ID: <root@example.org>\n\nplan?\n", "box/2.eml")
        let other = try put(Self.message(subject: "other"), "box/3.eml")
        let b = backend([self.root.appendingPathComponent("box").path])
        let ids = [reply, root, other].map { EmailID.make(digestHex: Digest.sha256Hex($0)) }
        let got = try one(b, "Email/get", #"{"accountId":"local","ids":\#(JSON.array(ids.map { .string($0) }).serialized()),"properties":["threadId"]}"#)
        let threadIds = (got["list"]?.arrayValue ?? []).compactMap { $0["threadId"]?.stringValue }
        XCTAssertEqual(threadIds.count, 3)
        XCTAssertEqual(threadIds[0], threadIds[1], "a reply is in its root's thread")
        XCTAssertNotEqual(threadIds[0], threadIds[2])
        let threads = try one(b, "Thread/get", #"{"accountId":"local","ids":["\#(threadIds[0])","Tnope"]}"#)
        XCTAssertEqual(strings(threads["list"]?.arrayValue?.first?["emailIds"]), [ids[1], ids[0]], "oldest first")
        XCTAssertEqual(strings(threads["notFound"]), ["Tnope"])
        // collapseThreads keeps the first of each thread in the sorted order.
        let collapsed = try one(b, "Email/query", #"{"accountId":"local","sort":[{"property":"receivedAt","isAscending":false}],"collapseThreads":true}"#)
        XCTAssertEqual(strings(collapsed["ids"]).count, 2)
        XCTAssertTrue(strings(collapsed["ids"]).contains(ids[0]), "the newer of the thread")
        XCTAssertFalse(strings(collapsed["ids"]).contains(ids[1]))
    }
}

final class HostileInputTests: BackendTestCase {
    func testBadFilesLoopsAndDeepRequestsGetAnswers() throws {
        try put(Self.message(subject: "fine"), "box/good.eml")
        try Data((0..<4096).map { _ in UInt8.random(in: 0...255) }).write(to: root.appendingPathComponent("box/random.bin"))
        try Data().write(to: root.appendingPathComponent("box/empty.eml"))
        try Data(String(repeating: "X-Long: " + String(repeating: "a", count: 1000) + "\r\n", count: 2000).utf8).write(to: root.appendingPathComponent("box/huge-header.eml"))
        // A symbolic link back up the tree is not walked forever.
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("box/loop").path, withDestinationPath: root.appendingPathComponent("box").path)
        let b = backend([root.appendingPathComponent("box").path])
        let boxes = try one(b, "Mailbox/get", #"{"accountId":"local"}"#)
        XCTAssertEqual(boxes["list"]?.arrayValue?.count, 1, boxes.serialized())
        let all = try one(b, "Email/get", #"{"accountId":"local","properties":["subject","from","bodyStructure","textBody","preview","hasAttachment","receivedAt"]}"#)
        XCTAssertEqual(all["list"]?.arrayValue?.count, 4)
        let found = try one(b, "Email/query", #"{"accountId":"local","filter":{"text":"fine"}}"#)
        XCTAssertEqual(found["ids"]?.arrayValue?.count, 1)

        // Filters nested deeper than the engine allows are refused, not recursed into.
        var deep = #"{"subject":"x"}"#
        for _ in 0..<100 { deep = #"{"operator":"NOT","conditions":[\#(deep)]}"# }
        XCTAssertEqual(try errorType(b, "Email/query", #"{"accountId":"local","filter":\#(deep)}"#), "invalidArguments")
        // JSON nested past the parser's depth is not JSON.
        let nested = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let reply = send(b, #"{"using":[],"methodCalls":[["Core/echo",{"a":\#(nested)},"c"]]}"#)
        XCTAssertEqual(reply.status, 400)
        XCTAssertEqual(try JSON.parse(reply.body)["type"]?.stringValue, "urn:ietf:params:jmap:error:notJSON")
    }
}
