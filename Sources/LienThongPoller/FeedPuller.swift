public import Foundation
public import LienThongCore
public import LienThongFeed
public import LienThongHTTP
public import LienThongMerge
public import LienThongMetrics
public import LienThongSigning
public import LienThongStore

/// One feed this agency pulls: a dataset of a peer, with the keys pinned for it and how to reach it.
public struct PulledFeed: Sendable {
    public let peer: AgencyID
    /// The peer's base URL; feed paths are appended to its path.
    public let baseURL: URL
    public let dataset: DatasetName
    public let policy: MergePolicy
    /// The other agencies this one pulls the dataset from directly: claims about them are checked.
    public let directSources: Set<AgencyID>
    public let limits: MergeLimits
    /// Checks the peer's pages against the keys pinned for it.
    public let verifier: JWSVerifier
    public let transfer: TransferOptions

    /// `directSources` are all the peers this agency pulls `dataset` from (`peer` may be among them).
    public init(
        peer: AgencyID, baseURL: URL, dataset: DatasetName, policy: MergePolicy, keys: [PublicKey], transfer: TransferOptions,
        directSources: Set<AgencyID> = [], limits: MergeLimits = .standard
    ) {
        self.peer = peer
        self.baseURL = baseURL
        self.dataset = dataset
        self.policy = policy
        self.directSources = directSources.union([peer])
        self.limits = limits
        verifier = JWSVerifier(keys: keys, requiredType: FeedPage.type)
        self.transfer = transfer
    }
}

/// What one page pulled did, for progress displays.
public struct PulledPage: Sendable {
    public let feed: String
    public let application: PageApplication
    public let after: Int64
    public let last: Int64
    public let head: Int64
}

/// What pulling one feed until caught up did.
public struct PullSummary: Sendable, Equatable {
    public var pages = 0
    public var applied = 0
    public var redundant = 0
    public var quarantined = 0
    /// The feed answered 304: nothing new.
    public var unchanged = false
    public var cursor: Int64 = 0
    public var head: Int64 = 0

    public init() {}
}

/// Pulls feeds through libcurl and applies them to the store, page by page, each page with its cursor in
/// one transaction. Every page is checked exactly as docs/PROTOCOL.md says before anything of it applies.
public struct FeedPuller: Sendable {
    public let agency: AgencyID
    private let client: HTTPClient
    private let store: Store
    private let importer: PageImporter
    private let tokens: RequestTokenSigner
    private let clockSkewSeconds: Int64
    private let pageLimit: Int64
    private let metrics: FeedMetrics
    let clock: any UnixClock
    private let prefetchBudget: PrefetchBudget
    private let memory = FeedMemory()

    /// `clock` gives now, for request tokens, page checks and the store; tests replaying recorded feeds fix
    /// it. `prefetchBudget` bounds the pages fetched ahead: give every puller of one process the
    /// same one.
    public init(
        agency: AgencyID, client: HTTPClient, store: Store, tokens: RequestTokenSigner, clockSkewSeconds: Int64,
        pageLimit: Int64 = 1000, metrics: FeedMetrics = FeedMetrics(), prefetchBudget: PrefetchBudget = PrefetchBudget(),
        clock: any UnixClock = SystemClock()
    ) {
        self.agency = agency
        self.client = client
        self.store = store
        importer = PageImporter(store: store, clockSkewSeconds: clockSkewSeconds)
        self.tokens = tokens
        self.clockSkewSeconds = clockSkewSeconds
        self.pageLimit = pageLimit
        self.metrics = metrics
        self.prefetchBudget = prefetchBudget
        self.clock = clock
    }

    /// How many ETags this puller and its copies remember, and their bytes: bounded by
    /// ``FeedMemory/maximumEntityTags`` and ``FeedMemory/maximumEntityTagBytes``.
    public var entityTagMemory: (count: Int, bytes: Int) { memory.entityTagUsage }

    /// Pulls `feed` from its cursor until the page's `last` reaches the publisher's `head` (or 304).
    ///
    /// Pages are fetched ahead while the current one is applied: the next page, and the ones after it on
    /// the guess that pages are full, at most ``pagesAhead`` at a time and within the ``PrefetchBudget``.
    /// A page fetched ahead is used only when the cursor reaches its `after` and dropped once the cursor
    /// has passed it; a failure while fetching ahead counts only if that page is needed.
    public func pullUntilCaughtUp(_ feed: PulledFeed, progress: (PulledPage) -> Void = { _ in }) async throws(PullError) -> PullSummary {
        let cursor = try await local(feed) { try await store.read { try $0.cursor(peer: feed.peer, dataset: feed.dataset) } }
        var summary = PullSummary()
        summary.cursor = cursor?.position ?? 0
        summary.head = cursor?.head ?? summary.cursor
        typealias Arrival = (after: Int64, fetched: Result<Fetched, PullError>, reservation: PrefetchBudget.Reservation?)
        let result = await withTaskGroup(of: Arrival.self) { group in
            // Every `after` asked for and neither applied nor dropped yet: in flight, or in `ready`.
            var outstanding: Set<Int64> = []
            var ready: [Int64: Arrival] = [:]
            var position = summary.cursor
            /// Asks for the page after `after`; one wanted before it is needed must fit the budget, or waits.
            func request(_ after: Int64, ahead: Bool) {
                guard !outstanding.contains(after) else { return }
                var reservation: PrefetchBudget.Reservation?
                if ahead {
                    guard outstanding.count(where: { $0 > position }) < Self.pagesAhead,
                        let reserved = prefetchBudget.reserve(feed.transfer.maximumBodyBytes)
                    else { return }
                    reservation = reserved
                }
                outstanding.insert(after)
                group.addTask {
                    let fetched = await fetchResult(feed, after: after)
                    reservation?.shrink(to: (try? fetched.get())?.bodyBytes ?? 0)
                    return (after, fetched, reservation)
                }
            }
            /// Keeps a page that arrived until it is needed; one behind the cursor never can be, and dropping it
            /// gives its bytes back.
            func keep(_ arrival: Arrival) {
                if arrival.after < position {
                    outstanding.remove(arrival.after)
                } else {
                    ready[arrival.after] = arrival
                }
            }
            defer { group.cancelAll() }
            while true {
                // Nothing is guessed before the first page has told how far the feed goes.
                request(position, ahead: false)
                while ready[position] == nil, let arrival = await group.next() { keep(arrival) }
                outstanding.remove(position)
                guard let fetched = ready.removeValue(forKey: position)?.fetched else {
                    return Result<PullSummary, PullError>.failure(PullError(peer: feed.peer, dataset: feed.dataset, .local, "a page fetch vanished"))
                }
                let page: FeedPage
                let raw: [UInt8]
                let now: UnixTime
                switch fetched {
                case .failure(let error): return .failure(error)
                case .success(.caughtUp):
                    summary.unchanged = summary.pages == 0
                    return .success(summary)
                case .success(.page(let fetchedPage, let fetchedRaw, let fetchedNow)):
                    (page, raw, now) = (fetchedPage, fetchedRaw, fetchedNow)
                }
                // Pages fetched ahead that continue this one apply with it, in one transaction: one commit
                // and one write of each b-tree page they touch, instead of one per page.
                var batch: [(page: FeedPage, raw: [UInt8])] = [(page, raw)]
                var batchNow = now
                var batchRecords = page.records.count
                // The pages taken from `ready` keep their share of the prefetch budget until they are applied.
                var reservations: [PrefetchBudget.Reservation] = []
                while let end = batch.last?.page, end.after < end.last, end.last < end.head, batchRecords < Self.maximumBatchRecords {
                    // The next page, when it was asked for already, is waited for: fetching runs ahead of applying,
                    // so it has mostly arrived, and a slow one costs at most its own transfer's time limits.
                    while ready[end.last] == nil, outstanding.contains(end.last), let arrival = await group.next() { keep(arrival) }
                    guard case .success(.page(let next, let nextRaw, let nextNow))? = ready[end.last]?.fetched,
                        batchRecords + next.records.count <= Self.maximumBatchRecords
                    else { break }
                    if let reservation = ready.removeValue(forKey: end.last)?.reservation { reservations.append(reservation) }
                    outstanding.remove(end.last)
                    batch.append((next, nextRaw))
                    batchNow = max(batchNow, nextNow)
                    batchRecords += next.records.count
                }
                let end = batch[batch.count - 1].page
                for ahead in 0..<Self.pagesAhead {
                    // `last` and `head` come from the peer: the guess must not overflow near Int64.max.
                    let (after, overflow) = end.last.addingReportingOverflow(Int64(ahead) * pageLimit)
                    guard !overflow, after < end.head else { break }
                    request(after, ahead: true)
                }
                let (applications, failure) = await importer.apply(
                    batch, rules: MergeRules(policy: feed.policy, receiver: agency, directSources: feed.directSources, limits: feed.limits),
                    now: batchNow
                )
                withExtendedLifetime(reservations) {}
                for (applied, application) in zip(batch, applications) {
                    let page = applied.page
                    let behind = max(0, page.head - application.cursor)
                    metrics.pageApplied(from: feed.peer, dataset: feed.dataset, records: application.applied)
                    metrics.setLag(peer: feed.peer, dataset: feed.dataset, records: behind, seconds: memory.secondsBehind(feed, caughtUp: behind == 0, now: batchNow))
                    summary.pages += 1
                    summary.applied += application.applied
                    summary.redundant += application.redundant
                    summary.quarantined += application.quarantined
                    summary.cursor = application.cursor
                    summary.head = page.head
                    progress(PulledPage(feed: "\(feed.peer)/\(feed.dataset)", application: application, after: page.after, last: page.last, head: page.head))
                }
                if let failure {
                    return .failure(pullError(feed, failure, after: batch[applications.count].page.after))
                }
                // Caught up, or a page that could not move the cursor: asking again would bring the same page.
                guard let application = applications.last, end.last < end.head, application.cursorAdvanced else { return .success(summary) }
                position = application.cursor
                for after in ready.keys where after < position {
                    ready[after] = nil
                    outstanding.remove(after)
                }
            }
        }
        return try result.get()
    }

    /// How many pages are asked for ahead of the one being applied (within the ``PrefetchBudget``): enough for
    /// several pages to join one transaction while fetching runs ahead of applying.
    public static let pagesAhead = 8
    /// Pages fetched ahead join the page being applied in one transaction while together they hold at most
    /// this many records: one transaction then costs no more than the largest page (10,000 records).
    public static let maximumBatchRecords = 10_000

    /// ``fetch(_:after:)`` with its failure as a value, for fetches made ahead of need.
    private func fetchResult(_ feed: PulledFeed, after: Int64) async -> Result<Fetched, PullError> {
        do {
            return .success(try await fetch(feed, after: after))
        } catch {
            return .failure(error)
        }
    }

    /// One response of a feed, checked.
    private enum Fetched: Sendable {
        /// A page that passed every check, its body as received, and the time it was checked at.
        case page(FeedPage, raw: [UInt8], now: UnixTime)
        /// 304, or no page asked for.
        case caughtUp

        /// The bytes of the body held.
        var bodyBytes: Int {
            if case .page(_, let raw, _) = self { return raw.count }
            return 0
        }
    }

    /// GETs the page after `after` and checks it. A page that fails a check is quarantined and thrown.
    ///
    /// A body over the transfer's limit is asked for again with half the `limit`, down to 1, so that a
    /// publisher that does not bound its pages in bytes (PROTOCOL.md, Limits) cannot stall the feed while
    /// its records fit; a single record over the limit ends in an error that says so.
    private func fetch(_ feed: PulledFeed, after: Int64) async throws(PullError) -> Fetched {
        var limit = pageLimit
        var response: HTTPResponse
        var now: UnixTime
        while true {
            let path = feedPath(feed, after: after, limit: limit)
            now = clock.now
            let token = try await local(feed) { try tokens.token(audience: feed.peer, pathAndQuery: path, now: now) }
            var headers = [(name: "Authorization", value: "Bearer \(token)"), (name: "Accept", value: "application/jose")]
            if let tag = memory.entityTag(for: feed, after: after) { headers.append((name: "If-None-Match", value: tag)) }
            do {
                response = try await client.get(HTTPRequest(url: url(feed, path: path), headers: headers, options: feed.transfer))
                break
            } catch where error.reason == .bodyTooLarge && limit > 1 {
                limit /= 2
            } catch {
                metrics.rejected(.page, reason: "transfer \(error.reason)", peer: feed.peer)
                let cause = error.reason == .bodyTooLarge
                    ? "; one record is over the body limit even at limit=1 (the publisher breaks PROTOCOL.md's page size bound)" : ""
                throw PullError(peer: feed.peer, dataset: feed.dataset, .transfer, "\(error)\(cause)")
            }
        }
        switch response.status {
        case 200: break
        case 304: return .caughtUp
        default: throw refused(feed, response)
        }
        let expectation = PageExpectation(
            publisher: feed.peer, audience: agency, pulledDatasets: [feed.dataset], dataset: feed.dataset, after: after,
            limit: limit, now: now, clockSkewSeconds: clockSkewSeconds
        )
        do {
            let page = try await importer.verify(response.body, verifier: feed.verifier, expected: expectation)
            if let tag = response.header("ETag") { memory.remember(entityTag: tag, for: feed, after: after) }
            return .page(page, raw: response.body, now: now)
        } catch {
            throw pullError(feed, error, after: after)
        }
    }

    /// The error to report for the page after `after` that was not imported; a refused page is counted.
    private func pullError(_ feed: PulledFeed, _ error: PageImportError, after: Int64) -> PullError {
        if let rejection = error.rejection { metrics.rejected(.page, reason: rejection.reason.description, peer: feed.peer) }
        switch error.reason {
        case .refused:
            return PullError(peer: feed.peer, dataset: feed.dataset, .pageRejected, "page after \(after) refused: \(error.rejection.map { "\($0)" } ?? "")")
        case .storeFailed:
            return PullError(peer: feed.peer, dataset: feed.dataset, .local, "cannot apply the page after \(after): \(error)")
        default:
            return PullError(peer: feed.peer, dataset: feed.dataset, .local, "\(error)")
        }
    }

    /// The request target of a feed page, under the peer's base path: exactly what the token's `htu` names.
    private func feedPath(_ feed: PulledFeed, after: Int64, limit: Int64) -> String {
        let base = feed.baseURL.path.hasSuffix("/") ? String(feed.baseURL.path.dropLast()) : feed.baseURL.path
        return "\(base)/v1/feeds/\(feed.dataset)?after=\(after)&limit=\(limit)"
    }

    private func url(_ feed: PulledFeed, path: String) -> String {
        var components = URLComponents(url: feed.baseURL, resolvingAgainstBaseURL: false) ?? URLComponents()
        components.path = ""
        components.query = nil
        return (components.string ?? feed.baseURL.absoluteString) + path
    }

    private func refused(_ feed: PulledFeed, _ response: HTTPResponse) -> PullError {
        // The error code from the body helps an operator; the peer's free text is not repeated.
        let code = (try? JSONValue(parsing: response.body))?["error"]?.stringValue.map { String($0.prefix(40)) }
        let retryAfter = RetryAfter.duration(response.header("Retry-After"))
        metrics.rejected(.page, reason: "status \(response.status)", peer: feed.peer)
        return PullError(
            peer: feed.peer, dataset: feed.dataset, .status, status: response.status, retryAfter: retryAfter,
            "publisher answered \(response.status)\(code.map { " (\($0.debugDescription))" } ?? "")"
        )
    }

    private func local<Result>(_ feed: PulledFeed, _ body: () async throws -> Result) async throws(PullError) -> Result {
        do {
            return try await body()
        } catch {
            throw PullError(peer: feed.peer, dataset: feed.dataset, .local, "\(error)")
        }
    }
}

/// What a puller remembers between pages, shared by its copies: the ETag of the furthest page of each feed
/// (the one asked for again once caught up), and since when each feed has been behind its publisher.
///
/// The ETags are a peer's bytes kept across polls, so they are bounded: a tag over
/// ``maximumEntityTagBytes`` is ignored, one tag is kept per feed, and at most ``maximumEntityTags`` in all.
final class FeedMemory: Sendable {
    /// The longest ETag remembered; lienthong's own are about 60 bytes.
    static let maximumEntityTagBytes = 256
    /// The most ETags remembered, one per feed: far above the feeds one agency pulls.
    static let maximumEntityTags = 4096

    private let tags = Locked<[String: (after: Int64, tag: String)]>([:])
    private let behindSince = Locked<[String: UnixTime]>([:])

    /// How many ETags are held, and their bytes.
    var entityTagUsage: (count: Int, bytes: Int) { tags.withLock { ($0.count, $0.values.reduce(0) { $0 + $1.tag.utf8.count }) } }

    /// The tag last seen for the page of `feed` after `after`, if that is the feed's furthest page.
    func entityTag(for feed: PulledFeed, after: Int64) -> String? {
        tags.withLock { tags in tags[Self.key(feed)].flatMap { $0.after == after ? $0.tag : nil } }
    }

    /// Remembers `entityTag` for the page after `after`, unless the feed already has a tag further on or the
    /// tag is too long to keep.
    func remember(entityTag: String, for feed: PulledFeed, after: Int64) {
        guard entityTag.utf8.count <= Self.maximumEntityTagBytes else { return }
        let key = Self.key(feed)
        tags.withLock { tags in
            if let known = tags[key], known.after > after { return }
            if tags[key] == nil, tags.count >= Self.maximumEntityTags, let evicted = tags.keys.first { tags[evicted] = nil }
            tags[key] = (after, entityTag)
        }
    }

    private static func key(_ feed: PulledFeed) -> String { "\(feed.peer)/\(feed.dataset)" }

    /// Seconds the feed has been behind its publisher: 0 once caught up.
    func secondsBehind(_ feed: PulledFeed, caughtUp: Bool, now: UnixTime) -> Int64 {
        let key = Self.key(feed)
        return behindSince.withLock { since in
            if caughtUp {
                since[key] = nil
                return 0
            }
            let start = since[key] ?? now
            since[key] = start
            return (now - start).components.seconds
        }
    }
}
