import Foundation
import XCTest
@testable import ResultStore

final class DeliveryVerdictTests: XCTestCase {
    let anchorA = String(repeating: "a1", count: 32)
    let anchorB = String(repeating: "b2", count: 32)
    let anchorC = String(repeating: "c3", count: 32)

    func testKeptWhenAnchorsAreRemoved() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("results.sqlite")
        let stored = DeliveryVerdict(status: "signed/verified", receivedAt: t0, anchorSet: [anchorA, anchorB].sorted())
        try ResultStore(url: url).recordDelivery(stored, for: key(1))

        let store = try ResultStore(url: url)
        XCTAssertEqual(try store.deliveryVerdict(for: key(1), currentAnchors: [anchorA, anchorB]), stored)
        XCTAssertEqual(try store.deliveryVerdict(for: key(1), currentAnchors: [anchorA]), stored, "removing an anchor changes nothing")
        XCTAssertEqual(try store.deliveryVerdict(for: key(1), currentAnchors: []), stored)
        XCTAssertNil(try store.deliveryVerdict(for: key(2), currentAnchors: [anchorA]))
    }

    func testRecomputedWhenAnAnchorIsAdded() throws {
        let store = try ResultStore.inMemory()
        let first = DeliveryVerdict(status: "signed/failed", receivedAt: t0, anchorSet: [anchorA])
        try store.recordDelivery(first, for: key(1))
        XCTAssertNil(try store.deliveryVerdict(for: key(1), currentAnchors: [anchorA, anchorC]), "an anchor was gained")
        XCTAssertNil(try store.deliveryVerdict(for: key(1), currentAnchors: [anchorC]), "gained one, lost one")

        let second = DeliveryVerdict(status: "signed/verified", receivedAt: t0, anchorSet: [anchorA, anchorC])
        try store.recordDelivery(second, for: key(1))
        XCTAssertEqual(try store.deliveryVerdict(for: key(1), currentAnchors: [anchorA, anchorC])?.status, "signed/verified")
        XCTAssertEqual(try store.deliveryVerdict(for: key(1), currentAnchors: [anchorC])?.status, "signed/verified")
    }

    func testFingerprintsCompareWithoutCaseOrColons() throws {
        let store = try ResultStore.inMemory()
        try store.recordDelivery(DeliveryVerdict(status: nil, receivedAt: t0, anchorSet: ["AB:CD:EF"]), for: key(1))
        let got = try store.deliveryVerdict(for: key(1), currentAnchors: ["abcdef"])
        XCTAssertNotNil(got)
        XCTAssertNil(got?.status)
        XCTAssertEqual(got?.anchorSet, ["abcdef"])
    }

    func testDifferentReceivedAtIsRecomputed() throws {
        let store = try ResultStore.inMemory()
        try store.recordDelivery(DeliveryVerdict(status: "signed/verified", receivedAt: t0.addingTimeInterval(0.5), anchorSet: [anchorA]),
                                 for: key(1))
        XCTAssertEqual(try store.deliveryVerdict(for: key(1), currentAnchors: [anchorA], receivedAt: t0)?.receivedAt, t0)
        XCTAssertNil(try store.deliveryVerdict(for: key(1), currentAnchors: [anchorA], receivedAt: t0.addingTimeInterval(86_400)))
    }

    func testBatchLookups() throws {
        let store = try ResultStore.inMemory()
        try store.recordDelivery(batch: (0..<100).map { n in
            (key(n), DeliveryVerdict(status: "signed/verified", receivedAt: t0, anchorSet: n.isMultiple(of: 2) ? [anchorA] : [anchorA, anchorB]))
        })
        let found = try store.deliveryVerdicts(for: (0..<101).map { key($0) }, currentAnchors: [anchorA, anchorB])
        XCTAssertEqual(found.count, 101)
        XCTAssertEqual(found.compactMap { $0 }.count, 50, "only the ones computed with both anchors")
        XCTAssertThrowsError(try store.deliveryVerdicts(for: [key(1)], currentAnchors: [], receivedAt: []))
    }
}
