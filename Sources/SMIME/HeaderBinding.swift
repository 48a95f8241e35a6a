// Which From a signature is bound to (semantics.md item 7). The header blocks
// met while walking the layers are collected first, and the binding is made
// once the walk knows whether the message carries protected headers: a
// message/rfc822 wrapped inside a signature (RFC 8551 3.1) or a Cryptographic
// Payload marked as header-protected (RFC 9788). Without protection the outer
// From binds, and a From inside the content never replaces it.
import MIME

/// A header block inside the layers: the content of a signed or decrypted layer, or a wrapped message.
struct HeaderSet {
    enum Kind {
        /// The content of a signed layer or decrypted data: its From is not a protected header.
        case content(what: String)
        /// The message inside a message/rfc822 that is the whole content of a cryptographic layer.
        case wrapped
    }
    let kind: Kind
    let message: Message
    let part: MIMEPart
    let layer: Int

    var hasFrom: Bool { !part.fields(named: "From").isEmpty }

    /// Every mailbox in every From field (group members included).
    var fromMailboxes: [Mailbox] { HeaderSet.mailboxes(named: "From", in: message, part) }

    static func mailboxes(named name: String, in message: Message, _ part: MIMEPart) -> [Mailbox] {
        var out: [Mailbox] = []
        for field in part.fields(named: name) {
            for entry in message.addresses(field) {
                switch entry {
                case .mailbox(let m): out.append(m)
                case .group(_, let members): out += members
                }
            }
        }
        return out
    }
}

/// A signature whose binding to a From waits for the end of the walk.
struct PendingBinding {
    let layer: Int
    /// Where in the problems the binding's problems go: right after the layer's own.
    let insertAt: Int
    let signers: [SignerDetails]
    let signerAddresses: [SignerAddresses]
}

extension LayerWalk {
    /// A message/rfc822 (or message/global) part: the wrapping of RFC 8551 3.1 when it is the whole content of a layer.
    static func isWrappedMessage(_ part: MIMEPart) -> Bool {
        let t = part.contentType.mimeType
        return t == "message/rfc822" || t == "message/global"
    }

    /// The header block whose From binds: the innermost protected one that has a From.
    var protectedHeaders: HeaderSet? {
        headerSets.indices.last { isProtected($0) && headerSets[$0].hasFrom }.map { headerSets[$0] }
    }

    func isProtected(_ index: Int) -> Bool {
        let set = headerSets[index]
        switch set.kind {
        case .wrapped: return true
        case .content: return index == payloadIndex && HeaderProtectionMarker(set.part) != nil
        }
    }

    /// Binds every pending signature to the binding From, then checks that every From
    /// met on the way names the same mailbox.
    mutating func bindSenders() {
        let protected = protectedHeaders
        let (bindMessage, bindPart) = protected.map { ($0.message, $0.part) } ?? (outer, outer.root)
        if verifier.options.senderCheck {
            var inserts: [(Int, [Problem])] = []
            for (i, b) in bindings.enumerated() {
                let (from, fromProblems) = SenderCheck.fromMailbox(of: bindMessage, header: bindPart, layer: b.layer)
                // One From, so its own problems are said once.
                var problems = i == 0 ? fromProblems : []
                if let from {
                    for (j, addresses) in b.signerAddresses.enumerated() where j < b.signers.count {
                        let s = b.signers[j]
                        if s.subject.isEmpty { continue } // certificate missing: already reported
                        problems += SenderCheck.check(from: from, certificateAddresses: addresses,
                                                      signerName: Self.cn(s.subject), layer: b.layer)
                    }
                }
                inserts.append((b.insertAt, problems))
            }
            for (at, problems) in inserts.reversed() {
                result.problems.insert(contentsOf: problems, at: min(at, result.problems.count))
            }
        }
        result.problems += fromAgreement(protected)
    }

    /// Every From inside the layers must name the mailbox that binds, and the outer From
    /// must name the protected one. This holds with or without the sender check: it is
    /// about the headers, not about certificates.
    func fromAgreement(_ protected: HeaderSet?) -> [Problem] {
        let outerBoxes = HeaderSet.mailboxes(named: "From", in: outer, outer.root)
        let binding = protected?.fromMailboxes ?? outerBoxes
        var out: [Problem] = []
        if let protected, !outerBoxes.isEmpty, !Self.same(outerBoxes, binding) {
            out.append(Problem(.protectedFromMismatch, "The From outside the protected part (\(Self.list(outerBoxes))) differs from the protected From inside it (\(Self.list(binding))): the unprotected header was changed or forged after signing, so do not trust the outer sender", layer: protected.layer))
        }
        for (i, set) in headerSets.enumerated() where set.hasFrom {
            if let protected, set.part === protected.part { continue }
            let boxes = set.fromMailboxes
            let fields = set.part.fields(named: "From").count
            if fields == 1 && Self.same(boxes, binding) { continue }
            let shown = boxes.isEmpty ? "an unreadable address" : Self.list(boxes)
            let bound = binding.isEmpty ? "none" : Self.list(binding)
            switch set.kind {
            case .wrapped:
                out.append(Problem(.protectedFromMismatch, "The wrapped message at layer \(set.layer) is from \(shown), but the protected From is \(bound); the From fields of one message must agree", layer: set.layer))
            case .content(let what):
                let protectedText = isProtected(i) ? "" : "; a From inside the content never replaces the message's own, so the message may be forged"
                out.append(Problem(.innerFromMismatch, "The \(what) carries \(fields > 1 ? "\(fields) From fields" : "its own From") (\(shown)), which differs from the message's From (\(bound))\(protectedText)", layer: set.layer))
            }
        }
        return out
    }

    /// Both lists name exactly one and the same mailbox (local part exact, domain without case).
    static func same(_ a: [Mailbox], _ b: [Mailbox]) -> Bool {
        guard a.count == 1, b.count == 1, let x = EmailAddress(a[0].email), let y = EmailAddress(b[0].email) else { return false }
        return x == y
    }

    static func list(_ boxes: [Mailbox]) -> String {
        boxes.isEmpty ? "none" : boxes.map { $0.email.isEmpty ? "(no address)" : $0.email }.joined(separator: ", ")
    }
}

/// The RFC 9788 mark on a Cryptographic Payload, or the draft's protected-headers="v1".
struct HeaderProtectionMarker: Equatable {
    /// "clear", "cipher", or "v1" for the legacy parameter.
    let mode: String

    init?(_ part: MIMEPart) {
        let params = part.contentType.parameters
        if let hp = params["hp"].map({ SMIMEShape.trimmed($0.lowercased()) }), hp == "clear" || hp == "cipher" {
            mode = hp
        } else if params["protected-headers"].map({ SMIMEShape.trimmed($0.lowercased()) }) == "v1" {
            mode = "v1"
        } else {
            return nil
        }
    }
}
