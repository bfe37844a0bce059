public import LienThongCore
public import LienThongSigning

/// The signed list of datasets a publisher lets one requester pull, with each one's head (protocol v1,
/// `GET /v1/datasets`).
public enum DatasetList {
    public static let type = "lienthong-datasets"

    /// The payload as the protocol writes it; `datasets` are listed by name.
    public static func payload(
        publisher: AgencyID, audience: AgencyID, issuedAt: Int64, expiresAt: Int64, datasets: [(name: DatasetName, head: Int64)]
    ) -> JSONValue {
        .object([
            "v": .integer(1), "publisher": .string(publisher.rawValue), "audience": .string(audience.rawValue), "issued_at": .integer(issuedAt),
            "expires_at": .integer(expiresAt),
            "datasets": .array(datasets.sorted { $0.name < $1.name }.map { .object(["name": .string($0.name.rawValue), "head": .integer($0.head)]) }),
        ])
    }
}

extension DatasetList {
    /// Checks a dataset list as a requester reads it: the signature with the publisher's pinned keys (and
    /// type ``type``), version 1, from `publisher` to `audience`, valid now within `clockSkewSeconds`. Gives
    /// each listed dataset's head.
    public static func verify(
        _ compact: [UInt8], keys: [PublicKey], publisher: AgencyID, audience: AgencyID, now: UnixTime, clockSkewSeconds: Int64
    ) throws(DatasetListError) -> [DatasetName: Int64] {
        let payload: JSONValue
        do {
            payload = try JWSVerifier(keys: keys, requiredType: type).verify(utf8: compact).payloadJSON
        } catch {
            throw DatasetListError("the dataset list does not verify against \(publisher)'s pinned keys: \(error)")
        }
        guard payload["v"]?.int64Value == 1 else { throw DatasetListError("the dataset list is not version 1") }
        guard payload["publisher"]?.stringValue == publisher.rawValue, payload["audience"]?.stringValue == audience.rawValue else {
            throw DatasetListError("the dataset list is not from \(publisher) to \(audience)")
        }
        guard let issuedAt = payload["issued_at"]?.int64Value, let expiresAt = payload["expires_at"]?.int64Value,
            issuedAt <= now.seconds.addingReportingOverflow(clockSkewSeconds).partialValue,
            expiresAt >= now.seconds.subtractingReportingOverflow(clockSkewSeconds).partialValue
        else { throw DatasetListError("the dataset list is not valid now (issued_at, expires_at)") }
        guard let entries = payload["datasets"]?.arrayValue else { throw DatasetListError("the dataset list has no \"datasets\"") }
        var heads: [DatasetName: Int64] = [:]
        for entry in entries {
            guard let name = entry["name"]?.stringValue.flatMap({ try? DatasetName($0) }), let head = entry["head"]?.int64Value else {
                throw DatasetListError("the dataset list has an entry without a valid name and head")
            }
            heads[name] = head
        }
        return heads
    }
}

/// Why a dataset list was not accepted, in one line.
public struct DatasetListError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
