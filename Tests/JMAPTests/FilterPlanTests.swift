import Foundation
import JMAP
import MIME
import XCTest

final class FilterPlanTests: XCTestCase {
    private struct Subject: FilterSubject {
        var message: Message
        var size: Int { message.bytes.count }
        var receivedAt: Date? { nil }
        var keywords: Set<String>? { nil }
        var structure: SMIMEStatus? = nil
        func smimeStatus() -> SMIMEStatus? { structure }
    }

    private func subject(_ subjectLine: String) throws -> Subject {
        Subject(message: try Message(bytes: Array("From: a@example.org\r\nSubject: \(subjectLine)\r\n\r\nhi\r\n".utf8)))
    }

    private func condition(subject: String? = nil, verified: Bool? = nil, atDelivery: Bool? = nil) -> Filter {
        var c = FilterCondition()
        c.subject = subject
        c.hasVerifiedSmime = verified
        c.hasVerifiedSmimeAtDelivery = atDelivery
        return .condition(c)
    }

    func testAVerifiedConditionDependsOnTheVerification() throws {
        let plan = FilterPlan(condition(subject: "invoice", verified: true))
        XCTAssertTrue(plan.needsVerification)
        XCTAssertFalse(plan.needsDelivery)
        let (answer, memo) = plan.firstPass(try subject("your invoice"))
        XCTAssertNil(answer)
        XCTAssertTrue(plan.secondPass(memo, status: .signedVerified, statusAtDelivery: nil))
        XCTAssertFalse(plan.secondPass(memo, status: .signedFailed, statusAtDelivery: nil))
        XCTAssertFalse(plan.secondPass(memo, status: nil, statusAtDelivery: nil))
    }

    func testACheapFalseNeedsNoVerification() throws {
        let plan = FilterPlan(.and([condition(subject: "invoice"), condition(verified: true)]))
        XCTAssertEqual(plan.firstPass(try subject("holiday")).0, false)
        // OR: one cheap true answers it.
        let or = FilterPlan(.or([condition(subject: "holiday"), condition(verified: true)]))
        XCTAssertEqual(or.firstPass(try subject("holiday")).0, true)
        XCTAssertNil(or.firstPass(try subject("invoice")).0)
    }

    func testNotIsTrueWhenNoneIs() throws {
        let plan = FilterPlan(.not([condition(subject: "invoice"), condition(atDelivery: false)]))
        XCTAssertTrue(plan.needsDelivery)
        XCTAssertEqual(plan.firstPass(try subject("invoice")).0, false)
        let (answer, memo) = plan.firstPass(try subject("holiday"))
        XCTAssertNil(answer)
        XCTAssertTrue(plan.secondPass(memo, status: nil, statusAtDelivery: .signedVerified))
        XCTAssertFalse(plan.secondPass(memo, status: nil, statusAtDelivery: .signedFailed))
    }

    func testHasSmimeIsAnsweredByTheStructureInTheFirstPass() throws {
        var c = FilterCondition()
        c.hasSmime = true
        let plan = FilterPlan(.condition(c))
        XCTAssertFalse(plan.needsVerification)
        var signed = try subject("x")
        signed.structure = .signed
        XCTAssertEqual(plan.firstPass(signed).0, true)
        XCTAssertEqual(plan.firstPass(try subject("x")).0, false)
    }

    func testAPlanOfVerdictsAloneNeedsNoMessage() {
        let plan = FilterPlan(condition(verified: false))
        XCTAssertFalse(plan.readsMessage)
        let (answer, memo) = plan.firstPassWithoutMessage()
        XCTAssertNil(answer)
        XCTAssertTrue(plan.secondPass(memo, status: nil, statusAtDelivery: nil))
        XCTAssertTrue(FilterPlan(condition(subject: "x")).readsMessage)
    }
}
