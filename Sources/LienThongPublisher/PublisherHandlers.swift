import Dispatch
import Foundation
import Hummingbird
import LienThongCore
import LienThongFeed
import LienThongMetrics
import LienThongSigning
import LienThongStore
import Logging

/// What the publisher answers on each route. Every refusal is a ``PublisherError``; the checks run in the
/// order the protocol documents: no body, the request token, the rate limit, then the route's own.
struct PublisherHandlers: Sendable {
    let state: PublisherState
    let store: Store
    let metrics: FeedMetrics
    let logger: Logger
    let rateLimiter: RateLimiter
    let refusalLog: RefusalLog
    let clock: any UnixClock
    let heldRequests: HeldRequests

    /// How long a client is asked to wait when the store cannot answer.
    static let storeRetryAfterSeconds: Int64 = 5
    /// The longest request target (path and query) accepted.
    static let maximumTargetLength = 2048

    func health() -> Response {
        Self.response(body: Array(#"{"status":"ok"}"#.utf8), contentType: "application/json")
    }

    func metrics(_ context: PublisherRequestContext) async throws -> Response {
        guard context.isFromLoopback else { throw PublisherError.forbidden("metrics are served to clients on this machine only") }
        let held = state.current.settings.datasets
        do {
            let counts = try await Self.offCooperativePool { [store] in try store.read { try $0.openConflictCounts() } }
            for dataset in held { metrics.setConflictsOpen(counts[dataset] ?? 0, dataset: dataset) }
        } catch {
            logger.warning("cannot count open conflicts for metrics", metadata: ["error.type": "\(type(of: error))"])
        }
        return Self.response(body: metrics.prometheusText(), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }

    func datasets(_ request: Request) async throws -> Response {
        let current = state.current
        let now = clock.now
        let requester = try admit(request, current, now: now).issuer
        guard request.uri.query == nil else { throw PublisherError.badRequest("the dataset list takes no query parameters") }
        let granted = current.settings.datasets.filter { current.settings.grant($0, to: requester) != nil }
        let heads = try await readStore { snapshot in try granted.map { ($0, try snapshot.ownFeedHead(dataset: $0)) } }
        let payload = try DatasetList.payload(
            publisher: current.settings.agency, audience: requester, issuedAt: now.seconds, expiresAt: now.seconds + Self.lifetime(current.settings),
            datasets: heads.map { (name: $0.0, head: $0.1, schema: current.settings.schemas[$0.0]?.declaration) },
            waitMaxSeconds: current.settings.longPoll.waitMaxSeconds
        )
        let compact = try current.signer.sign(json: payload, type: DatasetList.type)
        logger.debug("dataset list served", metadata: ["peer": "\(requester)", "datasets": "\(heads.count)"])
        return Self.response(body: Array(compact.utf8), contentType: "application/jose")
    }

    func feed(_ request: Request, dataset name: String?) async throws -> Response {
        var current = state.current
        let arrival = clock.now
        let token = try admit(request, current, now: arrival)
        let requester = token.issuer
        let query = try FeedQuery(request.uri.query)
        guard let name, let dataset = try? DatasetName(name), current.settings.datasets.contains(dataset) else {
            throw PublisherError.notFound("no such dataset")
        }
        guard var grant = current.settings.grant(dataset, to: requester) else {
            throw PublisherError.forbidden("dataset \(dataset) is not shared with \(requester)")
        }
        try Self.checkPurpose(token.purpose, grant: grant, dataset: dataset)
        if query.wait > 0 {
            guard let waitMax = current.settings.longPoll.waitMaxSeconds else {
                throw PublisherError.badRequest("this publisher does not hold requests (no wait_max): wait must be 0")
            }
            guard query.wait <= waitMax else { throw PublisherError.badRequest("wait must be an integer from 0 to wait_max (\(waitMax))") }
        }
        // A request with `wait` and nothing new is held, counted against the bounds, until the feed grows past
        // `after`, the wait ends, the settings change (a grant withdrawn ends it with 403) or the publisher stops.
        let deadline = arrival + .seconds(query.wait)
        var held = false
        defer { if held { heldRequests.release(requester) } }
        // The generation is noted before each read: a commit after the read is hinted after it, and ends the wait.
        var generation = heldRequests.generation
        var page = try await feedPage(current, dataset: dataset, requester: requester, query: query, grant: grant)
        while page.head <= query.after, query.wait > 0, clock.now < deadline, !heldRequests.isStopping, !Task.isCancelled {
            if !held {
                try heldRequests.admit(requester, limits: current.settings.longPoll)
                held = true
            }
            await heldRequests.wait(dataset: dataset, after: query.after, since: generation, until: deadline, clock: clock)
            // No hint since the last read (no commit, reload or stop): the wait ended at its deadline and the page
            // read before it stands, so the renewal of an idle long poll costs no second read.
            guard heldRequests.generation != generation else { continue }
            generation = heldRequests.generation
            current = state.current
            guard current.settings.datasets.contains(dataset), let granted = current.settings.grant(dataset, to: requester) else {
                throw PublisherError.forbidden("dataset \(dataset) is no longer shared with \(requester)")
            }
            try Self.checkPurpose(token.purpose, grant: granted, dataset: dataset)
            grant = granted
            page = try await feedPage(current, dataset: dataset, requester: requester, query: query, grant: grant)
        }
        // The page is made now, after any wait: its `issued_at` says so.
        let now = clock.now
        let (head, records) = page
        let tag = FeedEntityTag(requester: requester, dataset: dataset, head: head, grant: grant, purpose: token.purpose)
        if head <= query.after, tag.isMatched(byIfNoneMatch: request.headers[values: .ifNoneMatch]) {
            return Response(status: .notModified, headers: [.eTag: tag.value, .cacheControl: "no-store"])
        }
        let payload = FeedPage.payloadBytes(
            publisher: current.settings.agency, audience: requester, dataset: dataset, after: query.after, head: head, issuedAt: now.seconds,
            expiresAt: now.seconds + Self.lifetime(current.settings), purpose: token.purpose, joinedRecords: records.joined,
            last: records.seqs.last
        )
        let compact = try current.signer.signedBytes(trustedObject: payload, type: FeedPage.type)
        let last = records.seqs.last ?? query.after
        guard compact.count <= FeedPage.maximumSignedBytes else {
            // Only one record stored before the record size limit existed can be this large.
            logger.error("record too large for a page", metadata: [
                "peer": "\(requester)", "dataset": "\(dataset)", "seq": "\(last)", "limit_bytes": "\(FeedPage.maximumSignedBytes)",
            ])
            throw PublisherError.internalError
        }
        // No page leaves unaudited: if the audit line cannot be written, the request fails.
        var detail: [String: JSONValue] = [
            "after": .integer(query.after), "last": .integer(last), "head": .integer(head), "records": .integer(records.count),
            "fields": grant.fields.map { .array($0.sorted().map(JSONValue.string)) } ?? .null,
            "purpose": token.purpose.map { .string($0.rawValue) } ?? .null, "legal_basis": grant.legalBasis.map(JSONValue.string) ?? .null,
        ]
        if !records.withheld.isEmpty { detail["withheld"] = .array(records.withheld.map(JSONValue.integer)) }
        try await writeStore(at: now) { [detail] transaction in
            try transaction.audit("page served", peer: requester, dataset: dataset, detail: .object(detail))
        }
        metrics.pageServed(to: requester, dataset: dataset)
        logger.debug("page served", metadata: [
            "peer": "\(requester)", "dataset": "\(dataset)", "after": "\(query.after)", "last": "\(last)", "head": "\(head)",
        ])
        var response = Self.response(body: compact, contentType: "application/jose")
        response.headers[.eTag] = tag.value
        return response
    }

    /// The feed's head and the records after `query.after` that fit one page for `requester`.
    ///
    /// `limit` is a maximum: the page takes the records that fit FeedPage.maximumSignedBytes, at least one.
    /// A peer that may see every field gets the stored records as they are; otherwise each `data` is cut to
    /// the granted members as it is read, without parsing the record. When the dataset has a schema, each
    /// version's data is checked against it first, and one that breaks it is left out (a schema tightened after
    /// the record was made: `lienthong check` lists them); the page's `last` is then its last record served.
    private func feedPage(
        _ current: PublisherState.Current, dataset: DatasetName, requester: AgencyID, query: FeedQuery, grant: DatasetGrant
    ) async throws(PublisherError) -> (head: Int64, records: OwnFeedRecordTexts) {
        let recordBytes = FeedPage.maximumRecordBytes(publisher: current.settings.agency, audience: requester, dataset: dataset)
        let fields = grant.fields.map(Set.init)
        let schema = current.settings.schemas[dataset]
        // A version `put` checked against this very schema is served as it is; any other is checked now.
        let schemaTag = try? schema.map { try DatasetList.schemaTag($0.declaration) }
        let (head, records) = try await readStore { snapshot -> (Int64, OwnFeedRecordTexts) in
            let head = try snapshot.ownFeedHead(dataset: dataset)
            let admits = schema.map { schema in
                { (data: UnsafeBufferPointer<UInt8>, tag: Int64) -> Bool in
                    if tag != 0, tag == schemaTag { return true }
                    guard let value = try? JSONValue(parsing: data) else { return false }
                    return schema.validate(value) == nil
                }
            }
            return (
                head,
                try snapshot.ownFeedRecordTexts(
                    dataset: dataset, after: query.after, limit: query.limit, maximumBytes: recordBytes, fields: fields, admits: admits
                )
            )
        }
        if let first = records.withheld.first {
            logger.warning("records withheld: they break the dataset's schema", metadata: [
                "peer": "\(requester)", "dataset": "\(dataset)", "first_seq": "\(first)", "count": "\(records.withheld.count)",
            ])
        }
        return (head, records)
    }

    /// Refuses a request whose stated purpose (nil: none) the grant does not admit, saying which purposes it does.
    private static func checkPurpose(_ purpose: PurposeCode?, grant: DatasetGrant, dataset: DatasetName) throws(PublisherError) {
        guard !grant.admits(purpose: purpose), let allowed = grant.purposes else { return }
        let list = allowed.map(\.rawValue).joined(separator: ", ")
        guard let purpose else { throw .purpose("dataset \(dataset) is shared only for a stated purpose (\(list)); the request states none") }
        throw .purpose("dataset \(dataset) is not shared for purpose \(purpose) (only \(list))")
    }

    // MARK: - Admission

    /// Refuses a request with a body, checks its request token and the requester's rate; returns the token, whose
    /// issuer is the requester.
    private func admit(_ request: Request, _ current: PublisherState.Current, now: UnixTime) throws(PublisherError) -> CheckedRequestToken {
        if request.headers[.transferEncoding] != nil || (request.headers[.contentLength].flatMap { Int($0) } ?? 0) > 0 {
            throw .payloadTooLarge("requests carry no body")
        }
        guard let target = request.head.path, target.utf8.count <= Self.maximumTargetLength else {
            throw .badRequest("the request target is longer than \(Self.maximumTargetLength) bytes")
        }
        // Checked, then rate-limited, and only then remembered: a request the rate limit refuses takes no
        // room in the replay memory.
        let token = try checkToken { () throws(RequestTokenRejection) in
            try current.verifier.check(try Self.bearerToken(request), method: request.method.rawValue, pathAndQuery: target, now: now)
        }
        let requester = token.issuer
        if let limit = current.settings.rateLimit(for: requester), let wait = rateLimiter.take(requester, limit: limit) {
            metrics.rejected(.request, reason: "rate limited", peer: requester)
            throw .tooManyRequests(retryAfter: wait)
        }
        try checkToken { () throws(RequestTokenRejection) in try current.verifier.accept(token, now: now) }
        return token
    }

    /// Runs one step of the token's checks; a refusal is counted, summarised in the log, and answered.
    private func checkToken<Value>(_ step: () throws(RequestTokenRejection) -> Value) throws(PublisherError) -> Value {
        do {
            return try step()
        } catch {
            metrics.rejected(.request, reason: error.reason.description, peer: error.issuer)
            refusalLog.refused(reason: error.reason.description)
            if error.reason == .replayCacheFull {
                throw .unavailable("the publisher is too busy to take another request token", retryAfter: Self.storeRetryAfterSeconds)
            }
            throw .unauthorized("request token refused: \(error.reason)")
        }
    }

    /// The token of the one `Authorization: Bearer` header (the scheme in any case).
    private static func bearerToken(_ request: Request) throws(RequestTokenRejection) -> String {
        let values = request.headers[values: .authorization]
        guard values.count == 1, let value = values.first else {
            let problem = values.isEmpty ? "no Authorization header" : "several Authorization headers"
            throw RequestTokenRejection(.missing, "request has \(problem)")
        }
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw RequestTokenRejection(.missing, "request's Authorization is not a Bearer token")
        }
        return String(parts[1])
    }

    // MARK: - Store, clock, responses

    private func readStore<Value: Sendable>(_ body: @escaping @Sendable (StoreSnapshot) throws -> Value) async throws(PublisherError) -> Value {
        do {
            return try await Self.offCooperativePool { [store] in try store.read(body) }
        } catch {
            logger.error("cannot read the store", metadata: ["error.type": "\(type(of: error))"])
            throw .unavailable("the publisher cannot read its store now", retryAfter: Self.storeRetryAfterSeconds)
        }
    }

    private func writeStore(at now: UnixTime, _ body: @escaping @Sendable (StoreTransaction) throws -> Void) async throws(PublisherError) {
        do {
            try await Self.offCooperativePool { [store] in try store.write(at: now, body) }
        } catch {
            logger.error("cannot write the audit log", metadata: ["error.type": "\(type(of: error))"])
            throw .unavailable("the publisher cannot write its audit log now", retryAfter: Self.storeRetryAfterSeconds)
        }
    }

    /// Runs blocking SQLite work on a Dispatch queue, so that a write's wait for the disk does not hold one
    /// of the few threads that run every request.
    private static func offCooperativePool<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// The validity of what is signed: the configured page lifetime, kept within what a reader accepts.
    private static func lifetime(_ settings: PublisherSettings) -> Int64 {
        min(max(settings.pageLifetimeSeconds, 1), FeedPage.maximumLifetimeSeconds)
    }

    private static func response(body: [UInt8], contentType: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: contentType, .cacheControl: "no-store"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))
        )
    }
}
