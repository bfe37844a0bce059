import Foundation
import LienThongCore
import LienThongStore
import Testing

@Suite("lienthong watch")
struct WatchCommandTests {
    @Test("prints each change after --since as one JSON line with the record as shown now; of one dataset with --dataset")
    func printsChanges() throws {
        let agency = try AgencyFolder()
        let put = try agency.run(["put", "--dataset", "tiem-chung"], stdin: """
            {"id":"cd-2","data":{"vaccine":"Vero Cell"}}
            {"id":"cd-1","data":{"vaccine":"AstraZeneca"}}
            {"id":"cd-3","data":{"vaccine":"Pfizer"}}
            {"id":"cd-3","deleted":true}
            """)
        #expect(put.status == 0, "\(put.stderr)")
        let watch = try agency.run(["watch"])
        #expect(watch.status == 0, "\(watch.stderr)")
        let lines = try watch.stdoutText.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
        #expect(lines.map { $0["change_seq"] } == [1, 2, 3, 4].map { .integer($0) })
        #expect(lines.map { $0["id"]?.stringValue } == ["cd-2", "cd-1", "cd-3", "cd-3"])
        #expect(lines.map { $0["kind"]?.stringValue } == ["created", "created", "created", "deleted"])
        #expect(lines.allSatisfy { $0.objectValue?.keys.sorted() == ["change_seq", "changed_at", "dataset", "id", "kind", "record"] })
        // The record as it is shown now: cd-3's tombstone on both of its lines.
        #expect(lines[2]["record"]?["deleted"] == .bool(true))
        #expect(lines[0]["record"]?["data"]?["vaccine"] == .string("Vero Cell"))

        let after = try agency.run(["watch", "--since", "2"])
        #expect(after.stdoutText.split(separator: "\n").count == 2)
        let other = try agency.run(["watch", "--dataset", "ho-tich"])
        #expect(other.status == 0)
        #expect(other.stdoutText.isEmpty)
    }

    @Test("a --since older than what the log keeps is refused, naming the last change pruned; without --since it starts at what is kept")
    func prunedSince() async throws {
        let agency = try AgencyFolder()
        let put = try agency.run(["put", "--dataset", "tiem-chung"], stdin: "{\"id\":\"cd-1\",\"data\":{}}\n{\"id\":\"cd-2\",\"data\":{}}\n{\"id\":\"cd-3\",\"data\":{}}\n")
        #expect(put.status == 0, "\(put.stderr)")
        // Forty days later, the daemon prunes what is older than 30 days but the newest change.
        let later = try Store(openingAt: agency.scratch.url.appending(path: "state/lienthong.sqlite"), clock: FixedClock(UnixTime(milliseconds: SystemClock().now.milliseconds + 40 * 86_400_000)))
        #expect(try await later.pruneChanges(keptDays: 30) == 2)
        try await later.write { tx in
            try tx.edit(dataset: DatasetName("tiem-chung"), id: "cd-4", agency: AgencyID("bo-y-te"), deleted: false, data: .object([:]), policy: .lww)
        }

        let refused = try agency.run(["watch", "--since", "1"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("changes after 1 are no longer kept: the change log was pruned through 2"), "\(refused.stderr)")
        #expect(refused.stdoutText.isEmpty)
        for arguments in [["watch"], ["watch", "--since", "2"]] {
            let kept = try agency.run(arguments)
            #expect(kept.status == 0, "\(kept.stderr)")
            #expect(kept.stdoutText.split(separator: "\n").count == 2)
            #expect(kept.stdoutText.hasPrefix(#"{"change_seq":3,"#))
        }
    }
}
