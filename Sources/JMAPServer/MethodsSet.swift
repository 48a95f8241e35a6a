// Email/set (RFC 8621 4.6 with the smime-advanced draft's smimeSign and
// smimeEncrypt), Email/import (4.8) and Blob/get (RFC 9404). A new message is
// written into its mailbox whole or not at all: into a maildir's tmp/, then
// renamed into new/ (cur/ when it has keywords); into a plain directory as a
// dot file renamed to ID.eml.
import Foundation
import JMAP
import MailScan
import MIME
import SMIME

enum Delivery {
    static let hostname: String = {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count) == 0 else { return "localhost" }
        let name = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // Maildir names use / and : for themselves.
        return name.replacingOccurrences(of: "/", with: "\\057").replacingOccurrences(of: ":", with: "\\072")
    }()

    /// The engine's one atomic write, its failure a serverFail.
    static func write(_ bytes: [UInt8], to path: String, replacing: Bool) throws(SetError) {
        do {
            if replacing { try AtomicFile.write(bytes, to: path, mode: 0o600, tracked: false) } else { try AtomicFile.writeNew(bytes, to: path, mode: 0o600) }
        } catch {
            throw SetError(type: "serverFail", description: "cannot write \(error.path): \(error.why)")
        }
    }

    /// Files `bytes` into the mailbox; returns the path it now has.
    static func deliver(_ bytes: [UInt8], id: String, into node: MailboxNode, keywords: Set<String>) throws(SetError) -> String {
        let unique = "\(Int(Date().timeIntervalSince1970)).\(id).\(getpid())_\(UInt32.random(in: 0...UInt32.max)).\(hostname)"
        switch node.kind {
        case .maildir:
            // A maildir is told by its cur/ (as mdirs does): tmp/ and new/ are made when missing.
            for sub in ["tmp", "new"] where !MailTree.isDirectory(node.path + "/" + sub) { mkdir(node.path + "/" + sub, 0o700) }
            let tmpDir = node.path + "/tmp"
            let tmp = tmpDir + "/" + unique
            try write(bytes, to: tmp, replacing: false)
            let flags = MailTree.flags(for: keywords)
            let final = flags.isEmpty ? node.path + "/new/" + unique : node.path + "/cur/" + unique + ":2," + flags
            // link(2) then unlink, as maildir delivery does: never overwrites a file already there.
            guard link(tmp, final) == 0 else {
                let why = String(cString: strerror(errno))
                unlink(tmp)
                throw SetError(type: "serverFail", description: "cannot deliver into \(node.path): \(why)")
            }
            unlink(tmp)
            return final
        case .plain:
            let final = node.path + "/" + id + ".eml"
            if FileManager.default.fileExists(atPath: final) { return final }  // the same bytes: the same Email
            try write(bytes, to: final, replacing: true)
            return final
        }
    }

    /// The one mailbox an Email goes into, from its mailboxIds.
    static func target(_ value: JSON?, in snapshot: Snapshot, ctx: RequestContext) throws(SetError) -> MailboxNode {
        guard let pairs = value?.objectValue, !pairs.isEmpty else {
            throw .invalidProperties(["mailboxIds"], "mailboxIds must name the mailbox to put the message in")
        }
        let ids = pairs.filter { $0.1 == .bool(true) }.map { ctx.resolve(id: $0.0) }
        guard ids.count == 1, pairs.count == 1 else {
            throw .invalidProperties(["mailboxIds"], "a message is a file in one directory: mailboxIds must name exactly one mailbox")
        }
        guard let node = snapshot.mailboxes.first(where: { $0.id == ids[0] }) else {
            throw .invalidProperties(["mailboxIds"], "there is no mailbox \(ids[0])")
        }
        return node
    }

    static func keywords(_ value: JSON?) throws(SetError) -> Set<String> {
        guard let value, value != .null else { return [] }
        guard let pairs = value.objectValue, pairs.allSatisfy({ $0.1 == .bool(true) }) else {
            throw .invalidProperties(["keywords"], "keywords must be an object of keyword to true")
        }
        return Set(pairs.map { $0.0.lowercased() })
    }

    static func created(_ bytes: [UInt8]) -> (id: String, entry: JSON) {
        let digest = Digest.sha256Hex(bytes)
        let threadId = MailIndex.threadId(bytes, digest: digest)
        return (EmailID.make(digestHex: digest), EmailSetResponse.createdEntry(digestHex: digest, size: bytes.count, threadId: threadId))
    }
}

enum EmailSet {
    /// What supplies a missing key, in the words of the server's options.
    static func advice(_ r: Remedy) -> String {
        switch r {
        case .giveSigningKey: return "start the server with --key or --identities"
        case .giveRecipientCertificates: return "start the server with --recipients or --recipient-cert"
        case .raiseMessageSizeLimit: return "raise --max-message-size"
        // Anything else in the engine's own words.
        default: return r.words
        }
    }

    static func run(_ ctx: RequestContext, _ json: JSON) throws(MethodError) -> JSON {
        let backend = ctx.backend
        let before = ctx.sync()
        if let want = json["ifInState"], want != .null {
            guard let w = want.stringValue else { throw .invalidArguments("\"ifInState\" must be a string") }
            if w != before.emailState { throw MethodError("stateMismatch", "the Email state is \(before.emailState), not \(w)") }
        }
        var create: [(String, JSON)] = []
        if let c = json["create"], c != .null {
            guard let pairs = c.objectValue else { throw .invalidArguments("\"create\" must be an object of creation id to Email") }
            create = pairs
        }
        var update: [String] = []
        if let u = json["update"], u != .null {
            guard let pairs = u.objectValue else { throw .invalidArguments("\"update\" must be an object of id to PatchObject") }
            update = pairs.map(\.0)
        }
        let destroy = try Arguments(json).strings("destroy") ?? []
        let total = create.count + update.count + destroy.count
        if total > backend.limits.maxObjectsInSet {
            throw MethodError("requestTooLarge", "\(total) objects to set; at most \(backend.limits.maxObjectsInSet) at once (maxObjectsInSet)")
        }
        let config = backend.configuration
        // The engine's Email/set create (the one `sign --jmap` uses): built, signed and/or
        // encrypted; what is left here is where the bytes go.
        let creation = EmailCreation(
            builder: EmailCreateBuilder(blobDirectory: config.blobDirectory, now: config.composer.time,
                                        smimeCapability: ctx.using.contains(Capabilities.smimeAdvanced),
                                        digestHex: { Digest.sha256Hex($0) }),
            composer: config.composer, advice: advice)
        var created: [(String, JSON)] = []
        var notCreated: [(String, SetError)] = []
        for (cid, email) in create {
            let node: MailboxNode
            let keywords: Set<String>
            do throws(SetError) {
                node = try Delivery.target(email["mailboxIds"], in: before.snapshot, ctx: ctx)
                keywords = try Delivery.keywords(email["keywords"])
            } catch {
                notCreated.append((cid, error))
                continue
            }
            switch creation.create(email, store: { bytes, id in _ = try Delivery.deliver(bytes, id: id, into: node, keywords: keywords) }) {
            case .success(let entry):
                created.append((cid, entry))
                if let id = entry["id"]?.stringValue { ctx.createdIds.append((cid, id)) }
            case .failure(let e):
                notCreated.append((cid, e))
            }
        }
        func refusal(_ id: String) -> SetError {
            before.snapshot.email(ctx.resolve(id: id)) == nil
                ? SetError(type: "notFound", description: "there is no Email \(id)")
                : SetError(type: "forbidden", description: "messages on disk are named by their bytes and never changed or removed over JMAP")
        }
        var newState = before.emailState
        if !created.isEmpty {
            ctx.invalidate()
            newState = ctx.sync().emailState
        }
        func errors(_ list: [(String, SetError)]) -> JSON { list.isEmpty ? .null : .object(list.map { ($0.0, $0.1.json) }) }
        return .object([
            ("accountId", .string(backend.accountId)),
            ("oldState", .string(before.emailState)),
            ("newState", .string(newState)),
            ("created", created.isEmpty ? .null : .object(created)),
            ("updated", .null),
            ("destroyed", .null),
            ("notCreated", errors(notCreated)),
            ("notUpdated", errors(update.map { ($0, refusal($0)) })),
            ("notDestroyed", errors(destroy.map { ($0, refusal($0)) })),
        ])
    }

    /// RFC 8621 4.8: messages from uploaded blobs (or existing Emails' blobs) filed into a mailbox.
    static func importEmails(_ ctx: RequestContext, _ json: JSON) throws(MethodError) -> JSON {
        let backend = ctx.backend
        let before = ctx.sync()
        if let want = json["ifInState"]?.stringValue, want != before.emailState {
            throw MethodError("stateMismatch", "the Email state is \(before.emailState), not \(want)")
        }
        guard let emails = json["emails"]?.objectValue else { throw .invalidArguments("\"emails\" must be an object of creation id to EmailImport") }
        if emails.count > backend.limits.maxObjectsInSet {
            throw MethodError("requestTooLarge", "\(emails.count) Emails to import; at most \(backend.limits.maxObjectsInSet) at once (maxObjectsInSet)")
        }
        var created: [(String, JSON)] = []
        var notCreated: [(String, SetError)] = []
        for (cid, spec) in emails {
            do throws(SetError) {
                guard let blobId = spec["blobId"]?.stringValue.map(ctx.resolve(id:)) else {
                    throw .invalidProperties(["blobId"], "an EmailImport needs a blobId")
                }
                guard let blob = backend.blob(blobId) else {
                    throw SetError(type: "blobNotFound", description: "there is no blob \(blobId)", notFound: [blobId])
                }
                guard (try? Message(bytes: blob.bytes, limits: backend.configuration.mimeLimits)) != nil else {
                    throw SetError(type: "invalidEmail", description: "the blob \(blobId) is not an RFC 5322 message")
                }
                let node = try Delivery.target(spec["mailboxIds"], in: before.snapshot, ctx: ctx)
                let keywords = try Delivery.keywords(spec["keywords"])
                let (id, entry) = Delivery.created(blob.bytes)
                _ = try Delivery.deliver(blob.bytes, id: id, into: node, keywords: keywords)
                created.append((cid, entry))
                ctx.createdIds.append((cid, id))
            } catch {
                notCreated.append((cid, error))
            }
        }
        var newState = before.emailState
        if !created.isEmpty {
            ctx.invalidate()
            newState = ctx.sync().emailState
        }
        return .object([
            ("accountId", .string(backend.accountId)),
            ("oldState", .string(before.emailState)),
            ("newState", .string(newState)),
            ("created", created.isEmpty ? .null : .object(created)),
            ("notCreated", notCreated.isEmpty ? .null : .object(notCreated.map { ($0.0, $0.1.json) })),
        ])
    }
}

/// RFC 9404 Blob/get: data as text or base64, size and digests, with offset and length.
enum BlobGet {
    static func run(_ ctx: RequestContext, _ json: JSON) throws(MethodError) -> JSON {
        let args = Arguments(json)
        guard let ids = try args.strings("ids")?.map(ctx.resolve(id:)) else { throw .invalidArguments("\"ids\" is required") }
        if ids.count > ctx.backend.limits.maxObjectsInGet {
            throw MethodError("requestTooLarge", "\(ids.count) blobs asked for; at most \(ctx.backend.limits.maxObjectsInGet) at once")
        }
        let props = try args.strings("properties") ?? ["data", "size"]
        for p in props where !["data", "data:asText", "data:asBase64", "size", "digest:sha-256"].contains(p) {
            throw .invalidArguments("Blob has no property \"\(p)\"")
        }
        let offset = try args.unsigned("offset") ?? 0
        let length = try args.unsigned("length")
        var list: [JSON] = [], notFound: [String] = []
        for id in ids {
            guard let blob = ctx.backend.blob(id) else { notFound.append(id); continue }
            let all = blob.bytes
            let start = min(offset, all.count)
            let end = length.map { min(all.count, start + $0) } ?? all.count
            let slice = Array(all[start..<end])
            var pairs: [(String, JSON)] = [("id", .string(id))]
            let text = String(validating: slice, as: UTF8.self)
            for p in props {
                switch p {
                case "data":
                    if let text { pairs.append(("data:asText", .string(text))) } else {
                        pairs.append(("data:asBase64", .string(String(decoding: TransferEncoding.encodeBase64(slice, lineLength: 0), as: UTF8.self))))
                    }
                case "data:asText":
                    pairs.append((p, text.map { .string($0) } ?? .null))
                    if text == nil { pairs.append(("isEncodingProblem", .bool(true))) }
                case "data:asBase64": pairs.append((p, .string(String(decoding: TransferEncoding.encodeBase64(slice, lineLength: 0), as: UTF8.self))))
                case "size": pairs.append((p, .number(Double(all.count))))
                case "digest:sha-256":
                    pairs.append((p, .string(Data(Digest.sha256(slice)).base64EncodedString())))
                default: break
                }
            }
            // RFC 9404: isTruncated when the range asked for runs past the end.
            if let length, start + length > all.count || offset > all.count { pairs.append(("isTruncated", .bool(true))) }
            list.append(.object(pairs))
        }
        return .object([("accountId", .string(ctx.backend.accountId)), ("list", .array(list)), ("notFound", .array(notFound.map { .string($0) }))])
    }
}

