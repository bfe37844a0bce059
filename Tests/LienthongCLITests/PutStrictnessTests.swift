import Foundation
import LienThongCore
import LienThongFeed
import LienThongMerge
import LienThongSigning
import Testing

@Suite("lienthong put refuses what a peer would refuse")
struct PutStrictnessTests {
    /// `{"a":{"a":…{}}}` with `depth` objects.
    static func nested(_ depth: Int) -> String {
        String(repeating: #"{"a":"#, count: depth - 1) + "{}" + String(repeating: "}", count: depth - 1)
    }

    @Test("data nested to the limit is accepted and a page carrying it verifies; one level more is refused with the line and the rule")
    func dataDepth() throws {
        let agency = try AgencyFolder()
        let limit = RecordVersion.maximumDataDepth
        #expect(limit == 61)
        let refused = try agency.run(["put", "--dataset", "tiem-chung"], stdin: """
            {"id":"ok","data":\(Self.nested(limit))}
            {"id":"deep","data":\(Self.nested(limit + 1))}
            """)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("line 2"), "\(refused.stderr)")
        #expect(refused.stderr.contains("data too deep"), "\(refused.stderr)")
        let accepted = try agency.run(["put", "--dataset", "tiem-chung"], stdin: "{\"id\":\"ok\",\"data\":\(Self.nested(limit))}\n")
        #expect(accepted.status == 0, "\(accepted.stderr)")

        // The page nesting: data at the limit fits a signed page that a peer reads; one level more does not.
        let key = try PrivateKey.generate(.ed25519)
        let publisher = try AgencyID("bo-y-te")
        for (depth, readable) in [(limit, true), (limit + 1, false)] {
            let data = try JSONValue(parsing: Self.nested(depth))
            let version = RecordVersion(
                dataset: try DatasetName("tiem-chung"), id: "ok", origin: publisher, hlc: HybridTimestamp(milliseconds: 1_000, counter: 0),
                vv: VersionVector([publisher: 1]), deleted: false, data: data
            )
            let now = Int64(Date().timeIntervalSince1970)
            let payload = FeedPage.payload(
                publisher: publisher, audience: try AgencyID("bo-cong-an"), dataset: try DatasetName("tiem-chung"), after: 0, head: 1,
                issuedAt: now, expiresAt: now + 60, records: [(seq: 1, version: version.json)]
            )
            let expectation = PageExpectation(
                publisher: publisher, audience: try AgencyID("bo-cong-an"), pulledDatasets: [try DatasetName("tiem-chung")], now: UnixTime(seconds: now),
                clockSkewSeconds: 300
            )
            // One level more cannot even be signed: the signer reads the payload as a peer would.
            let page = Result {
                let compact = try JWSSigner(key: key).sign(payload: payload.serialized(), type: FeedPage.type)
                return try FeedPage(compact: Array(compact.utf8), verifier: JWSVerifier(keys: [key.publicKey], requiredType: FeedPage.type), expected: expectation)
            }
            #expect(((try? page.get()) != nil) == readable, "depth \(depth)")
        }
    }

    @Test("ids outside 1 to 256 characters are refused with the line and the rule", arguments: ["", String(repeating: "x", count: 257)])
    func idLength(id: String) throws {
        let agency = try AgencyFolder()
        let outcome = try agency.run(["put", "--dataset", "tiem-chung"], stdin: "{\"id\":\"\(id)\",\"data\":{}}\n")
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("line 1"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("id length"), "\(outcome.stderr)")
    }

    @Test("conflicts resolve --data refuses data one level deeper than a page can carry, before it touches the store")
    func resolveDataDepth() throws {
        let agency = try AgencyFolder()
        let file = agency.scratch.path("deep.json")
        try Self.nested(RecordVersion.maximumDataDepth + 1).write(toFile: file, atomically: true, encoding: .utf8)
        let outcome = try agency.run(["conflicts", "--dataset", "ho-tich", "--data", file, "ks-1"], subcommand: "resolve")
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("deep.json") && outcome.stderr.contains("nested 62 deep"), "\(outcome.stderr)")
    }
}

@Suite("lienthong put streams its input and applies it in bounded transactions")
struct PutStreamingTests {
    static func lines(_ count: Int, badAt bad: Int? = nil) -> String {
        (1...count).map { line in
            line == bad ? #"{"id":"x","data":[]}"# : #"{"id":"r-\#(line)","data":{"n":\#(line)}}"#
        }.joined(separator: "\n") + "\n"
    }

    @Test("25,000 lines from a file and from standard input: every edit applied, in several transactions", arguments: [true, false])
    func manyLines(fromFile: Bool) throws {
        let agency = try AgencyFolder()
        let text = Self.lines(25_000)
        let outcome: CommandRunner.Outcome
        if fromFile {
            let file = agency.scratch.path("edits.jsonl")
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            outcome = try agency.run(["put", "--dataset", "tiem-chung", file])
        } else {
            outcome = try agency.run(["put", "--dataset", "tiem-chung"], stdin: text)
        }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("25000 edits applied"), "\(outcome.stderr)")
        let export = try agency.run(["export", "--dataset", "tiem-chung"])
        #expect(export.stdoutText.split(separator: "\n").count == 25_000)
        // Standard input was copied beside the store and removed again.
        let left = try FileManager.default.contentsOfDirectory(atPath: agency.scratch.path("state")).filter { $0.hasPrefix(".put-") }
        #expect(left.isEmpty, "\(left)")
    }

    @Test("a bad line after the first transaction's worth still leaves nothing applied, and is named")
    func badLineLate() throws {
        let agency = try AgencyFolder()
        let outcome = try agency.run(["put", "--dataset", "tiem-chung"], stdin: Self.lines(24_000, badAt: 23_999))
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("line 23999"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("nothing was applied"), "\(outcome.stderr)")
        #expect(try agency.run(["export", "--dataset", "tiem-chung"]).stdoutText.isEmpty)
    }
}
