public import LienThongCore
public import LienThongMerge
public import LienThongSchema
public import LienThongSigning
public import LienThongStore

/// The one way a peer's page reaches the store, whether pulled, imported offline (`lienthong apply`) or
/// shown refused in the demo: the page is verified against the publisher's pinned keys and every page rule,
/// then applied with its cursor in one transaction; a page refused at either step is kept in quarantine
/// with its reason, once per body. Both steps write their audit event ("page applied", "page refused").
///
/// The two steps are apart for the poller, which verifies pages as they arrive and applies them in order.
public struct PageImporter: Sendable {
    public let store: Store
    /// How far the publisher's clock may run ahead of this one (record and page times).
    public let clockSkewSeconds: Int64
    /// The receiver's declared schema of each dataset that has one: records that break it are quarantined.
    public let schemas: [DatasetName: DatasetSchema]

    public init(store: Store, clockSkewSeconds: Int64, schemas: [DatasetName: DatasetSchema] = [:]) {
        self.store = store
        self.clockSkewSeconds = clockSkewSeconds
        self.schemas = schemas
    }

    /// Verifies `raw`, a signed page as received (surrounding white space is ignored), against `expected`.
    /// A refused page is quarantined under `expected.publisher`.
    public func verify(_ raw: [UInt8], verifier: JWSVerifier, expected: PageExpectation) async throws(PageImportError) -> FeedPage {
        do {
            return try FeedPage(compact: Array(raw.trimmingASCIIWhiteSpace()), verifier: verifier, expected: expected)
        } catch {
            throw await quarantine(raw, refusedBy: error, peer: expected.publisher, at: expected.now)
        }
    }

    /// Applies a verified `page` under `rules` at `now` (its records checked at `now` too); `raw` is its body as
    /// received, kept in quarantine if the store refuses the page (a publisher's rollback).
    public func apply(_ page: FeedPage, raw: [UInt8], rules: MergeRules, now: UnixTime) async throws(PageImportError) -> PageApplication {
        let body: RefusedBody
        do {
            body = try Self.refusedBody(raw)
        } catch {
            throw PageImportError(.storeFailed, underlying: error)
        }
        let (applications, failure) = await apply([(page.checked(now: now, clockSkewSeconds: clockSkewSeconds, schema: schemas[page.dataset]), body)], rules: rules, now: now)
        if let failure { throw failure }
        return applications[0]
    }

    /// Applies checked `pages` that follow one another in one feed, in one transaction
    /// (``CheckedPage/apply(_:to:rules:now:within:)``), which takes no more pages once `seconds` have passed.
    /// A page the store refuses is kept in quarantine (its `body`) and returned as `failure`, with the
    /// applications of the pages before it, which stay applied; a store failure applies none.
    public func apply(
        _ pages: [(page: CheckedPage, body: RefusedBody)], rules: MergeRules, now: UnixTime, within seconds: Double = .infinity,
        lease: LeaseHold? = nil
    ) async -> (applications: [PageApplication], failure: PageImportError?) {
        do {
            let (applications, refused) = try await CheckedPage.apply(
                pages.map(\.page), to: store, rules: rules, now: now, within: seconds, lease: lease
            )
            guard let refused else { return (applications, nil) }
            let page = pages[refused.index]
            return (applications, await quarantine(page.body, refusedBy: refused.rejection, peer: page.page.publisher, at: now))
        } catch {
            return ([], PageImportError(.storeFailed, underlying: error))
        }
    }

    /// What the quarantine would keep of `raw`, a page's body: its digest, size and first bytes.
    public static func refusedBody(_ raw: [UInt8]) throws -> RefusedBody {
        RefusedBody(raw, sha256: try Digest.sha256Hex(raw))
    }

    /// ``verify(_:verifier:expected:)`` then ``apply(_:raw:rules:now:)`` at `expected.now`, under the rules
    /// `rules` gives for the page's dataset.
    public func importPage(
        _ raw: [UInt8], verifier: JWSVerifier, expected: PageExpectation, rules: (DatasetName) -> MergeRules
    ) async throws(PageImportError) -> (page: FeedPage, application: PageApplication) {
        let page = try await verify(raw, verifier: verifier, expected: expected)
        return (page, try await apply(page, raw: raw, rules: rules(page.dataset), now: expected.now))
    }

    /// Keeps a refused page's body with the rejection, at the time it was checked, and gives the error to throw.
    private func quarantine(_ raw: [UInt8], refusedBy rejection: PageRejection, peer: AgencyID, at now: UnixTime) async -> PageImportError {
        do {
            // Hashed before the write, so that a large body does not lengthen the write lock.
            return await quarantine(try Self.refusedBody(raw), refusedBy: rejection, peer: peer, at: now)
        } catch {
            return PageImportError(.quarantineFailed, rejection: rejection, underlying: error)
        }
    }

    /// Keeps what the quarantine keeps of a refused page's body with the rejection, and gives the error to throw.
    private func quarantine(_ body: RefusedBody, refusedBy rejection: PageRejection, peer: AgencyID, at now: UnixTime) async -> PageImportError {
        do {
            _ = try await store.write(at: now) { try $0.quarantinePage(peer: peer, refusedBy: rejection.reason, detail: rejection.description, body: body) }
            return PageImportError(.refused, rejection: rejection)
        } catch {
            return PageImportError(.quarantineFailed, rejection: rejection, underlying: error)
        }
    }
}

/// Why a page was not imported. Nothing of it was applied and the cursor stays.
public struct PageImportError: Error, LienThongCore.LocalizedError {
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        private init(_ name: String) { description = name }

        /// The page broke a rule (``rejection``) and is kept in quarantine.
        public static let refused = Reason("refused")
        /// The page broke a rule (``rejection``), and keeping it in quarantine failed (``underlying``).
        public static let quarantineFailed = Reason("quarantine failed")
        /// The store failed while applying the page (``underlying``).
        public static let storeFailed = Reason("store failed")
    }

    public let reason: Reason
    /// The rule the page broke, unless the store failed first.
    public let rejection: PageRejection?
    /// What failed here: the store, or hashing the body.
    public let underlying: (any Error)?

    init(_ reason: Reason, rejection: PageRejection? = nil, underlying: (any Error)? = nil) {
        self.reason = reason
        self.rejection = rejection
        self.underlying = underlying
    }

    public var message: LocalizedMessage {
        if let underlying { return LocalizedMessage(of: underlying) }
        return rejection.map { LocalizedMessage("page.refused", messages: ["rejection": $0.message]) } ?? LocalizedMessage("verbatim", ["text": "\(reason)"])
    }
}
