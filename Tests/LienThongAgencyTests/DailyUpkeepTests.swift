import Foundation
import LienThongAgency
import LienThongConfig
import LienThongCore
import LienThongSigning
import LienThongStore
import LienThongTestSupport
import Testing

/// The work due once a day, shared by the daemon and `sync` (docs/PRIVACY.md).
@Suite("The daily upkeep: a checkpoint and the purge, once a day")
struct DailyUpkeepTests {
    @Test("it runs when no checkpoint exists, not again within the day, and again a day later, purging what has expired")
    func oncePerDay() async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-upkeep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let configuration = try Configuration(yaml: """
            agency: bo-y-te
            store: store.sqlite
            signing_key: keys/bo-y-te.key.pem
            retention: { history_days: 1 }
            datasets:
              dan-cu: { policy: lww }
            """, fileURL: folder.appending(path: "lienthong.yaml"))
        let clock = ManualClock()
        let store = try Store(openingAt: folder.appending(path: "store.sqlite"), clock: clock)
        let dataset = try DatasetName("dan-cu")
        for value in 1...2 {
            try await store.write { transaction in
                try transaction.edit(dataset: dataset, id: "a", agency: configuration.agency, deleted: false, data: .object(["v": .integer(Int64(value))]), policy: .lww)
                try transaction.audit("conflict resolved", peer: nil, dataset: dataset, detail: .object(["n": .integer(Int64(value))]))
            }
        }
        let signer = JWSSigner(key: try PrivateKey.generate(.ed25519))
        let first = try #require(try await configuration.dailyUpkeep(store: store, signer: signer))
        #expect(first.checkpointed?.seq == 2)
        #expect(first.purged.history.isEmpty, "superseded less than a day ago")
        clock.advance(by: .seconds(23 * 3600))
        #expect(try await configuration.dailyUpkeep(store: store, signer: signer) == nil)
        clock.advance(by: .seconds(3601))
        let second = try #require(try await configuration.dailyUpkeep(store: store, signer: signer))
        #expect(second.purged.history == [dataset: 1])
        // Nothing was logged in between: the same entry is signed again, at the new time; the purge is logged after it.
        let checkpoints = try await store.read { try $0.auditCheckpoints() }
        #expect(checkpoints.map(\.seq) == [2] && checkpoints.first?.madeAt == clock.now.milliseconds)
        #expect(try await store.read { try $0.auditHead() }?.seq == 3)
    }
}
