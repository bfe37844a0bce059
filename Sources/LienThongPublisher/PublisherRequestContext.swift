import Hummingbird

/// The per-request context: Hummingbird's core, and whether the client connected from this machine,
/// which alone may read `/metrics`.
struct PublisherRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let isFromLoopback: Bool

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        isFromLoopback = Self.isLoopback(ipAddress: source.channel.remoteAddress?.ipAddress)
    }

    /// `127.0.0.0/8`, `::1`, and IPv4 loopback mapped into IPv6 (`::ffff:127.x.x.x`).
    static func isLoopback(ipAddress: String?) -> Bool {
        guard let address = ipAddress?.lowercased() else { return false }
        return address == "::1" || address.hasPrefix("127.") || address.hasPrefix("::ffff:127.")
    }

    /// Requests carry no body: none is ever read, so none is accepted.
    var maxUploadSize: Int { 0 }
}
