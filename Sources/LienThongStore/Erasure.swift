public import LienThongCore
public import LienThongMerge

/// What an erasure purged from this store: counts of rows, never what they held (docs/STORE.md, "Erasure").
public struct ErasurePurge: Sendable, Equatable {
    /// Rows of `version` deleted: superseded versions, and siblings the erasure displaced or dropped.
    public var versions = 0
    /// Versions held for their claims, deleted.
    public var held = 0
    /// Quarantine rows of the record, deleted.
    public var quarantined = 0
    /// Quarantine rows without a record id (refused pages, records without a readable id) that name the
    /// record's id, their raw text blanked.
    public var blanked = 0
    /// Versions of this agency's own feed, deleted: they are never served again.
    public var ownFeed = 0
    /// Their `seq`s (at most ``maximumSeqsKept``), kept in the audit entry so that `audit disclosures` still
    /// answers who received them (docs/PRIVACY.md).
    public var ownFeedSeqs: [Int64] = []

    /// The most own-feed `seq`s one entry keeps: far more than the versions one record has in practice.
    public static let maximumSeqsKept = 10_000

    /// The counts as the audit log keeps them, and the own-feed `seq`s purged.
    var json: JSONValue {
        .object([
            "versions": .integer(Int64(versions)), "held": .integer(Int64(held)), "quarantined": .integer(Int64(quarantined)),
            "blanked": .integer(Int64(blanked)), "own_feed": .integer(Int64(ownFeed)), "own_feed_seqs": .array(ownFeedSeqs.map(JSONValue.integer)),
        ])
    }
}

extension ErasurePurge: CustomStringConvertible {
    /// `2 versions, 1 held, 1 quarantined, 0 blanked, 1 own-feed`.
    public var description: String { message.description }

    /// The counts in the operator's language, for `lienthong erase`; the audit log keeps the English ``description``.
    public var message: LocalizedMessage {
        LocalizedMessage("erase.purged", [
            "versions": "\(versions)", "held": "\(held)", "quarantined": "\(quarantined)", "blanked": "\(blanked)", "own_feed": "\(ownFeed)",
        ])
    }
}

extension StoreTransaction {
    /// Erases `(dataset, id)`: makes this agency's erasure tombstone (a local edit with `deleted` and `erasure`
    /// true, data `{}`) and purges every other stored body of the record — superseded and sibling versions,
    /// held versions, its quarantine rows, the raw text of other quarantine rows that name its id, and its
    /// earlier versions in the own feed — and audits `erasure` with `reason` and the counts. Returns the
    /// tombstone and what was purged.
    ///
    /// `reason` is the operator's text, kept in the audit log: it must not hold the record's contents.
    public func erase(
        dataset: DatasetName, id: String, agency: AgencyID, reason: String, policy: MergePolicy
    ) throws -> (tombstone: RecordVersion, purged: ErasurePurge) {
        let tombstone = try edit(dataset: dataset, id: id, agency: agency, deleted: true, erasure: true, data: .object([:]), policy: policy)
        let purged = try purge(RecordKey(tombstone), keeping: [tombstone]) { _ in true }
        try audit("erasure", peer: nil, dataset: dataset, detail: .object([
            "id": .string(id), "reason": .string(reason), "purged": purged.json,
        ]))
        return (tombstone, purged)
    }

    /// Purges the bodies of a record that a received erasure `tombstone` dominates, or that it dropped (`dropped`,
    /// concurrent siblings an authority owner's erasure wins over, with what they superseded), and audits
    /// `erasure applied`. `keeping` are the record's siblings now.
    func applyErasure(_ tombstone: RecordVersion, from peer: AgencyID, dropped: [RecordVersion], keeping siblings: [RecordVersion]) throws {
        let bound = dropped.reduce(tombstone.vv) { $0.merging($1.vv) }
        let purged = try purge(RecordKey(tombstone), keeping: siblings) { $0?.isCovered(by: bound) ?? false }
        try audit("erasure applied", peer: peer, dataset: tombstone.dataset, detail: .object([
            "id": .string(tombstone.id), "origin": .string(tombstone.origin.rawValue), "dropped": .integer(Int64(dropped.count)),
            "purged": purged.json,
        ]))
    }

    /// Deletes the stored versions of `key` whose vector `purges` accepts, except the versions `keeping` (rows
    /// of `version` and of the own feed that hold them); deletes quarantine rows of `key` whose raw record's
    /// vector it accepts (nil: the raw text has none); blanks the raw text of quarantine rows without a record
    /// id that name the record's id. The caller keeps the record's row pointing only at versions kept.
    private func purge(_ key: RecordKey, keeping: [RecordVersion], purges: (VersionVector?) -> Bool) throws -> ErasurePurge {
        var purged = ErasurePurge()
        let kept = Set(keeping.map { Kept(origin: $0.origin.rawValue, vv: $0.vv.canonicalText) })
        func doomed(_ rows: [SQLRow]) -> [Int64] {
            rows.filter { row in
                !kept.contains(Kept(origin: row.text(1), vv: row.text(2))) && purges(VersionVector.counters(canonicalText: row.text(2)).map(VersionVector.init))
            }.map { $0.int64(0) }
        }
        let arguments: [any SQLArgument] = [key.dataset.rawValue, key.id]
        for seq in doomed(try session.rows(ErasureSQL.selectVersions, arguments)) {
            purged.versions += try session.execute(ErasureSQL.deleteVersion, seq)
        }
        for seq in doomed(try session.rows(ErasureSQL.selectHeld, arguments)) {
            purged.held += try session.execute(TransactionSQL.deleteHeld, seq)
        }
        for seq in doomed(try session.rows(ErasureSQL.selectOwnFeed, arguments)) {
            purged.ownFeed += try session.execute(ErasureSQL.deleteOwnFeed, key.dataset.rawValue, seq)
            if purged.ownFeedSeqs.count < ErasurePurge.maximumSeqsKept { purged.ownFeedSeqs.append(seq) }
            // The feed's head never goes back, even when its last version is purged: peers' cursors are past it.
            try session.execute(ErasureSQL.notePurgedOwnFeed, key.dataset.rawValue, seq)
        }
        for row in try session.rows(ErasureSQL.selectQuarantined, arguments) {
            let vv = (try? JSONValue(parsing: row.text(1)))?["vv"].flatMap { VersionVector.counters(canonicalText: $0.serializedText) }
            if purges(vv.map(VersionVector.init)) { purged.quarantined += try session.execute(ErasureSQL.deleteQuarantined, row.int64(0)) }
        }
        for row in try session.rows(ErasureSQL.selectUnattributed) where Self.names(row.text(1), id: key.id) {
            purged.blanked += try session.execute(ErasureSQL.blankQuarantined, row.int64(0))
        }
        return purged
    }

    /// Whether quarantined `raw` text names the record id `id` as a JSON string: in the text itself, or in the
    /// payload of the compact JWS it holds (a refused page, whose kept first bytes may cut the payload short).
    static func names(_ raw: String, id: String) -> Bool {
        let needle = JSONValue.string(id).serialized()
        if raw.utf8.contains(needle) { return true }
        let segments = raw.utf8.split(separator: UInt8(ascii: "."), maxSplits: 2, omittingEmptySubsequences: false)
        guard segments.count >= 2 else { return false }
        let payload = segments[1].prefix(segments[1].count / 4 * 4)
        return (try? Base64URL.decode(utf8: payload))?.contains(needle) ?? false
    }
}

/// A version kept by a purge: its origin and its vector as stored.
private struct Kept: Hashable {
    let origin: String
    let vv: String
}

extension Sequence<UInt8> {
    /// Whether `needle` occurs in these bytes.
    fileprivate func contains(_ needle: [UInt8]) -> Bool {
        let haystack = Array(self)
        guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
        return (0...(haystack.count - needle.count)).contains { start in haystack[start..<(start + needle.count)].elementsEqual(needle) }
    }
}

/// What erasures add to the store (migration v12, both backends), and the statements of a purge.
enum ErasureSQL {
    static let migrationIdentifier = "v12: erasure tombstones"
    /// `erasure` on every table that keeps versions: 1 on an erasure tombstone (docs/MERGE.md, "Erasure"); and per
    /// dataset the last own-feed `seq` purged, below which the feed's head never goes. `integer` and `key` are
    /// the backend's types for an integer and a text key.
    static func migration(integer: String, key: String) -> String {
        ["version", "own_feed", "held_version"].map { table in
            "ALTER TABLE \(table) ADD COLUMN erasure \(integer) NOT NULL DEFAULT 0 CHECK (erasure IN (0, 1))"
        }.joined(separator: ";\n") + """
            ;
            CREATE TABLE own_feed_purged (
                dataset \(key) NOT NULL PRIMARY KEY,
                through \(integer) NOT NULL CHECK (through >= 1)
            )
            """
    }
    static let notePurgedOwnFeed = SQLStatement("""
        INSERT INTO own_feed_purged (dataset, through) VALUES (?, ?)
        ON CONFLICT (dataset) DO UPDATE SET
            through = CASE WHEN excluded.through > own_feed_purged.through THEN excluded.through ELSE own_feed_purged.through END
        """)

    static let selectVersions = SQLStatement("SELECT seq, origin, vv FROM version WHERE dataset = ? AND record_id = ?")
    static let deleteVersion = SQLStatement("DELETE FROM version WHERE seq = ?")
    static let selectHeld = SQLStatement("SELECT seq, origin, vv FROM held_version WHERE dataset = ? AND record_id = ?")
    static let selectOwnFeed = SQLStatement("SELECT seq, origin, vv FROM own_feed WHERE dataset = ? AND record_id = ?")
    static let deleteOwnFeed = SQLStatement("DELETE FROM own_feed WHERE dataset = ? AND seq = ?")
    static let selectQuarantined = SQLStatement("SELECT seq, raw FROM quarantine WHERE dataset = ? AND record_id = ?")
    static let deleteQuarantined = SQLStatement("DELETE FROM quarantine WHERE seq = ?")
    static let selectUnattributed = SQLStatement("SELECT seq, raw FROM quarantine WHERE record_id IS NULL AND raw <> ''")
    static let blankQuarantined = SQLStatement("UPDATE quarantine SET raw = '' WHERE seq = ?")
}
