public import LienThongCore

/// One version of one record, as the agency that authored it wrote it.
///
/// Versions are equal when every member is; `data` compares by its serialized bytes.
public struct RecordVersion: Hashable, Sendable {
    public let dataset: DatasetName
    /// The record's id within the dataset.
    public let id: String
    /// The agency that authored this version.
    public let origin: AgencyID
    /// When the origin authored it, by the origin's hybrid clock.
    public let hlc: HybridTimestamp
    /// The edits of this record the version has seen; `vv[origin]` counts the origin's own.
    public let vv: VersionVector
    /// Whether this version deletes the record: a tombstone.
    public let deleted: Bool
    /// The record's content, always a JSON object; a tombstone carries `{}` unless its author gave more.
    public let data: JSONValue

    /// A version exactly as given; no record rule is checked here.
    ///
    /// `data` must be a JSON object: anything else is a programming error and stops the process.
    public init(dataset: DatasetName, id: String, origin: AgencyID, hlc: HybridTimestamp, vv: VersionVector, deleted: Bool, data: JSONValue) {
        precondition(data.objectValue != nil, "record data must be a JSON object")
        self.dataset = dataset
        self.id = id
        self.origin = origin
        self.hlc = hlc
        self.vv = vv
        self.deleted = deleted
        self.data = data
    }
}

extension RecordVersion {
    /// Whether this version comes before `other` in the canonical order: greatest (hlc, origin) first.
    ///
    /// Honest agencies never stamp two siblings with the same (hlc, origin); when a dishonest one does,
    /// the greater serialized bytes come first, so every replica still picks the same version.
    func ranksAbove(_ other: RecordVersion) -> Bool {
        if hlc != other.hlc { return hlc > other.hlc }
        if origin != other.origin { return origin > other.origin }
        return other.json.serialized().lexicographicallyPrecedes(json.serialized())
    }

    /// Whether `other` takes this version's origin and vector with different content.
    func isEquivocated(by other: RecordVersion) -> Bool {
        origin == other.origin && vv == other.vv && (deleted != other.deleted || data != other.data)
    }
}

extension Sequence<RecordVersion> {
    /// The versions in canonical order, greatest (hlc, origin) first.
    func rankedGreatestFirst() -> [RecordVersion] {
        sorted { $0.ranksAbove($1) }
    }
}
