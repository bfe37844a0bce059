public import LienThongCore

/// How the visible version of a record is chosen among its siblings.
public enum MergePolicy: Hashable, Sendable {
    /// The greatest (hlc, origin) wins.
    case lww
    /// The owner's greatest (hlc, origin) wins when the owner authored a candidate; otherwise as ``lww``.
    case authority(owner: AgencyID)
    /// Shown as ``lww``, but a conflict stays open until a person resolves it with a local edit.
    case manual
}

extension MergePolicy: CustomStringConvertible {
    /// As written in the configuration: `lww`, `authority (owner: ID)`, `manual`.
    public var description: String {
        switch self {
        case .lww: "lww"
        case .authority(let owner): "authority (owner: \(owner))"
        case .manual: "manual"
        }
    }
}

/// What receiving a version does to the record's siblings.
public enum ReceiveOutcome: Sendable {
    /// A sibling has already seen this version: nothing changes.
    case redundant
    /// The origin sent other content under a version vector it had already used. `existing` stays a
    /// sibling; the caller quarantines the received version and audits it.
    case equivocation(existing: RecordVersion)
    /// The new siblings, and the siblings the version dominates, which the caller moves to history.
    /// Both lists are in canonical order, greatest (hlc, origin) first.
    case accepted(siblings: [RecordVersion], displaced: [RecordVersion])
}

/// The record as shown, chosen from its siblings under a policy.
public struct Resolution: Sendable {
    /// The version shown as the record.
    public let visible: RecordVersion
    /// More than one sibling: concurrent versions that no edit has merged yet.
    public let isConflict: Bool
    /// A conflict under ``MergePolicy/manual``: it waits for a person to resolve it.
    public let awaitsReview: Bool
    /// The siblings in canonical order, greatest (hlc, origin) first.
    public let siblings: [RecordVersion]
}

/// The merge rules: pure functions from versions to decisions. The caller stores what they decide.
public enum Merge {
    /// Decides what a received version does to the siblings of its record.
    ///
    /// `siblings` are the record's current maximal versions; the caller has checked the record rules.
    public static func receive(_ version: RecordVersion, siblings: [RecordVersion]) -> ReceiveOutcome {
        let covering = siblings.filter { version.vv.isCovered(by: $0.vv) }
        if let existing = covering.first(where: { $0.isEquivocated(by: version) }) {
            return .equivocation(existing: existing)
        }
        if !covering.isEmpty { return .redundant }
        let displaced = siblings.filter { $0.vv.isCovered(by: version.vv) }
        let kept = siblings.filter { !$0.vv.isCovered(by: version.vv) }
        return .accepted(siblings: (kept + [version]).rankedGreatestFirst(), displaced: displaced.rankedGreatestFirst())
    }

    /// Chooses the visible version; the same set of siblings gives the same answer in any order.
    ///
    /// Duplicates in `siblings` count once. Returns nil only when there is no sibling.
    public static func resolve(_ siblings: [RecordVersion], policy: MergePolicy) -> Resolution? {
        // One sibling is its own resolution under every policy: the common case, without sets or sorting.
        if siblings.count == 1 { return Resolution(visible: siblings[0], isConflict: false, awaitsReview: false, siblings: siblings) }
        let ranked = Set(siblings).rankedGreatestFirst()
        let updates = ranked.filter { !$0.deleted }
        // An update is never lost to a concurrent delete.
        let candidates = updates.isEmpty ? ranked : updates
        let chosen: RecordVersion? =
            switch policy {
            case .lww, .manual: candidates.first
            case .authority(let owner): candidates.first { $0.origin == owner } ?? candidates.first
            }
        guard let visible = chosen else { return nil }
        let isConflict = ranked.count > 1
        return Resolution(visible: visible, isConflict: isConflict, awaitsReview: isConflict && policy == .manual, siblings: ranked)
    }

    /// The version for a local edit: it dominates every sibling, so it becomes the only one.
    ///
    /// `hlc` comes from the agency's ``HybridClock`` after it observed every received version. A delete
    /// is an edit with `deleted: true`; `data` must be a JSON object (`{}` for a plain delete).
    public static func localEdit(
        siblings: [RecordVersion], dataset: DatasetName, id: String, agency: AgencyID, hlc: HybridTimestamp, deleted: Bool, data: JSONValue
    ) -> RecordVersion {
        let seen = siblings.reduce(VersionVector([:])) { $0.merging($1.vv) }
        return RecordVersion(dataset: dataset, id: id, origin: agency, hlc: hlc, vv: seen.incrementing(agency), deleted: deleted, data: data)
    }
}
