public import LienThongCore
public import LienThongSchema
public import LienThongSigning
import LienThongFeed

/// What the publisher serves, and to whom. A ``Publisher`` takes new settings at any time
/// (``Publisher/update(_:)``); each request reads the settings current when it arrives.
public struct PublisherSettings: Sendable {
    /// This agency: pages are published by it and request tokens must be addressed to it.
    public var agency: AgencyID
    /// The agency's key, which signs every page and dataset list.
    public var signingKey: PrivateKey
    /// The agencies that may pull from here, with their pinned keys and grants.
    public var peers: [AgencyID: PublisherPeer]
    /// The datasets held here. A dataset granted to a peer but not held is not served.
    public var datasets: Set<DatasetName>
    /// How far a requester's clock may run ahead of this one (request tokens' `iat`).
    public var clockSkewSeconds: Int64
    /// How long a page or dataset list is valid for, 1 to ``FeedPage/maximumLifetimeSeconds``.
    public var pageLifetimeSeconds: Int64
    /// How often each peer may ask, unless the peer has its own ``PublisherPeer/rateLimit``; nil: as often
    /// as it likes.
    public var rateLimit: PublisherRateLimit?
    /// How feed requests that carry `wait` are held.
    public var longPoll: LongPollSettings
    /// The declared schema of each held dataset that has one: listed in `/v1/datasets`, and a version whose
    /// data breaks it is never served (docs/SCHEMA.md).
    public var schemas: [DatasetName: DatasetSchema]

    public init(
        agency: AgencyID, signingKey: PrivateKey, peers: [AgencyID: PublisherPeer], datasets: Set<DatasetName>, clockSkewSeconds: Int64 = 300,
        pageLifetimeSeconds: Int64 = 300, rateLimit: PublisherRateLimit? = nil, longPoll: LongPollSettings = .default,
        schemas: [DatasetName: DatasetSchema] = [:]
    ) {
        self.longPoll = longPoll
        self.schemas = schemas
        self.agency = agency
        self.signingKey = signingKey
        self.peers = peers
        self.datasets = datasets
        self.clockSkewSeconds = clockSkewSeconds
        self.pageLifetimeSeconds = pageLifetimeSeconds
        self.rateLimit = rateLimit
    }

    /// The rate limit that applies to `peer`: its own, else the default; nil when there is none.
    func rateLimit(for peer: AgencyID) -> PublisherRateLimit? {
        peers[peer]?.rateLimit ?? rateLimit
    }

    /// What `peer` may pull of `dataset`, when the dataset is held here and granted to it.
    func grant(_ dataset: DatasetName, to peer: AgencyID) -> DatasetGrant? {
        datasets.contains(dataset) ? peers[peer]?.grants[dataset] : nil
    }
}

/// One agency that may pull from this publisher.
public struct PublisherPeer: Sendable {
    /// Its pinned public keys, which sign its request tokens; more than one during a key rotation.
    public var keys: [PublicKey]
    /// The datasets it may pull, each with the fields it may see.
    public var grants: [DatasetName: DatasetGrant]
    /// How often it may ask; nil: the publisher's default ``PublisherSettings/rateLimit``.
    public var rateLimit: PublisherRateLimit?

    public init(keys: [PublicKey], grants: [DatasetName: DatasetGrant], rateLimit: PublisherRateLimit? = nil) {
        self.keys = keys
        self.grants = grants
        self.rateLimit = rateLimit
    }
}

/// What a peer may see of one dataset's records, and for which purposes.
public struct DatasetGrant: Sendable, Hashable {
    /// The members of each record's `data` the peer receives; nil: all of them.
    public var fields: [String]?
    /// The purposes a request may state (its token's `purpose`); nil: any purpose, or none.
    public var purposes: [PurposeCode]?
    /// The legal basis of the sharing, written in the audit log with every page served; nil when not given.
    public var legalBasis: String?

    public init(fields: [String]?, purposes: [PurposeCode]? = nil, legalBasis: String? = nil) {
        self.fields = fields
        self.purposes = purposes
        self.legalBasis = legalBasis
    }

    /// Whether a request that states `purpose` (nil: none) may be served: always when the grant names no
    /// purposes, else only when it states one of them.
    public func admits(purpose: PurposeCode?) -> Bool {
        guard let purposes else { return true }
        return purpose.map(purposes.contains) ?? false
    }

    /// `data` (a JSON object) with only the granted members. Fields that a record lacks stay absent.
    public func reduce(_ data: JSONValue) -> JSONValue {
        guard let fields, case .object(let members) = data else { return data }
        let granted = Set(fields)
        return .object(members.filter { granted.contains($0.key) })
    }
}

/// A per-peer token bucket: each peer may make `burst` requests at once, then `requestsPerSecond`.
/// Requests beyond it are answered `429` with `Retry-After`. Only requests whose token verified count.
public struct PublisherRateLimit: Sendable, Hashable {
    public var requestsPerSecond: Double
    public var burst: Int

    public init(requestsPerSecond: Double, burst: Int) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
    }
}

/// How the publisher holds feed requests that carry `wait` (docs/PROTOCOL.md, "Live feeds").
public struct LongPollSettings: Sendable, Hashable {
    /// The longest `wait` accepted, 1 to 55 seconds, advertised in `/v1/datasets` as `wait_max`; nil: requests
    /// are not held, no `wait_max` is advertised and a `wait` above 0 is a bad request.
    public var waitMaxSeconds: Int64?
    /// Requests held for one requesting agency at most; beyond, `503` with `Retry-After`.
    public var perPeer: Int
    /// Requests held at most in all; beyond, `503` with `Retry-After`.
    public var total: Int

    public init(waitMaxSeconds: Int64?, perPeer: Int, total: Int) {
        self.waitMaxSeconds = waitMaxSeconds.map { min(max($0, 1), DatasetList.maximumWaitSeconds) }
        self.perPeer = max(perPeer, 1)
        self.total = max(total, 1)
    }

    /// A wait of up to 25 s, 4 requests held per requester, 10,000 in all (docs/CONFIG.md `long_poll`).
    public static let `default` = LongPollSettings(waitMaxSeconds: 25, perPeer: 4, total: 10_000)
}

/// The bounds on open connections, fixed for the life of the listener.
public struct PublisherConnectionLimits: Sendable, Hashable {
    /// Open connections at most; beyond it new connections wait in the listen backlog until one closes.
    public var maximum: Int
    /// Open connections from one remote address at most; beyond it a new connection is closed at once.
    public var perAddress: Int

    public init(maximum: Int, perAddress: Int) {
        self.maximum = max(maximum, 1)
        self.perAddress = min(max(perAddress, 1), self.maximum)
    }

    /// 512 in all, 32 per address (docs/CONFIG.md `connections`).
    public static let `default` = PublisherConnectionLimits(maximum: 512, perAddress: 32)
}
