public import LienThongCore

/// One version of one record, as the agency that authored it wrote it.
///
/// Versions are equal when every member is, which is when their datasets and JSON forms are: the JSON
/// form is serialized once, when the version is made, so that comparing, hashing and ranking versions
/// never serializes again.
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
    /// The JSON form (``json``) as compact canonical bytes, members sorted by name.
    public let canonicalJSON: [UInt8]
    /// A hash of ``canonicalJSON``, so that unequal versions are told apart without comparing their bytes.
    private let digest: Int

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
        canonicalJSON = Self.jsonForm(id: id, origin: origin, hlc: hlc, vv: vv, deleted: deleted, data: data).serialized()
        var hasher = Hasher()
        hasher.combine(canonicalJSON)
        digest = hasher.finalize()
    }

    public static func == (left: RecordVersion, right: RecordVersion) -> Bool {
        left.digest == right.digest && left.dataset == right.dataset && left.canonicalJSON == right.canonicalJSON
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(digest)
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
        return other.canonicalJSON.lexicographicallyPrecedes(canonicalJSON)
    }

    /// Whether `other` takes this version's origin and vector with different content.
    func isEquivocated(by other: RecordVersion) -> Bool {
        origin == other.origin && vv == other.vv && (deleted != other.deleted || data != other.data)
    }
}

extension Sequence<RecordVersion> {
    /// The versions in canonical order, greatest (hlc, origin) first (docs/MERGE.md): the order in which
    /// every replica lists a record's siblings.
    public func rankedGreatestFirst() -> [RecordVersion] {
        sorted { $0.ranksAbove($1) }
    }
}
