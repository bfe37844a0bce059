public import LienThongCore
public import LienThongMerge

/// The operations of one write transaction. It lives only inside ``Store/write(at:_:)``.
public final class StoreTransaction {
    let session: any StoreSession
    /// When this transaction happens.
    public let now: UnixTime
    /// ``now`` as the store keeps times: milliseconds since the Unix epoch.
    let nowMilliseconds: Int64
    private var clock: HybridClock
    private let clockAtStart: HybridClock
    private var ownFeedHeads: [DatasetName: Int64] = [:]
    /// Records this transaction has read or written, as written: every change is written at once, so the
    /// cache only saves reads and is emptied when it grows past ``cachedRecordLimit``.
    private var recordCache: [RecordKey: StoredRecord] = [:]
    private var heldCounts: [FeedKey: Int] = [:]
    /// Per dataset, whether any version is held for its claims; read once, so that the common case of none
    /// costs no look-up per version.
    private var datasetsWithHeld: [DatasetName: Bool] = [:]
    /// Datasets whose superseded versions are deleted as they are superseded (``Store/keepNoHistory(of:)``).
    private let historyless: Set<DatasetName>
    static let cachedRecordLimit = 4096

    /// Begins the transaction's work: reads the clock's last stamp. On PostgreSQL the read locks the clock's
    /// row until the transaction ends, which makes the writes of every daemon sharing the database one after
    /// another (docs/STORE.md, "Several daemons"): the clock never runs backwards and no two versions get one
    /// `seq`.
    init(_ session: any StoreSession, now: UnixTime, historyless: Set<DatasetName> = []) throws {
        self.session = session
        self.historyless = historyless
        self.now = now
        nowMilliseconds = now.milliseconds
        let saved = try session.row(TransactionSQL.lockClock)
        clock = HybridClock(last: saved.map { HybridTimestamp(milliseconds: $0.int64(0), counter: $0.int64(1)) }
            ?? HybridTimestamp(milliseconds: 0, counter: 0))
        clockAtStart = clock
    }

    /// Saves what must outlive the transaction besides its rows: the clock's last stamp.
    func finish() throws {
        // PostgreSQL delivers a notification when its transaction commits, to every publisher of the agency
        // that listens (``Store/followCommits(isStopped:hint:)``); SQLite's readers see the file change instead.
        if !ownFeedHeads.isEmpty { try session.announceOwnFeedCommit() }
        guard clock.last != clockAtStart.last else { return }
        try session.execute(TransactionSQL.saveClock, clock.last.milliseconds, clock.last.counter)
    }

    // MARK: - Versions

    /// Makes a local edit of `(dataset, id)`: a version by `agency` that dominates every sibling, added to
    /// this agency's own feed. Returns the new version.
    ///
    /// `schemaTag` says which schema the data was checked against (``StoreSnapshot/ownFeedRecordTexts(dataset:after:limit:maximumBytes:fields:admits:)``),
    /// 0 for none. An erasure is made by ``erase(dataset:id:agency:reason:policy:)``, which purges too.
    @discardableResult
    public func edit(
        dataset: DatasetName, id: String, agency: AgencyID, deleted: Bool, data: JSONValue, policy: MergePolicy, schemaTag: Int64 = 0
    ) throws -> RecordVersion {
        try edit(dataset: dataset, id: id, agency: agency, deleted: deleted, erasure: false, data: data, policy: policy, schemaTag: schemaTag)
    }

    func edit(
        dataset: DatasetName, id: String, agency: AgencyID, deleted: Bool, erasure: Bool, data: JSONValue, policy: MergePolicy, schemaTag: Int64 = 0
    ) throws -> RecordVersion {
        let key = RecordKey(dataset: dataset, id: id)
        var record = try storedRecord(key)
        let hlc = clock.tick(physicalMilliseconds: nowMilliseconds)
        let version = Merge.localEdit(
            siblings: record.versions, dataset: dataset, id: id, agency: agency, hlc: hlc, deleted: deleted, erasure: erasure, data: data
        )
        let seq = try append(version, source: "local", supersedes: record.siblings.map(\.seq))
        record.siblings = [Sibling(seq: seq, stored: StoredVersion(version: version, source: "local", receivedAt: nowMilliseconds))]
        _ = record.noteAuthored(version)
        try save(record, key, policy: policy)
        try session.appendOwnFeed(seq: try nextOwnFeedSeq(dataset), version, schemaTag: schemaTag)
        return version
    }

    /// The next `seq` of this agency's feed of `dataset`, counted in memory after the first look-up.
    private func nextOwnFeedSeq(_ dataset: DatasetName) throws -> Int64 {
        let seq = try ownFeedHeads[dataset] ?? session.ownFeedHead(dataset)
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
        /// It is concurrent with the authority owner's erasure of its record: it was not kept, and the drop audited.
        case dropped
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
        var record = try storedRecord(key)
        let claims = Merge.checkClaims(of: version, authored: record.authored, rules: rules)
        if case .falseAboutReceiver(let claimed, let made) = claims {
            try refuse(version, from: peer, reason: .falseClaim, detail: "\(version.origin) claims \(claimed) edits by this agency, which made \(made)")
            return .refused
        }
        let raised = record.noteAuthored(version)
        let result: ReceiveResult
        if case .ahead(let agencies) = claims {
            result = try hold(version, from: peer, awaiting: agencies)
        } else {
            result = try merge(version, source: peer.rawValue, into: &record, rules: rules)
        }
        if raised || result == .applied { try save(record, key, policy: rules.policy) }
        if raised { try releaseHeld(key, rules: rules) }
        return result
    }

    /// Re-examines the versions held for claims about `peer` once `peer`'s feed of `dataset` is caught up:
    /// a version held before the page that caught up was fetched, and still claiming more of `peer`'s edits
    /// than `peer` has published, is quarantined. Returns how many were.
    public func feedCaughtUp(peer: AgencyID, dataset: DatasetName, rules: MergeRules) throws -> Int {
        guard try hasHeld(dataset) else { return 0 }
        let rows = try session.rows(TransactionSQL.selectHeldClaiming, dataset.rawValue, peer.rawValue, nowMilliseconds)
        var quarantined = 0
        for row in rows {
            let held = try StoredVersion(row: row, at: 1)
            let seq = row.int64(0)
            let key = RecordKey(held.version)
            var record = try storedRecord(key)
            switch Merge.checkClaims(of: held.version, authored: record.authored, rules: rules) {
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
                if try merge(held.version, source: held.source, into: &record, rules: rules) == .applied {
                    try save(record, key, policy: rules.policy)
                }
            default:
                continue
            }
        }
        return quarantined
    }

    /// The siblings of one record.
    public func siblings(dataset: DatasetName, id: String) throws -> [RecordVersion] {
        try storedRecord(RecordKey(dataset: dataset, id: id)).versions
    }

    /// `Merge.receive` applied to `record`: the version joins the siblings (appended to `version`, naming the
    /// siblings it displaces), is redundant, is an equivocation, is dropped by an erasure, or would break the
    /// sibling limits. An erasure that joins purges what it dominates or drops. The caller saves the record.
    private func merge(_ version: RecordVersion, source: String, into record: inout StoredRecord, rules: MergeRules) throws -> ReceiveResult {
        let peer = try AgencyID(source)
        guard !record.siblings.isEmpty else {
            clock.observe(version.hlc)
            let seq = try append(version, source: source, supersedes: [])
            record.siblings = [Sibling(seq: seq, stored: StoredVersion(version: version, source: source, receivedAt: nowMilliseconds))]
            if version.erasure { try applyErasure(version, from: peer, dropped: [], keeping: [version]) }
            return .applied
        }
        switch Merge.receive(version, siblings: record.versions, policy: rules.policy) {
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
        case .dropped(let erasure):
            try audit("dropped by erasure", peer: peer, dataset: version.dataset, detail: .object([
                "id": .string(version.id), "origin": .string(version.origin.rawValue), "vv": version.vv.json,
                "erasure_origin": .string(erasure.origin.rawValue),
            ]))
            return .dropped
        case .accepted(let remaining, let displaced, let dropped):
            if let reason = rules.limits.refusal(ofSiblings: remaining, receiver: rules.receiver) {
                try refuse(version, from: peer, reason: .limit, detail: reason)
                return .refused
            }
            clock.observe(version.hlc)
            let displacedSiblings = record.siblings.filter { displaced.contains($0.version) }
            let seq = try append(version, source: source, supersedes: displacedSiblings.map(\.seq))
            let all = record.siblings + [Sibling(seq: seq, stored: StoredVersion(version: version, source: source, receivedAt: nowMilliseconds))]
            // In canonical order, as `remaining` is.
            record.siblings = remaining.compactMap { kept in all.first { $0.version == kept } }
            if version.erasure { try applyErasure(version, from: peer, dropped: dropped, keeping: remaining) }
            return .applied
        }
    }

    /// Quarantines a received version with its reason.
    private func refuse(_ version: RecordVersion, from peer: AgencyID, reason: QuarantineReason, detail: String) throws {
        try quarantine(peer: peer, dataset: version.dataset, recordID: version.id, reason: reason, detail: detail, raw: version.json.serializedText)
    }

    // MARK: - Records

    /// Reads the records `ids` of `dataset` ahead, at once, where the backend gains by it (PostgreSQL: one round
    /// trip instead of one per record); a no-op on SQLite. What it reads is what ``receive(_:from:rules:)``
    /// would read record by record.
    public func readAhead(dataset: DatasetName, ids: [String]) throws {
        let keys = ids.prefix(Self.cachedRecordLimit).map { RecordKey(dataset: dataset, id: $0) }.filter { recordCache[$0] == nil }
        guard !keys.isEmpty, let records = try session.storedRecords(keys) else { return }
        if recordCache.count + keys.count > Self.cachedRecordLimit { recordCache.removeAll(keepingCapacity: true) }
        for key in keys { recordCache[key] = records[key] ?? .unknown }
    }

    /// The record `key` as stored (or as this transaction wrote it).
    private func storedRecord(_ key: RecordKey) throws -> StoredRecord {
        if let cached = recordCache[key] { return cached }
        let record = try session.storedRecord(key)
        cache(record, key)
        return record
    }

    private func cache(_ record: StoredRecord, _ key: RecordKey) {
        if recordCache.count >= Self.cachedRecordLimit, recordCache[key] == nil { recordCache.removeAll(keepingCapacity: true) }
        recordCache[key] = record
    }

    /// Appends `version` to `version`, naming the siblings it displaces from the set; returns its `seq`.
    private func append(_ version: RecordVersion, source: String, supersedes: [Int64]) throws -> Int64 {
        let seq = try session.appendVersion(version, source: source, receivedAt: nowMilliseconds, supersedes: supersedes)
        // `history_days: 0`: what the new version displaces is not kept at all. The record's row, saved next,
        // no longer names them.
        if !supersedes.isEmpty, historyless.contains(version.dataset) {
            for displaced in supersedes { try session.execute(RetentionSQL.deleteVersion, displaced) }
        }
        return seq
    }

    /// Writes the record's row: its siblings, the visible one among them under `policy`, and its counters; and
    /// when that changes what `visible_records` shows, a row of the change log.
    private func save(_ record: StoredRecord, _ key: RecordKey, policy: MergePolicy) throws {
        let resolution = Merge.resolve(record.versions, policy: policy)
        let visible = resolution.flatMap { resolution in record.siblings.first { $0.version == resolution.visible }?.seq }
        try session.saveRecord(RecordRow(
            key: key, visible: visible, siblings: StoredRecord.seqsText(record.siblings), siblingCount: Int64(record.siblings.count),
            awaitsReview: resolution?.awaitsReview ?? false, authored: VersionVector.canonicalText(record.authored)
        ))
        var saved = record
        saved.shown = visible.map { ShownState(visible: $0, inConflict: record.siblings.count > 1) }
        if let shown = saved.shown, shown != record.shown, let resolution {
            try session.appendChange(key, kind: ChangeKind(from: record.shown, to: shown, tombstone: resolution.visible.deleted), at: nowMilliseconds)
        }
        cache(saved, key)
    }

    /// Stores `version` until the versions of `agencies` it claims arrive, or refuses it when its peer
    /// already has ``maximumHeldPerFeed`` versions held for the dataset.
    private func hold(_ version: RecordVersion, from peer: AgencyID, awaiting agencies: [AgencyID]) throws -> ReceiveResult {
        let feed = FeedKey(peer: peer, dataset: version.dataset)
        let count = try heldCounts[feed] ?? Int(session.row(TransactionSQL.countHeld, peer.rawValue, version.dataset.rawValue)?.int64(0) ?? 0)
        guard count < Self.maximumHeldPerFeed else {
            try refuse(version, from: peer, reason: .limit, detail: "\(peer) already has \(count) versions held for unconfirmed claims in \(version.dataset)")
            return .refused
        }
        heldCounts[feed] = count + 1
        datasetsWithHeld[version.dataset] = true
        let seq = try session.rows(TransactionSQL.insertHeld, VersionColumns.arguments(version) + [peer.rawValue, nowMilliseconds]).first?.int64(0) ?? 0
        for agency in agencies {
            try session.execute(TransactionSQL.insertHeldClaim, version.dataset.rawValue, agency.rawValue, seq)
        }
        return .held
    }

    /// Merges the versions held for `key` whose claims are all credible now.
    private func releaseHeld(_ key: RecordKey, rules: MergeRules) throws {
        guard try hasHeld(key.dataset) else { return }
        let rows = try session.rows(TransactionSQL.selectHeldOfRecord, key.dataset.rawValue, key.id)
        guard !rows.isEmpty else { return }
        var record = try storedRecord(key)
        var changed = false
        for row in rows {
            let held = try StoredVersion(row: row, at: 1)
            guard Merge.checkClaims(of: held.version, authored: record.authored, rules: rules) == .credible else { continue }
            try forgetHeld(seq: row.int64(0), held)
            changed = try merge(held.version, source: held.source, into: &record, rules: rules) == .applied || changed
        }
        if changed { try save(record, key, policy: rules.policy) }
    }

    /// Whether any version of `dataset` is held for its claims, as far as this transaction knows.
    private func hasHeld(_ dataset: DatasetName) throws -> Bool {
        if let known = datasetsWithHeld[dataset] { return known }
        let any = try session.row(TransactionSQL.anyHeld, dataset.rawValue) != nil
        datasetsWithHeld[dataset] = any
        return any
    }

    /// Deletes the held version `seq` (with its claims) once it is merged or quarantined.
    private func forgetHeld(seq: Int64, _ held: StoredVersion) throws {
        try session.execute(TransactionSQL.deleteHeld, seq)
        let feed = FeedKey(peer: try AgencyID(held.source), dataset: held.version.dataset)
        if let count = heldCounts[feed] { heldCounts[feed] = count - 1 }
    }

    // MARK: - Cursors, quarantine, audit

    /// How far `peer`'s feed of `dataset` has been applied here.
    public func cursor(peer: AgencyID, dataset: DatasetName) throws -> Cursor? {
        try Cursor.fetch(session, peer: peer, dataset: dataset)
    }

    /// Moves the cursor of `peer`'s feed of `dataset` to `position`, remembering the publisher's `head` and
    /// the page's `entityTag`, which the next request from `position` sends as `If-None-Match` (nil: none).
    public func setCursor(peer: AgencyID, dataset: DatasetName, position: Int64, head: Int64, entityTag: String? = nil) throws {
        try session.execute(TransactionSQL.setCursor, peer.rawValue, dataset.rawValue, position, head, nowMilliseconds, entityTag)
    }

    /// Keeps something refused from a peer, exactly as it came, with the reason.
    public func quarantine(peer: AgencyID, dataset: DatasetName?, recordID: String?, reason: QuarantineReason, detail: String, raw: String) throws {
        try session.execute(TransactionSQL.quarantine, nowMilliseconds, peer.rawValue, dataset?.rawValue, recordID, reason.description, detail, raw)
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
        guard try session.execute(TransactionSQL.quarantineSeenAgain, nowMilliseconds, peer.rawValue, body.sha256) == 0 else { return false }
        try session.execute(
            TransactionSQL.quarantinePage, nowMilliseconds, peer.rawValue, QuarantineReason.page(refusedBy: check).description, detail,
            String(decoding: body.prefix, as: UTF8.self), body.sha256, body.size, nowMilliseconds
        )
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

/// The statements of a write transaction besides those every version costs (``StoreSession``).
enum TransactionSQL {
    static let lockClock = SQLStatement(
        sqlite: "SELECT hlc_ms, hlc_counter FROM clock WHERE singleton = 1",
        postgres: "SELECT hlc_ms, hlc_counter FROM clock WHERE singleton = 1 FOR UPDATE"
    )
    static let saveClock = SQLStatement("""
        INSERT INTO clock (singleton, hlc_ms, hlc_counter) VALUES (1, ?, ?)
        ON CONFLICT (singleton) DO UPDATE SET hlc_ms = excluded.hlc_ms, hlc_counter = excluded.hlc_counter
        """)
    static let insertHeld = SQLStatement(
        "INSERT INTO held_version (\(VersionColumns.names), source, received_at) VALUES (\(VersionColumns.placeholders), ?, ?) RETURNING seq"
    )
    static let insertHeldClaim = SQLStatement("INSERT INTO held_claim (dataset, agency, held_seq) VALUES (?, ?, ?)")
    static let anyHeld = SQLStatement("SELECT 1 FROM held_version WHERE dataset = ? LIMIT 1")
    static let countHeld = SQLStatement("SELECT COUNT(*) FROM held_version WHERE source = ? AND dataset = ?")
    static let deleteHeld = SQLStatement("DELETE FROM held_version WHERE seq = ?")
    static let selectHeldOfRecord = SQLStatement("""
        SELECT seq, \(VersionColumns.names), source, received_at FROM held_version WHERE dataset = ? AND record_id = ? ORDER BY seq
        """)
    static let selectHeldClaiming = SQLStatement("""
        SELECT h.seq, \(VersionColumns.names.split(separator: ", ").map { "h.\($0)" }.joined(separator: ", ")), h.source, h.received_at
        FROM held_claim c JOIN held_version h ON h.seq = c.held_seq
        WHERE c.dataset = ? AND c.agency = ? AND h.received_at < ? ORDER BY h.seq
        """)
    static let setCursor = SQLStatement("""
        INSERT INTO cursor (peer, dataset, position, head, updated_at, entity_tag) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (peer, dataset) DO UPDATE SET
            position = excluded.position, head = excluded.head, updated_at = excluded.updated_at, entity_tag = excluded.entity_tag
        """)
    static let quarantine = SQLStatement(
        "INSERT INTO quarantine (received_at, peer, dataset, record_id, reason, detail, raw) VALUES (?, ?, ?, ?, ?, ?, ?)"
    )
    static let quarantineSeenAgain = SQLStatement(
        "UPDATE quarantine SET times_seen = times_seen + 1, last_seen_at = ? WHERE peer = ? AND raw_sha256 = ?"
    )
    static let quarantinePage = SQLStatement("""
        INSERT INTO quarantine (received_at, peer, dataset, record_id, reason, detail, raw, raw_sha256, raw_bytes, last_seen_at)
            VALUES (?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?)
        """)
}
