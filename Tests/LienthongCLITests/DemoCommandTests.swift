import Foundation
import LienThongCore
import Testing

@Suite("lienthong demo")
struct DemoCommandTests {
    @Test("three agencies converge, every policy meets its conflicts, a tampered page is refused; --keep leaves a usable setup")
    func demoConverges() throws {
        let scratch = try ScratchFolder()
        let kept = scratch.path("demo")
        let demo = try CommandRunner.run(["demo", "--records", "40", "--keep", kept])
        #expect(demo.status == 0, "\(demo.stderr)\n\(demo.stdoutText)")
        let output = demo.stdoutText
        // bo-y-te's three live edits are new tiem-chung records.
        for (dataset, count) in [("dan-cu", 40), ("tiem-chung", 43), ("ho-tich", 40)] {
            #expect(output.contains("\(dataset): identical in all three stores (\(count) records)"), "\(output)")
        }
        #expect(output.contains("Live: every agency keeps a long poll open on each feed"), "\(output)")
        let live = output.split(separator: "\n").filter { $0.contains("at bo-cong-an after") && $0.contains("at ubnd-ha-noi after") }
        #expect(live.count == 3, "\(output)")
        #expect(output.contains("bo-cong-an → bo-y-te"), "\(output)")
        #expect(output.contains("dan-cu [authority (owner: bo-cong-an)]"))
        #expect(output.contains("bo-y-te: 3 (shown: 3 by bo-cong-an)"), "the owner's edit wins under authority: \(output)")
        #expect(output.contains("bo-cong-an: 3 (shown: 3 by ubnd-ha-noi)"), "the latest edit wins under lww: \(output)")
        #expect(output.contains("3 awaiting review"), "\(output)")
        #expect(output.contains("refused a page of bo-cong-an's dan-cu with one signature bit flipped (signature)"), "\(output)")

        // What was kept works with the other commands.
        let config = "\(kept)/ubnd-ha-noi/lienthong.yaml"
        let status = try CommandRunner.run(["status", "--config", config, "--json"])
        #expect(status.status == 0, "\(status.stderr)")
        let report = try JSONValue(parsing: Array(status.stdout))
        let feeds = try #require(report["feeds"]?.arrayValue)
        #expect(feeds.count == 6)
        #expect(feeds.allSatisfy { $0["lag"] == .integer(0) && $0["last_success"]?.stringValue != nil }, "\(status.stdoutText)")
        let conflicts = try CommandRunner.run(["conflicts", "list", "--config", config])
        // The header and one row per open conflict.
        #expect(conflicts.stdoutText.split(separator: "\n").count == 10, "\(conflicts.stdoutText)")
        let export = try CommandRunner.run(["export", "--config", config, "--dataset", "tiem-chung"])
        #expect(export.stdoutText.split(separator: "\n").count == 43)
        #expect(feeds.allSatisfy { $0["mode"] == .string("live") }, "\(status.stdoutText)")

        // A folder that is not empty is never overwritten.
        let again = try CommandRunner.run(["demo", "--records", "1", "--keep", kept])
        #expect(again.status == 2)
        #expect(again.stderr.contains("is not empty"))
    }
}
