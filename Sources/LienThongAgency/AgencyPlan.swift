public import Foundation
public import LienThongConfig
public import LienThongCore
import LienThongHTTP
public import LienThongPoller
public import LienThongPublisher
public import LienThongSigning

/// Everything an agency derives from one configuration, with every key file read: what its publisher
/// serves and which feeds it pulls how often. The daemon, `lienthong sync` and the demo run from it. A plan
/// is built whole or not at all, so that a bad new configuration never half-replaces a good one.
public struct AgencyPlan: Sendable {
    public let configuration: Configuration
    public let signingKey: PrivateKey
    /// Why the signing key's or a client key's file mode is unsafe, one line each, when its group or others
    /// may read it and the plan was read with ``PrivateKeyFileAccess/groupOrOthersAllowed``.
    public let keyWarnings: [LocalizedMessage]
    public let publisherSettings: PublisherSettings
    /// Every (peer, dataset) this agency pulls, by peer and dataset.
    public let feeds: [ScheduledFeed]
    /// The publisher's bounds on open connections, fixed for the life of the listener.
    public var connectionLimits: PublisherConnectionLimits {
        PublisherConnectionLimits(maximum: configuration.connections.maximum, perAddress: configuration.connections.perAddress)
    }

    /// Reads the configuration at `url` and every key and certificate it names. The signing key's and client
    /// keys' files must be readable by their owner only unless `keyAccess` allows more
    /// (`--insecure-key-permissions`).
    public init(contentsOf url: URL, keyAccess: PrivateKeyFileAccess = .ownerOnly) throws(AgencyPlanError) {
        let configuration: Configuration
        do {
            configuration = try Configuration(contentsOf: url)
        } catch {
            throw AgencyPlanError(.configuration, error)
        }
        try self.init(configuration: configuration, keyAccess: keyAccess)
    }

    public init(configuration: Configuration, keyAccess: PrivateKeyFileAccess = .ownerOnly) throws(AgencyPlanError) {
        self.configuration = configuration
        let signingKeyWarning: LocalizedMessage?
        do {
            let keyFile = try PrivateKeyFile(reading: configuration.signingKeyURL, access: keyAccess)
            signingKey = keyFile.key
            signingKeyWarning = keyFile.warning
        } catch {
            throw AgencyPlanError(.key, error)
        }
        // Each pair of files is read once, however many peers it is presented to.
        var identities: [ClientCertificateFiles: TLSClientIdentity] = [:]
        for files in Set(configuration.peers.values.compactMap(\.clientCertificate)) {
            do {
                identities[files] = try TLSClientIdentity(certificateURL: files.certificateURL, keyURL: files.keyURL, access: keyAccess)
            } catch {
                throw AgencyPlanError(.key, error)
            }
        }
        keyWarnings = [signingKeyWarning].compactMap { $0 } + identities.values.compactMap(\.keyWarning).sorted { $0.description < $1.description }
        var peers: [AgencyID: PublisherPeer] = [:]
        var feeds: [ScheduledFeed] = []
        for (agency, settings) in configuration.peers.sorted(by: { $0.key < $1.key }) {
            let keys = try settings.readPinnedKeys()
            peers[agency] = PublisherPeer(
                keys: keys, grants: settings.share.mapValues { DatasetGrant(fields: $0.fields, purposes: $0.purposes, legalBasis: $0.legalBasis) },
                rateLimit: PublisherRateLimit(requestsPerSecond: Double(settings.rateLimit.requestsPerSecond), burst: settings.rateLimit.burst)
            )
            var transfer = TransferOptions()
            transfer.caFile = settings.caFileURL?.path
            transfer.pinnedPublicKey = settings.tlsPinnedPublicKey
            transfer.clientCertificate = settings.clientCertificate.flatMap { identities[$0] }.map {
                ClientCertificate(chainPEM: $0.chainPEM, keyPEM: $0.keyPEM, notAfter: $0.notAfter)
            }
            for dataset in settings.pull.sorted() {
                let rules = configuration.mergeRules(for: dataset)
                let pulled = PulledFeed(
                    peer: agency, baseURL: settings.url, dataset: dataset, policy: rules.policy, keys: keys, transfer: transfer,
                    directSources: rules.directSources, limits: rules.limits, schema: configuration.schema(for: dataset),
                    purpose: settings.pullPurposes[dataset]
                )
                feeds.append(ScheduledFeed(feed: pulled, interval: .seconds(settings.intervalSeconds)))
            }
        }
        publisherSettings = PublisherSettings(
            agency: configuration.agency, signingKey: signingKey, peers: peers, datasets: Set(configuration.datasets.keys),
            clockSkewSeconds: configuration.clockSkewSeconds,
            longPoll: LongPollSettings(
                waitMaxSeconds: configuration.longPoll.waitMaxSeconds > 0 ? Int64(configuration.longPoll.waitMaxSeconds) : nil,
                perPeer: configuration.longPoll.heldPerPeer, total: configuration.longPoll.heldMax
            ),
            schemas: configuration.schemas
        )
        self.feeds = feeds
    }

    /// Why `self` cannot replace `running` without a restart, or nil when it can: the agency, the store
    /// and the listeners are fixed for the life of the process.
    public func restartReason(replacing running: AgencyPlan) -> String? {
        if configuration.agency != running.configuration.agency { return "agency changed from \(running.configuration.agency)" }
        if configuration.store != running.configuration.store { return "store changed" }
        if configuration.listen != running.configuration.listen { return "listen changed from \(running.configuration.listen)" }
        if configuration.adminListen != running.configuration.adminListen {
            return "admin_listen changed from \(running.configuration.adminListen.map { "\($0)" } ?? "off")"
        }
        if configuration.connections != running.configuration.connections { return "connections changed" }
        return nil
    }
}

/// One feed pulled on a schedule: every `interval`, with jitter.
public struct ScheduledFeed: Sendable {
    public let feed: PulledFeed
    public let interval: Duration

    public init(feed: PulledFeed, interval: Duration) {
        self.feed = feed
        self.interval = interval
    }

    /// The (peer, dataset) pair that names this feed across reloads.
    public var key: FeedKey { FeedKey(peer: feed.peer, dataset: feed.dataset) }
}

/// A (peer, dataset) pair.
public struct FeedKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let peer: AgencyID
    public let dataset: DatasetName

    public init(peer: AgencyID, dataset: DatasetName) {
        self.peer = peer
        self.dataset = dataset
    }

    public var description: String { "\(peer)/\(dataset)" }

    public static func < (left: FeedKey, right: FeedKey) -> Bool { (left.peer, left.dataset) < (right.peer, right.dataset) }
}

extension PeerSettings {
    /// The public keys pinned for this peer, read from their files.
    public func readPinnedKeys() throws(AgencyPlanError) -> [PublicKey] {
        var keys: [PublicKey] = []
        for url in keyURLs {
            do {
                keys.append(try PublicKey(contentsOf: url))
            } catch {
                throw AgencyPlanError(.key, error)
            }
        }
        return keys
    }
}

/// Why a plan could not be built from a configuration, in one line that says what and why: the underlying
/// error's own message, in the operator's language when it has one; `description` in English for logs.
public struct AgencyPlanError: LienThongCore.LocalizedError {
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        private init(_ name: String) { description = name }

        /// The configuration file is missing or wrong.
        public static let configuration = Reason("configuration")
        /// A key file named by the configuration cannot be read.
        public static let key = Reason("key")
    }

    public let reason: Reason
    public let message: LocalizedMessage

    init(_ reason: Reason, _ error: any Error) {
        self.reason = reason
        message = (error as? any LienThongCore.LocalizedError)?.message ?? LocalizedMessage("error.reason", ["reason": "\(error)"])
    }
}
