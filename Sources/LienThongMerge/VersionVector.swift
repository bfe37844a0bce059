public import LienThongCore

/// Counts, per agency, the edits of one record that a version has seen.
///
/// An absent agency counts 0. Entries of 0 or less are dropped, so vectors with the same counts are
/// equal and hash alike however they were built.
public struct VersionVector: Hashable, Sendable {
    /// The largest counter a received version may carry: 2^53 - 1, exact in every JSON reader (RFC 7493),
    /// and far enough below `Int64.max` that incrementing a received counter never overflows.
    public static let maximumCounter: Int64 = (1 << 53) - 1

    /// The positive counters by agency.
    public let counters: [AgencyID: Int64]

    /// Keeps the positive counters; an entry of 0 or less stands for no edit and is dropped.
    public init(_ counters: [AgencyID: Int64]) {
        self.counters = counters.filter { $0.value > 0 }
    }

    /// The count for `agency`, 0 when absent.
    public subscript(agency: AgencyID) -> Int64 { counters[agency] ?? 0 }

    /// Whether every counter here is at most the same agency's counter in `other` (self ≤ other).
    public func isCovered(by other: VersionVector) -> Bool {
        // Every entry is positive, so a vector naming more agencies than `other` names one `other` lacks.
        guard counters.count <= other.counters.count else { return false }
        return counters.allSatisfy { agency, count in count <= other[agency] }
    }

    /// The pointwise maximum: every edit that either vector has seen.
    public func merging(_ other: VersionVector) -> VersionVector {
        VersionVector(counters.merging(other.counters, uniquingKeysWith: max))
    }

    /// This vector with one more edit by `agency`.
    public func incrementing(_ agency: AgencyID) -> VersionVector {
        var next = counters
        next[agency] = self[agency] + 1
        return VersionVector(next)
    }

    /// The JSON form as canonical text, members sorted: what the store keeps and a page carries.
    public var canonicalText: String { Self.canonicalText(counters) }

    /// Counters by agency as a canonical JSON object, `{"agency":count,…}` with names in byte order: the form
    /// of a vector, and of the store's per-record counters. Agency ids need no escaping.
    public static func canonicalText(_ counters: [AgencyID: Int64]) -> String {
        if counters.count == 1, let (agency, count) = counters.first { return #"{"\#(agency.rawValue)":\#(count)}"# }
        let members = counters.sorted { $0.key.rawValue.utf8.lexicographicallyPrecedes($1.key.rawValue.utf8) }
        return "{" + members.map { #""\#($0.key.rawValue)":\#($0.value)"# }.joined(separator: ",") + "}"
    }

    /// Reads counters written by ``canonicalText(_:)``: a JSON object of agency ids to integers, or nil for
    /// anything else. Text of another layout (white space, escapes) is read by the general JSON parser.
    public static func counters(canonicalText text: String) -> [AgencyID: Int64]? {
        if let counters = flatCounters(text) { return counters }
        guard let members = (try? JSONValue(parsing: text))?.objectValue else { return nil }
        var counters: [AgencyID: Int64] = [:]
        for (agency, count) in members {
            guard let agency = try? AgencyID(agency), let count = count.int64Value else { return nil }
            counters[agency] = count
        }
        return counters
    }

    /// `{"name":digits,…}` read directly, or nil when the text is of any other shape.
    private static func flatCounters(_ text: String) -> [AgencyID: Int64]? {
        var counters: [AgencyID: Int64] = [:]
        var bytes = text.utf8[...]
        guard bytes.popFirst() == UInt8(ascii: "{"), bytes.popLast() == UInt8(ascii: "}") else { return nil }
        while !bytes.isEmpty {
            guard bytes.popFirst() == UInt8(ascii: "\""), let close = bytes.firstIndex(of: UInt8(ascii: "\"")) else { return nil }
            guard let agency = try? AgencyID(String(Substring(bytes[..<close]))) else { return nil }
            bytes = bytes[bytes.index(after: close)...]
            guard bytes.popFirst() == UInt8(ascii: ":") else { return nil }
            let end = bytes.firstIndex(of: UInt8(ascii: ",")) ?? bytes.endIndex
            guard let count = Int64(Substring(bytes[..<end])) else { return nil }
            counters[agency] = count
            bytes = bytes[end...]
            if bytes.popFirst() == nil { break }
            guard !bytes.isEmpty else { return nil }
        }
        return counters
    }

    /// The JSON form, `{"agency": count}`.
    public var json: JSONValue {
        .object(Dictionary(uniqueKeysWithValues: counters.map { agency, count in (agency.rawValue, .integer(count)) }))
    }
}
