import Foundation
import JMAP
import XCTest

/// The RFC 9219 verdict as JMAP data: statuses, properties, responses.
final class VerdictTypeTests: XCTestCase {
    func testStatusesAreRFC9219Values() {
        XCTAssertEqual(SMIMEStatus.allCases.map(\.rawValue),
                       ["unknown", "signed", "signed/verified", "signed/failed", "encrypted+signed/verified", "encrypted+signed/failed"])
        XCTAssertEqual(SMIMEStatus.allCases.filter(\.isVerified), [.signedVerified, .encryptedSignedVerified])
        XCTAssertEqual(SMIMEStatus.allCases.filter(\.isFailed), [.signedFailed, .encryptedSignedFailed])
        XCTAssertNil(SMIMEStatus(rawValue: "verified"))
    }

    func testPropertiesAreWrittenAsJMAPValues() {
        let p = SMIMEProperties(status: .signedFailed, statusAtDelivery: .signedVerified, errors: ["bad"],
                                verifiedAt: Date(timeIntervalSince1970: 1_800_000_000))
        XCTAssertEqual(p.value(.smimeStatus).serialized(), "\"signed/failed\"")
        XCTAssertEqual(p.value(.smimeStatusAtDelivery).serialized(), "\"signed/verified\"")
        XCTAssertEqual(p.value(.smimeErrors).serialized(), "[\"bad\"]")
        XCTAssertEqual(p.value(.smimeVerifiedAt).serialized(), "\"2027-01-15T08:00:00Z\"")
        let none = SMIMEProperties(status: nil)
        XCTAssertEqual(none.value(.smimeStatus).serialized(), "null")
        XCTAssertEqual(none.value(.smimeErrors).serialized(), "null")
    }

    func testEmailChangesResponse() throws {
        let r = JMAPResponse.emailChanges(oldState: "1", newState: "2", hasMoreChanges: false,
                                          created: ["Ma"], updated: [], destroyed: ["Mb", "Mc"])
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.serialized().utf8)) as? [String: Any])
        let call = try XCTUnwrap((object["methodResponses"] as? [[Any]])?.first)
        XCTAssertEqual(call[0] as? String, "Email/changes")
        let args = try XCTUnwrap(call[1] as? [String: Any])
        XCTAssertEqual(args["oldState"] as? String, "1")
        XCTAssertEqual(args["newState"] as? String, "2")
        XCTAssertEqual(args["hasMoreChanges"] as? Bool, false)
        XCTAssertEqual(args["created"] as? [String], ["Ma"])
        XCTAssertEqual(args["updated"] as? [String], [])
        XCTAssertEqual(args["destroyed"] as? [String], ["Mb", "Mc"])
        XCTAssertEqual(call[2] as? String, "0")
    }

    func testFilterParsingRefusesWhatItCannotAnswer() {
        XCTAssertThrowsError(try Filter.parse(try JSON.parse(Array(#"{"inMailbox":"x"}"#.utf8)))) { error in
            XCTAssertEqual((error as? FilterError)?.type, "unsupportedFilter")
        }
        XCTAssertThrowsError(try Filter.parse(try JSON.parse(Array(#"{"operator":"XOR","conditions":[]}"#.utf8)))) { error in
            XCTAssertEqual((error as? FilterError)?.type, "invalidArguments")
        }
        XCTAssertEqual(try Filter.parse(try JSON.parse(Array(#"{"operator":"NOT","conditions":[{"hasSmime":true}]}"#.utf8))),
                       .not([.condition({ var c = FilterCondition(); c.hasSmime = true; return c }())]))
    }
}
