public import LienThongCore

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
    public private(set) var problem: LocalizedMessage?
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
                problem = LocalizedMessage("audit.problem.unchained", ["seq": "\(entry.seq)", "last": "\(last.seq)"])
            } else {
                unchained += 1
            }
            return problem == nil
        }
        guard entry.recomputedSHA256 == sha256 else {
            problem = LocalizedMessage("audit.problem.altered", ["seq": "\(entry.seq)"])
            return false
        }
        if let last {
            if previous != last.sha256 {
                let numbers = ["seq": "\(entry.seq)", "last": "\(last.seq)", "first": "\(last.seq + 1)", "end": "\(entry.seq - 1)"]
                problem =
                    entry.seq == last.seq + 2 ? LocalizedMessage("audit.problem.one-missing", numbers)
                    : entry.seq > last.seq + 1 ? LocalizedMessage("audit.problem.some-missing", numbers)
                    : LocalizedMessage("audit.problem.prev", numbers)
                return false
            }
        } else if previous != AuditEntry.genesis && vouched[entry.seq - 1] != previous {
            problem = LocalizedMessage("audit.problem.first-kept", ["seq": "\(entry.seq)"])
            return false
        }
        if let signed = vouched[entry.seq], signed != sha256 {
            problem = LocalizedMessage("audit.problem.rewritten", ["seq": "\(entry.seq)"])
            return false
        }
        last = entry
        chained += 1
        return true
    }

    /// Ends the walk: the newest entry must be the stored head, and no checkpoint may cover a later one.
    public mutating func finish(head: AuditHead?) -> LocalizedMessage? {
        guard problem == nil else { return problem }
        if let head, head.seq != last?.seq || head.sha256 != last?.sha256 {
            problem = last.map { LocalizedMessage("audit.problem.newest-missing", ["last": "\($0.seq)", "head": "\(head.seq)"]) }
                ?? LocalizedMessage("audit.problem.all-missing", ["head": "\(head.seq)"])
        } else if let covered = vouched.keys.max(), covered > (last?.seq ?? 0) {
            problem = LocalizedMessage("audit.problem.signed-missing", ["seq": "\(covered)"])
        } else if head == nil, let last {
            problem = LocalizedMessage("audit.problem.no-head", ["last": "\(last.seq)"])
        }
        return problem
    }
}
