public import LienThongCore

/// Why the store could not do what was asked, in one line: what it was doing, and SQLite's (or the file
/// system's) own error, kept as ``underlying`` for callers that look deeper.
public struct StoreError: LienThongCore.LocalizedError {
    /// What failed. A closed set: callers decide by it (a command's exit status, a retry).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        private init(_ name: String) { description = name }

        /// The store's file or folder could not be made with its mode.
        public static let createFile = Code("create file")
        /// The store could not be opened, or its schema brought up to date.
        public static let open = Code("open")
        /// Another connection held a lock for longer than ``Store/busyTimeoutSeconds``: trying again later may work.
        public static let busy = Code("busy")
        /// A read failed.
        public static let read = Code("read")
        /// A write transaction failed and was rolled back: none of it is kept.
        public static let write = Code("write")
    }

    public let code: Code
    /// The error SQLite or the file system gave.
    public let underlying: any Error
    private let doing: LocalizedMessage

    init(_ code: Code, doing: LocalizedMessage, underlying: any Error) {
        self.code = code
        self.doing = doing
        self.underlying = underlying
    }

    /// "cannot …" in the operator's language; the underlying error as SQLite or the system words it.
    public var message: LocalizedMessage {
        LocalizedMessage("error.store.cannot", ["doing": doing.text(in: .current), "reason": "\(underlying)"])
    }

    public var description: String { localized("error.store.cannot", ["doing": doing.description, "reason": "\(underlying)"], in: .english) }
}
