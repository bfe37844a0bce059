import Foundation
import LienThongCore
import LienThongFeed
import LienThongMerge
import LienThongPublisher
import LienThongSigning
import LienThongStore
import LienThongTestSupport
import Logging

/// A publisher listening on an ephemeral loopback port, over its own on-disk store.
struct PublisherUnderTest {
    let port: Int
    let publisher: Publisher
    let temporary: TemporaryStore

    /// GETs `target` with a fresh request token by `signer` (none when nil), stating `purpose` in it.
    func get(
        _ target: String, as signer: RequestTokenSigner? = boYTeSigner, purpose: PurposeCode? = nil, headers: [(String, String)] = []
    ) async throws -> HTTPReply {
        var headers = headers
        if let signer {
            let token = try signer.token(audience: boCongAn, pathAndQuery: target, now: wallTime(), purpose: purpose)
            headers.append(("Authorization", "Bearer " + token))
        }
        return try await httpGet(port: port, target: target, headers: headers)
    }
}

/// Runs `body` against a publisher started for it, and stops the publisher afterwards.
func withPublisher(
    settings: PublisherSettings = publisherSettings(), logger: Logger = quietLogger, refusalLogInterval: Duration = .seconds(10),
    connectionLimits: PublisherConnectionLimits = .default, store: TemporaryStore? = nil, startedAt: UnixTime? = nil,
    _ body: (PublisherUnderTest) async throws -> Void
) async throws {
    let temporary: TemporaryStore
    if let store {
        temporary = store
    } else {
        temporary = try TemporaryStore()
        try seedOwnFeed(temporary.store)
    }
    let publisher = Publisher(
        settings: settings, store: temporary.store, logger: logger, startedAt: startedAt, refusalLogInterval: refusalLogInterval
    )
    try await publisher.serving(connectionLimits: connectionLimits) { port in
        try await body(PublisherUnderTest(port: port, publisher: publisher, temporary: temporary))
    }
}

/// The JSON object of an error reply, checked to hold exactly `error` and `message`.
func errorBody(_ reply: HTTPReply) throws -> (error: String, message: String)? {
    guard reply.headers["content-type"] == "application/json", let members = try JSONValue(parsing: reply.body).objectValue,
        Set(members.keys) == ["error", "message"], let error = members["error"]?.stringValue, let message = members["message"]?.stringValue
    else { return nil }
    return (error, message)
}
