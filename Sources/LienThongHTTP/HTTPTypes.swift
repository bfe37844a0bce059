public import LienThongCore

/// One GET request and how its transfer may go.
public struct HTTPRequest: Sendable {
    public var url: String
    /// Header lines to send, such as `("Authorization", "Bearer …")`.
    public var headers: [(name: String, value: String)]
    public var options: TransferOptions

    public init(url: String, headers: [(name: String, value: String)] = [], options: TransferOptions = TransferOptions()) {
        self.url = url
        self.headers = headers
        self.options = options
    }
}

/// Limits and TLS settings of one transfer. TLS verification is always on; these only add to it.
public struct TransferOptions: Sendable {
    /// A PEM file of certificate authorities to trust instead of the system's.
    public var caFile: String?
    /// A pinned public key of the server, as libcurl takes it: `sha256//BASE64` (several joined by `;`) or a PEM/DER file.
    public var pinnedPublicKey: String?
    public var connectTimeout: Duration = .seconds(10)
    /// The whole transfer, from connecting to the last byte.
    public var totalTimeout: Duration = .seconds(120)
    /// Below this many bytes per second for `lowSpeedTime`, the transfer is aborted (a slow drip).
    public var lowSpeedLimit = 1024
    public var lowSpeedTime: Duration = .seconds(20)
    /// A body longer than this aborts the transfer. The default is protocol v1's bound on a signed page
    /// (8 MiB, `FeedPage.maximumSignedBytes`, docs/PROTOCOL.md), which every conforming publisher keeps to.
    public var maximumBodyBytes = 8_388_608
    /// A certificate chain and key to present when the server asks for one (mutual TLS).
    public var clientCertificate: ClientCertificate?
    /// Whether to report when the server's certificate expires (``HTTPResponse/serverCertificateNotAfter``):
    /// for `lienthong doctor`.
    public var reportsServerCertificate = false

    public init() {}
}

/// A client certificate chain and its private key, both PEM, held in memory and handed to libcurl for each
/// transfer (which keeps its own copy while the transfer lasts).
public struct ClientCertificate: Sendable, CustomStringConvertible {
    public let chainPEM: [UInt8]
    public let keyPEM: [UInt8]
    /// When the first certificate of the chain stops being valid: a transfer after it is not attempted.
    public let notAfter: UnixTime?

    public init(chainPEM: [UInt8], keyPEM: [UInt8], notAfter: UnixTime? = nil) {
        self.chainPEM = chainPEM
        self.keyPEM = keyPEM
        self.notAfter = notAfter
    }

    /// Never the key.
    public var description: String { "client certificate (\(chainPEM.count) bytes of PEM chain)" }
}

/// A response: status, headers of the final response, and the body (decoded from any `Content-Encoding`).
public struct HTTPResponse: Sendable {
    public let status: Int
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]
    /// When the server's own certificate expires, when asked for (``TransferOptions/reportsServerCertificate``)
    /// over https.
    public var serverCertificateNotAfter: UnixTime?

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8], serverCertificateNotAfter: UnixTime? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.serverCertificateNotAfter = serverCertificateNotAfter
    }

    /// The first value of the header `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// Why a transfer failed. The message names the URL and the reason, never headers or body.
public struct HTTPError: Error, LienThongCore.LocalizedError {
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        private init(_ name: String) { description = name }

        public static let invalidRequest = Reason("invalid request")
        public static let connectFailed = Reason("connect failed")
        public static let timedOut = Reason("timed out")
        public static let tooSlow = Reason("too slow")
        public static let bodyTooLarge = Reason("body too large")
        public static let truncated = Reason("truncated")
        public static let connectionLost = Reason("connection lost")
        public static let tls = Reason("TLS")
        public static let cancelled = Reason("cancelled")
        public static let shutDown = Reason("client shut down")
        public static let other = Reason("transfer failed")

        /// The reason's name in the operator's language.
        var message: LocalizedMessage {
            switch self {
            case .invalidRequest: LocalizedMessage("http.reason.invalid-request")
            case .connectFailed: LocalizedMessage("http.reason.connect-failed")
            case .timedOut: LocalizedMessage("http.reason.timed-out")
            case .tooSlow: LocalizedMessage("http.reason.too-slow")
            case .bodyTooLarge: LocalizedMessage("http.reason.body-too-large")
            case .truncated: LocalizedMessage("http.reason.truncated")
            case .connectionLost: LocalizedMessage("http.reason.connection-lost")
            case .tls: LocalizedMessage("http.reason.tls")
            case .cancelled: LocalizedMessage("http.reason.cancelled")
            case .shutDown: LocalizedMessage("http.reason.shut-down")
            default: LocalizedMessage("http.reason.other")
            }
        }
    }

    public let reason: Reason
    public let message: LocalizedMessage

    init(_ reason: Reason, _ message: LocalizedMessage) {
        self.reason = reason
        self.message = message
    }

    /// A failure in libcurl's or the system's words, which stay English.
    init(_ reason: Reason, _ description: String) {
        self.init(reason, LocalizedMessage("verbatim", ["text": description]))
    }
}
