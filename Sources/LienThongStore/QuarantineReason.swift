public import LienThongMerge

/// Why something a peer sent is kept in quarantine: the `reason` column of the `quarantine` table
/// (docs/STORE.md). A closed set, so that the reasons a reader of the table may meet are the ones listed here.
public struct QuarantineReason: Hashable, Sendable, CustomStringConvertible {
    public let description: String
    private init(_ description: String) { self.description = description }

    /// A version beyond a merge limit: siblings, vector entries, or versions held per peer (MERGE.md, "Limits").
    public static let limit = QuarantineReason("limit")
    /// A version whose vector claims edits its origin cannot have seen (MERGE.md, "Claims about other agencies").
    public static let falseClaim = QuarantineReason("false claim")
    /// A second, different version under a vector already received from the same origin.
    public static let equivocation = QuarantineReason("equivocation")

    /// A record whose data breaks the receiver's declared schema of the dataset (docs/SCHEMA.md); the detail
    /// names the field's path and the rule.
    public static let schema = QuarantineReason("schema")

    /// A record that broke the record rule `rule`, named as the rule is.
    public static func recordRule(_ rule: RecordRuleViolation.Reason) -> QuarantineReason { QuarantineReason(rule.description) }

    /// A whole page refused by the page check named `check` (a reason of the feed protocol's page checks,
    /// docs/PROTOCOL.md), written `page: <check>`.
    public static func page(refusedBy check: some CustomStringConvertible) -> QuarantineReason { QuarantineReason("page: \(check)") }
}
