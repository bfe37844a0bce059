import Foundation
import LienThongConfig
import LienThongCore
import LienThongFeed
import LienThongHTTP
import LienThongMerge
import LienThongSigning
import LienThongStore

/// One of the demo's agencies: its folder (configuration, keys, store), the dataset it authors, and, once
/// running, its publisher's port, plan and puller.
struct DemoAgency: Sendable {
    let id: AgencyID
    let keyType: KeyType
    /// The dataset this agency authors and seeds.
    let dataset: DatasetName
    let folder: URL

    var configURL: URL { folder.appending(path: "lienthong.yaml") }
    var keysFolder: URL { folder.appending(path: "keys") }

    /// The three agencies, each with the dataset it is the source of.
    static func all(in root: URL) throws -> [DemoAgency] {
        try [("bo-cong-an", KeyType.ed25519, "dan-cu"), ("bo-y-te", .p256, "tiem-chung"), ("ubnd-ha-noi", .ed25519, "ho-tich")].map { id, type, dataset in
            DemoAgency(id: try AgencyID(id), keyType: type, dataset: try DatasetName(dataset), folder: root.appending(path: id))
        }
    }

    /// Every dataset of the demo, with its policy and schema, as the configuration writes it.
    static let datasets = """
        datasets:
          dan-cu: { policy: authority, owner: bo-cong-an, schema: schemas/dan-cu.yaml }   # the police own the population register
          tiem-chung: { policy: lww, schema: schemas/tiem-chung.yaml }                    # vaccinations: the latest edit wins
          ho-tich: { policy: manual, schema: schemas/ho-tich.yaml }                       # civil status: a person reviews each conflict
        """

    /// The schemas every agency declares (docs/SCHEMA.md): one shared dictionary, so their digests match.
    static let schemas: [String: String] = [
        "dan-cu": """
            # Population register: one resident a record.
            additional: refuse
            fields:
              so_dinh_danh:
                type: string
                required: true
                pii: true
                format: cccd
                cccd: { birth_date: ngay_sinh, sex: gioi_tinh, male: nam, female: nữ }
                description: Số định danh cá nhân (12 chữ số)
              ho_ten: { type: string, required: true, pii: true, min_length: 2, max_length: 100 }
              ngay_sinh: { type: date, required: true, pii: true }
              gioi_tinh: { type: string, required: true, enum: [nam, nữ] }
              que_quan: { type: string, max_length: 200 }
              cap_nhat_boi: { type: string, max_length: 64, description: the agency that last edited it }

            """,
        "tiem-chung": """
            # Vaccinations: one dose a record.
            additional: refuse
            fields:
              ma_dinh_danh: { type: string, required: true, pii: true, format: cccd }
              vaccine: { type: string, required: true, max_length: 100 }
              mui: { type: integer, required: true, minimum: 1, maximum: 10 }
              ngay_tiem: { type: date, required: true }
              co_so: { type: string, max_length: 200 }
              cap_nhat_boi: { type: string, max_length: 64 }

            """,
        "ho-tich": """
            # Civil status: one registration a record.
            additional: refuse
            fields:
              loai: { type: string, required: true, enum: [khai sinh, kết hôn, khai tử, nhận cha mẹ con] }
              ho_ten: { type: string, required: true, pii: true, max_length: 100 }
              ngay_dang_ky: { type: date, required: true }
              noi_dang_ky: { type: string, max_length: 200 }
              cap_nhat_boi: { type: string, max_length: 64 }

            """,
    ]

    /// Writes this agency's key pair, and its public key into every other agency's `keys` folder (mode 0700,
    /// the public key 0644).
    func makeKeys(sharingWith others: [DemoAgency]) throws {
        let key = try PrivateKey.generate(keyType)
        try AgencyKeyFiles(agency: id, directory: keysFolder).writeNew(key)
        for other in others {
            try CreatedFile.createFolder(atPath: other.keysFolder.path)
            try CreatedFile.create(
                atPath: other.keysFolder.appending(path: "\(id).pub.pem").path, mode: CreatedFile.readableByAll, contents: Array(key.publicKey.pemText.utf8)
            )
        }
    }

    /// Writes the configuration: listen on `port`, pull every dataset from each peer and share every dataset
    /// with it. `peerPorts` gives each peer's publisher port. The file gets mode 0644: it holds no secret.
    func writeConfiguration(port: Int, peerPorts: [AgencyID: Int]) throws {
        var text = """
            # lienthong demo: \(id). Made by `lienthong demo`; the ports were those of that run.
            agency: \(id)
            store: store.sqlite
            signing_key: keys/\(id).key.pem
            listen: "127.0.0.1:\(port)"
            \(Self.datasets)
            peers:

            """
        for (peer, peerPort) in peerPorts.sorted(by: { $0.key < $1.key }) {
            text += """
                  \(peer):
                    url: "http://127.0.0.1:\(peerPort)"
                    keys: [keys/\(peer).pub.pem]
                    pull: [dan-cu, tiem-chung, ho-tich]
                    share: { dan-cu: {}, tiem-chung: {}, ho-tich: {} }
                    interval_seconds: 30

                """
        }
        try CreatedFile.replace(atPath: configURL.path, mode: CreatedFile.readableByAll, contents: Array(text.utf8))
        let schemaFolder = folder.appending(path: "schemas")
        try CreatedFile.createFolder(atPath: schemaFolder.path)
        for (dataset, schema) in Self.schemas {
            try CreatedFile.replace(
                atPath: schemaFolder.appending(path: "\(dataset).yaml").path, mode: CreatedFile.readableByAll, contents: Array(schema.utf8)
            )
        }
    }

    /// Seeds `count` synthetic records of this agency's dataset, in one transaction.
    func seed(_ store: Store, count: Int, policy: MergePolicy) async throws {
        let (id, dataset) = (id, dataset)
        try await store.write { transaction in
            for index in 0..<count {
                try transaction.edit(
                    dataset: dataset, id: Self.recordID(dataset, index), agency: id, deleted: false, data: Self.record(dataset, index),
                    policy: policy
                )
            }
        }
    }

    static func recordID(_ dataset: DatasetName, _ index: Int) -> String {
        String(format: "%@-%06d", String(dataset.rawValue.prefix(2)), index)
    }

    static func record(_ dataset: DatasetName, _ index: Int) -> JSONValue {
        switch dataset.rawValue {
        case "dan-cu": SyntheticRecords.resident(index)
        case "tiem-chung": SyntheticRecords.vaccination(index)
        default: SyntheticRecords.registration(index)
        }
    }
}
