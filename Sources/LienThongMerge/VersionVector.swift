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
    public var canonicalText: String {
        if counters.count == 1, let (agency, count) = counters.first { return #"{"\#(agency.rawValue)":\#(count)}"# }
        return json.serializedText
    }

    /// The JSON form, `{"agency": count}`.
    public var json: JSONValue {
        .object(Dictionary(uniqueKeysWithValues: counters.map { agency, count in (agency.rawValue, .integer(count)) }))
    }
}
