public import LienThongCore

extension RecordVersion {
    /// Longest record id, counted in Unicode scalars so that every implementation counts alike.
    public static let maximumIDLength = 256

    /// The deepest a record's `data` may nest, counting `data` itself as 1. A page is parsed with at most
    /// ``JSONValue/defaultMaximumDepth`` (64) levels, and `data` sits at the fourth: payload → `records` →
    /// record → `data`. Deeper data would make the whole page unreadable to every peer.
    public static let maximumDataDepth = JSONValue.defaultMaximumDepth - 3

    /// Checks a record id as a receiver does: 1 to ``maximumIDLength`` Unicode scalars.
    public static func checkID(_ id: String) throws(RecordRuleViolation) {
        let length = id.unicodeScalars.count
        guard (1...maximumIDLength).contains(length) else {
            throw RecordRuleViolation(.idLength, "record id has \(length) characters, not 1 to \(maximumIDLength)")
        }
    }

    /// Checks a record's `data` as a receiver does: a JSON object nested at most ``maximumDataDepth`` deep.
    public static func checkData(_ data: JSONValue) throws(RecordRuleViolation) {
        guard data.objectValue != nil else {
            throw RecordRuleViolation(.dataNotObject, "record data is \(data.kindName), not a JSON object")
        }
        let depth = data.nestingDepth
        guard depth <= maximumDataDepth else {
            throw RecordRuleViolation(
                .dataTooDeep, "record data is nested \(depth) deep, more than the \(maximumDataDepth) levels a feed page can carry"
            )
        }
    }

    /// The most bytes a version may take as canonical JSON (its ``json`` form, serialized): 1 MiB, so that
    /// any version fits a feed page (docs/MERGE.md, Record rules).
    public static let maximumCanonicalBytes = 1_048_576

    /// Refuses a version whose canonical JSON is longer than ``maximumCanonicalBytes``.
    public func checkSize() throws(RecordRuleViolation) {
        let size = canonicalJSON.count
        guard size <= Self.maximumCanonicalBytes else {
            throw RecordRuleViolation(.tooLarge, "record is \(size) bytes of canonical JSON, more than \(Self.maximumCanonicalBytes)")
        }
    }

    /// Reads a record from a feed page, `{"id","origin","hlc","vv","deleted","data"}` and the optional
    /// `"erasure"`, and checks the record rules; a `seq` member and unknown members are ignored.
    ///
    /// Members are checked in the order id, origin, hlc, vv, deleted, erasure, data, then the size, and the
    /// first broken rule is thrown: the caller quarantines this record and applies the rest of the page.
    public init(
        json: JSONValue, dataset: DatasetName, publisher: AgencyID, now: UnixTime, clockSkewSeconds: Int64
    ) throws(RecordRuleViolation) {
        guard let members = json.objectValue else {
            throw RecordRuleViolation(.malformed, "record is \(json.kindName), not a JSON object")
        }
        let id = try Self.readID(members)
        let origin = try Self.readOrigin(members, publisher: publisher)
        let hlc = try Self.readHLC(members, now: now, clockSkewSeconds: clockSkewSeconds)
        let vv = try Self.readVersionVector(members, origin: origin)
        let deletedValue = try Self.member("deleted", of: members)
        guard let deleted = deletedValue.boolValue else {
            throw RecordRuleViolation(.malformed, "record deleted is \(deletedValue.kindName), not a boolean")
        }
        let erasure = try Self.readErasure(members, deleted: deleted)
        let data = try Self.member("data", of: members)
        try Self.checkData(data)
        self.init(dataset: dataset, id: id, origin: origin, hlc: hlc, vv: vv, deleted: deleted, erasure: erasure, data: data)
        try checkSize()
    }

    /// The version as a feed page carries it: exactly id, origin, hlc, vv, deleted and data, and
    /// `"erasure": true` on an erasure (never `false`: a version that is not one reads as before it existed).
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "id": .string(id),
            "origin": .string(origin.rawValue),
            "hlc": hlc.json,
            "vv": vv.json,
            "deleted": .bool(deleted),
            "data": data,
        ]
        if erasure { members["erasure"] = .bool(true) }
        return .object(members)
    }

    private static func member(_ name: String, of members: [String: JSONValue]) throws(RecordRuleViolation) -> JSONValue {
        guard let value = members[name] else { throw RecordRuleViolation(.malformed, "record has no \"\(name)\"") }
        return value
    }

    /// The optional `erasure` member: absent is false; true only on a tombstone.
    private static func readErasure(_ members: [String: JSONValue], deleted: Bool) throws(RecordRuleViolation) -> Bool {
        guard let value = members["erasure"] else { return false }
        guard let erasure = value.boolValue else {
            throw RecordRuleViolation(.erasureNotBoolean, "record erasure is \(value.kindName), not a boolean")
        }
        guard !erasure || deleted else {
            throw RecordRuleViolation(.erasureNotTombstone, "record erasure is true on a version that is not deleted")
        }
        return erasure
    }

    private static func readID(_ members: [String: JSONValue]) throws(RecordRuleViolation) -> String {
        let value = try member("id", of: members)
        guard let id = value.stringValue else {
            throw RecordRuleViolation(.malformed, "record id is \(value.kindName), not a string")
        }
        try checkID(id)
        return id
    }

    private static func readOrigin(_ members: [String: JSONValue], publisher: AgencyID) throws(RecordRuleViolation) -> AgencyID {
        guard let text = try member("origin", of: members).stringValue, let origin = try? AgencyID(text) else {
            throw RecordRuleViolation(.malformed, "record origin is not an agency id")
        }
        guard origin == publisher else {
            throw RecordRuleViolation(.originNotPublisher, "record origin \(origin) is not the page's publisher \(publisher)")
        }
        return origin
    }

    private static func readHLC(
        _ members: [String: JSONValue], now: UnixTime, clockSkewSeconds: Int64
    ) throws(RecordRuleViolation) -> HybridTimestamp {
        guard let parts = try member("hlc", of: members).arrayValue, parts.count == 2,
            let milliseconds = parts[0].int64Value, let counter = parts[1].int64Value, milliseconds >= 0, counter >= 0
        else { throw RecordRuleViolation(.malformed, "record hlc is not two non-negative integers") }
        let stamped = UnixTime(milliseconds: milliseconds)
        guard stamped <= now + .seconds(clockSkewSeconds) else {
            throw RecordRuleViolation(
                .hlcTooFarInFuture,
                "record hlc is \((stamped - now).milliseconds) ms ahead of this clock, more than the \(clockSkewSeconds) s skew allowed"
            )
        }
        return HybridTimestamp(milliseconds: milliseconds, counter: counter)
    }

    private static func readVersionVector(_ members: [String: JSONValue], origin: AgencyID) throws(RecordRuleViolation) -> VersionVector {
        let value = try member("vv", of: members)
        guard let entries = value.objectValue else {
            throw RecordRuleViolation(.malformed, "record vv is \(value.kindName), not a JSON object")
        }
        var counters: [AgencyID: Int64] = [:]
        // In name order, so that a record with several faults is always reported the same way.
        for (name, count) in entries.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            guard let agency = try? AgencyID(name) else {
                throw RecordRuleViolation(.malformed, "record vv has a member name that is not an agency id")
            }
            guard let count = count.int64Value else {
                throw RecordRuleViolation(.malformed, "record vv has a counter that is not a 64-bit integer")
            }
            counters[agency] = count
        }
        guard let own = counters[origin], own >= 1 else {
            throw RecordRuleViolation(.originCounterMissing, "record vv counts no edit by its origin \(origin)")
        }
        guard counters.values.allSatisfy({ $0 >= 1 }) else {
            throw RecordRuleViolation(.malformed, "record vv has a counter below 1")
        }
        // A peer could otherwise send a counter that our next local edit cannot increment without overflow.
        guard counters.values.allSatisfy({ $0 <= VersionVector.maximumCounter }) else {
            throw RecordRuleViolation(.malformed, "record vv has a counter above \(VersionVector.maximumCounter)")
        }
        return VersionVector(counters)
    }
}
