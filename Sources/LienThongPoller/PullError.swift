public import LienThongCore
public import LienThongFeed

/// Why pulling one peer's feed stopped short. Nothing of a failed page was applied.
public struct PullError: Error, LienThongCore.LocalizedError {
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        private init(_ name: String) { description = name }

        /// The transfer failed: connection, TLS, timeout, size (see the message).
        public static let transfer = Reason("transfer")
        /// The publisher answered with an error status.
        public static let status = Reason("status")
        /// The page failed a check (see the message) and was quarantined.
        public static let pageRejected = Reason("page rejected")
        /// Something here failed: the store, or making the request token.
        public static let local = Reason("local")
        /// Another daemon sharing the store took the feed's lease over: it pulls the feed now, and this one
        /// applied nothing more (docs/STORE.md, "Several daemons").
        public static let leaseLost = Reason("lease lost")
    }

    public let peer: AgencyID
    public let dataset: DatasetName
    public let reason: Reason
    /// When the publisher asked to be left alone for a while (`Retry-After` on 429 or 503).
    public let retryAfter: Duration?
    /// The status of a refused request, or nil.
    public let status: Int?
    /// What failed, as `peer dataset: detail`; its English text is the ``description`` that logs and the store keep.
    public let message: LocalizedMessage
    /// What the pull applied before it failed (those pages stay applied), when it got that far.
    public internal(set) var progress = PullSummary()
    /// The page check that refused the page, when ``reason`` is ``Reason/pageRejected``.
    public internal(set) var rejection: PageRejection.Reason?

    init(peer: AgencyID, dataset: DatasetName, _ reason: Reason, status: Int? = nil, retryAfter: Duration? = nil, _ detail: LocalizedMessage) {
        self.peer = peer
        self.dataset = dataset
        self.reason = reason
        self.status = status
        self.retryAfter = retryAfter
        message = LocalizedMessage("pull.error", ["peer": "\(peer)", "dataset": "\(dataset)"], messages: ["detail": detail])
    }

    /// A failure whose detail stays English in every language.
    init(peer: AgencyID, dataset: DatasetName, _ reason: Reason, status: Int? = nil, retryAfter: Duration? = nil, _ detail: String) {
        self.init(peer: peer, dataset: dataset, reason, status: status, retryAfter: retryAfter, LocalizedMessage("verbatim", ["text": detail]))
    }
}
