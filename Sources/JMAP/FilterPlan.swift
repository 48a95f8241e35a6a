// The one evaluation of a JMAP filter: three-valued, in two passes, so that
// verification is paid only for messages whose answer depends on it: the first pass sees everything but the
// verified statuses (three-valued: true, false or "depends"), the second pass
// supplies them. The cheap answers of the first pass are remembered, so text
// conditions are not searched twice.
import Foundation
import MIME

public struct FilterPlan: Sendable {
    private indirect enum Node: Sendable {
        case leaf(Int)
        case and([Node])
        case or([Node])
        case not([Node])
    }

    private struct Leaf: Sendable {
        /// The condition without hasVerifiedSmime / hasVerifiedSmimeAtDelivery.
        var cheap: FilterCondition
        var hasVerifiedSmime: Bool?
        var hasVerifiedSmimeAtDelivery: Bool?
        var isTrivial: Bool
    }

    private let root: Node
    private let leaves: [Leaf]
    /// Some condition asks for a verified status.
    public let needsVerification: Bool
    /// Some condition asks for the status at delivery.
    public let needsDelivery: Bool
    /// Some condition looks into the body (text, body, hasAttachment).
    public let readsBody: Bool

    public init(_ filter: Filter) {
        var leaves: [Leaf] = []
        func build(_ f: Filter) -> Node {
            switch f {
            case .condition(let c):
                var cheap = c
                cheap.hasVerifiedSmime = nil
                cheap.hasVerifiedSmimeAtDelivery = nil
                leaves.append(Leaf(cheap: cheap, hasVerifiedSmime: c.hasVerifiedSmime,
                                   hasVerifiedSmimeAtDelivery: c.hasVerifiedSmimeAtDelivery,
                                   isTrivial: cheap == FilterCondition()))
                return .leaf(leaves.count - 1)
            case .and(let fs): return .and(fs.map(build))
            case .or(let fs): return .or(fs.map(build))
            case .not(let fs): return .not(fs.map(build))
            }
        }
        root = build(filter)
        self.leaves = leaves
        needsVerification = leaves.contains { $0.hasVerifiedSmime != nil || $0.hasVerifiedSmimeAtDelivery != nil }
        needsDelivery = leaves.contains { $0.hasVerifiedSmimeAtDelivery != nil }
        readsBody = leaves.contains { $0.cheap.text != nil || $0.cheap.body != nil || $0.cheap.hasAttachment != nil }
    }

    /// The cheap answers of one message's first pass, by leaf.
    public struct Memo: Sendable {
        fileprivate var cheap: [Bool?]
    }

    /// First pass: nil when the answer depends on a verification.
    public func firstPass(_ subject: some FilterSubject) -> (Bool?, Memo) {
        var memo = Memo(cheap: Array(repeating: nil, count: leaves.count))
        let answer = evaluate(root, cheap: { i in
            if let known = memo.cheap[i] { return known }
            let value = leaves[i].isTrivial || leaves[i].cheap.matchesWithoutVerification(subject)
            memo.cheap[i] = value
            return value
        }, verified: { _ in nil })
        return (answer, memo)
    }

    /// Some condition looks at the message itself, not only at its S/MIME verdicts.
    public var readsMessage: Bool { leaves.contains { !$0.isTrivial } }

    /// The first pass of a plan that does not read the message (`readsMessage` false).
    public func firstPassWithoutMessage() -> (Bool?, Memo) {
        precondition(!readsMessage, "the plan has conditions on the message itself")
        let memo = Memo(cheap: Array(repeating: true, count: leaves.count))
        return (evaluate(root, cheap: { _ in true }, verified: { _ in nil }), memo)
    }

    /// Second pass with the statuses known. Three-valued evaluation only ever
    /// narrows when unknowns become known, so it visits no leaf the first pass
    /// skipped, and the memo has every cheap answer it needs.
    public func secondPass(_ memo: Memo, status: SMIMEStatus?, statusAtDelivery: SMIMEStatus?) -> Bool {
        evaluate(root, cheap: { memo.cheap[$0] ?? false }, verified: { i in
            var ok = true
            if let want = leaves[i].hasVerifiedSmime { ok = ok && Self.isVerified(status) == want }
            if let want = leaves[i].hasVerifiedSmimeAtDelivery { ok = ok && Self.isVerified(statusAtDelivery) == want }
            return ok
        }) ?? false
    }

    private func evaluate(_ node: Node, cheap: (Int) -> Bool, verified: (Int) -> Bool?) -> Bool? {
        switch node {
        case .leaf(let i):
            guard cheap(i) else { return false }
            if leaves[i].hasVerifiedSmime == nil && leaves[i].hasVerifiedSmimeAtDelivery == nil { return true }
            return verified(i)
        case .and(let children):
            return combine(children, decisive: false, cheap: cheap, verified: verified)
        case .or(let children):
            return combine(children, decisive: true, cheap: cheap, verified: verified)
        case .not(let children):
            // RFC 8620: NOT is true when none of the conditions is.
            return evaluate(.or(children), cheap: cheap, verified: verified).map { !$0 }
        }
    }

    /// AND (a false child decides) and OR (a true one does): otherwise unknown if
    /// some child is, else the other value.
    private func combine(_ children: [Node], decisive: Bool, cheap: (Int) -> Bool, verified: (Int) -> Bool?) -> Bool? {
        var answer: Bool? = !decisive
        for child in children {
            switch evaluate(child, cheap: cheap, verified: verified) {
            case decisive?: return decisive
            case nil: answer = nil
            default: break
            }
        }
        return answer
    }

    public static func isVerified(_ status: SMIMEStatus?) -> Bool {
        status?.isVerified ?? false
    }
}
