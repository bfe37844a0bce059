/// Walks the audit log in order and finds the first entry that does not match the chain (docs/PRIVACY.md,
/// "Verifying the log"): an entry whose content no longer gives its hash (altered), an entry whose `prev` is
/// not the hash of the entry before it (one removed, or inserted), a first entry that neither starts the
/// chain nor is vouched for by a checkpoint (entries removed from the start), an entry that differs from what
/// a signed checkpoint says of it, and newest entries missing (the head, or a checkpoint, names a later one).
///
/// The checkpoints given must be those whose signatures already held: this check trusts them.
public struct AuditChainCheck: Sendable {
    /// The hash each checkpoint vouches for, by the `seq` of the entry it covers.
    private let vouched: [Int64: String]
    private var last: AuditEntry?
    /// The first problem found; the walk stops at it.
    public private(set) var problem: String?
    /// Entries written before the chain existed (migration v11), outside it.
    public private(set) var unchained = 0
    /// Entries checked in the chain.
    public private(set) var chained = 0

    public init(checkpoints: [Int64: String]) {
        vouched = checkpoints
    }

    /// Checks the next entry (in ascending `seq`); false once a problem is found.
    @discardableResult
    public mutating func take(_ entry: AuditEntry) -> Bool {
        guard problem == nil else { return false }
        guard let previous = entry.previous, let sha256 = entry.sha256 else {
            if let last {
                problem = "entry \(entry.seq) has no hash but follows chained entry \(last.seq): its chain columns were removed"
            } else {
                unchained += 1
            }
            return problem == nil
        }
        guard entry.recomputedSHA256 == sha256 else {
            problem = "entry \(entry.seq) was altered: its content no longer gives the hash stored with it"
            return false
        }
        if let last {
            if previous != last.sha256 {
                let missing = entry.seq == last.seq + 2 ? "entry \(last.seq + 1) is" : "entries \(last.seq + 1) to \(entry.seq - 1) are"
                problem =
                    entry.seq > last.seq + 1
                    ? "\(missing) missing: entry \(entry.seq) does not follow entry \(last.seq)"
                    : "entry \(entry.seq) does not follow entry \(last.seq): its prev is not that entry's hash"
                return false
            }
        } else if previous != AuditEntry.genesis && vouched[entry.seq - 1] != previous {
            problem = "entry \(entry.seq) is the first kept, and no checkpoint vouches for the entry before it: entries before it were removed"
            return false
        }
        if let signed = vouched[entry.seq], signed != sha256 {
            problem = "entry \(entry.seq) differs from the checkpoint signed for it: the chain was rewritten"
            return false
        }
        last = entry
        chained += 1
        return true
    }

    /// Ends the walk: the newest entry must be the stored head, and no checkpoint may cover a later one.
    public mutating func finish(head: AuditHead?) -> String? {
        guard problem == nil else { return problem }
        if let head, head.seq != last?.seq || head.sha256 != last?.sha256 {
            let newest = last.map { "entry \($0.seq)" } ?? "no chained entry"
            problem = "the newest entries are missing: the log ends at \(newest) but its head is entry \(head.seq)"
        } else if let covered = vouched.keys.max(), covered > (last?.seq ?? 0) {
            problem = "entries up to \(covered) were signed in a checkpoint and are missing"
        } else if head == nil, let last {
            problem = "the log's head is missing while entry \(last.seq) is chained"
        }
        return problem
    }
}
