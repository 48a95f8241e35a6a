// What a person debugging a signature needs, beyond the four RFC 9219 values: the
// layers, the signers and their paths, every problem and note. The command line's
// --details shows it; its JSON form is the same for any front end.
import Foundation
import JMAP
import SMIME

public struct VerificationDetails: Sendable {
    public let id: String
    public let result: VerificationResult
    /// The verification at delivery time, when it was asked for.
    public let delivery: VerificationResult?
    public let verifiedAt: Date
    public let receivedAt: Date?
    public var receivedAtSource: ReceivedTime.Source?

    public init(id: String, result: VerificationResult, delivery: VerificationResult?, verifiedAt: Date,
                receivedAt: Date?, receivedAtSource: ReceivedTime.Source? = nil) {
        self.id = id
        self.result = result
        self.delivery = delivery
        self.verifiedAt = verifiedAt
        self.receivedAt = receivedAt
        self.receivedAtSource = receivedAtSource
    }

    /// The details of a verdict computed in this run; nil for one served from the result store, which keeps none.
    public init?(id: String, verdict: Verdict) {
        guard let fresh = verdict.fresh else { return nil }
        self.init(id: id, result: fresh, delivery: verdict.freshDelivery, verifiedAt: verdict.verifiedAt ?? Date(),
                  receivedAt: verdict.receivedAt, receivedAtSource: verdict.receivedAtSource)
    }

    /// The details as one JSON object (verify --details puts it under "details").
    public var json: JSON {
        func problems(_ ps: [Problem]) -> JSON {
            .array(ps.map { .object([("code", .string($0.code.rawValue)), ("message", .string($0.message)), ("layer", .number(Double($0.layer)))]) })
        }
        let signers: [JSON] = result.signers.map { s in
            .object([
                ("layer", .number(Double(s.layer))),
                ("subject", .string(s.subject)),
                ("issuer", .string(s.issuer)),
                ("serial", .string(s.serial)),
                ("emails", .array(s.emails.map { .string($0) })),
                ("notBefore", .optional(s.notBefore.map(JMAPDate.format))),
                ("notAfter", .optional(s.notAfter.map(JMAPDate.format))),
                ("digestAlgorithm", .string(s.digestAlgorithm)),
                ("signatureAlgorithm", .string(s.signatureAlgorithm)),
                ("signingTime", .optional(s.signingTime.map(JMAPDate.format))),
                ("chain", .array(s.chain.map { .string($0) })),
                ("chainSha256", .array((s.chainFingerprints ?? []).map { .string($0) })),
                ("revocation", .array(s.revocation.map { r in
                    .object([
                        ("subject", .string(r.subject)),
                        ("state", .string(r.state.rawValue)),
                        ("method", .optional(r.method)),
                        ("url", .optional(r.url)),
                        ("produced", .optional(r.produced.map(JMAPDate.format))),
                        ("reason", .optional(r.reason)),
                        ("cached", .bool(r.cached)),
                        ("text", .string(r.text)),
                    ])
                })),
                ("verified", .bool(s.verified)),
            ])
        }
        var protection: JSON = .null
        if let hp = result.headerProtection {
            func fields(_ fs: [HeaderProtection.Field]) -> JSON {
                .array(fs.map { .object([("name", .string($0.name)), ("value", .string($0.value))]) })
            }
            protection = .object([
                ("mode", .string(hp.mode)),
                ("layer", .number(Double(hp.layer))),
                ("fields", fields(hp.fields)),
                ("outerAsSent", fields(hp.outerAsSent)),
                ("legacyDisplayElement", .bool(hp.legacyDisplayElement)),
            ])
        }
        return .object([
            ("layers", .array(result.layers.map { .string($0) })),
            ("headerProtection", protection),
            ("signers", .array(signers)),
            ("problems", problems(result.problems)),
            ("notes", problems(result.notes)),
            ("receivedAt", .optional(receivedAt.map(JMAPDate.format))),
            ("receivedAtSource", .optional(receivedAtSource?.rawValue)),
            ("deliveryProblems", problems(delivery?.problems ?? [])),
        ])
    }
}
