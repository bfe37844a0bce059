public import LienThongCore
public import LienThongMerge

/// A simulated run of honest agencies editing the same records of one dataset concurrently.
///
/// Each agency keeps its own replica and clock. At each step one agency either edits a record (an
/// update or a delete, through ``Merge/localEdit(siblings:dataset:id:agency:hlc:deleted:data:)``) or
/// receives a random subset of what the others have authored so far, in random order. So versions end up
/// causally ordered in some places and concurrent in others. The same arguments give the same history.
public struct History: Sendable {
    public let dataset: DatasetName
    public let agencies: [AgencyID]
    /// The record ids the agencies edit: `record-0`, `record-1`, …
    public let ids: [String]
    /// Every version authored, in authoring order.
    public let versions: [RecordVersion]

    /// Simulates `operations` steps of `agencies` editing `records` records.
    ///
    /// Physical clocks start at 2026-01-01, differ between agencies by up to 20 ms and jitter, so they
    /// sometimes run backwards: the hybrid clocks have to cope.
    public static func generate(seed: UInt64, agencies: [AgencyID], records: Int, operations: Int, dataset: DatasetName) -> History {
        precondition(!agencies.isEmpty && records > 0, "a history needs at least one agency and one record")
        var random = SeededGenerator(seed: seed)
        let ids = (0..<records).map { "record-\($0)" }
        var replicas = agencies.map { Replica(agency: $0, clockOffset: Int64.random(in: -20...20, using: &random)) }
        var versions: [RecordVersion] = []
        var now: Int64 = 1_767_225_600_000
        for _ in 0..<operations {
            now += Int64.random(in: 0...3, using: &random)
            let index = Int.random(in: replicas.indices, using: &random)
            if versions.isEmpty || Int.random(in: 0..<10, using: &random) < 6 {
                let deleted = Int.random(in: 0..<5, using: &random) == 0
                let version = replicas[index].edit(
                    dataset: dataset,
                    id: ids[Int.random(in: ids.indices, using: &random)],
                    physicalMilliseconds: now + Int64.random(in: -5...5, using: &random),
                    deleted: deleted,
                    data: deleted ? .object([:]) : randomData(using: &random)
                )
                versions.append(version)
            } else {
                let agency = replicas[index].agency
                let subset = versions.filter { $0.origin != agency && Bool.random(using: &random) }
                for version in subset.shuffled(using: &random) { replicas[index].receive(version) }
            }
        }
        return History(dataset: dataset, agencies: agencies, ids: ids, versions: versions)
    }

    /// Every version in a random order, with `duplicates` of them delivered twice or more.
    public func deliveries(seed: UInt64, duplicates: Int) -> [RecordVersion] {
        var random = SeededGenerator(seed: seed)
        var delivered = versions
        if !versions.isEmpty {
            for _ in 0..<duplicates { delivered.append(versions[Int.random(in: versions.indices, using: &random)]) }
        }
        return delivered.shuffled(using: &random)
    }

    private static func randomData(using random: inout SeededGenerator) -> JSONValue {
        let notes = ["", "đã tiêm", "chưa tiêm", "a \"quoted\" note", "x"]
        var members: [String: JSONValue] = [
            "n": .integer(Int.random(in: 0..<100, using: &random)),
            "note": .string(notes[Int.random(in: notes.indices, using: &random)]),
        ]
        if Bool.random(using: &random) { members["flags"] = .array([.bool(Bool.random(using: &random)), .null]) }
        return .object(members)
    }
}

/// One agency's view during the simulation: its clock and the siblings it holds per record id.
private struct Replica {
    let agency: AgencyID
    let clockOffset: Int64
    var clock = HybridClock()
    var siblings: [String: [RecordVersion]] = [:]

    mutating func edit(dataset: DatasetName, id: String, physicalMilliseconds: Int64, deleted: Bool, data: JSONValue) -> RecordVersion {
        let hlc = clock.tick(physicalMilliseconds: physicalMilliseconds + clockOffset)
        let version = Merge.localEdit(
            siblings: siblings[id] ?? [], dataset: dataset, id: id, agency: agency, hlc: hlc, deleted: deleted, data: data
        )
        siblings[id] = [version]
        return version
    }

    mutating func receive(_ version: RecordVersion) {
        clock.observe(version.hlc)
        // Histories hold no erasure, the one thing the policy changes in receiving.
        if case .accepted(let next, _, _) = Merge.receive(version, siblings: siblings[version.id] ?? [], policy: .lww) {
            siblings[version.id] = next
        }
    }
}
