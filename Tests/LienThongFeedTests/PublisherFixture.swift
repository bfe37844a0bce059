import Foundation
import LienThongCore
import LienThongFeed
import LienThongMerge
import LienThongSigning
import LienThongStore
import Logging

// bo-cong-an publishes (its key is `publisherKey`); bo-y-te and so-tu-phap pull.
let requesterKey = try! PrivateKey.generate(.ed25519)
let soTuPhapKey = try! PrivateKey.generate(.p256)
let soTuPhap = try! AgencyID("so-tu-phap")
let hoTich = try! DatasetName("ho-tich")
/// What bo-y-te may see of dan-cu: not `so_cccd`.
let grantedFields = ["ho_ten", "ngay_sinh"]
/// A value of the field bo-y-te is not granted: it must never reach bo-y-te.
let withheldValue = "001090000123"
let boYTeSigner = RequestTokenSigner(agency: boYTe, key: requesterKey)
let quietLogger = Logger(label: "lienthong-test") { _ in SwiftLogNoOpLogHandler() }

func wallClock() -> Int64 { Int64(Date().timeIntervalSince1970) }

/// dan-cu shared with bo-y-te (two fields), ho-tich with so-tu-phap (every field).
func publisherSettings(rateLimit: PublisherRateLimit? = nil) -> PublisherSettings {
    PublisherSettings(
        agency: boCongAn, signingKey: publisherKey,
        peers: [
            boYTe: PublisherPeer(keys: [requesterKey.publicKey], grants: [danCu: DatasetGrant(fields: grantedFields)]),
            soTuPhap: PublisherPeer(keys: [soTuPhapKey.publicKey], grants: [hoTich: DatasetGrant(fields: nil)]),
        ],
        datasets: [danCu, hoTich], clockSkewSeconds: 300, pageLifetimeSeconds: 300, rateLimit: rateLimit
    )
}

/// Three dan-cu records and one ho-tich record, authored by bo-cong-an.
func seedOwnFeed(_ store: Store) throws {
    try store.write { transaction in
        for (index, name) in ["Nguyễn Thị Lan", "Trần Văn Bình", "Lê Minh Châu"].enumerated() {
            let data: JSONValue = .object([
                "ho_ten": .string(name), "ngay_sinh": .string("1990-01-0\(index + 1)"),
                "so_cccd": .string(index == 0 ? withheldValue : "00109000099\(index)"),
            ])
            try transaction.edit(dataset: danCu, id: "cd-00\(index + 1)", agency: boCongAn, deleted: false, data: data, policy: .lww)
        }
        try transaction.edit(
            dataset: hoTich, id: "ks-001", agency: boCongAn, deleted: false, data: .object(["so_giay": .string("KS-1")]), policy: .lww
        )
    }
}

/// A publisher listening on an ephemeral loopback port, over its own on-disk store.
struct PublisherUnderTest {
    let port: Int
    let publisher: Publisher
    let temporary: TemporaryStore

    /// GETs `target` with a fresh request token by `signer` (none when nil).
    func get(_ target: String, as signer: RequestTokenSigner? = boYTeSigner, headers: [(String, String)] = []) async throws -> HTTPReply {
        var headers = headers
        if let signer {
            headers.append(("Authorization", "Bearer " + (try signer.token(audience: boCongAn, pathAndQuery: target, now: wallClock()))))
        }
        return try await httpGet(port: port, target: target, headers: headers)
    }
}

/// Runs `body` against a publisher started for it, and stops the publisher afterwards.
func withPublisher(
    settings: PublisherSettings = publisherSettings(), logger: Logger = quietLogger, refusalLogInterval: Duration = .seconds(10),
    connectionLimits: PublisherConnectionLimits = .default, store: TemporaryStore? = nil, startedAt: Int64? = nil,
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
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let application = publisher.application(host: "127.0.0.1", port: 0, connectionLimits: connectionLimits) { continuation.yield($0) }
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            defer { continuation.finish() }
            try await application.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw PublisherDidNotStart() }
        try await body(PublisherUnderTest(port: port, publisher: publisher, temporary: temporary))
        group.cancelAll()
    }
}

/// The JSON object of an error reply, checked to hold exactly `error` and `message`.
func errorBody(_ reply: HTTPReply) throws -> (error: String, message: String)? {
    guard reply.headers["content-type"] == "application/json", let members = try JSONValue(parsing: reply.body).objectValue,
        Set(members.keys) == ["error", "message"], let error = members["error"]?.stringValue, let message = members["message"]?.stringValue
    else { return nil }
    return (error, message)
}

struct PublisherDidNotStart: Error {}
