import GRDB
public import LienThongCore
public import LienThongMerge

/// The operations of one write transaction. It lives only inside ``Store/write(now:_:)``.
public final class StoreTransaction {
    let db: Database
    /// Milliseconds since the Unix epoch at which this transaction happens.
    public let now: Int64
    private var clock: HybridClock
    private let clockAtStart: HybridClock
    private var ownFeedHeads: [DatasetName: Int64] = [:]

    init(_ db: Database, now: Int64) throws {
        self.db = db
        self.now = now
        let saved = try Row.fetchOne(db, sql: "SELECT hlc_ms, hlc_counter FROM clock WHERE singleton = 1")
        clock = HybridClock(last: saved.map { HybridTimestamp(milliseconds: $0["hlc_ms"], counter: $0["hlc_counter"]) }
            ?? HybridTimestamp(milliseconds: 0, counter: 0))
        clockAtStart = clock
    }

    /// Saves what must outlive the transaction besides its rows: the clock's last stamp.
    func finish() throws {
        guard clock.last != clockAtStart.last else { return }
        try db.execute(
            sql: "INSERT INTO clock (singleton, hlc_ms, hlc_counter) VALUES (1, ?, ?) ON CONFLICT (singleton) DO UPDATE SET hlc_ms = excluded.hlc_ms, hlc_counter = excluded.hlc_counter",
            arguments: [clock.last.milliseconds, clock.last.counter]
        )
    }

    // MARK: - Versions

    /// Makes a local edit of `(dataset, id)`: a version by `agency` that dominates every sibling, added to
    /// this agency's own feed. Returns the new version.
    @discardableResult
    public func edit(dataset: DatasetName, id: String, agency: AgencyID, deleted: Bool, data: JSONValue, policy: MergePolicy) throws
        -> RecordVersion
    {
        let hlc = clock.tick(physicalMilliseconds: now)
        var version = Merge.localEdit(siblings: [], dataset: dataset, id: id, agency: agency, hlc: hlc, deleted: deleted, data: data)
        var columns = VersionColumns.arguments(version)
        if try !insertIfNew(columns: columns, source: "local") {
            let current = try storedSiblings(dataset: dataset, id: id)
            version = Merge.localEdit(
                siblings: current.map(\.version), dataset: dataset, id: id, agency: agency, hlc: hlc, deleted: deleted, data: data
            )
            columns = VersionColumns.arguments(version)
            try replaceSiblings(
                current: current, displaced: current.map(\.version), adding: StoredVersion(version: version, source: "local", receivedAt: now),
                remaining: [version], policy: policy
            )
        }
        try db.cachedStatement(sql: SQL.insertOwnFeed).execute(arguments: [try nextOwnFeedSeq(dataset)] + columns)
        return version
    }

    /// The next `seq` of this agency's feed of `dataset`, counted in memory after the first look-up.
    private func nextOwnFeedSeq(_ dataset: DatasetName) throws -> Int64 {
        let seq = try ownFeedHeads[dataset]
            ?? Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM own_feed WHERE dataset = ?", arguments: [dataset.rawValue]) ?? 0
        ownFeedHeads[dataset] = seq + 1
        return seq + 1
    }

    /// What receiving one version did.
    public enum ReceiveResult: Sendable, Equatable {
        /// It joined the siblings (and may have displaced some into history).
        case applied
        /// An equal or newer version was already here.
        case redundant
        /// Its origin sent different contents under the same version vector: it was quarantined.
        case equivocation
    }

    /// Merges a version received from `peer` (already checked against the record rules).
    @discardableResult
    public func receive(_ version: RecordVersion, from peer: AgencyID, policy: MergePolicy) throws -> ReceiveResult {
        if try insertIfNew(columns: VersionColumns.arguments(version), source: peer.rawValue) {
            clock.observe(version.hlc)
            return .applied
        }
        let current = try storedSiblings(dataset: version.dataset, id: version.id)
        switch Merge.receive(version, siblings: current.map(\.version)) {
        case .redundant:
            return .redundant
        case .equivocation(let existing):
            try quarantine(
                peer: peer, dataset: version.dataset, recordID: version.id, reason: "equivocation",
                detail: "\(version.origin) sent different contents under version vector \(existing.vv.json.serializedText)",
                raw: version.json.serializedText
            )
            try audit("equivocation", peer: peer, dataset: version.dataset, detail: .object([
                "id": .string(version.id), "origin": .string(version.origin.rawValue), "vv": version.vv.json,
            ]))
            return .equivocation
        case .accepted(let remaining, let displaced):
            clock.observe(version.hlc)
            try replaceSiblings(
                current: current, displaced: displaced, adding: StoredVersion(version: version, source: peer.rawValue, receivedAt: now),
                remaining: remaining, policy: policy
            )
            return .applied
        }
    }

    /// The siblings of one record.
    public func siblings(dataset: DatasetName, id: String) throws -> [RecordVersion] {
        try storedSiblings(dataset: dataset, id: id).map(\.version)
    }

    /// Writes the version in `columns` as the record's only sibling and visible version if the store has no
    /// such record yet, and says whether it did. That is what merging into an empty set gives
    /// (`Merge.receive` then `Merge.resolve`), reached with one insert and no look-up: most versions are of
    /// records new here.
    private func insertIfNew(columns: StatementArguments, source: String) throws -> Bool {
        try db.cachedStatement(sql: SQL.insertNewRecord).execute(arguments: columns + [source, now])
        return db.changesCount == 1
    }

    private func storedSiblings(dataset: DatasetName, id: String) throws -> [StoredVersion] {
        try StoredVersion.siblings(in: db, dataset: dataset, id: id)
    }

    /// Moves `displaced` to history, adds `new`, and rewrites the visible record. A record with one
    /// sibling keeps it in its `record` row only; from two siblings on, all of them are `sibling` rows.
    private func replaceSiblings(
        current: [StoredVersion], displaced: [RecordVersion], adding new: StoredVersion, remaining: [RecordVersion], policy: MergePolicy
    ) throws {
        let all = current + [new]
        for old in current where displaced.contains(old.version) {
            try db.cachedStatement(sql: SQL.insertHistory)
                .execute(arguments: VersionColumns.arguments(old.version) + [old.source, old.receivedAt, now])
        }
        let dataset = new.version.dataset.rawValue
        let id = new.version.id
        let wasConflict = current.count > 1
        if remaining.count > 1 {
            if wasConflict {
                for old in displaced {
                    try db.cachedStatement(sql: SQL.deleteSibling).execute(arguments: [dataset, id, old.origin.rawValue, old.vv.json.serializedText])
                }
            }
            for stored in all where remaining.contains(stored.version) && (stored == new || !wasConflict) {
                try db.cachedStatement(sql: SQL.insertSibling).execute(arguments: VersionColumns.arguments(stored.version) + [stored.source, stored.receivedAt])
            }
        } else if wasConflict {
            try db.cachedStatement(sql: SQL.deleteSiblings).execute(arguments: [dataset, id])
        }
        guard let resolution = Merge.resolve(remaining, policy: policy),
            let visible = all.first(where: { $0.version == resolution.visible })
        else { return }
        try db.cachedStatement(sql: SQL.upsertRecord).execute(
            arguments: VersionColumns.arguments(visible.version)
                + [visible.source, visible.receivedAt, resolution.siblings.count, resolution.awaitsReview]
        )
    }

    // MARK: - Cursors, quarantine, audit

    /// How far `peer`'s feed of `dataset` has been applied here.
    public func cursor(peer: AgencyID, dataset: DatasetName) throws -> Cursor? {
        try Cursor.fetch(db, peer: peer, dataset: dataset)
    }

    /// Moves the cursor of `peer`'s feed of `dataset` to `position`, remembering the publisher's `head`.
    public func setCursor(peer: AgencyID, dataset: DatasetName, position: Int64, head: Int64) throws {
        try db.cachedStatement(sql: """
            INSERT INTO cursor (peer, dataset, position, head, updated_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (peer, dataset) DO UPDATE SET position = excluded.position, head = excluded.head, updated_at = excluded.updated_at
            """).execute(arguments: [peer.rawValue, dataset.rawValue, position, head, now])
    }

    /// Keeps something refused from a peer, exactly as it came, with the reason.
    public func quarantine(peer: AgencyID, dataset: DatasetName?, recordID: String?, reason: String, detail: String, raw: String) throws {
        try db.cachedStatement(sql: "INSERT INTO quarantine (received_at, peer, dataset, record_id, reason, detail, raw) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: [now, peer.rawValue, dataset?.rawValue, recordID, reason, detail, raw])
    }

    /// Writes one event to the audit log. `detail` must not hold record contents.
    public func audit(_ event: String, peer: AgencyID?, dataset: DatasetName?, detail: JSONValue) throws {
        try db.cachedStatement(sql: "INSERT INTO audit_log (at, event, peer, dataset, detail) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [now, event, peer?.rawValue, dataset?.rawValue, detail.serializedText])
    }
}

/// What the quarantine keeps of a refused page's body: its digest, its size and its first bytes.
public struct RefusedBody: Sendable {
    /// How much of the body is kept: 64 KiB, enough to read what the peer sent without keeping it whole.
    public static let keptPrefixBytes = 65_536

    /// The SHA-256 of the whole body, lower-case hex.
    public let sha256: String
    public let size: Int
    /// The first ``keptPrefixBytes`` of the body.
    public let prefix: [UInt8]

    /// `sha256` must be the digest of the whole of `body`.
    public init(_ body: [UInt8], sha256: String) {
        self.sha256 = sha256
        size = body.count
        prefix = Array(body.prefix(Self.keptPrefixBytes))
    }
}

extension StoreTransaction {
    /// Keeps a refused page — its digest, size and first 64 KiB — with the reason, and audits the refusal.
    /// The same body from the same peer is kept once: refused again, only its count and last time change.
    /// Returns whether the page was new.
    @discardableResult
    public func quarantinePage(peer: AgencyID, reason: String, detail: String, body: RefusedBody) throws -> Bool {
        try db.cachedStatement(sql: """
            UPDATE quarantine SET times_seen = times_seen + 1, last_seen_at = ? WHERE peer = ? AND raw_sha256 = ?
            """).execute(arguments: [now, peer.rawValue, body.sha256])
        guard db.changesCount == 0 else { return false }
        try db.cachedStatement(sql: """
            INSERT INTO quarantine (received_at, peer, dataset, record_id, reason, detail, raw, raw_sha256, raw_bytes, last_seen_at)
                VALUES (?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                now, peer.rawValue, "page: \(reason)", detail, String(decoding: body.prefix, as: UTF8.self), body.sha256, body.size, now,
            ])
        try audit("page refused", peer: peer, dataset: nil, detail: .object([
            "reason": .string(reason), "detail": .string(detail), "sha256": .string(body.sha256), "bytes": .integer(Int64(body.size)),
        ]))
        return true
    }
}

/// The statements a transaction runs for every version, written once so that SQLite's statement cache finds them.
private enum SQL {
    static let insertSibling = "INSERT INTO sibling (\(VersionColumns.names), source, received_at) VALUES (\(VersionColumns.placeholders), ?, ?)"
    static let insertHistory = """
        INSERT INTO history (\(VersionColumns.names), source, received_at, superseded_at) VALUES (\(VersionColumns.placeholders), ?, ?, ?)
        """
    static let deleteSibling = "DELETE FROM sibling WHERE dataset = ? AND record_id = ? AND origin = ? AND vv = ?"
    static let deleteSiblings = "DELETE FROM sibling WHERE dataset = ? AND record_id = ?"
    static let insertOwnFeed = "INSERT INTO own_feed (seq, \(VersionColumns.names)) VALUES (?, \(VersionColumns.placeholders))"
    static let insertNewRecord = """
        INSERT INTO record (dataset, id, origin, hlc_ms, hlc_counter, vv, deleted, data, source, received_at, sibling_count, awaits_review)
            VALUES (\(VersionColumns.placeholders), ?, ?, 1, 0)
        ON CONFLICT (dataset, id) DO NOTHING
        """
    static let upsertRecord = """
        INSERT INTO record (dataset, id, origin, hlc_ms, hlc_counter, vv, deleted, data, source, received_at, sibling_count, awaits_review)
            VALUES (\(VersionColumns.placeholders), ?, ?, ?, ?)
        ON CONFLICT (dataset, id) DO UPDATE SET
            origin = excluded.origin, hlc_ms = excluded.hlc_ms, hlc_counter = excluded.hlc_counter, vv = excluded.vv,
            deleted = excluded.deleted, data = excluded.data, source = excluded.source, received_at = excluded.received_at,
            sibling_count = excluded.sibling_count, awaits_review = excluded.awaits_review
        """
}
