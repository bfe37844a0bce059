public import LienThongCore

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
