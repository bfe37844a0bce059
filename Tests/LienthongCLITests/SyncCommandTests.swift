import Foundation
import LienThongCore
import LienThongPublisher
import LienThongFeed
import LienThongSigning
import LienThongStore
import LienThongTestSupport
import Logging
import Testing

@Suite("lienthong sync")
struct SyncCommandTests {
    @Test("pulls every feed until caught up, prints a summary, and exits 3 naming the peer that failed")
    func syncReportsFailures() async throws {
        let scratch = try ScratchFolder()
        try scratch.makeKeys(for: ["bo-y-te", "bo-cong-an", "so-tu-phap"])
        // bo-cong-an publishes 2,500 dan-cu records to bo-y-te; so-tu-phap's server is broken.
        let publisher = try InTestAgency(
            try AgencyID("bo-cong-an"), keys: scratch.url.appending(path: "keys"), store: scratch.url.appending(path: "bo-cong-an/store.sqlite"),
            sharing: try DatasetName("dan-cu"), with: try AgencyID("bo-y-te")
        )
        try await publisher.seed(try DatasetName("dan-cu"), count: 2500, prefix: "cd")
        let broken = try LoopbackServer { _ in .response(status: 500, headers: [], body: []) }

        try await publisher.publisher.serving { port in
            let config = scratch.path("lienthong.yaml")
            try Data("""
                agency: bo-y-te
                store: state/store.sqlite
                signing_key: keys/bo-y-te.key.pem
                datasets:
                  dan-cu: { policy: authority, owner: bo-cong-an }
                  ho-tich: { policy: manual }
                peers:
                  bo-cong-an: { url: "http://127.0.0.1:\(port)", keys: [keys/bo-cong-an.pub.pem], pull: [dan-cu] }
                  so-tu-phap: { url: "\(broken.url)", keys: [keys/so-tu-phap.pub.pem], pull: [ho-tich] }

                """.utf8).write(to: URL(fileURLWithPath: config))

            let failing = try await CommandRunner.runAsync(["sync", "--config", config, "--attempts", "1"])
            #expect(failing.status == 3, "\(failing.stderr)")
            #expect(failing.stderr.contains("sync failed for so-tu-phap"), "\(failing.stderr)")
            #expect(failing.stderr.contains("publisher answered 500"), "\(failing.stderr)")
            let table = failing.stdoutText.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            #expect(table.first?.first == "peer")
            #expect(table.contains { $0.first == "bo-cong-an" && $0.contains("2500") && $0.contains("2500/2500") && $0.last == "ok" }, "\(failing.stdoutText)")
            #expect(table.contains { $0.first == "so-tu-phap" && $0.contains("failed:") }, "\(failing.stdoutText)")

            let export = try CommandRunner.run(["export", "--config", config, "--dataset", "dan-cu"])
            #expect(export.stdoutText.split(separator: "\n").count == 2500)

            // Only the healthy peer: everything succeeds. Nothing changed since the first sync, which kept the ETag of
            // the page that reached the head with the cursor: this second sync, another process, gets 304 — no page
            // is signed or served for it.
            let served = try await publisher.store.read { try $0.auditEvents() }.count { $0.event == "page served" }
            let healthy = try await CommandRunner.runAsync(["sync", "--config", config, "--peer", "bo-cong-an"])
            #expect(healthy.status == 0, "\(healthy.stderr)")
            #expect(healthy.stdoutText.contains("unchanged"), "\(healthy.stdoutText)")
            #expect(try await publisher.store.read { try $0.auditEvents() }.count { $0.event == "page served" } == served)

            // The same summary for scripts: one JSON array, one object per feed.
            let json = try await CommandRunner.runAsync(["sync", "--config", config, "--peer", "bo-cong-an", "--json"])
            #expect(json.status == 0, "\(json.stderr)")
            let feeds = try #require(try JSONValue(parsing: json.stdout).arrayValue)
            try #require(feeds.count == 1, "\(json.stdoutText)")
            #expect(feeds[0]["peer"] == .string("bo-cong-an") && feeds[0]["dataset"] == .string("dan-cu"))
            #expect(feeds[0]["cursor"] == .integer(2500) && feeds[0]["head"] == .integer(2500) && feeds[0]["unchanged"] == .bool(true))
            #expect(feeds[0]["error"] == .null && feeds[0]["pages"]?.int64Value != nil && feeds[0]["milliseconds"]?.int64Value != nil)
        }
    }
}
