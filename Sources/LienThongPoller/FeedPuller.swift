public import Foundation
public import LienThongCore
public import LienThongFeed
public import LienThongHTTP
public import LienThongMerge
public import LienThongMetrics
public import LienThongSchema
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
    /// This agency's declared schema of the dataset: records that break it are quarantined (reason `schema`).
    public let schema: DatasetSchema?
    /// Checks the peer's pages against the keys pinned for it.
    public let verifier: JWSVerifier
    /// The keys pinned for the peer, which also sign its dataset list.
    public let keys: [PublicKey]
    public let transfer: TransferOptions
    /// The purpose stated in every feed request's token (`pull_purposes`); its pages must echo it. Nil: none.
    public let purpose: PurposeCode?
    /// The lease this daemon holds on the feed while several share the store; every transaction that applies
    /// its pages confirms it. Nil: no lease is checked (`sync`, a store of one daemon's own in tests).
    public var lease: LeaseHold?

    /// `directSources` are all the peers this agency pulls `dataset` from (`peer` may be among them).
    public init(
        peer: AgencyID, baseURL: URL, dataset: DatasetName, policy: MergePolicy, keys: [PublicKey], transfer: TransferOptions,
        directSources: Set<AgencyID> = [], limits: MergeLimits = .standard, schema: DatasetSchema? = nil, purpose: PurposeCode? = nil
    ) {
        self.peer = peer
        self.purpose = purpose
        self.schema = schema
        self.baseURL = baseURL
        self.dataset = dataset
        self.policy = policy
        self.directSources = directSources.union([peer])
        self.limits = limits
        verifier = JWSVerifier(keys: keys, requiredType: FeedPage.type)
        self.keys = keys
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

/// How much one transaction of pulled pages may take: pages that continue one another apply together while
/// they hold at most `maximumRecords` records (fewer, larger transactions write each b-tree page they touch
/// once for many records), and no further page is taken after `maximumSeconds`, so that the store's write
/// lock is not held much longer; the pages not taken wait for the next transaction.
public struct TransactionBounds: Sendable {
    public var maximumRecords: Int
    public var maximumSeconds: Double

    public init(maximumRecords: Int, maximumSeconds: Double) {
        self.maximumRecords = max(maximumRecords, 1)
        self.maximumSeconds = maximumSeconds
    }

    /// 60,000 records or 2 s: memory, not speed, set the records (docs/PERFORMANCE.md).
    public static let standard = TransactionBounds(maximumRecords: 60_000, maximumSeconds: 2)
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
    /// Propagation delays of the versions authored by the peer itself in the pages that brought the feed up
    /// to its head: from each version's clock stamp to its application here. Pages of a backlog are left out.
    public var delays = DelayHistogram()
    /// How the pull asked: live (its first request held up to the wait) or polled.
    public var mode = PullMode.polled

    public init() {}
}

/// Pulls feeds through libcurl and applies them to the store, page by page, each page with its cursor in
/// one transaction. Every page is checked exactly as docs/PROTOCOL.md says before anything of it applies.
public struct FeedPuller: Sendable {
    public let agency: AgencyID
    let client: HTTPClient
    private let store: Store
    private let importer: PageImporter
    let tokens: RequestTokenSigner
    let clockSkewSeconds: Int64
    private let pageLimit: Int64
    let metrics: FeedMetrics
    /// Where the puller's time comes from: tokens, page checks, the store, and the daemon's schedule of it.
    public let clock: any UnixClock
    private let prefetchBudget: PrefetchBudget
    /// How much one transaction of pulled pages may take.
    let transactionBounds: TransactionBounds
    private let memory = FeedMemory()

    /// `clock` gives now, for request tokens, page checks and the store; tests replaying recorded feeds fix
    /// it. `prefetchBudget` bounds the pages fetched ahead: give every puller of one process the
    /// same one. `transactionBounds` is for benchmarks and tests; the standard bounds are documented.
    public init(
        agency: AgencyID, client: HTTPClient, store: Store, tokens: RequestTokenSigner, clockSkewSeconds: Int64,
        pageLimit: Int64 = 1000, metrics: FeedMetrics = FeedMetrics(), prefetchBudget: PrefetchBudget = PrefetchBudget(),
        clock: any UnixClock = SystemClock(), transactionBounds: TransactionBounds = .standard
    ) {
        self.agency = agency
        self.transactionBounds = transactionBounds
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

    /// Pulls `feed` from its cursor until the page's `last` reaches the publisher's `head` (or 304).
    ///
    /// Fetching runs ahead of applying: the next page, and the ones after it on the guess that pages are
    /// full, at most ``pagesAhead`` transfers at a time and within the ``PrefetchBudget``. Pages that have
    /// arrived wait, checked against the record rules, and the ones that continue one another apply together
    /// in one transaction as soon as the one before has committed (within ``transactionBounds``), while the
    /// next pages arrive. A page fetched ahead is
    /// used only when the cursor reaches its `after` and dropped once the cursor has passed it; a failure
    /// while fetching ahead counts only if that page is needed. `progress` hears of each page once its
    /// transaction has committed.
    ///
    /// `waitSeconds` above 0 (at most the `wait_max` the peer advertises) lets the peer hold the first request,
    /// the one from the cursor, until its feed grows (docs/PROTOCOL.md, "Live feeds"). The first request sends
    /// the ETag kept with the cursor as `If-None-Match`.
    public func pullUntilCaughtUp(
        _ feed: PulledFeed, waitSeconds: Int64 = 0, progress: (PulledPage) -> Void = { _ in }
    ) async throws(PullError) -> PullSummary {
        let cursor = try await local(feed) { try await store.read { try $0.cursor(peer: feed.peer, dataset: feed.dataset) } }
        let start = cursor?.position ?? 0
        var summary = PullSummary()
        summary.mode = waitSeconds > 0 ? .live(waitSeconds: waitSeconds) : .polled
        summary.cursor = cursor?.position ?? 0
        summary.head = cursor?.head ?? summary.cursor
        let rules = MergeRules(policy: feed.policy, receiver: agency, directSources: feed.directSources, limits: feed.limits)
        typealias Arrival = (fetched: Result<Fetched, PullError>, reservation: PrefetchBudget.Reservation?)
        enum Event: Sendable {
            case arrived(after: Int64, Arrival)
            case committed(batch: [(page: CheckedPage, body: RefusedBody)], applications: [PageApplication], failure: PageImportError?, now: UnixTime)
        }
        let result = await withTaskGroup(of: Event.self) { group in
            // Every `after` asked for and neither taken into a transaction nor dropped: in flight, or in `ready`.
            var outstanding: Set<Int64> = []
            var ready: [Int64: Arrival] = [:]
            // Where the next transaction starts: the `last` of the pages taken so far, the cursor at first.
            var frontier = summary.cursor
            // How far the feed goes, once a page has told.
            var head: Int64?
            var applying = false
            // Whether the last page that arrived held `limit` records: guesses past it are worth making.
            var pagesComeFull = true
            /// Asks for the page after `after`; one wanted before it is needed must fit the budget, or waits.
            func request(_ after: Int64, ahead: Bool) {
                guard !outstanding.contains(after) else { return }
                var reservation: PrefetchBudget.Reservation?
                if ahead {
                    guard outstanding.count(where: { ready[$0] == nil }) < Self.pagesAhead,
                        let reserved = prefetchBudget.reserve(feed.transfer.maximumBodyBytes)
                    else { return }
                    reservation = reserved
                }
                outstanding.insert(after)
                let first = after == start && !ahead
                group.addTask {
                    let fetched = await fetchResult(
                        feed, after: after, waitSeconds: first ? waitSeconds : 0, entityTag: first ? cursor?.entityTag : nil
                    )
                    reservation?.shrink(to: (try? fetched.get())?.bodyBytes ?? 0)
                    return .arrived(after: after, (fetched, reservation))
                }
            }
            /// Asks for the first page missing from the run that has arrived at the frontier and, while pages come
            /// full, the ones after it on the guess that they are full too, up to a transaction's worth of pages.
            func requestNeeded() {
                var end = frontier
                var held = 0
                var full = pagesComeFull
                while case .success(.page(let page, _, _))? = ready[end]?.fetched, page.after < page.last, page.last < page.head {
                    full = page.last - page.after >= pageLimit
                    end = page.last
                    held += 1
                }
                if let head, end >= head { return }
                guard held < maximumPagesHeld else { return }
                request(end, ahead: end != frontier)
                // Nothing is guessed before the first page has told how far the feed goes, nor past a page that
                // came short: the publisher bounds its pages in bytes, and guesses would miss.
                guard let head, full else { return }
                for ahead in 1..<Self.pagesAhead {
                    // `head` comes from the peer: the guess must not overflow near Int64.max.
                    let (after, overflow) = end.addingReportingOverflow(Int64(ahead) * pageLimit)
                    guard !overflow, after < head else { break }
                    request(after, ahead: true)
                }
            }
            /// Takes the pages at the frontier that continue one another, up to a transaction's records.
            func takeBatch() -> (pages: [(page: CheckedPage, body: RefusedBody)], reservations: [PrefetchBudget.Reservation], now: UnixTime)? {
                var batch: [(page: CheckedPage, body: RefusedBody)] = []
                var reservations: [PrefetchBudget.Reservation] = []
                var records = 0
                var now: UnixTime?
                while case .success(.page(let page, let body, let checkedAt))? = ready[frontier]?.fetched,
                    batch.isEmpty || records + page.records.count <= transactionBounds.maximumRecords
                {
                    if let reservation = ready.removeValue(forKey: frontier)?.reservation { reservations.append(reservation) }
                    outstanding.remove(frontier)
                    batch.append((page, body))
                    records += page.records.count
                    now = max(now ?? checkedAt, checkedAt)
                    // A page that cannot move the cursor, or one that reaches the head, ends the run.
                    guard page.after < page.last, page.last < page.head else { break }
                    frontier = page.last
                }
                if let end = batch.last?.page { frontier = max(frontier, end.last) }
                guard let now else { return nil }
                return (batch, reservations, now)
            }
            defer { group.cancelAll() }
            while true {
                requestNeeded()
                if !applying {
                    if let (pages, reservations, now) = takeBatch() {
                        applying = true
                        group.addTask {
                            let (applications, failure) = await importer.apply(
                                pages, rules: rules, now: now, within: transactionBounds.maximumSeconds, lease: feed.lease
                            )
                            // The pages keep their share of the prefetch budget until they are applied.
                            withExtendedLifetime(reservations) {}
                            return .committed(batch: pages, applications: applications, failure: failure, now: now)
                        }
                    } else if let arrival = ready[frontier] {
                        switch arrival.fetched {
                        case .failure(let error): return Result<PullSummary, PullError>.failure(error)
                        case .success:
                            // 304, or nothing asked for: caught up.
                            summary.unchanged = summary.pages == 0
                            return .success(summary)
                        }
                    }
                }
                guard let event = await group.next() else {
                    return .failure(PullError(peer: feed.peer, dataset: feed.dataset, .local, "a page fetch vanished"))
                }
                switch event {
                case .arrived(let after, let arrival):
                    if case .success(.page(let page, _, _)) = arrival.fetched {
                        head = max(head ?? page.head, page.head)
                        pagesComeFull = page.last - page.after >= pageLimit
                    }
                    // A page behind the frontier was guessed wrong, or was already taken: dropping it gives its bytes back.
                    if after < frontier {
                        outstanding.remove(after)
                    } else {
                        ready[after] = arrival
                    }
                case .committed(let batch, let applications, let failure, let now):
                    applying = false
                    let pages = batch.map(\.page)
                    let appliedAt = clock.now
                    for (page, application) in zip(pages, applications) {
                        let behind = max(0, page.head - application.cursor)
                        if behind == 0 { noteDelays(page, feed: feed, appliedAt: appliedAt, into: &summary.delays) }
                        metrics.pageApplied(from: feed.peer, dataset: feed.dataset, records: application.applied)
                        metrics.setLag(peer: feed.peer, dataset: feed.dataset, records: behind, seconds: memory.secondsBehind(feed, caughtUp: behind == 0, now: now))
                        summary.pages += 1
                        summary.applied += application.applied
                        summary.redundant += application.redundant
                        summary.quarantined += application.quarantined
                        summary.cursor = application.cursor
                        summary.head = page.head
                        progress(PulledPage(feed: "\(feed.peer)/\(feed.dataset)", application: application, after: page.after, last: page.last, head: page.head))
                    }
                    if let failure {
                        return .failure(pullError(feed, failure, after: pages[applications.count].after))
                    }
                    // Caught up, or a page that could not move the cursor: asking again would bring the same page.
                    // Judged by the last page applied: when the time ran out, the pages after it were not.
                    guard let application = applications.last, case let end = pages[applications.count - 1], end.last < end.head,
                        application.cursorAdvanced
                    else {
                        return .success(summary)
                    }
                    if applications.count < pages.count {
                        // The transaction's time ran out before every page was applied: the rest wait for the next.
                        frontier = application.cursor
                        for (page, body) in batch[applications.count...] {
                            ready[page.after] = (.success(.page(page, body: body, now: now)), nil)
                            outstanding.insert(page.after)
                        }
                    }
                    for after in ready.keys where after < frontier {
                        ready[after] = nil
                        outstanding.remove(after)
                    }
                }
            }
        }
        switch result {
        case .success(let summary): return summary
        case .failure(var error):
            // The pages applied before the failure stay applied: the error says how far the pull got.
            error.progress = summary
            throw error
        }
    }

    /// How many transfers of one feed run at once ahead of the page being applied (within the
    /// ``PrefetchBudget``).
    public static let pagesAhead = 8
    /// How many pages of one feed may be asked for or waiting ahead of the frontier: a transaction's worth.
    var maximumPagesHeld: Int { Self.pagesAhead + transactionBounds.maximumRecords / Int(max(pageLimit, 1)) }

    /// Adds the propagation delays of `page`'s versions authored by the peer itself, applied at `appliedAt`.
    private func noteDelays(_ page: CheckedPage, feed: PulledFeed, appliedAt: UnixTime, into delays: inout DelayHistogram) {
        var noted: [Int64] = []
        for case .version(let version) in page.records where version.origin == feed.peer {
            // The stamp comes from the peer: subtract without trapping, and count a clock ahead of ours as 0.
            let delay = appliedAt.milliseconds.subtractingReportingOverflow(version.hlc.milliseconds)
            noted.append(delay.overflow ? Int64.max : max(delay.partialValue, 0))
        }
        for delay in noted { delays.add(milliseconds: delay) }
        metrics.propagationDelays(noted, peer: feed.peer, dataset: feed.dataset)
    }

    /// ``fetch(_:after:waitSeconds:entityTag:)`` with its failure as a value, for fetches made ahead of need.
    private func fetchResult(_ feed: PulledFeed, after: Int64, waitSeconds: Int64, entityTag: String?) async -> Result<Fetched, PullError> {
        do {
            return .success(try await fetch(feed, after: after, waitSeconds: waitSeconds, entityTag: entityTag))
        } catch {
            return .failure(error)
        }
    }

    /// One response of a feed, checked.
    private enum Fetched: Sendable {
        /// A page that passed every check, its records checked against the record rules, what the quarantine
        /// would keep of its body, and the time it was checked at.
        case page(CheckedPage, body: RefusedBody, now: UnixTime)
        /// 304, or no page asked for.
        case caughtUp

        /// The bytes of the body held.
        var bodyBytes: Int {
            if case .page(_, let body, _) = self { return body.size }
            return 0
        }
    }

    /// GETs the page after `after` and checks it. A page that fails a check is quarantined and thrown. With
    /// `waitSeconds`, the publisher may hold the request that long: libcurl's timeouts allow for it.
    ///
    /// A body over the transfer's limit is asked for again with half the `limit`, down to 1, so that a
    /// publisher that does not bound its pages in bytes (PROTOCOL.md, Limits) cannot stall the feed while
    /// its records fit; a single record over the limit ends in an error that says so.
    private func fetch(_ feed: PulledFeed, after: Int64, waitSeconds: Int64, entityTag: String?) async throws(PullError) -> Fetched {
        var limit = pageLimit
        var response: HTTPResponse
        var now: UnixTime
        // A server that requires client certificates refuses an expired one with a bare 400: say why here.
        if let notAfter = feed.transfer.clientCertificate?.notAfter, clock.now > notAfter {
            metrics.rejected(.page, reason: "transfer client certificate expired", peer: feed.peer)
            throw PullError(
                peer: feed.peer, dataset: feed.dataset, .transfer,
                "our client certificate for \(feed.peer) expired at \(notAfter.iso8601); renew it (client_certificate, client_key)"
            )
        }
        while true {
            let path = feedPath(feed, after: after, limit: limit, waitSeconds: waitSeconds)
            now = clock.now
            let token = try await local(feed) { try tokens.token(audience: feed.peer, pathAndQuery: path, now: now, purpose: feed.purpose) }
            var headers = [(name: "Authorization", value: "Bearer \(token)"), (name: "Accept", value: "application/jose")]
            if let entityTag { headers.append((name: "If-None-Match", value: entityTag)) }
            var options = feed.transfer
            if waitSeconds > 0 {
                // Nothing arrives while the publisher holds the request: neither the whole transfer nor the low
                // speed check may end it during the wait.
                options.totalTimeout += .seconds(waitSeconds)
                options.lowSpeedTime += .seconds(waitSeconds)
            }
            do {
                response = try await client.get(HTTPRequest(url: url(feed, path: path), headers: headers, options: options))
                break
            } catch where error.reason == .bodyTooLarge && limit > 1 {
                limit /= 2
            } catch {
                metrics.rejected(.page, reason: "transfer \(error.reason)", peer: feed.peer)
                let detail = error.reason == .bodyTooLarge
                    ? LocalizedMessage("pull.record-over-limit", messages: ["error": error.message]) : error.message
                throw PullError(peer: feed.peer, dataset: feed.dataset, .transfer, detail)
            }
        }
        switch response.status {
        case 200: break
        case 304: return .caughtUp
        default: throw refused(feed, response)
        }
        let expectation = PageExpectation(
            publisher: feed.peer, audience: agency, pulledDatasets: [feed.dataset], dataset: feed.dataset, after: after,
            limit: limit, now: now, clockSkewSeconds: clockSkewSeconds, purpose: StatedPurpose(feed.purpose)
        )
        let page: FeedPage
        do {
            page = try await importer.verify(response.body, verifier: feed.verifier, expected: expectation)
        } catch {
            throw pullError(feed, error, after: after)
        }
        var checked = page.checked(now: now, clockSkewSeconds: clockSkewSeconds, schema: feed.schema)
        checked.entityTag = FeedPage.keepableEntityTag(response.header("ETag"))
        let body = try await local(feed) { try PageImporter.refusedBody(response.body) }
        return .page(checked, body: body, now: now)
    }

    /// The error to report for the page after `after` that was not imported; a refused page is counted.
    private func pullError(_ feed: PulledFeed, _ error: PageImportError, after: Int64) -> PullError {
        if let rejection = error.rejection { metrics.rejected(.page, reason: rejection.reason.description, peer: feed.peer) }
        switch error.reason {
        case .refused:
            let rejection = error.rejection?.message ?? LocalizedMessage("verbatim", ["text": ""])
            var refused = PullError(
                peer: feed.peer, dataset: feed.dataset, .pageRejected,
                LocalizedMessage("pull.page-refused", ["after": "\(after)"], messages: ["rejection": rejection])
            )
            refused.rejection = error.rejection?.reason
            return refused
        case .storeFailed where error.underlying is LeaseLostError:
            return PullError(peer: feed.peer, dataset: feed.dataset, .leaseLost, "page after \(after) not applied: \(error.underlying.map { "\($0)" } ?? "")")
        case .storeFailed:
            return PullError(peer: feed.peer, dataset: feed.dataset, .local, "cannot apply the page after \(after): \(error)")
        default:
            return PullError(peer: feed.peer, dataset: feed.dataset, .local, "\(error)")
        }
    }

    /// The request target of a feed page, under the peer's base path: exactly what the token's `htu` names.
    private func feedPath(_ feed: PulledFeed, after: Int64, limit: Int64, waitSeconds: Int64) -> String {
        "\(Self.basePath(feed))/v1/feeds/\(feed.dataset)?after=\(after)&limit=\(limit)\(waitSeconds > 0 ? "&wait=\(waitSeconds)" : "")"
    }

    /// The peer's base path, without a trailing `/`.
    static func basePath(_ feed: PulledFeed) -> String {
        feed.baseURL.path.hasSuffix("/") ? String(feed.baseURL.path.dropLast()) : feed.baseURL.path
    }

    func url(_ feed: PulledFeed, path: String) -> String {
        var components = URLComponents(url: feed.baseURL, resolvingAgainstBaseURL: false) ?? URLComponents()
        components.path = ""
        components.query = nil
        return (components.string ?? feed.baseURL.absoluteString) + path
    }

    func refused(_ feed: PulledFeed, _ response: HTTPResponse) -> PullError {
        // The error code from the body helps an operator; the peer's free text is not repeated.
        let code = (try? JSONValue(parsing: response.body))?["error"]?.stringValue.map { String($0.prefix(40)) }
        let retryAfter = RetryAfter.duration(response.header("Retry-After"))
        metrics.rejected(.page, reason: "status \(response.status)", peer: feed.peer)
        return PullError(
            peer: feed.peer, dataset: feed.dataset, .status, status: response.status, retryAfter: retryAfter,
            "publisher answered \(response.status)\(code.map { " (\($0.debugDescription))" } ?? "")\(Self.clientCertificateHint(feed, response))"
        )
    }

    /// What a bare 400 over https most likely means: lienthong's publisher answers 400 with an error code, but a
    /// TLS server in front of it that requires client certificates (DEPLOY.md) answers 400 without one when
    /// the certificate is missing or not accepted.
    private static func clientCertificateHint(_ feed: PulledFeed, _ response: HTTPResponse) -> String {
        guard response.status == 400, feed.baseURL.scheme?.lowercased() == "https",
            (try? JSONValue(parsing: response.body))?["error"] == nil
        else { return "" }
        return feed.transfer.clientCertificate == nil
            ? "; its TLS server may require a client certificate, and none is configured for this peer (client_certificate, client_key)"
            : "; its TLS server may have refused our client certificate (from a CA it does not trust, or revoked)"
    }

    func local<Result>(_ feed: PulledFeed, _ body: () async throws -> Result) async throws(PullError) -> Result {
        do {
            return try await body()
        } catch {
            throw PullError(peer: feed.peer, dataset: feed.dataset, .local, "\(error)")
        }
    }
}

/// What a puller remembers between pulls, shared by its copies: since when each feed has been behind its
/// publisher. (The ETag of each feed is kept in the store, with its cursor.)
final class FeedMemory: Sendable {
    private let behindSince = Locked<[String: UnixTime]>([:])

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
