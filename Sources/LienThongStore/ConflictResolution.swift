public import LienThongCore
public import LienThongMerge

/// How a person closes an open conflict (`lienthong conflicts resolve`, docs/MERGE.md "Manual resolution").
public enum ConflictResolution: Sendable {
    /// Keep what the sibling authored by this agency holds (its data, or its deletion).
    case pick(origin: String)
    /// Replace the record with new data, already checked against the record rules.
    case replace(data: JSONValue)
}

/// Why a conflict could not be resolved, in one line.
public struct ConflictResolutionError: Error, LienThongCore.LocalizedError {
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        private init(_ name: String) { description = name }

        /// The record has one version or none: nothing to resolve.
        public static let noOpenConflict = Reason("no open conflict")
        /// No sibling comes from the origin picked.
        public static let noSuchSibling = Reason("no such sibling")
    }

    public let reason: Reason
    public let message: LocalizedMessage
}

extension StoreTransaction {
    /// Closes the open conflict on `(dataset, id)` with a local edit by `agency` that dominates every sibling,
    /// so that it closes here and, once pulled, at every peer; the resolution is audited. Returns the edit.
    ///
    /// Picking an erasure erases the record here (``erase(dataset:id:agency:reason:policy:)``): the edit is an
    /// erasure too, and every other stored body of the record is purged.
    public func resolveConflict(
        dataset: DatasetName, id: String, agency: AgencyID, policy: MergePolicy, by resolution: ConflictResolution
    ) throws -> RecordVersion {
        let siblings = try siblings(dataset: dataset, id: id)
        guard siblings.count > 1 else {
            throw ConflictResolutionError(
                reason: .noOpenConflict, message: LocalizedMessage("resolve.no-conflict", ["dataset": "\(dataset)", "id": id.debugDescription])
            )
        }
        let version: RecordVersion
        let how: String
        switch resolution {
        case .pick(let origin):
            guard let chosen = siblings.first(where: { $0.origin.rawValue == origin }) else {
                throw ConflictResolutionError(
                    reason: .noSuchSibling,
                    message: LocalizedMessage("resolve.no-sibling", ["id": id.debugDescription, "origin": origin.debugDescription])
                )
            }
            how = "pick \(origin)"
            version = chosen.erasure
                ? try erase(dataset: dataset, id: id, agency: agency, reason: "conflicts resolve: \(how)", policy: policy).tombstone
                : try edit(dataset: dataset, id: id, agency: agency, deleted: chosen.deleted, data: chosen.data, policy: policy)
        case .replace(let replacement):
            how = "new data"
            version = try edit(dataset: dataset, id: id, agency: agency, deleted: false, data: replacement, policy: policy)
        }
        try audit("conflict resolved", peer: nil, dataset: dataset, detail: .object([
            "id": .string(id), "siblings": .integer(Int64(siblings.count)), "by": .string(how),
        ]))
        return version
    }
}
