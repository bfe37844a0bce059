public import LienThongCore
public import LienThongSigning

/// The signed list of datasets a publisher lets one requester pull, with each one's head (protocol v1,
/// `GET /v1/datasets`).
public enum DatasetList {
    public static let type = "lienthong-datasets"

    /// The longest wait a publisher may advertise, in seconds: below the 60 s that proxies allow by default.
    public static let maximumWaitSeconds: Int64 = 55

    /// The payload as the protocol writes it; `datasets` are listed by name, each with `wait_max` when the
    /// publisher holds requests for it, and with `schema` (the normalized declaration) and `schema_sha256`
    /// when it has a schema.
    public static func payload(
        publisher: AgencyID, audience: AgencyID, issuedAt: Int64, expiresAt: Int64,
        datasets: [(name: DatasetName, head: Int64, schema: JSONValue?)], waitMaxSeconds: Int64? = nil
    ) throws -> JSONValue {
        .object([
            "v": .integer(1), "publisher": .string(publisher.rawValue), "audience": .string(audience.rawValue), "issued_at": .integer(issuedAt),
            "expires_at": .integer(expiresAt),
            "datasets": .array(try datasets.sorted { $0.name < $1.name }.map { entry in
                var members: [String: JSONValue] = ["name": .string(entry.name.rawValue), "head": .integer(entry.head)]
                if let waitMaxSeconds { members["wait_max"] = .integer(waitMaxSeconds) }
                if let schema = entry.schema {
                    members["schema"] = schema
                    members["schema_sha256"] = .string(try schemaDigest(schema))
                }
                return .object(members)
            }),
        ])
    }

    /// The SHA-256 of a schema's canonical JSON (members sorted, compact), in lowercase hex: what
    /// `schema_sha256` holds and what a puller compares with its own declaration's.
    public static func schemaDigest(_ declaration: JSONValue) throws -> String {
        try Digest.sha256Hex(declaration.serialized())
    }

    /// The first 64 bits of ``schemaDigest(_:)``, as the store tags the own-feed versions checked against the
    /// schema (never 0, which means unchecked).
    public static func schemaTag(_ declaration: JSONValue) throws -> Int64 {
        let tag = Int64(bitPattern: UInt64(try schemaDigest(declaration).prefix(16), radix: 16) ?? 1)
        return tag == 0 ? 1 : tag
    }

    /// One dataset as a dataset list gives it.
    public struct Entry: Sendable, Equatable {
        public let head: Int64
        /// The longest `wait` the publisher holds a request of this dataset for, 1 to ``maximumWaitSeconds``;
        /// nil: it does not hold requests, and none may carry `wait`.
        public let waitMaxSeconds: Int64?
        /// The SHA-256 of the publisher's declared schema of the dataset (checked against the `schema` listed
        /// beside it); nil: it declares none.
        public let schemaSHA256: String?

        public init(head: Int64, waitMaxSeconds: Int64?, schemaSHA256: String? = nil) {
            self.head = head
            self.waitMaxSeconds = waitMaxSeconds
            self.schemaSHA256 = schemaSHA256
        }
    }
}

extension DatasetList {
    /// Checks a dataset list as a requester reads it: the signature with the publisher's pinned keys (and
    /// type ``type``), version 1, from `publisher` to `audience`, valid now within `clockSkewSeconds`. Gives
    /// each listed dataset's head, `wait_max` and schema digest. A `wait_max` that is not an integer from 1 to
    /// ``maximumWaitSeconds``, or a `schema` whose SHA-256 is not the `schema_sha256` beside it, refuses the list.
    public static func verify(
        _ compact: [UInt8], keys: [PublicKey], publisher: AgencyID, audience: AgencyID, now: UnixTime, clockSkewSeconds: Int64
    ) throws(DatasetListError) -> [DatasetName: Entry] {
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
        var listed: [DatasetName: Entry] = [:]
        for entry in entries {
            guard let name = entry["name"]?.stringValue.flatMap({ try? DatasetName($0) }), let head = entry["head"]?.int64Value else {
                throw DatasetListError("the dataset list has an entry without a valid name and head")
            }
            var waitMax: Int64?
            if let member = entry["wait_max"] {
                guard let seconds = member.int64Value, (1...maximumWaitSeconds).contains(seconds) else {
                    throw DatasetListError("the dataset list gives \(name) a wait_max that is not an integer from 1 to \(maximumWaitSeconds)")
                }
                waitMax = seconds
            }
            var schemaSHA256: String?
            if entry["schema"] != nil || entry["schema_sha256"] != nil {
                guard let schema = entry["schema"], schema.objectValue != nil, let digest = entry["schema_sha256"]?.stringValue,
                    (try? schemaDigest(schema)) == digest
                else {
                    throw DatasetListError("the dataset list gives \(name) a schema without a matching schema_sha256")
                }
                schemaSHA256 = digest
            }
            listed[name] = Entry(head: head, waitMaxSeconds: waitMax, schemaSHA256: schemaSHA256)
        }
        return listed
    }
}

/// Why a dataset list was not accepted, in one line.
public struct DatasetListError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
