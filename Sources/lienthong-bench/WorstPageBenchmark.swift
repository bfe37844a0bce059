import ArgumentParser
import Foundation
import LienThongCore
import LienThongMerge
import LienThongStore

/// Times the worst page that fits the merge limits: 10,000 records, as records each at `max_siblings`
/// mutually concurrent versions whose vectors name `max_vector_entries` agencies (docs/MERGE.md, "Limits").
struct WorstPageBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worst-page", abstract: "Time applying the worst page that fits the merge limits.")

    @Option(help: "Records in the page.") var records = 10_000

    func run() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try Store(openingAt: folder.appending(path: "worst.sqlite"))
        let limits = MergeLimits.standard
        let receiver = try AgencyID("so-xay-dung")
        let dataset = try DatasetName("tiem-chung")
        // E − 1 agencies besides the receiver; each sibling counts one more edit by its own agency.
        let agencies = try (0..<(limits.maximumVectorEntries - 1)).map { try AgencyID("co-quan-\($0)") }
        let perRecord = min(limits.maximumSiblings, agencies.count)
        let versions = (0..<records).map { index in
            let origin = agencies[index % perRecord]
            var counters = Dictionary(uniqueKeysWithValues: agencies.map { ($0, Int64(1)) })
            counters[origin] = 2
            return RecordVersion(
                dataset: dataset, id: "record-\(index / perRecord)", origin: origin, hlc: HybridTimestamp(milliseconds: 1_000, counter: 0),
                vv: VersionVector(counters), deleted: false, data: .object(["n": .integer(Int64(index))])
            )
        }
        let rules = MergeRules(policy: .lww, receiver: receiver, directSources: [], limits: limits)
        let started = Date()
        let applied = try store.write { tx in try versions.filter { try tx.receive($0, from: $0.origin, rules: rules) == .applied }.count }
        let seconds = Date().timeIntervalSince(started)
        print("worst page: \(records) records, \(perRecord) siblings per record, \(agencies.count + 1) agencies per vector: \(applied) applied in \(String(format: "%.2f", seconds)) s")
    }
}
