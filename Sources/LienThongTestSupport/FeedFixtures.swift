public import Foundation
import GRDB
public import LienThongCore
public import LienThongFeed
public import LienThongMerge
public import LienThongPublisher
public import LienThongSigning
@_spi(Testing) public import LienThongStore
public import Logging

// The feed tests' agencies: bo-cong-an publishes (its key is `publisherKey`); bo-y-te and so-tu-phap pull.
public let publisherKey = try! PrivateKey.generate(.ed25519)
public let strangerKey = try! PrivateKey.generate(.ed25519)
public let requesterKey = try! PrivateKey.generate(.ed25519)
public let soTuPhapKey = try! PrivateKey.generate(.p256)
public let boCongAn = try! AgencyID("bo-cong-an")
public let boYTe = try! AgencyID("bo-y-te")
public let soTuPhap = try! AgencyID("so-tu-phap")
public let danCu = try! DatasetName("dan-cu")
public let hoTich = try! DatasetName("ho-tich")
/// The fixed time the page checks are tested at, in Unix seconds, as pages and tokens count it.
public let now: Int64 = 1_790_000_000
/// ``now`` as the clock gives it.
public let fixedNow = UnixTime(seconds: now)
/// What bo-y-te may see of dan-cu: not `so_cccd`.
public let grantedFields = ["ho_ten", "ngay_sinh"]
/// A value of the field bo-y-te is not granted: it must never reach bo-y-te.
public let withheldValue = "001090000123"
public let boYTeSigner = RequestTokenSigner(agency: boYTe, key: requesterKey)
public let soTuPhapSigner = RequestTokenSigner(agency: soTuPhap, key: soTuPhapKey)
public let quietLogger = Logger(label: "lienthong-test") { _ in SwiftLogNoOpLogHandler() }
public let verifier = JWSVerifier(keys: [publisherKey.publicKey], requiredType: FeedPage.type)

/// The system clock's now in whole Unix seconds, as pages and tokens count it.
public func wallClock() -> Int64 { SystemClock().now.seconds }

/// The system clock's now.
public func wallTime() -> UnixTime { SystemClock().now }

/// A record version as bo-cong-an publishes it.
public func record(_ id: String, edit: Int64 = 1, hlc: Int64 = (now - 10) * 1000, origin: AgencyID = boCongAn, data: JSONValue = .object(["ho_ten": .string("Trần Văn Bình")])) -> JSONValue {
    RecordVersion(
        dataset: danCu, id: id, origin: origin, hlc: HybridTimestamp(milliseconds: hlc, counter: 0), vv: VersionVector([origin: edit]),
        deleted: false, data: data
    ).json
}

/// A signed page; every field can be bent to test a rule.
public func page(
    publisher: AgencyID = boCongAn, audience: AgencyID = boYTe, dataset: DatasetName = danCu, after: Int64 = 0, head: Int64? = nil,
    issuedAt: Int64 = now, expiresAt: Int64 = now + 600, records: [(Int64, JSONValue)], key: PrivateKey = publisherKey,
    edit: ((inout [String: JSONValue]) -> Void)? = nil
) throws -> [UInt8] {
    var payload = FeedPage.payload(
        publisher: publisher, audience: audience, dataset: dataset, after: after, head: head ?? (records.last?.0 ?? after),
        issuedAt: issuedAt, expiresAt: expiresAt, records: records.map { (seq: $0.0, version: $0.1) }
    )
    if let edit, case .object(var members) = payload {
        edit(&members)
        payload = .object(members)
    }
    return Array(try JWSSigner(key: key).sign(payload: payload.serialized(), type: FeedPage.type).utf8)
}

public func expectation(
    after: Int64? = nil, allowExpired: Bool = false, limit: Int64 = FeedPage.maximumLimit, purpose: StatedPurpose? = nil
) -> PageExpectation {
    PageExpectation(
        publisher: boCongAn, audience: boYTe, pulledDatasets: [danCu], dataset: after == nil ? nil : danCu, after: after, limit: limit,
        now: fixedNow, clockSkewSeconds: 300, allowExpired: allowExpired, purpose: purpose
    )
}

/// A store of one backend: a file in a fresh folder, removed afterwards, or a fresh database on the tests'
/// PostgreSQL cluster.
public final class TemporaryStore {
    public let folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-feed-\(UUID().uuidString)")
    public let location: StoreLocation
    public let store: Store

    public init(_ backend: StoreBackend = .sqlite) throws {
        location = try backend.newLocation(in: folder)
        store = try Store(opening: location)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// How many rows `table` holds.
    public func count(_ table: String) throws -> Int {
        let text = try store.read { try $0.rawRows("SELECT COUNT(*) FROM \(table)") }.first?.first ?? nil
        return text.flatMap { Int($0) } ?? -1
    }

    /// Runs `sql` on the store as its owner would from outside lienthong (a trigger a test injects): through
    /// SQLite for a file, psql for PostgreSQL.
    public func execute(sqlite: String, postgres: String) throws {
        switch location {
        case .file(let url): try DatabaseQueue(path: url.path).write { try $0.execute(sql: sqlite) }
        case .postgres(let database): try PostgresCluster.shared.psql(database.database, postgres)
        }
    }
}

/// dan-cu shared with bo-y-te (two fields), ho-tich with so-tu-phap (every field).
public func publisherSettings(rateLimit: PublisherRateLimit? = nil) -> PublisherSettings {
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
public func seedOwnFeed(_ store: Store) throws {
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
