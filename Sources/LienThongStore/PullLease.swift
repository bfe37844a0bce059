public import LienThongCore

/// The right of one daemon to pull one peer's feed of one dataset, while several daemons share the store
/// (docs/STORE.md, "Several daemons"): a row of `pull_lease` with its holder, an expiry and a fencing number.
/// The number grows by one each time another daemon takes the lease over; every transaction that applies a
/// page checks it, so a daemon that lost its lease while paused or cut off applies nothing after another took over.
public struct PullLease: Sendable, Equatable {
    public let peer: AgencyID
    public let dataset: DatasetName
    /// Who holds it: the daemon's `daemon_id`.
    public let holder: String
    /// The fencing number.
    public let fence: Int64
    /// When it was taken (by this holder, this fence), in milliseconds since the Unix epoch.
    public let acquiredAt: Int64
    /// When it expires unless renewed, in milliseconds since the Unix epoch.
    public let expiresAt: Int64
}

/// A page was not applied because the daemon no longer holds the feed's lease: another took it over (a
/// greater fencing number) after this one's expired.
public struct LeaseLostError: Error, CustomStringConvertible {
    public let lease: PullLease
    /// Who holds it now and with which number, if anyone.
    public let current: (holder: String, fence: Int64)?

    public var description: String {
        let now = current.map { "\($0.holder.terminalSafe) holds it with fencing number \($0.fence)" } ?? "nobody holds it"
        return "the lease on \(lease.peer)'s feed of \(lease.dataset) with fencing number \(lease.fence) was lost (\(now)): nothing of this page was applied"
    }
}

extension StoreTransaction {
    /// Takes the lease on `peer`'s feed of `dataset` for `holder` until `seconds` from now, or renews it when
    /// `holder` holds it with fencing number `fence` (the one this process was given; nil: none yet). Free or
    /// expired, it is taken (over) with the next fencing number; held under `holder`'s own name but not with
    /// `fence` while `fence` is nil — the same daemon restarted — it is taken back at once, also with the next
    /// number, so that a process of the same name still running somewhere is fenced out; held by another (or
    /// by this name under a later number) and not expired, nil.
    /// A lease taken over is audited.
    public func acquireLease(peer: AgencyID, dataset: DatasetName, holder: String, holding fence: Int64? = nil, seconds: Int64) throws -> PullLease? {
        let expiresAt = nowMilliseconds + seconds * 1000
        guard let row = try session.row(LeaseSQL.select, peer.rawValue, dataset.rawValue) else {
            try session.execute(LeaseSQL.insert, peer.rawValue, dataset.rawValue, holder, nowMilliseconds, expiresAt)
            return PullLease(peer: peer, dataset: dataset, holder: holder, fence: 1, acquiredAt: nowMilliseconds, expiresAt: expiresAt)
        }
        let (current, currentFence, acquiredAt, expiry) = (row.text(0), row.int64(1), row.int64(2), row.int64(3))
        if current == holder, currentFence == fence {
            try session.execute(LeaseSQL.renew, expiresAt, peer.rawValue, dataset.rawValue, holder, currentFence)
            return PullLease(peer: peer, dataset: dataset, holder: holder, fence: currentFence, acquiredAt: acquiredAt, expiresAt: expiresAt)
        }
        // A process of this name holding no number yet is the daemon restarted; one holding an older number was
        // fenced out while it slept, and waits like any other.
        let restarted = current == holder && fence == nil
        guard restarted || expiry <= nowMilliseconds else { return nil }
        let fence = currentFence
        try session.execute(LeaseSQL.takeOver, holder, fence + 1, nowMilliseconds, expiresAt, peer.rawValue, dataset.rawValue, fence)
        try audit("lease taken over", peer: peer, dataset: dataset, detail: .object([
            "from": .string(current), "to": .string(holder), "fence": .integer(fence + 1), "expired_at": .integer(expiry),
        ]))
        return PullLease(peer: peer, dataset: dataset, holder: holder, fence: fence + 1, acquiredAt: nowMilliseconds, expiresAt: expiresAt)
    }

    /// Checks that `lease` still stands — same holder, same fencing number — and renews it for `seconds`;
    /// throws ``LeaseLostError`` otherwise, which rolls the transaction back. It may have expired meanwhile:
    /// as long as nobody took it over, nobody else applied anything.
    public func confirmLease(_ lease: PullLease, seconds: Int64) throws {
        let changed = try session.execute(
            LeaseSQL.renew, nowMilliseconds + seconds * 1000, lease.peer.rawValue, lease.dataset.rawValue, lease.holder, lease.fence
        )
        guard changed == 0 else { return }
        let row = try session.row(LeaseSQL.select, lease.peer.rawValue, lease.dataset.rawValue)
        throw LeaseLostError(lease: lease, current: row.map { ($0.text(0), $0.int64(1)) })
    }

    /// Gives `lease` up at once (a daemon stopping), so that another daemon need not wait for it to expire.
    /// The row stays, with its fencing number, which never goes back.
    public func releaseLease(_ lease: PullLease) throws {
        try session.execute(LeaseSQL.renew, nowMilliseconds, lease.peer.rawValue, lease.dataset.rawValue, lease.holder, lease.fence)
    }
}

extension StoreSnapshot {
    /// Every feed's lease, by peer and dataset: who holds it, its fencing number and expiry.
    public func pullLeases() throws -> [PullLease] {
        try session.rows(LeaseSQL.all).map { row in
            PullLease(
                peer: try AgencyID(row.text(0)), dataset: try DatasetName(row.text(1)), holder: row.text(2), fence: row.int64(3),
                acquiredAt: row.int64(4), expiresAt: row.int64(5)
            )
        }
    }
}

/// The statements of leases, the same on both backends.
enum LeaseSQL {
    static let createTable = """
        CREATE TABLE pull_lease (
            peer TEXT NOT NULL,
            dataset TEXT NOT NULL,
            holder TEXT NOT NULL,
            fence BIGINT NOT NULL CHECK (fence >= 1),
            acquired_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            PRIMARY KEY (peer, dataset)
        );
        """
    static let select = SQLStatement("SELECT holder, fence, acquired_at, expires_at FROM pull_lease WHERE peer = ? AND dataset = ?")
    static let insert = SQLStatement(
        "INSERT INTO pull_lease (peer, dataset, holder, fence, acquired_at, expires_at) VALUES (?, ?, ?, 1, ?, ?)"
    )
    static let renew = SQLStatement("UPDATE pull_lease SET expires_at = ? WHERE peer = ? AND dataset = ? AND holder = ? AND fence = ?")
    static let takeOver = SQLStatement("""
        UPDATE pull_lease SET holder = ?, fence = ?, acquired_at = ?, expires_at = ? WHERE peer = ? AND dataset = ? AND fence = ?
        """)
    static let all = SQLStatement("SELECT peer, dataset, holder, fence, acquired_at, expires_at FROM pull_lease ORDER BY peer, dataset")
}

/// A lease a daemon holds while it pulls, with how long each renewal extends it: every transaction that
/// applies a page of the feed confirms and renews it (``StoreTransaction/confirmLease(_:seconds:)``).
public struct LeaseHold: Sendable, Equatable {
    public let lease: PullLease
    public let seconds: Int64

    public init(_ lease: PullLease, seconds: Int64) {
        self.lease = lease
        self.seconds = seconds
    }
}
