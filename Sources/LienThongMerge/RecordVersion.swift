public import LienThongCore

/// One version of one record, as the agency that authored it wrote it.
///
/// The record's `data` is kept as its canonical JSON text (members sorted, compact), made once when the
/// version is made or read back as the store wrote it: storing, comparing and serving a version then never
/// serializes its data again, and a version costs its text, not a tree of values. Versions are equal when
/// every member is, which is when their datasets and canonical JSON forms are.
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
    /// Whether this tombstone is an erasure: its author purged every stored body of the record, and a receiver
    /// purges those the tombstone dominates (docs/MERGE.md, "Erasure"). Only a tombstone is an erasure.
    public let erasure: Bool
    /// The record's content as canonical JSON text: always an object; a tombstone carries `{}` unless its
    /// author gave more.
    public let dataJSON: String

    /// A version exactly as given; no record rule is checked here.
    ///
    /// `data` must be a JSON object: anything else is a programming error and stops the process.
    public init(
        dataset: DatasetName, id: String, origin: AgencyID, hlc: HybridTimestamp, vv: VersionVector, deleted: Bool, erasure: Bool = false, data: JSONValue
    ) {
        precondition(data.objectValue != nil, "record data must be a JSON object")
        self.init(dataset: dataset, id: id, origin: origin, hlc: hlc, vv: vv, deleted: deleted, erasure: erasure, canonicalData: data.serializedText)
    }

    /// A version whose data is already canonical JSON text of an object, as the store keeps it: nothing is
    /// parsed or checked.
    package init(
        dataset: DatasetName, id: String, origin: AgencyID, hlc: HybridTimestamp, vv: VersionVector, deleted: Bool, erasure: Bool = false,
        canonicalData: String
    ) {
        self.dataset = dataset
        self.id = id
        self.origin = origin
        self.hlc = hlc
        self.vv = vv
        self.deleted = deleted
        self.erasure = erasure
        dataJSON = canonicalData
    }

    /// The record's content, parsed from ``dataJSON``.
    public var data: JSONValue {
        // The text was serialized by lienthong (or read back from its store) from an object: it parses.
        (try? JSONValue(parsing: dataJSON)) ?? .object([:])
    }

    /// The JSON form (``json``) as compact canonical bytes, members sorted by name: what is compared,
    /// ranked and measured. Put together from the parts; the data is not serialized again.
    public var canonicalJSON: [UInt8] {
        // Members in byte order: data, deleted, erasure (only when true, so that other versions' bytes are as
        // before it existed), hlc, id, origin, vv. `origin` is an agency id (plain ASCII).
        var bytes: [UInt8] = []
        bytes.reserveCapacity(dataJSON.utf8.count + id.utf8.count + 96)
        bytes += #"{"data":"#.utf8
        bytes += dataJSON.utf8
        bytes += #","deleted":\#(deleted)"#.utf8
        if erasure { bytes += #","erasure":true"#.utf8 }
        bytes += #","hlc":[\#(hlc.milliseconds),\#(hlc.counter)],"id":"#.utf8
        bytes += JSONValue.string(id).serialized()
        bytes += #","origin":"\#(origin.rawValue)","vv":"#.utf8
        bytes += vv.canonicalText.utf8
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    public static func == (left: RecordVersion, right: RecordVersion) -> Bool {
        left.hlc == right.hlc && left.origin == right.origin && left.id == right.id && left.deleted == right.deleted
            && left.erasure == right.erasure && left.dataset == right.dataset && left.vv == right.vv && left.dataJSON == right.dataJSON
    }

    public func hash(into hasher: inout Hasher) {
        // What tells honest versions apart; equal versions agree on it, and the rest is left to ==.
        hasher.combine(id)
        hasher.combine(origin)
        hasher.combine(hlc)
    }
}

extension RecordVersion {
    /// Whether `other` takes this version's origin and vector with different content.
    func isEquivocated(by other: RecordVersion) -> Bool {
        origin == other.origin && vv == other.vv && (deleted != other.deleted || erasure != other.erasure || dataJSON != other.dataJSON)
    }
}

extension Sequence<RecordVersion> {
    /// The versions in canonical order, greatest (hlc, origin) first (docs/MERGE.md): the order in which
    /// every replica lists a record's siblings.
    ///
    /// Honest agencies never stamp two siblings with the same (hlc, origin); when a dishonest one does, the
    /// greater canonical bytes come first, so every replica still picks the same version. Those bytes are
    /// put together once per version, and only when such a tie exists.
    public func rankedGreatestFirst() -> [RecordVersion] {
        let versions = Array(self)
        let stamps = Set(versions.map { Stamp(hlc: $0.hlc, origin: $0.origin) })
        guard stamps.count < versions.count else {
            return versions.sorted { $0.hlc != $1.hlc ? $0.hlc > $1.hlc : $0.origin > $1.origin }
        }
        return versions.map { ($0, $0.canonicalJSON) }.sorted { left, right in
            if left.0.hlc != right.0.hlc { return left.0.hlc > right.0.hlc }
            if left.0.origin != right.0.origin { return left.0.origin > right.0.origin }
            return right.1.lexicographicallyPrecedes(left.1)
        }.map(\.0)
    }
}

/// What honest siblings never share.
private struct Stamp: Hashable {
    let hlc: HybridTimestamp
    let origin: AgencyID
}
