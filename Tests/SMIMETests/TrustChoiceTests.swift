import Foundation
import SMIME
import XCTest

/// --trust, --no-system-trust and --trust-source as one configuration.
final class TrustChoiceTests: XCTestCase {
    func testDefaultSourceIsNSSEmail() {
        let c = TrustConfiguration.choosing(anchors: ["/a.pem"], noSystemTrust: false, source: nil)
        XCTAssertEqual(c.source, .nssEmail)
        XCTAssertTrue(c.useSystemTrust)
        XCTAssertEqual(c.anchors, [URL(fileURLWithPath: "/a.pem")])
    }

    func testNoSystemTrustLeavesDefaultsOut() {
        let c = TrustConfiguration.choosing(anchors: [], noSystemTrust: true, source: nil)
        XCTAssertEqual(c.source, TrustSource.none)
        XCTAssertFalse(c.useSystemTrust)
        XCTAssertFalse(TrustConfiguration.choosing(anchors: [], noSystemTrust: false, source: TrustSource.none).useSystemTrust)
        XCTAssertEqual(TrustConfiguration.choosing(anchors: [], noSystemTrust: false, source: .bundle).source, .bundle)
    }

    func testContradiction() {
        XCTAssertNil(TrustConfiguration.contradiction(noSystemTrust: true, source: TrustSource.none))
        XCTAssertNil(TrustConfiguration.contradiction(noSystemTrust: false, source: .bundle))
        XCTAssertEqual(TrustConfiguration.contradiction(noSystemTrust: true, source: .bundle),
                       "--no-system-trust and --trust-source bundle contradict each other; give one of them")
    }
}
