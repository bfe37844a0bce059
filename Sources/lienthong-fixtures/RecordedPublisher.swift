import Foundation
import LienThongCore
import LienThongFeed
import LienThongPublisher
import LienThongMerge
import LienThongSigning
import LienThongStore

/// A publisher with a real store of its own, made in a scratch folder from its local edits at fixed times,
/// whose pages are put together the way its feed handler puts them together: the records of its own feed
/// (stored text as it is for a peer granted every field, each record reduced otherwise), `payloadBytes`,
/// and the publisher's signature. Only the clock differs: it is ``World/now``.
struct RecordedPublisher {
    let agency: AgencyID
    let dataset: DatasetName
    let grant: DatasetGrant
    let signer: JWSSigner
    let store: Store

    init(
        agency: AgencyID, key: PrivateKey, dataset: DatasetName, policy: MergePolicy, grant: DatasetGrant, edits: some Sequence<World.Edit>,
        storeURL: URL
    ) throws {
        self.agency = agency
        self.dataset = dataset
        self.grant = grant
        signer = JWSSigner(key: key)
        store = try Store(openingAt: storeURL)
        for edit in edits {
            _ = try store.write(now: edit.milliseconds) { transaction in
                try transaction.edit(dataset: dataset, id: edit.id, agency: agency, deleted: edit.deleted, data: edit.data, policy: policy)
            }
        }
    }

    /// The highest `seq` of the feed.
    func head() throws -> Int64 {
        try store.read { try $0.ownFeedHead(dataset: dataset) }
    }

    /// The page after `after` as served to `audience` at ``World/now``: the compact JWS.
    func page(after: Int64, audience: AgencyID) throws -> String {
        let (head, records) = try store.read { snapshot -> (Int64, [(seq: Int64, json: [UInt8])]) in
            let head = try snapshot.ownFeedHead(dataset: dataset)
            if grant.fields == nil {
                return (head, try snapshot.ownFeedRecordTexts(dataset: dataset, after: after, limit: Int(World.pageLimit)))
            }
            let versions = try snapshot.ownFeed(dataset: dataset, after: after, limit: Int(World.pageLimit))
            return (head, versions.map { seq, version in
                var members = version.json.objectValue ?? [:]
                members["data"] = grant.reduce(version.data)
                members["seq"] = .integer(seq)
                return (seq, JSONValue.object(members).serialized())
            })
        }
        let payload = FeedPage.payloadBytes(
            publisher: agency, audience: audience, dataset: dataset, after: after, head: head, issuedAt: World.now,
            expiresAt: World.now + World.pageLifetimeSeconds, records: records
        )
        return try signer.sign(payload: payload, type: FeedPage.type)
    }

    /// A page whose records are given by hand, for a publisher that misbehaves: `(seq, version)` ascending.
    func handMadePage(after: Int64, head: Int64, audience: AgencyID, records: [(seq: Int64, version: JSONValue)]) throws -> String {
        let payload = FeedPage.payload(
            publisher: agency, audience: audience, dataset: dataset, after: after, head: head, issuedAt: World.now,
            expiresAt: World.now + World.pageLifetimeSeconds, records: records
        )
        return try signer.sign(json: payload, type: FeedPage.type)
    }

    /// What `lienthong export --dataset D` prints at a reader that applied the whole feed: the publisher's own
    /// visible records, each reduced to the grant, one JSON object a line in the order of their ids.
    func expectedExport() throws -> [UInt8] {
        try store.read { snapshot in
            var lines: [UInt8] = []
            try snapshot.forEachVisibleRecord(dataset: dataset) { record in
                var members = record.exportJSON.objectValue ?? [:]
                members["data"] = grant.reduce(record.version.data)
                lines += JSONValue.object(members).serialized()
                lines.append(UInt8(ascii: "\n"))
            }
            return lines
        }
    }
}
