public import LienThongCore

/// Why a feed page was refused. Nothing of a refused page is applied and the cursor stays.
public struct PageRejection: Error, Equatable, LienThongCore.LocalizedError {
    /// The rule the page broke, for counting and tests.
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        private init(_ name: String) { description = name }

        /// The JWS failed a check (its description says which).
        public static let signature = Reason("signature")
        public static let malformed = Reason("malformed")
        public static let unsupportedVersion = Reason("unsupported version")
        public static let wrongPublisher = Reason("wrong publisher")
        public static let wrongAudience = Reason("wrong audience")
        public static let wrongDataset = Reason("wrong dataset")
        public static let datasetNotPulled = Reason("dataset not pulled")
        public static let wrongAfter = Reason("wrong after")
        public static let sequence = Reason("sequence")
        public static let lastAfterHead = Reason("last after head")
        public static let tooManyRecords = Reason("too many records")
        public static let issuedInFuture = Reason("issued in the future")
        public static let expired = Reason("expired")
        public static let lifetime = Reason("lifetime")
        public static let rollback = Reason("rollback")
        /// The page's `purpose` is not the one the request stated (or one is there and none was stated, or the
        /// other way round): a publisher that does not know purposes leaves it out.
        public static let purpose = Reason("purpose")
    }

    public let reason: Reason
    /// One line saying what was wrong, with no record contents in it; its English text is the ``description``.
    public let message: LocalizedMessage

    init(_ reason: Reason, _ message: LocalizedMessage) {
        self.reason = reason
        self.message = message
    }

    /// A rejection whose words stay English in every language: the details of a page that only its
    /// publisher's engineers read.
    init(_ reason: Reason, _ description: String) {
        self.init(reason, LocalizedMessage("verbatim", ["text": description]))
    }
}
