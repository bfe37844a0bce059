public import LienThongCore
public import LienThongMerge

/// What one change did to what `visible_records` shows of a record (the `kind` column of `changes`).
public enum ChangeKind: String, Sendable, CaseIterable {
    /// The record is shown for the first time.
    case created
    /// Another version is shown, not a tombstone, and the record is not newly in or out of conflict.
    case updated
    /// The version shown now is a tombstone.
    case deleted
    /// The record has gone from one sibling to several: `conflict` is now 1.
    case conflictOpened = "conflict_opened"
    /// The record is back to one sibling: `conflict` is now 0.
    case conflictClosed = "conflict_closed"

    /// The kind of the change from `old` (nil: nothing shown) to `new`, whose visible version is a tombstone
    /// when `tombstone`: a conflict opened or closed first, then a tombstone, then a first showing.
    init(from old: ShownState?, to new: ShownState, tombstone: Bool) {
        if let old, old.inConflict != new.inConflict {
            self = new.inConflict ? .conflictOpened : .conflictClosed
        } else if tombstone {
            self = .deleted
        } else {
            self = old == nil ? .created : .updated
        }
    }
}

/// One row of the change log, with the record as it is shown now (not as it was then: the log keeps no
/// record contents).
public struct Change: Sendable {
    public let changeSeq: Int64
    public let dataset: DatasetName
    public let id: String
    public let kind: ChangeKind
    /// When the change was committed, in milliseconds since the Unix epoch.
    public let changedAt: Int64
    /// The record as `visible_records` shows it in the snapshot read.
    public let record: VisibleRecord
}

/// Changes after a number that the log no longer keeps: answering would leave a gap.
public struct ChangesPrunedError: Error, CustomStringConvertible {
    /// The number asked for.
    public let after: Int64
    /// The last number pruned: changes after it are all kept.
    public let prunedThrough: Int64

    public var description: String {
        "changes after \(after) are no longer kept: the change log was pruned through \(prunedThrough) (changes_retention_days); "
            + "read visible_records again, then follow from the change_seq it was read at"
    }
}

extension StoreSnapshot {
    /// The last change numbered so far (0 when none ever was), and the last one pruned (0 when none was).
    public func changeLogBounds() throws -> (last: Int64, prunedThrough: Int64) {
        let pruned = try prunedThrough()
        return (max(try session.row(ChangeLogSQL.last)?.optionalInt64(0) ?? 0, pruned), pruned)
    }

    private func prunedThrough() throws -> Int64 {
        try session.row(ChangeLogSQL.prunedThrough)?.int64(0) ?? 0
    }

    /// The changes numbered after `after`, oldest first, at most `limit`, of `dataset` only unless nil; each
    /// with its record as shown in this snapshot. Throws ``ChangesPrunedError`` when changes after `after`
    /// have been pruned.
    public func changes(after: Int64, dataset: DatasetName?, limit: Int) throws -> [Change] {
        let pruned = try prunedThrough()
        guard after >= pruned else { throw ChangesPrunedError(after: after, prunedThrough: pruned) }
        let rows = try dataset.map { try session.rows(ChangeLogSQL.changesOfDataset, after, $0.rawValue, limit) }
            ?? session.rows(ChangeLogSQL.changes, after, limit)
        return try rows.map { row in
            let record = try VisibleRecord(row: row)
            guard let kind = ChangeKind(rawValue: row.text(VersionColumns.count + 3)) else {
                throw StoreError(.read, doing: LocalizedMessage("store.doing.read-change-log"), underlying: StoreCorruption(detail: "a change has no known kind"))
            }
            return Change(
                changeSeq: row.int64(VersionColumns.count + 2), dataset: record.version.dataset, id: record.version.id, kind: kind,
                changedAt: row.int64(VersionColumns.count + 4), record: record
            )
        }
    }
}

extension Store {
    /// How many rows of the change log one transaction of ``pruneChanges(keptDays:)`` deletes at most, so
    /// that pruning holds the write lock briefly.
    static let pruneBatch = 10_000

    /// Deletes the change log's oldest rows, in order, while they are more than `keptDays` days old, in
    /// transactions of at most ``pruneBatch`` rows; remembers the last number deleted, so that a request for
    /// changes after an earlier one is refused. The newest row is always kept: SQLite numbers a new row one
    /// past the greatest, so no number is ever given twice. Returns how many rows were deleted.
    @discardableResult
    public func pruneChanges(keptDays: Int) async throws -> Int {
        var deleted = 0
        while true {
            let count = try await write { transaction in try transaction.pruneChangeBatch(keptDays: keptDays) }
            deleted += count
            if count < Self.pruneBatch { return deleted }
        }
    }
}

extension StoreTransaction {
    /// One transaction of ``Store/pruneChanges(keptDays:)``.
    func pruneChangeBatch(keptDays: Int) throws -> Int {
        let cutoff = nowMilliseconds - Int64(keptDays) * 86_400_000
        let newest = try session.row(ChangeLogSQL.last)?.optionalInt64(0) ?? 0
        var through: Int64?
        for row in try session.rows(ChangeLogSQL.oldest, newest, Store.pruneBatch) {
            guard row.int64(1) < cutoff else { break }
            through = row.int64(0)
        }
        guard let through else { return 0 }
        let count = try session.execute(ChangeLogSQL.deleteThrough, through)
        try session.execute(ChangeLogSQL.notePruned, through)
        return count
    }
}

/// The statements of the change log.
enum ChangeLogSQL {
    static let last = SQLStatement("SELECT MAX(change_seq) FROM change_log")
    static let prunedThrough = SQLStatement("SELECT through FROM change_log_pruned WHERE singleton = 1")
    private static let selectChanges = """
        SELECT r.dataset, r.id, v.origin, v.hlc_ms, v.hlc_counter, v.vv, v.deleted, v.data, v.erasure, r.sibling_count, r.awaits_review,
               c.change_seq, c.kind, c.changed_at
        FROM change_log c JOIN record r ON r.dataset = c.dataset AND r.id = c.record_id JOIN version v ON v.seq = r.visible
        """
    static let changes = SQLStatement("\(selectChanges) WHERE c.change_seq > ? ORDER BY c.change_seq LIMIT ?")
    static let changesOfDataset = SQLStatement("\(selectChanges) WHERE c.change_seq > ? AND c.dataset = ? ORDER BY c.change_seq LIMIT ?")
    static let oldest = SQLStatement("SELECT change_seq, changed_at FROM change_log WHERE change_seq < ? ORDER BY change_seq LIMIT ?")
    static let deleteThrough = SQLStatement("DELETE FROM change_log WHERE change_seq <= ?")
    static let notePruned = SQLStatement(
        sqlite: """
            INSERT INTO change_log_pruned (singleton, through) VALUES (1, ?)
            ON CONFLICT (singleton) DO UPDATE SET through = MAX(through, excluded.through)
            """,
        postgres: """
            INSERT INTO change_log_pruned (singleton, through) VALUES (1, $1)
            ON CONFLICT (singleton) DO UPDATE SET through = GREATEST(change_log_pruned.through, excluded.through)
            """
    )
}
