// Answers fetched by --online (OCSP responses, CRLs, issuer certificates),
// remembered across runs until they expire.
import Foundation

extension ResultStore {
    /// The DER stored under `key`, when it is still valid at `now`.
    public func revocationAnswer(for key: String, now: Date) throws -> [UInt8]? {
        let nowSeconds = try Self.seconds(now)
        return try locked { connection in
            let select = try connection.statement("SELECT der_base64 FROM revocation_answers WHERE key = ?1 AND valid_until > ?2")
            try select.bind(1, key)
            try select.bind(2, nowSeconds)
            guard try select.step(), let text = select.string(0), let data = Data(base64Encoded: text) else { return nil }
            return [UInt8](data)
        }
    }

    /// Keeps `der` under `key` until `until`; an answer already past it is not kept.
    public func recordRevocationAnswer(_ der: [UInt8], for key: String, url: String, until: Date, now: Date = Date()) throws {
        let nowSeconds = try Self.seconds(now), untilSeconds = try Self.seconds(until)
        guard untilSeconds > nowSeconds else { return }
        try locked { connection in
            try connection.transaction(write: true) {
                let upsert = try connection.statement("""
                    INSERT INTO revocation_answers(key, url, der_base64, fetched_at, valid_until) VALUES (?1, ?2, ?3, ?4, ?5)
                    ON CONFLICT(key) DO UPDATE SET url = excluded.url, der_base64 = excluded.der_base64,
                        fetched_at = excluded.fetched_at, valid_until = excluded.valid_until
                    """)
                try upsert.bind(1, key)
                try upsert.bind(2, url)
                try upsert.bind(3, Data(der).base64EncodedString())
                try upsert.bind(4, nowSeconds)
                try upsert.bind(5, untilSeconds)
                try upsert.run()
            }
        }
    }
}
