import Foundation
import LienThongCore
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
        for agency in ["bo-y-te", "bo-cong-an", "so-tu-phap"] {
            #expect(try CommandRunner.run(["keygen", "--agency", agency, "--out", scratch.path("keys")]).status == 0)
        }
        let boCongAn = try AgencyID("bo-cong-an")
        let boYTe = try AgencyID("bo-y-te")
        let danCu = try DatasetName("dan-cu")

        // bo-cong-an publishes 2,500 dan-cu records to bo-y-te; so-tu-phap's server is broken.
        let publisherStore = try Store(openingAt: scratch.url.appending(path: "bo-cong-an/store.sqlite"))
        try await publisherStore.write { tx in
            for index in 0..<2500 {
                try tx.edit(dataset: danCu, id: String(format: "cd-%05d", index), agency: boCongAn, deleted: false,
                            data: .object(["ho_ten": .string("Vũ Thị \(index)")]), policy: .lww)
            }
        }
        let publisher = Publisher(
            settings: PublisherSettings(
                agency: boCongAn, signingKey: try PrivateKey(contentsOf: scratch.url.appending(path: "keys/bo-cong-an.key.pem")),
                peers: [boYTe: PublisherPeer(keys: [try PublicKey(contentsOf: scratch.url.appending(path: "keys/bo-y-te.pub.pem"))],
                                             grants: [danCu: DatasetGrant(fields: nil)])],
                datasets: [danCu]
            ),
            store: publisherStore, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        )
        let broken = try LoopbackServer { _ in .response(status: 500, headers: [], body: []) }

        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = publisher.application(host: "127.0.0.1", port: 0) { continuation.yield($0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { continuation.finish() }
                try await application.run()
            }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
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

            // Only the healthy peer: everything succeeds.
            let healthy = try await CommandRunner.runAsync(["sync", "--config", config, "--peer", "bo-cong-an"])
            #expect(healthy.status == 0, "\(healthy.stderr)")
            group.cancelAll()
        }
    }
}
