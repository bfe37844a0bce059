import Foundation
import LienThongAgency
import LienThongCore
import LienThongSigning
import Testing

/// An agency folder: bo-y-te's key pair, the public keys of its two peers, and a configuration.
private final class AgencyFolder {
    let url = FileManager.default.temporaryDirectory.appending(path: "lienthong-agency-\(UUID().uuidString)")
    var configURL: URL { url.appending(path: "lienthong.yaml") }

    init(soTuPhapKey: String = "keys/so-tu-phap.pub.pem") throws {
        let keys = url.appending(path: "keys")
        for agency in ["bo-y-te", "bo-cong-an", "so-tu-phap"] {
            try AgencyKeyFiles(agency: try AgencyID(agency), directory: keys).writeNew(try PrivateKey.generate(.ed25519))
        }
        try writeConfiguration(soTuPhapKey: soTuPhapKey)
    }

    func writeConfiguration(
        listen: String = "127.0.0.1:0", adminListen: String = "127.0.0.1:0", soTuPhapKey: String = "keys/so-tu-phap.pub.pem", interval: Int = 60
    ) throws {
        try Data("""
            agency: bo-y-te
            store: store.sqlite
            signing_key: keys/bo-y-te.key.pem
            listen: "\(listen)"
            admin_listen: \(adminListen)
            datasets:
              dan-cu: { policy: authority, owner: bo-cong-an }
              tiem-chung: { policy: lww }
            peers:
              so-tu-phap:
                url: "http://127.0.0.1:9002"
                keys: [\(soTuPhapKey)]
                pull: [dan-cu]
                share: { tiem-chung: {} }
              bo-cong-an:
                url: "http://127.0.0.1:9001"
                keys: [keys/bo-cong-an.pub.pem]
                pull: [tiem-chung, dan-cu]
                share: { tiem-chung: { fields: [vaccine] } }
                interval_seconds: \(interval)
            """.utf8).write(to: configURL)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

@Suite("The plan built from a configuration")
struct AgencyPlanTests {
    @Test("every pinned key is read; one feed per (peer, dataset), in order; grants become the publisher's")
    func plan() throws {
        let folder = try AgencyFolder()
        let plan = try AgencyPlan(contentsOf: folder.configURL)
        #expect(plan.feeds.map(\.key.description) == ["bo-cong-an/dan-cu", "bo-cong-an/tiem-chung", "so-tu-phap/dan-cu"])
        #expect(plan.feeds.first?.interval == .seconds(60))
        #expect(plan.feeds.first { $0.key.peer.rawValue == "so-tu-phap" }?.feed.directSources.map(\.rawValue).sorted() == ["bo-cong-an", "so-tu-phap"])
        let boCongAn = try AgencyID("bo-cong-an")
        #expect(plan.publisherSettings.peers[boCongAn]?.grants[try DatasetName("tiem-chung")]?.fields == ["vaccine"])
        #expect(plan.publisherSettings.peers[boCongAn]?.keys.count == 1)
        #expect(plan.keyWarnings.isEmpty)
    }

    @Test("a pinned key that cannot be read fails the whole plan, with reason key")
    func missingKey() throws {
        let folder = try AgencyFolder(soTuPhapKey: "keys/khong-co.pub.pem")
        let error = #expect(throws: AgencyPlanError.self) { try AgencyPlan(contentsOf: folder.configURL) }
        #expect(error?.reason == .key)
    }

    @Test("a plan that moves a listener (the publisher's or the status page's) needs a restart; one that only changes an interval does not")
    func restartReason() throws {
        let folder = try AgencyFolder()
        let running = try AgencyPlan(contentsOf: folder.configURL)
        try folder.writeConfiguration(interval: 5)
        let faster = try AgencyPlan(contentsOf: folder.configURL)
        #expect(faster.restartReason(replacing: running) == nil)
        #expect(faster.feeds.first?.interval == .seconds(5))
        try folder.writeConfiguration(listen: "127.0.0.1:8443")
        let moved = try AgencyPlan(contentsOf: folder.configURL)
        #expect(moved.restartReason(replacing: running)?.hasPrefix("listen changed") == true)
        // The status page's listener too, like the publisher's; turning it off as well.
        try folder.writeConfiguration(adminListen: "\"127.0.0.1:9441\"")
        #expect(try AgencyPlan(contentsOf: folder.configURL).restartReason(replacing: running) == "admin_listen changed from 127.0.0.1:0")
        try folder.writeConfiguration(adminListen: "off")
        #expect(try AgencyPlan(contentsOf: folder.configURL).restartReason(replacing: running) == "admin_listen changed from 127.0.0.1:0")
    }
}
