import Foundation
import LienThongCore
import LienThongTestSupport
import Testing

@Suite("lienthong erase")
struct EraseCommandTests {
    /// Every body of the erased record holds this, and nothing else does.
    static let erased = "ERASED-cli-5d02"

    @Test("erase publishes the erasure, purges every body of the record from the store file, audits it and says so in one line")
    func erases() throws {
        let agency = try AgencyFolder()
        let put = try agency.run(["put", "--dataset", "tiem-chung"], stdin: """
            {"id":"cd-1","data":{"ho_ten":"\(Self.erased) first"}}
            {"id":"cd-1","data":{"ho_ten":"\(Self.erased) second"}}
            {"id":"cd-2","data":{"ho_ten":"KEPT-cd-2"}}
            """)
        #expect(put.status == 0, "\(put.stderr)")

        let erase = try agency.run(["erase", "--dataset", "tiem-chung", "--id", "cd-1", "--reason", "yêu cầu của chủ thể dữ liệu"])
        #expect(erase.status == 0, "\(erase.stderr)")
        #expect(erase.stdoutText == """
            tiem-chung cd-1: erased as {"bo-y-te":3}; purged 2 versions, 0 held, 0 quarantined, 0 blanked, 2 own-feed

            """)
        let record = try JSONValue(parsing: try agency.run(["get", "--dataset", "tiem-chung", "cd-1"]).stdoutText.trimmingCharacters(in: .newlines))
        #expect(record["deleted"] == .bool(true))

        let location = StoreLocation.file(agency.scratch.url.appending(path: "state/lienthong.sqlite"))
        #expect(try StoredText.places(of: Self.erased, in: location) == [])
        #expect(try StoredText.places(of: "KEPT-cd-2", in: location) == ["file"])
        #expect(try StoredText.places(of: "yêu cầu của chủ thể dữ liệu", in: location) == ["file"])
    }

    @Test("a reason that is missing, empty or longer than 500 characters, or a bad id, is a usage error and changes nothing", arguments: [
        ["--id", "cd-1"], ["--id", "cd-1", "--reason", ""], ["--id", "cd-1", "--reason", String(repeating: "ơ", count: 501)],
        ["--id", "", "--reason", "r"],
    ])
    func refused(arguments: [String]) throws {
        let agency = try AgencyFolder()
        #expect(try agency.run(["put", "--dataset", "tiem-chung"], stdin: #"{"id":"cd-1","data":{"a":1}}"#).status == 0)
        let erase = try agency.run(["erase", "--dataset", "tiem-chung"] + arguments)
        // Refused by the argument checks, as ArgumentParser refuses them: EX_USAGE.
        #expect(erase.status == 64, "\(erase.stderr)")
        let record = try JSONValue(parsing: try agency.run(["get", "--dataset", "tiem-chung", "cd-1"]).stdoutText.trimmingCharacters(in: .newlines))
        #expect(record["deleted"] == .bool(false))
    }

    @Test("a reason of exactly 500 characters is taken")
    func longestReason() throws {
        let agency = try AgencyFolder()
        let erase = try agency.run(["erase", "--dataset", "tiem-chung", "--id", "cd-9", "--reason", String(repeating: "ơ", count: 500)])
        #expect(erase.status == 0, "\(erase.stderr)")
    }
}
