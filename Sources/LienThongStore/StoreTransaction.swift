import GRDB
public import LienThongCore
public import LienThongMerge

/// The operations of one write transaction. It lives only inside ``Store/write(at:_:)``.
public final class StoreTransaction {
    let db: Database
    /// When this transaction happens.
    public let now: UnixTime
    /// ``now`` as the store keeps times: milliseconds since the Unix epoch.
    let nowMilliseconds: Int64
    private var clock: HybridClock
    private let clockAtStart: HybridClock
    private var ownFeedHeads: [DatasetName: Int64] = [:]
    /// What this transaction has read or written, kept so that each is read at most once.
    private var siblingCache: [RecordKey: [StoredVersion]] = [:]
    private var authoredCache: [RecordKey: [AgencyID: Int64]] = [:]
    private var heldCounts: [FeedKey: Int] = [:]

    init(_ db: Database, now: UnixTime) throws {
        self.db = db
        self.now = now
        nowMilliseconds = now.milliseconds
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
        let hlc = clock.tick(physicalMilliseconds: nowMilliseconds)
        var version = Merge.localEdit(siblings: [], dataset: dataset, id: id, agency: agency, hlc: hlc, deleted: deleted, data: data)
        if try !insertIfNew(version, source: "local") {
            let current = try storedSiblings(RecordKey(dataset: dataset, id: id))
            version = Merge.localEdit(
                siblings: current.map(\.version), dataset: dataset, id: id, agency: agency, hlc: hlc, deleted: deleted, data: data
            )
            try replaceSiblings(
                current: current, displaced: current.map(\.version), adding: StoredVersion(version: version, source: "local", receivedAt: nowMilliseconds),
                remaining: [version], policy: policy
            )
        }
        _ = try noteAuthored(version, RecordKey(version))
        try db.cachedStatement(sql: SQL.insertOwnFeed).execute(arguments: [try nextOwnFeedSeq(dataset)] + VersionColumns.arguments(version))
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
        /// It claims edits by a direct source that this agency has not received yet: it waits, stored, for
        /// those edits or for proof that the claim is false.
        case held
        /// It broke a limit or made a false claim: it was quarantined with the reason.
        case refused
    }

    /// Versions held per peer and dataset at most; beyond, a version that would be held is refused.
    public static let maximumHeldPerFeed = 10_000

    /// Merges a version received from `peer` (already checked against the record rules), under the
    /// dataset's `rules`: the limits, the check of claims about other agencies, then `Merge.receive`.
    @discardableResult
    public func receive(_ version: RecordVersion, from peer: AgencyID, rules: MergeRules) throws -> ReceiveResult {
        if let reason = rules.limits.refusal(ofSiblings: [version], receiver: rules.receiver) {
            try refuse(version, from: peer, reason: .limit, detail: reason)
            return .refused
        }
        let key = RecordKey(version)
        let claims = Merge.checkClaims(of: version, authored: try authoredCounters(key), rules: rules)
        if case .falseAboutReceiver(let claimed, let made) = claims {
            try refuse(version, from: peer, reason: .falseClaim, detail: "\(version.origin) claims \(claimed) edits by this agency, which made \(made)")
            return .refused
        }
        let raised = try noteAuthored(version, key)
        let result: ReceiveResult
        if case .ahead(let agencies) = claims {
            result = try hold(version, from: peer, awaiting: agencies)
        } else {
            result = try merge(version, source: peer.rawValue, rules: rules)
        }
        if raised { try releaseHeld(key, rules: rules) }
        return result
    }

    /// Re-examines the versions held for claims about `peer` once `peer`'s feed of `dataset` is caught up:
    /// a version held before the page that caught up was fetched, and still claiming more of `peer`'s edits
    /// than `peer` has published, is quarantined. Returns how many were.
    public func feedCaughtUp(peer: AgencyID, dataset: DatasetName, rules: MergeRules) throws -> Int {
        let rows = try Row.fetchAll(db.cachedStatement(sql: SQL.selectHeldClaiming), arguments: [dataset.rawValue, peer.rawValue, nowMilliseconds])
        var quarantined = 0
        for row in rows {
            let held = try StoredVersion(row: row)
            let seq: Int64 = row["seq"]
            switch Merge.checkClaims(of: held.version, authored: try authoredCounters(RecordKey(held.version)), rules: rules) {
            case .ahead(let agencies) where agencies.contains(peer):
                try forgetHeld(seq: seq, held)
                let claimed = held.version.vv[peer]
                try quarantine(
                    peer: try AgencyID(held.source), dataset: dataset, recordID: held.version.id, reason: .falseClaim,
                    detail: "\(held.version.origin) claims \(claimed) edits by \(peer), whose feed is caught up without them",
                    raw: held.version.json.serializedText
                )
                try audit("false claim", peer: try AgencyID(held.source), dataset: dataset, detail: .object([
                    "origin": .string(held.version.origin.rawValue), "about": .string(peer.rawValue), "claimed": .integer(claimed),
                ]))
                quarantined += 1
            case .credible:
                try forgetHeld(seq: seq, held)
                _ = try merge(held.version, source: held.source, rules: rules)
            default:
                continue
            }
        }
        return quarantined
    }

    /// The siblings of one record.
    public func siblings(dataset: DatasetName, id: String) throws -> [RecordVersion] {
        try storedSiblings(RecordKey(dataset: dataset, id: id)).map(\.version)
    }

    /// `Merge.receive` applied: the version joins the siblings, is redundant, is an equivocation, or
    /// would break the sibling limits.
    private func merge(_ version: RecordVersion, source: String, rules: MergeRules) throws -> ReceiveResult {
        let key = RecordKey(version)
        if try insertIfNew(version, source: source) {
            clock.observe(version.hlc)
            return .applied
        }
        let current = try storedSiblings(key)
        let peer = try AgencyID(source)
        switch Merge.receive(version, siblings: current.map(\.version)) {
        case .redundant:
            return .redundant
        case .equivocation(let existing):
            try quarantine(
                peer: peer, dataset: version.dataset, recordID: version.id, reason: .equivocation,
                detail: "\(version.origin) sent different contents under version vector \(existing.vv.json.serializedText)",
                raw: version.json.serializedText
            )
            try audit("equivocation", peer: peer, dataset: version.dataset, detail: .object([
                "id": .string(version.id), "origin": .string(version.origin.rawValue), "vv": version.vv.json,
            ]))
            return .equivocation
        case .accepted(let remaining, let displaced):
            if let reason = rules.limits.refusal(ofSiblings: remaining, receiver: rules.receiver) {
                try refuse(version, from: peer, reason: .limit, detail: reason)
                return .refused
            }
            clock.observe(version.hlc)
            try replaceSiblings(
                current: current, displaced: displaced, adding: StoredVersion(version: version, source: source, receivedAt: nowMilliseconds),
                remaining: remaining, policy: rules.policy
            )
            return .applied
        }
    }

    /// Quarantines a received version with its reason.
    private func refuse(_ version: RecordVersion, from peer: AgencyID, reason: QuarantineReason, detail: String) throws {
        try quarantine(peer: peer, dataset: version.dataset, recordID: version.id, reason: reason, detail: detail, raw: version.json.serializedText)
    }

    // MARK: - Claims

    /// Per origin, the greatest `vv[origin]` of the versions of the record it authored that are here.
    private func authoredCounters(_ key: RecordKey) throws -> [AgencyID: Int64] {
        if let cached = authoredCache[key] { return cached }
        var counters: [AgencyID: Int64] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: SQL.selectAuthored), arguments: [key.dataset.rawValue, key.id]) {
            counters[try AgencyID(row["origin"])] = row["counter"]
        }
        authoredCache[key] = counters
        return counters
    }

    /// Records that `version`'s origin has made `vv[origin]` edits of the record, and says whether that is
    /// more than was known: then versions held for claims about the origin may now be credible.
    private func noteAuthored(_ version: RecordVersion, _ key: RecordKey) throws -> Bool {
        var counters = try authoredCounters(key)
        let count = version.vv[version.origin]
        guard count > counters[version.origin, default: 0] else { return false }
        counters[version.origin] = count
        authoredCache[key] = counters
        try db.cachedStatement(sql: SQL.upsertAuthored).execute(arguments: [key.dataset.rawValue, key.id, version.origin.rawValue, count])
        return true
    }

    /// Stores `version` until the versions of `agencies` it claims arrive, or refuses it when its peer
    /// already has ``maximumHeldPerFeed`` versions held for the dataset.
    private func hold(_ version: RecordVersion, from peer: AgencyID, awaiting agencies: [AgencyID]) throws -> ReceiveResult {
        let feed = FeedKey(peer: peer, dataset: version.dataset)
        let count = try heldCounts[feed]
            ?? Int.fetchOne(db.cachedStatement(sql: SQL.countHeld), arguments: [peer.rawValue, version.dataset.rawValue]) ?? 0
        guard count < Self.maximumHeldPerFeed else {
            try refuse(version, from: peer, reason: .limit, detail: "\(peer) already has \(count) versions held for unconfirmed claims in \(version.dataset)")
            return .refused
        }
        heldCounts[feed] = count + 1
        try db.cachedStatement(sql: SQL.insertHeld).execute(arguments: VersionColumns.arguments(version) + [peer.rawValue, nowMilliseconds])
        let seq = db.lastInsertedRowID
        for agency in agencies {
            try db.cachedStatement(sql: SQL.insertHeldClaim).execute(arguments: [version.dataset.rawValue, agency.rawValue, seq])
        }
        return .held
    }

    /// Merges the versions held for `key` whose claims are all credible now.
    private func releaseHeld(_ key: RecordKey, rules: MergeRules) throws {
        let rows = try Row.fetchAll(db.cachedStatement(sql: SQL.selectHeldOfRecord), arguments: [key.dataset.rawValue, key.id])
        guard !rows.isEmpty else { return }
        let authored = try authoredCounters(key)
        for row in rows {
            let held = try StoredVersion(row: row)
            guard Merge.checkClaims(of: held.version, authored: authored, rules: rules) == .credible else { continue }
            try forgetHeld(seq: row["seq"], held)
            _ = try merge(held.version, source: held.source, rules: rules)
        }
    }

    /// Deletes the held version `seq` (with its claims) once it is merged or quarantined.
    private func forgetHeld(seq: Int64, _ held: StoredVersion) throws {
        try db.cachedStatement(sql: SQL.deleteHeld).execute(arguments: [seq])
        let feed = FeedKey(peer: try AgencyID(held.source), dataset: held.version.dataset)
        if let count = heldCounts[feed] { heldCounts[feed] = count - 1 }
    }

    /// Writes `version` as the record's only sibling and visible version if the store has no such record
    /// yet, and says whether it did. That is what merging into an empty set gives (`Merge.receive` then
    /// `Merge.resolve`), reached with one insert and no look-up: most versions are of records new here.
    private func insertIfNew(_ version: RecordVersion, source: String) throws -> Bool {
        let key = RecordKey(version)
        guard siblingCache[key] == nil else { return false }
        try db.cachedStatement(sql: SQL.insertNewRecord).execute(arguments: VersionColumns.arguments(version) + [source, nowMilliseconds])
        guard db.changesCount == 1 else { return false }
        siblingCache[key] = [StoredVersion(version: version, source: source, receivedAt: nowMilliseconds)]
        return true
    }

    /// A record's siblings, read once per transaction and then kept up to date in memory, so that a page
    /// with many versions of one record does not read its siblings again for each.
    private func storedSiblings(_ key: RecordKey) throws -> [StoredVersion] {
        if let cached = siblingCache[key] { return cached }
        let stored = try StoredVersion.siblings(in: db, dataset: key.dataset, id: key.id)
        siblingCache[key] = stored
        return stored
    }

    /// Moves `displaced` to history, adds `new`, and rewrites the visible record. A record with one
    /// sibling keeps it in its `record` row only; from two siblings on, all of them are `sibling` rows.
    private func replaceSiblings(
        current: [StoredVersion], displaced: [RecordVersion], adding new: StoredVersion, remaining: [RecordVersion], policy: MergePolicy
    ) throws {
        let all = current + [new]
        for old in current where displaced.contains(old.version) {
            try db.cachedStatement(sql: SQL.insertHistory)
                .execute(arguments: VersionColumns.arguments(old.version) + [old.source, old.receivedAt, nowMilliseconds])
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
        let kept = Set(remaining)
        siblingCache[RecordKey(new.version)] = all.filter { kept.contains($0.version) }
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
            """).execute(arguments: [peer.rawValue, dataset.rawValue, position, head, nowMilliseconds])
    }

    /// Keeps something refused from a peer, exactly as it came, with the reason.
    public func quarantine(peer: AgencyID, dataset: DatasetName?, recordID: String?, reason: QuarantineReason, detail: String, raw: String) throws {
        try db.cachedStatement(sql: "INSERT INTO quarantine (received_at, peer, dataset, record_id, reason, detail, raw) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: [nowMilliseconds, peer.rawValue, dataset?.rawValue, recordID, reason.description, detail, raw])
    }

    /// Writes one event to the audit log. `detail` must not hold record contents.
    public func audit(_ event: String, peer: AgencyID?, dataset: DatasetName?, detail: JSONValue) throws {
        try db.cachedStatement(sql: "INSERT INTO audit_log (at, event, peer, dataset, detail) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [nowMilliseconds, event, peer?.rawValue, dataset?.rawValue, detail.serializedText])
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
    /// Keeps a page refused by the page check `check` — its digest, size and first 64 KiB — with the reason
    /// ``QuarantineReason/page(refusedBy:)``, and audits the refusal.
    /// The same body from the same peer is kept once: refused again, only its count and last time change.
    /// Returns whether the page was new.
    @discardableResult
    public func quarantinePage(peer: AgencyID, refusedBy check: some CustomStringConvertible, detail: String, body: RefusedBody) throws -> Bool {
        try db.cachedStatement(sql: """
            UPDATE quarantine SET times_seen = times_seen + 1, last_seen_at = ? WHERE peer = ? AND raw_sha256 = ?
            """).execute(arguments: [nowMilliseconds, peer.rawValue, body.sha256])
        guard db.changesCount == 0 else { return false }
        try db.cachedStatement(sql: """
            INSERT INTO quarantine (received_at, peer, dataset, record_id, reason, detail, raw, raw_sha256, raw_bytes, last_seen_at)
                VALUES (?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                nowMilliseconds, peer.rawValue, QuarantineReason.page(refusedBy: check).description, detail, String(decoding: body.prefix, as: UTF8.self), body.sha256, body.size, nowMilliseconds,
            ])
        try audit("page refused", peer: peer, dataset: nil, detail: .object([
            "reason": .string(check.description), "detail": .string(detail), "sha256": .string(body.sha256), "bytes": .integer(Int64(body.size)),
        ]))
        return true
    }
}

/// A record: its dataset and id.
struct RecordKey: Hashable {
    let dataset: DatasetName
    let id: String

    init(dataset: DatasetName, id: String) {
        self.dataset = dataset
        self.id = id
    }

    init(_ version: RecordVersion) {
        self.init(dataset: version.dataset, id: version.id)
    }
}

/// One peer's feed of one dataset.
struct FeedKey: Hashable {
    let peer: AgencyID
    let dataset: DatasetName
}

/// The statements a transaction runs for every version, written once so that SQLite's statement cache finds them.
private enum SQL {
    static let selectAuthored = "SELECT origin, counter FROM origin_counter WHERE dataset = ? AND record_id = ?"
    static let upsertAuthored = """
        INSERT INTO origin_counter (dataset, record_id, origin, counter) VALUES (?, ?, ?, ?)
        ON CONFLICT (dataset, record_id, origin) DO UPDATE SET counter = MAX(counter, excluded.counter)
        """
    static let insertHeld = "INSERT INTO held_version (\(VersionColumns.names), source, received_at) VALUES (\(VersionColumns.placeholders), ?, ?)"
    static let insertHeldClaim = "INSERT INTO held_claim (dataset, agency, held_seq) VALUES (?, ?, ?)"
    static let countHeld = "SELECT COUNT(*) FROM held_version WHERE source = ? AND dataset = ?"
    static let deleteHeld = "DELETE FROM held_version WHERE seq = ?"
    static let selectHeldOfRecord = """
        SELECT seq, \(VersionColumns.names), source, received_at FROM held_version WHERE dataset = ? AND record_id = ? ORDER BY seq
        """
    static let selectHeldClaiming = """
        SELECT h.seq, \(VersionColumns.names.split(separator: ", ").map { "h.\($0)" }.joined(separator: ", ")), h.source, h.received_at
        FROM held_claim c JOIN held_version h ON h.seq = c.held_seq
        WHERE c.dataset = ? AND c.agency = ? AND h.received_at < ? ORDER BY h.seq
        """
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
