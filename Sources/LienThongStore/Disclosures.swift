public import LienThongCore

/// One time a record left this agency's hands: a version served to a peer in a page, or shown to a local
/// user with `--reveal` (docs/PRIVACY.md, "Answering a data subject").
public struct Disclosure: Sendable, Equatable {
    /// When, in milliseconds since the Unix epoch.
    public let at: Int64
    /// `page served` or `local disclosure`.
    public let event: String
    /// The agency served; nil for a local disclosure.
    public let recipient: String?
    /// The own-feed `seq` of the version served; nil for a local disclosure.
    public let seq: Int64?
    /// The fields granted (served) or revealed; nil: every field.
    public let fields: [String]?
    /// The purpose stated, if any.
    public let purpose: String?
    /// The audit entry that records it.
    public let auditSeq: Int64
    /// For a local disclosure: the command and the operator, as the entry has them.
    public let command: String?
    public let operatorName: String?

    /// `audit disclosures --json`: `at` (ms), `event`, `to`, `seq`, `fields` (null: all), `purpose`, `audit_seq`,
    /// and for a local disclosure `command` and `operator`.
    public var json: JSONValue {
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        return .object([
            "at": .integer(at), "event": .string(event), "to": text(recipient), "seq": seq.map(JSONValue.integer) ?? .null,
            "fields": fields.map { .array($0.map(JSONValue.string)) } ?? .null, "purpose": text(purpose), "audit_seq": .integer(auditSeq),
            "command": text(command), "operator": text(operatorName),
        ])
    }
}

enum DisclosureSQL {
    static let ownVersions = SQLStatement("SELECT seq FROM own_feed WHERE dataset = ? AND record_id = ? ORDER BY seq")
    static let erasures = SQLStatement("""
        SELECT \(AuditChainSQL.columns) FROM audit_log
        WHERE dataset = ? AND event IN ('erasure', 'erasure applied') AND seq > ? ORDER BY seq LIMIT ?
        """)
    static let entries = SQLStatement("""
        SELECT \(AuditChainSQL.columns) FROM audit_log
        WHERE dataset = ? AND event IN ('page served', 'local disclosure') AND seq > ? ORDER BY seq LIMIT ?
        """)
}

extension StoreSnapshot {
    /// Every disclosure of record `id` of `dataset` the audit log shows, oldest first: each page served whose
    /// range held a version of it from this agency's own feed (not one left out of the page) — including
    /// versions an erasure has purged since, whose `seq`s its entry keeps — and each local disclosure that
    /// named it or the whole dataset. Computed from the log and the own feed: the log holds no record contents.
    public func disclosures(dataset: DatasetName, id: String) throws -> [Disclosure] {
        // The versions in the own feed now, and those an erasure purged from it (its entry keeps their seqs).
        var versions = try session.rows(DisclosureSQL.ownVersions, dataset.rawValue, id).map { $0.int64(0) }
        try forEachEntry(DisclosureSQL.erasures, dataset: dataset) { entry, detail in
            guard detail["id"]?.stringValue == id else { return }
            versions += detail["purged"]?["own_feed_seqs"]?.arrayValue?.compactMap(\.int64Value) ?? []
        }
        versions = Array(Set(versions)).sorted()
        var found: [Disclosure] = []
        try forEachEntry(DisclosureSQL.entries, dataset: dataset) { entry, detail in
            found += Self.disclosures(in: entry, detail: detail, id: id, versions: versions)
        }
        return found
    }

    /// Calls `body` with each entry `statement` selects for `dataset`, in order, and its parsed detail.
    private func forEachEntry(_ statement: SQLStatement, dataset: DatasetName, _ body: (AuditEntry, JSONValue) throws -> Void) throws {
        var after: Int64 = 0
        while true {
            let rows = try session.rows(statement, dataset.rawValue, after, AuditChainSQL.batch)
            for entry in rows.map(AuditEntry.init(row:)) {
                guard let detail = try? JSONValue(parsing: Array(entry.detail.utf8)) else { continue }
                try body(entry, detail)
            }
            guard rows.count == AuditChainSQL.batch, let last = rows.last else { return }
            after = last.int64(0)
        }
    }

    private static func disclosures(in entry: AuditEntry, detail: JSONValue, id: String, versions: [Int64]) -> [Disclosure] {
        let fields = detail["fields"]?.arrayValue.map { $0.compactMap(\.stringValue) }
        let purpose = detail["purpose"]?.stringValue
        if entry.event == "local disclosure" {
            let ids = detail["ids"]?.arrayValue?.compactMap(\.stringValue)
            guard ids == nil || ids?.contains(id) == true else { return [] }
            return [Disclosure(
                at: entry.at, event: entry.event, recipient: nil, seq: nil, fields: fields, purpose: purpose, auditSeq: entry.seq,
                command: detail["command"]?.stringValue, operatorName: detail["operator"]?.stringValue
            )]
        }
        guard let first = detail["after"]?.int64Value, let last = detail["last"]?.int64Value else { return [] }
        let withheld = Set(detail["withheld"]?.arrayValue?.compactMap(\.int64Value) ?? [])
        return versions.filter { $0 > first && $0 <= last && !withheld.contains($0) }.map { seq in
            Disclosure(
                at: entry.at, event: entry.event, recipient: entry.peer, seq: seq, fields: fields, purpose: purpose, auditSeq: entry.seq,
                command: nil, operatorName: nil
            )
        }
    }
}
