public import LienThongCore
public import LienThongFeed
import LienThongHTTP
public import LienThongStore

extension FeedPuller {
    /// The peer's signed dataset list (`GET /v1/datasets`), checked against the keys pinned for it: each
    /// dataset granted to this agency, with its head and `wait_max`.
    public func datasetList(_ feed: PulledFeed) async throws(PullError) -> [DatasetName: DatasetList.Entry] {
        let path = "\(Self.basePath(feed))/v1/datasets"
        let now = clock.now
        let token = try await local(feed) { try tokens.token(audience: feed.peer, pathAndQuery: path, now: now) }
        let headers = [(name: "Authorization", value: "Bearer \(token)"), (name: "Accept", value: "application/jose")]
        let response: HTTPResponse
        do {
            response = try await client.get(HTTPRequest(url: url(feed, path: path), headers: headers, options: feed.transfer))
        } catch {
            throw PullError(peer: feed.peer, dataset: feed.dataset, .transfer, "dataset list: \(error)")
        }
        guard response.status == 200 else { throw refused(feed, response) }
        do {
            return try DatasetList.verify(
                response.body, keys: feed.keys, publisher: feed.peer, audience: agency, now: now, clockSkewSeconds: clockSkewSeconds
            )
        } catch {
            metrics.rejected(.page, reason: "dataset list refused", peer: feed.peer)
            throw PullError(peer: feed.peer, dataset: feed.dataset, .pageRejected, LocalizedMessage(of: error))
        }
    }

    /// What the peer's dataset list says of `feed`'s dataset: its head, `wait_max` and schema digest.
    public func listing(of feed: PulledFeed) async throws(PullError) -> DatasetList.Entry {
        guard let entry = try await datasetList(feed)[feed.dataset] else {
            throw PullError(peer: feed.peer, dataset: feed.dataset, .status, status: 403, "the peer's dataset list does not grant \(feed.dataset) to \(agency)")
        }
        return entry
    }
}

extension FeedPuller {
    /// Notes in `store`'s pull status how `feed` is pulled, as soon as it is decided: a long poll may be held
    /// for its whole wait before a pull ends and notes it. Best effort: the next pull notes it again.
    public func noteMode(_ mode: PullMode, of feed: PulledFeed, in store: Store) async {
        _ = try? await store.write(at: clock.now) { transaction in
            try transaction.recordFeedMode(peer: feed.peer, dataset: feed.dataset, mode: mode.feedMode, delays: DelayHistogram())
        }
    }

    /// Notes in `store`'s pull status the schema digest the peer lists for `feed`'s dataset (nil: none), for
    /// `status` to compare with this agency's own. Best effort, like ``noteMode(_:of:in:)``.
    public func notePeerSchema(_ sha256: String?, of feed: PulledFeed, in store: Store) async {
        _ = try? await store.write(at: clock.now) { transaction in
            try transaction.recordPeerSchema(peer: feed.peer, dataset: feed.dataset, sha256: sha256)
        }
    }
}

/// How one pull asks: holding its first request up to `waitSeconds` (live), or not (polled).
public enum PullMode: Sendable, Equatable {
    case live(waitSeconds: Int64)
    case polled

    /// Live when the peer's list gives the dataset a `wait_max`, polled otherwise.
    public init(listing: DatasetList.Entry) {
        self = listing.waitMaxSeconds.map(PullMode.live(waitSeconds:)) ?? .polled
    }

    /// The wait the first request carries: 0 when polled.
    public var waitSeconds: Int64 {
        if case .live(let seconds) = self { return seconds }
        return 0
    }

    /// As the store and `lienthong status` name it.
    public var feedMode: FeedMode {
        if case .live = self { return .live }
        return .polled
    }
}
