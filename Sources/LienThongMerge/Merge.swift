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
    /// The new siblings, and the siblings the version dominates, which the caller moves to history; and, for
    /// an erasure by the ``MergePolicy/authority(owner:)`` owner, the concurrent siblings it drops, which the
    /// caller purges. Every list is in canonical order, greatest (hlc, origin) first.
    case accepted(siblings: [RecordVersion], displaced: [RecordVersion], dropped: [RecordVersion])
    /// The version is concurrent with `erasure`, the authority owner's erasure among the siblings: it is not
    /// kept; the caller audits the drop.
    case dropped(by: RecordVersion)
}

/// The record as shown, chosen from its siblings under a policy.
public struct Resolution: Sendable {
    /// The version shown as the record.
    public let visible: RecordVersion
    /// More than one sibling: concurrent versions that no edit has merged yet.
    public let isConflict: Bool
    /// A conflict under ``MergePolicy/manual``, or one with an erasure among its siblings under any policy:
    /// it waits for a person to resolve it.
    public let awaitsReview: Bool
    /// The siblings in canonical order, greatest (hlc, origin) first.
    public let siblings: [RecordVersion]
}

/// The merge rules: pure functions from versions to decisions. The caller stores what they decide.
public enum Merge {
    /// Decides what a received version does to the siblings of its record.
    ///
    /// `siblings` are the record's current maximal versions; the caller has checked the record rules. Under
    /// ``MergePolicy/authority(owner:)`` the owner's erasure wins over concurrent versions: it drops those
    /// among the siblings, and a concurrent version received after it is dropped (docs/MERGE.md, "Erasure").
    public static func receive(_ version: RecordVersion, siblings: [RecordVersion], policy: MergePolicy) -> ReceiveOutcome {
        let covering = siblings.filter { version.vv.isCovered(by: $0.vv) }
        if let existing = covering.first(where: { $0.isEquivocated(by: version) }) {
            return .equivocation(existing: existing)
        }
        if !covering.isEmpty { return .redundant }
        // No sibling covers the version: every sibling it does not cover is concurrent with it.
        let concurrent = siblings.filter { !$0.vv.isCovered(by: version.vv) }
        if !policy.isOwnerErasure(version), let erasure = concurrent.first(where: policy.isOwnerErasure) {
            return .dropped(by: erasure)
        }
        let displaced = siblings.filter { $0.vv.isCovered(by: version.vv) }
        let dropped = policy.isOwnerErasure(version) ? concurrent.filter { !policy.isOwnerErasure($0) } : []
        let kept = concurrent.filter { !dropped.contains($0) }
        return .accepted(
            siblings: (kept + [version]).rankedGreatestFirst(), displaced: displaced.rankedGreatestFirst(), dropped: dropped.rankedGreatestFirst()
        )
    }

    /// Chooses the visible version; the same set of siblings gives the same answer in any order.
    ///
    /// Duplicates in `siblings` count once. Returns nil only when there is no sibling.
    public static func resolve(_ siblings: [RecordVersion], policy: MergePolicy) -> Resolution? {
        // One sibling is its own resolution under every policy: the common case, without sets or sorting.
        if siblings.count == 1 { return Resolution(visible: siblings[0], isConflict: false, awaitsReview: false, siblings: siblings) }
        let ranked = Set(siblings).rankedGreatestFirst()
        let erasures = ranked.filter(\.erasure)
        let updates = ranked.filter { !$0.deleted }
        // An erasure is shown while its conflict awaits review; otherwise an update is never lost to a concurrent delete.
        let candidates = !erasures.isEmpty ? erasures : updates.isEmpty ? ranked : updates
        let chosen: RecordVersion? =
            switch policy {
            case .lww, .manual: candidates.first
            case .authority(let owner): candidates.first { $0.origin == owner } ?? candidates.first
            }
        guard let visible = chosen else { return nil }
        let isConflict = ranked.count > 1
        return Resolution(
            visible: visible, isConflict: isConflict, awaitsReview: isConflict && (policy == .manual || !erasures.isEmpty), siblings: ranked
        )
    }

    /// The version for a local edit: it dominates every sibling, so it becomes the only one.
    ///
    /// `hlc` comes from the agency's ``HybridClock`` after it observed every received version. A delete
    /// is an edit with `deleted: true`, an erasure one with `erasure: true` too; `data` must be a JSON object
    /// (`{}` for a plain delete).
    public static func localEdit(
        siblings: [RecordVersion], dataset: DatasetName, id: String, agency: AgencyID, hlc: HybridTimestamp, deleted: Bool, erasure: Bool = false,
        data: JSONValue
    ) -> RecordVersion {
        precondition(!erasure || deleted, "only a tombstone is an erasure")
        let seen = siblings.reduce(VersionVector([:])) { $0.merging($1.vv) }
        return RecordVersion(
            dataset: dataset, id: id, origin: agency, hlc: hlc, vv: seen.incrementing(agency), deleted: deleted, erasure: erasure, data: data
        )
    }
}

extension MergePolicy {
    /// Whether `version` is an erasure by this policy's ``authority(owner:)`` owner, which wins over
    /// concurrent versions.
    func isOwnerErasure(_ version: RecordVersion) -> Bool {
        guard version.erasure, case .authority(let owner) = self else { return false }
        return version.origin == owner
    }
}
