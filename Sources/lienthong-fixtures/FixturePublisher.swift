import Foundation
import LienThongCore
import LienThongFeed
import LienThongHTTP
import LienThongMerge
import LienThongPublisher
import LienThongSigning
import LienThongStore
import Logging

/// One publisher of the recorded feeds: a real store of its own, made in a scratch folder from its local edits
/// at fixed times, served by the real publisher with its clock stopped at ``World/now``. Its pages are asked
/// for over loopback through libcurl, with request tokens its readers sign at that instant, so a recorded page
/// is exactly what a publisher serves.
struct FixturePublisher {
    let agency: AgencyID
    let dataset: DatasetName
    /// What ubnd-ha-noi, the reader of the good feeds, may see.
    let readerGrant: DatasetGrant
    let signer: JWSSigner
    let store: Store
    private let publisher: Publisher

    /// `readers` are the agencies the publisher serves, with their pinned public keys and grants.
    init(
        agency: AgencyID, key: PrivateKey, dataset: DatasetName, policy: MergePolicy, readers: [AgencyID: (key: PublicKey, grant: DatasetGrant)],
        edits: some Sequence<World.Edit>, storeURL: URL
    ) throws {
        self.agency = agency
        self.dataset = dataset
        readerGrant = readers[World.ubndHaNoi]?.grant ?? DatasetGrant(fields: [])
        signer = JWSSigner(key: key)
        store = try Store(openingAt: storeURL, clock: World.clock)
        for edit in edits {
            _ = try store.write(at: UnixTime(milliseconds: edit.milliseconds)) { transaction in
                try transaction.edit(dataset: dataset, id: edit.id, agency: agency, deleted: edit.deleted, data: edit.data, policy: policy)
            }
        }
        let settings = PublisherSettings(
            agency: agency, signingKey: key,
            peers: readers.mapValues { PublisherPeer(keys: [$0.key], grants: [dataset: $0.grant]) },
            datasets: [dataset], clockSkewSeconds: World.clockSkewSeconds, pageLifetimeSeconds: World.pageLifetimeSeconds
        )
        publisher = Publisher(
            settings: settings, store: store, logger: Logger(label: "lienthong-fixtures") { _ in SwiftLogNoOpLogHandler() }, clock: World.clock
        )
    }

    /// The highest `seq` of the feed.
    func head() throws -> Int64 {
        try store.read { try $0.ownFeedHead(dataset: dataset) }
    }

    /// The pages after each of `positions`, as the publisher serves them to `reader` (whose private key is
    /// `readerKey`) asking `limit=`World.pageLimit: the compact JWS of each, in the order asked.
    func pages(after positions: [Int64], to reader: AgencyID, readerKey: PrivateKey) async throws -> [String] {
        let tokens = RequestTokenSigner(agency: reader, key: readerKey)
        return try await publisher.serving { port in
            try await withHTTPClient { client in
                var pages: [String] = []
                for after in positions {
                    let path = "/v1/feeds/\(dataset)?after=\(after)&limit=\(World.pageLimit)"
                    let token = try tokens.token(audience: agency, pathAndQuery: path, now: World.clock.now)
                    let response = try await client.get(HTTPRequest(
                        url: "http://127.0.0.1:\(port)\(path)", headers: [(name: "Authorization", value: "Bearer \(token)")]
                    ))
                    guard response.status == 200 else {
                        throw FixtureError("\(agency) answered \(response.status) to \(path): \(String(decoding: response.body, as: UTF8.self))")
                    }
                    pages.append(String(decoding: response.body, as: UTF8.self))
                }
                return pages
            }
        }
    }

    /// A page whose records are given by hand, for a publisher that misbehaves: `(seq, version)` ascending.
    func handMadePage(after: Int64, head: Int64, audience: AgencyID, records: [(seq: Int64, version: JSONValue)]) throws -> String {
        let payload = FeedPage.payload(
            publisher: agency, audience: audience, dataset: dataset, after: after, head: head, issuedAt: World.now,
            expiresAt: World.now + World.pageLifetimeSeconds, records: records
        )
        return try signer.sign(json: payload, type: FeedPage.type)
    }

    /// What `lienthong export --dataset D` prints at ubnd-ha-noi once it applied the whole feed: the publisher's
    /// own visible records, each reduced to the reader's grant, one JSON object a line in the order of their ids.
    func expectedExport() throws -> [UInt8] {
        try store.read { snapshot in
            var lines: [UInt8] = []
            try snapshot.forEachVisibleRecord(dataset: dataset) { record in
                var members = record.exportJSON.objectValue ?? [:]
                members["data"] = readerGrant.reduce(record.version.data)
                lines += JSONValue.object(members).serialized()
                lines.append(UInt8(ascii: "\n"))
            }
            return lines
        }
    }
}
