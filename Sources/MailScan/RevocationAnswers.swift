// The result store as the answer cache of online revocation checks.
import Foundation
import ResultStore
import SMIME

/// The result store as --online's answer cache. A store that fails is no reason
/// to stop: the answer is fetched again.
public struct StoredRevocationAnswers: RevocationAnswerCache {
    public let store: ResultStore

    public init(store: ResultStore) { self.store = store }

    public func answer(for key: String, now: Date) -> [UInt8]? {
        try? store.revocationAnswer(for: key, now: now)
    }

    public func store(_ der: [UInt8], for key: String, url: String, until: Date) {
        try? store.recordRevocationAnswer(der, for: key, url: url, until: until)
    }
}
