import Foundation
import LienThongAgency
public import LienThongCore
import LienThongSigning

/// Why the daemon (or a reload of its configuration) could not go on, in one line that says what and why.
public struct DaemonError: LienThongCore.LocalizedError {
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        private init(_ name: String) { description = name }

        /// The configuration file is missing or wrong.
        public static let configuration = Reason("configuration")
        /// A key file named by the configuration cannot be read.
        public static let key = Reason("key")
        /// The store cannot be opened.
        public static let store = Reason("store")
        /// A setting changed that only a restart can apply.
        public static let needsRestart = Reason("needs restart")
        /// The HTTP client or the listener cannot start.
        public static let startup = Reason("startup")
    }

    public let reason: Reason
    /// Shown in the operator's language by the command; `description` is its English, for logs.
    public let message: LocalizedMessage

    init(_ reason: Reason, _ description: String) {
        self.init(reason, LocalizedMessage("error.reason", ["reason": description]))
    }

    init(_ reason: Reason, _ message: LocalizedMessage) {
        self.reason = reason
        self.message = message
    }
}

extension AgencyPlan {
    /// Reads the plan from the configuration at `url`, failing with the plan's reason and words as a
    /// ``DaemonError``.
    static func reading(_ url: URL, keyAccess: PrivateKeyFileAccess) throws(DaemonError) -> AgencyPlan {
        do {
            return try AgencyPlan(contentsOf: url, keyAccess: keyAccess)
        } catch {
            throw DaemonError(error.reason == .key ? .key : .configuration, error.message)
        }
    }
}
