/// Why a received record was quarantined. Every broken rule has its own ``reason`` and a one-line
/// ``description`` that never quotes the record's id or data.
public struct RecordRuleViolation: Error, Hashable, CustomStringConvertible {
    /// The rule a record broke, for callers that count, store or test quarantines by kind.
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        private init(_ name: String) { description = name }

        /// Not an object, a member missing, or a member of the wrong form.
        public static let malformed = Reason("malformed")
        /// The origin is not the agency that published the page.
        public static let originNotPublisher = Reason("origin not publisher")
        /// The version vector does not count at least one edit by the origin.
        public static let originCounterMissing = Reason("origin counter missing")
        /// The stamp is further in the future than the allowed clock skew.
        public static let hlcTooFarInFuture = Reason("hlc too far in future")
        /// The id is empty or longer than 256 characters.
        public static let idLength = Reason("id length")
        /// The data is not a JSON object.
        public static let dataNotObject = Reason("data not object")
        /// The version's canonical JSON is longer than ``RecordVersion/maximumCanonicalBytes``.
        public static let tooLarge = Reason("too large")
        /// The data is nested deeper than a feed page can carry it (``RecordVersion/maximumDataDepth``).
        public static let dataTooDeep = Reason("data too deep")
        /// The optional `erasure` member is not a boolean.
        public static let erasureNotBoolean = Reason("erasure not boolean")
        /// `erasure` is true on a version that is not a tombstone: only a deletion can erase.
        public static let erasureNotTombstone = Reason("erasure not tombstone")
    }

    public let reason: Reason
    /// What was wrong, in one line, with no record content in it.
    public let description: String

    init(_ reason: Reason, _ description: String) {
        self.reason = reason
        self.description = description
    }
}
