public import Foundation
public import LienThongCore
public import LienThongMerge
public import LienThongSchema

/// One agency's configuration, read from YAML (default `/etc/lienthong/lienthong.yaml`).
///
/// Every path inside is resolved against the folder of the configuration file. See docs/CONFIG.md.
public struct Configuration: Sendable {
    /// The file this was read from.
    public let fileURL: URL
    /// This agency's id.
    public let agency: AgencyID
    /// The store: a SQLite file, or a PostgreSQL database (`store`, with `store_password_file`).
    public let store: StoreLocation
    /// The agency's PKCS#8 PEM private key.
    public let signingKeyURL: URL
    /// Where the publisher listens, as `host:port`.
    public let listen: ListenAddress
    /// How far in the future a peer's clock may run before its stamps are refused.
    public let clockSkewSeconds: Int64
    /// The datasets this agency holds, with their merge policies.
    public let datasets: [DatasetName: DatasetSettings]
    /// The agencies this one exchanges data with.
    public let peers: [AgencyID: PeerSettings]
    /// The bytes that pages fetched ahead may hold, across all feeds (`prefetch_bytes`, default 64 MiB).
    public internal(set) var prefetchBytes = 64 << 20
    /// How long the store keeps its change log, in days (`changes_retention_days`, default 30): a program
    /// following the store's changes must come back within it.
    public internal(set) var changesRetentionDays = 30
    /// This daemon's name in the leases of a store several daemons share (`daemon_id`); nil: the host's name
    /// and the process id, so that two daemons never share one.
    public internal(set) var daemonID: String?
    /// How long a daemon holds a feed's lease without renewing it (`lease_seconds`, default 30): a daemon that
    /// stops renews nothing, and another takes its feeds over after at most this long.
    public internal(set) var leaseSeconds = 30
    /// How the publisher holds feed requests that carry `wait` (`long_poll`).
    public internal(set) var longPoll = LongPollConfiguration.default
    /// The bounds on the publisher's open connections, read when the daemon starts.
    public let connections: ConnectionSettings
    /// The certificate and key presented to every peer's TLS server (mutual TLS), unless a peer names its own.
    public let clientCertificate: ClientCertificateFiles?
    /// How long personal data and the audit log are kept (`retention`): the defaults of every dataset, the
    /// refused pages' `quarantine_days` and the log's `audit_days` (docs/PRIVACY.md).
    public internal(set) var retention = RetentionSettings.default
    /// Where the status page listens (`admin_listen`), never on the publisher's port; nil when the operator
    /// turned it off (`admin_listen: off`). See docs/STATUS.md.
    public internal(set) var adminListen: ListenAddress? = nil

    /// The default location, used when neither `--config` nor `LIENTHONG_CONFIG` names another.
    public static let defaultPath = "/etc/lienthong/lienthong.yaml"

    /// The status page's address when `admin_listen` is not set: loopback, on the port after the publisher's
    /// (`127.0.0.1:8441` with the default `listen`), or any free port when the publisher's is 0 or 65535.
    public static func defaultAdminListen(publisher listen: ListenAddress) -> ListenAddress {
        ListenAddress(host: "127.0.0.1", port: (1..<65_535).contains(listen.port) ? listen.port + 1 : 0)
    }

    /// The declared shape of `dataset`'s records, or nil when it has none (docs/SCHEMA.md).
    public func schema(for dataset: DatasetName) -> DatasetSchema? { datasets[dataset]?.schema }

    /// Every declared schema, by dataset.
    public var schemas: [DatasetName: DatasetSchema] { datasets.compactMapValues(\.schema) }

    /// The merge policy for `dataset`, or nil when this agency does not hold that dataset.
    public func policy(for dataset: DatasetName) -> MergePolicy? { datasets[dataset]?.policy }

    /// The peers this agency pulls `dataset` from: claims about their edits are checked (docs/MERGE.md).
    public func directSources(of dataset: DatasetName) -> Set<AgencyID> {
        Set(peers.values.filter { $0.pull.contains(dataset) }.map(\.agency))
    }

    /// How `dataset`'s versions merge here; a dataset not held merges as `lww` with the standard limits.
    public func mergeRules(for dataset: DatasetName) -> MergeRules {
        MergeRules(
            policy: policy(for: dataset) ?? .lww, receiver: agency, directSources: directSources(of: dataset),
            limits: datasets[dataset]?.limits ?? .standard
        )
    }
}

/// How one dataset's records merge here.
public struct DatasetSettings: Sendable, Hashable {
    public let policy: MergePolicy
    /// `max_siblings` and `max_vector_entries`.
    public let limits: MergeLimits
    /// The records' declared shape (`schema`, docs/SCHEMA.md), checked at every edge; nil: any object.
    public let schema: DatasetSchema?
    /// The file it was read from.
    public let schemaFile: URL?
    /// How long its superseded versions and quarantined items are kept (`retention`, else the top level's).
    public var retention = RetentionSettings.default
}

/// How long superseded versions, quarantined items and audit entries are kept, in days (docs/CONFIG.md
/// `retention`). `auditDays` is read at the top level only.
public struct RetentionSettings: Sendable, Hashable {
    /// Days a version is kept after a later one superseded it; 0: none past the next purge.
    public let historyDays: Int
    /// Days a refused item is kept after it was last seen.
    public let quarantineDays: Int
    /// Days an audit entry is kept.
    public let auditDays: Int

    public init(historyDays: Int, quarantineDays: Int, auditDays: Int) {
        self.historyDays = historyDays
        self.quarantineDays = quarantineDays
        self.auditDays = auditDays
    }

    /// A year of history, 90 days of quarantine, five years of audit log.
    public static let `default` = RetentionSettings(historyDays: 365, quarantineDays: 90, auditDays: 1825)
}

/// One peer agency: where to pull from, which keys it signs with, what flows each way.
public struct PeerSettings: Sendable {
    public let agency: AgencyID
    /// The base URL of its publisher: `https://…`, or `http://` on a loopback address only.
    public let url: URL
    /// Its pinned public keys (PEM or JWK files); more than one during a key rotation.
    public let keyURLs: [URL]
    /// Datasets pulled from this peer.
    public let pull: [DatasetName]
    /// Datasets this peer may pull from us, with the fields it may see and the purposes it may state.
    public let share: [DatasetName: Grant]
    /// The purpose stated when pulling each dataset from this peer (`pull_purposes`); a dataset not named is
    /// pulled stating none. Every dataset named is in ``pull``.
    public let pullPurposes: [DatasetName: PurposeCode]
    /// Seconds between polls of this peer.
    public let intervalSeconds: Int
    /// A PEM file of certificate authorities to trust for this peer instead of the system's.
    public let caFileURL: URL?
    /// The peer's TLS public key pinned as libcurl takes it: `sha256//BASE64` (several joined by `;`).
    public let tlsPinnedPublicKey: String?
    /// How often it may ask our publisher: its own `rate_limit`, else the top-level one, else the default.
    public let rateLimit: RateLimitSettings
    /// The certificate and key presented to its TLS server: its own `client_certificate` and `client_key`,
    /// else the top-level ones, else none.
    public let clientCertificate: ClientCertificateFiles?
}

/// A client certificate chain (PEM) and its private key (PEM, PKCS#8), presented in TLS handshakes.
public struct ClientCertificateFiles: Sendable, Hashable {
    public let certificateURL: URL
    public let keyURL: URL

    public init(certificateURL: URL, keyURL: URL) {
        self.certificateURL = certificateURL
        self.keyURL = keyURL
    }
}

/// A token bucket per peer: `burst` requests at once, then `requestsPerSecond` (docs/CONFIG.md `rate_limit`).
public struct RateLimitSettings: Sendable, Hashable {
    public let requestsPerSecond: Int
    public let burst: Int

    public init(requestsPerSecond: Int, burst: Int) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
    }

    /// 20 requests a second after a burst of 40: an initial sync of a million records in pages of 1,000
    /// takes under a minute, and a peer's live tokens stay well within its share of the replay memory.
    public static let `default` = RateLimitSettings(requestsPerSecond: 20, burst: 40)
}

/// How the publisher holds feed requests that carry `wait` (docs/CONFIG.md `long_poll`, docs/PROTOCOL.md
/// "Live feeds").
public struct LongPollConfiguration: Sendable, Hashable {
    /// The longest wait, advertised as `wait_max`, 1 to 55 seconds; 0: requests are not held.
    public let waitMaxSeconds: Int
    /// Requests held for one requesting agency at most.
    public let heldPerPeer: Int
    /// Requests held in all at most.
    public let heldMax: Int

    public init(waitMaxSeconds: Int, heldPerPeer: Int, heldMax: Int) {
        self.waitMaxSeconds = waitMaxSeconds
        self.heldPerPeer = heldPerPeer
        self.heldMax = heldMax
    }

    /// 25 s (below the 60 s proxies allow by default), 4 per requesting agency, 10,000 in all.
    public static let `default` = LongPollConfiguration(waitMaxSeconds: 25, heldPerPeer: 4, heldMax: 10_000)
}

/// The bounds on the publisher's open connections (docs/CONFIG.md `connections`).
public struct ConnectionSettings: Sendable, Hashable {
    /// Open connections at most; beyond it new ones wait in the listen backlog until one closes.
    public let maximum: Int
    /// Open connections from one remote address at most; beyond it a new one is closed at once.
    public let perAddress: Int

    public init(maximum: Int, perAddress: Int) {
        self.maximum = maximum
        self.perAddress = perAddress
    }

    /// 512 in all and 32 per address: far below the unit's `LimitNOFILE` of 4096, and far above what the
    /// puller of one agency opens (a page and the two fetched ahead per feed).
    public static let `default` = ConnectionSettings(maximum: 512, perAddress: 32)
}

/// What a peer may see of one dataset, and why.
public struct Grant: Sendable, Hashable {
    /// The fields of `data` the peer receives; nil means all fields.
    public let fields: [String]?
    /// The purposes the peer may state when pulling (`purposes`), at least one, none twice; nil: any purpose
    /// or none.
    public let purposes: [PurposeCode]?
    /// The legal basis of the sharing (`legal_basis`), 1 to 500 characters, written in the audit log with
    /// every page served; nil when not given.
    public let legalBasis: String?

    public init(fields: [String]?, purposes: [PurposeCode]? = nil, legalBasis: String? = nil) {
        self.fields = fields
        self.purposes = purposes
        self.legalBasis = legalBasis
    }
}

/// A listening address such as `127.0.0.1:8440` or `[::1]:8440`.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Why a configuration could not be used: names the file, the key and what is wrong, in one line; shown in the
/// operator's language, its `description` in English for logs.
public struct ConfigurationError: LienThongCore.LocalizedError {
    public let message: LocalizedMessage

    /// `problem`, whose catalog entry starts with `{place}`: the file, the line and the key, as known.
    init(file: URL, key: String?, line: Int?, _ problem: LocalizedMessage) {
        let place = [file.path + (line.map { ":\($0)" } ?? ""), key].compactMap { $0 }.joined(separator: ": ")
        message = LocalizedMessage(problem.key, problem.arguments.merging(["place": place]) { given, _ in given })
    }
}
