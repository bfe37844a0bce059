import LienThongCore
import LienThongMerge

/// Short forms for building versions in tables. The names passed in are literals known to be valid
/// identifiers, so a failure here is a typo in a test.
enum Fixture {
    static let dataset = try! DatasetName("ho-so")

    static func agency(_ name: String) -> AgencyID { try! AgencyID(name) }

    static func vv(_ counts: [String: Int64]) -> VersionVector {
        VersionVector(Dictionary(uniqueKeysWithValues: counts.map { (agency($0.key), $0.value) }))
    }

    static func version(
        _ origin: String, _ counts: [String: Int64], hlc: (Int64, Int64) = (1_000, 0), deleted: Bool = false,
        data: JSONValue = .object([:]), id: String = "r1"
    ) -> RecordVersion {
        RecordVersion(
            dataset: dataset, id: id, origin: agency(origin), hlc: HybridTimestamp(milliseconds: hlc.0, counter: hlc.1),
            vv: vv(counts), deleted: deleted, data: data
        )
    }

    static func data(_ note: String) -> JSONValue { .object(["note": .string(note)]) }
}

extension ReceiveOutcome {
    var isRedundant: Bool {
        if case .redundant = self { true } else { false }
    }

    var equivocated: RecordVersion? {
        if case .equivocation(let existing) = self { existing } else { nil }
    }

    var accepted: (siblings: [RecordVersion], displaced: [RecordVersion], dropped: [RecordVersion])? {
        if case .accepted(let siblings, let displaced, let dropped) = self { (siblings, displaced, dropped) } else { nil }
    }
}
