public import Foundation
public import LienThongConfig
public import LienThongCore
public import LienThongHTTP
import LienThongFeed
import LienThongSigning
import LienThongStore

/// One finding of ``Doctor``: what was checked, how it stands, and in the detail what was seen and what to do.
public struct DoctorCheck: Sendable {
    public enum Outcome: String, Sendable {
        case ok, warn, fail
    }

    public let name: String
    public let outcome: Outcome
    public let detail: String

    init(_ name: String, _ outcome: Outcome, _ detail: String) {
        self.name = name
        self.outcome = outcome
        self.detail = detail
    }
}

/// What an operator runs first when something is wrong (`lienthong doctor`): every part an agency depends
/// on, checked in the order one depends on the next — the configuration, the key and certificate files, the
/// store, then for each peer its name, a TCP connection, the TLS handshake (chain, expiry, pin, our client
/// certificate), its clock, a signed request and the datasets it grants us. A check whose prerequisite
/// failed is not run. Nothing is written anywhere, and a missing store is not created.
public struct Doctor: Sendable {
    private let client: HTTPClient
    private let clock: any UnixClock
    /// A certificate that expires sooner than this is a warning.
    public static let expiryWarning: Duration = .seconds(30 * 86_400)
    /// How long one network check may take.
    public static let networkTimeout: Duration = .seconds(5)

    public init(client: HTTPClient, clock: any UnixClock = SystemClock()) {
        self.client = client
        self.clock = clock
    }

    public func run(configurationURL: URL) async -> [DoctorCheck] {
        let configuration: Configuration
        do {
            configuration = try Configuration(contentsOf: configurationURL)
        } catch {
            return [DoctorCheck("configuration", .fail, "\(error)")]
        }
        var checks = [DoctorCheck(
            "configuration", .ok, "\(configurationURL.path) parses: agency \(configuration.agency), \(configuration.peers.count) peers"
        )] + Self.legalBasisChecks(configuration)
        var signingKey: PrivateKey?
        do {
            let key = try PrivateKeyFile(reading: configuration.signingKeyURL).key
            signingKey = key
            checks.append(DoctorCheck("signing key", .ok, "\(configuration.signingKeyURL.path): key id \(key.publicKey.keyID)"))
        } catch {
            signingKey = nil
            checks.append(DoctorCheck("signing key", .fail, "\(error)"))
        }
        var identities: [ClientCertificateFiles: TLSClientIdentity] = [:]
        for files in Set(configuration.peers.values.compactMap(\.clientCertificate)).sorted(by: { $0.certificateURL.path < $1.certificateURL.path }) {
            do {
                let identity = try TLSClientIdentity(certificateURL: files.certificateURL, keyURL: files.keyURL)
                identities[files] = identity
                checks.append(expiry("client certificate", identity.notAfter, of: files.certificateURL.path))
            } catch {
                checks.append(DoctorCheck("client certificate", .fail, "\(error)"))
            }
        }
        switch configuration.store {
        case .file(let url):
            checks.append(await store(url))
            if let access = storeAccess(url) { checks.append(access) }
        case .postgres(let database):
            checks.append(await store(database))
        }
        if let signingKey, checks.last?.outcome != .fail, let audit = await auditLog(configuration, key: signingKey) { checks.append(audit) }
        for peer in configuration.peers.values.sorted(by: { $0.agency < $1.agency }) {
            checks += await self.peer(peer, configuration: configuration, signingKey: signingKey, identity: peer.clientCertificate.flatMap { identities[$0] })
        }
        return checks
    }

    /// A warning for each grant that names purposes but no legal basis: every page served under it is then
    /// logged with its purpose and no ground for the sharing.
    static func legalBasisChecks(_ configuration: Configuration) -> [DoctorCheck] {
        configuration.peers.values.sorted { $0.agency < $1.agency }.flatMap { peer in
            peer.share.filter { $0.value.purposes != nil && $0.value.legalBasis == nil }.keys.sorted().map { dataset in
                DoctorCheck(
                    "grant \(dataset) to \(peer.agency)", .warn,
                    "it names purposes but no legal basis: set peers.\(peer.agency).share.\(dataset).legal_basis, logged with every page served"
                )
            }
        }
    }

    /// Whether a certificate valid until `notAfter` is still, and for how long.
    private func expiry(_ name: String, _ notAfter: UnixTime, of path: String) -> DoctorCheck {
        let now = clock.now
        if notAfter < now { return DoctorCheck(name, .fail, "\(path) expired at \(notAfter.iso8601): renew it (DEPLOY.md, certificates)") }
        if notAfter < now + Self.expiryWarning {
            return DoctorCheck(name, .warn, "\(path) expires at \(notAfter.iso8601), in under 30 days: renew it soon")
        }
        return DoctorCheck(name, .ok, "\(path) valid until \(notAfter.iso8601)")
    }

    private func store(_ url: URL) async -> DoctorCheck {
        guard FileManager.default.fileExists(atPath: url.path) else {
            return DoctorCheck("store", .warn, "\(url.path) does not exist yet: the first sync or the daemon creates it")
        }
        do {
            let problems = try await Store(openingAt: url).read { try $0.quickCheckProblems() }
            guard problems.isEmpty else {
                return DoctorCheck("store", .fail, "\(url.path) fails quick_check: \(problems.joined(separator: "; ")); restore it from a backup (DEPLOY.md)")
            }
            return DoctorCheck("store", .ok, "\(url.path) opens and passes quick_check")
        } catch {
            return DoctorCheck("store", .fail, "\(error)")
        }
    }

    /// Whether the PostgreSQL store opens (which also brings its schema up to date) and who holds its leases.
    private func store(_ database: PostgresLocation) async -> DoctorCheck {
        do {
            let leases = try await Store(opening: database, clock: clock).read { try $0.pullLeases() }
            let now = clock.now.milliseconds
            let held = leases.filter { $0.expiresAt > now }
            let holders = Set(held.map(\.holder)).sorted().map(\.terminalSafe).joined(separator: ", ")
            return DoctorCheck("store", .ok, "\(database) opens; \(held.count) of \(leases.count) feeds' leases held\(holders.isEmpty ? "" : " (by \(holders))")")
        } catch {
            return DoctorCheck("store", .fail, "\(error)")
        }
    }

    /// Whether the audit log's chain and checkpoints verify with the agency's key (`lienthong audit verify`), and
    /// whether its newest entry is checkpointed within two days (the daemon signs one a day). Nil when the store
    /// does not exist yet.
    private func auditLog(_ configuration: Configuration, key: PrivateKey) async -> DoctorCheck? {
        if case .file(let url) = configuration.store, !FileManager.default.fileExists(atPath: url.path) { return nil }
        do {
            let agency = configuration.agency
            let (result, checkpoint) = try await Store(opening: configuration.store).read { snapshot in
                (try AuditVerification.run(in: snapshot, agency: agency, keys: [key.publicKey]), try snapshot.lastAuditCheckpoint())
            }
            if let problem = result.problem {
                return DoctorCheck("audit log", .fail, "\(problem): see docs/PRIVACY.md, \"Verifying the log\"")
            }
            let summary = "\(result.chained) entries chained, \(result.checkpoints) checkpoints"
            if let head = result.head, checkpoint.map({ $0.seq < head.seq && $0.madeAt < clock.now.milliseconds - 2 * 86_400_000 }) ?? true {
                return DoctorCheck("audit log", .warn, "\(summary); entry \(head.seq) and those before it since the last checkpoint are not signed: is the daemon running?")
            }
            return DoctorCheck("audit log", .ok, summary)
        } catch {
            return DoctorCheck("audit log", .fail, "\(error)")
        }
    }

    /// Who may read the store besides its owner, from the modes of the store, its `-wal` and `-shm` and its
    /// folder: any user at all is a failure (the store holds personal data); its group, the agency's readers
    /// (DEPLOY.md, section 2), or nobody are both fine. Nil when the store does not exist.
    private func storeAccess(_ url: URL) -> DoctorCheck? {
        let folder = url.deletingLastPathComponent().path
        guard let folderStatus = Self.status(folder), let storeStatus = Self.status(url.path) else { return nil }
        let folderMode = folderStatus.st_mode & 0o7777
        let modes = [url.path, url.path + "-wal", url.path + "-shm"].compactMap { path in Self.status(path).map { (path, $0.st_mode & 0o7777) } }
        if folderMode & 0o001 != 0, let open = modes.first(where: { $0.1 & 0o004 != 0 }) {
            return DoctorCheck("store access", .fail, """
                every user may read \(open.0) (mode \(Self.octal(open.1)), folder \(Self.octal(folderMode))): it holds personal data; \
                chmod 0640 the store, its -wal and -shm, and give its folder 2750 (DEPLOY.md, section 2)
                """)
        }
        let modesText = "store \(Self.octal(storeStatus.st_mode & 0o7777)), folder \(Self.octal(folderMode))"
        guard storeStatus.st_mode & 0o040 != 0, folderMode & 0o050 == 0o050 else {
            return DoctorCheck("store access", .ok, "only its owner reads it (\(modesText)); to let the agency's programs read it in place, DEPLOY.md section 2")
        }
        let group = getgrgid(storeStatus.st_gid).map { String(cString: $0.pointee.gr_name) } ?? String(storeStatus.st_gid)
        return DoctorCheck("store access", .ok, "its owner writes it, members of \(group) read it in place, nobody else (\(modesText))")
    }

    private static func status(_ path: String) -> stat? {
        var result = stat()
        return stat(path, &result) == 0 ? result : nil
    }

    private static func octal(_ mode: mode_t) -> String { "0" + String(mode, radix: 8) }

    private func peer(
        _ peer: PeerSettings, configuration: Configuration, signingKey: PrivateKey?, identity: TLSClientIdentity?
    ) async -> [DoctorCheck] {
        let name = "peer \(peer.agency)"
        var checks: [DoctorCheck] = []
        let keys: [PublicKey]
        do {
            keys = try peer.keyURLs.map { url throws(KeyFileError) in try PublicKey(contentsOf: url) }
            checks.append(DoctorCheck("\(name) keys", .ok, "\(keys.count) pinned key(s) read"))
        } catch {
            return [DoctorCheck("\(name) keys", .fail, "\(error)")]
        }
        guard let host = peer.url.host(percentEncoded: false) else { return checks + [DoctorCheck("\(name) name", .fail, "\(peer.url) has no host")] }
        let port = peer.url.port ?? (peer.url.scheme?.lowercased() == "https" ? 443 : 80)
        let addresses: [String]
        do {
            addresses = try await NetworkProbe.resolve(host)
            checks.append(DoctorCheck("\(name) DNS", .ok, "\(host) resolves to \(addresses.joined(separator: ", "))"))
        } catch {
            return checks + [DoctorCheck("\(name) DNS", .fail, "\(error): check the name in url and the resolver (/etc/hosts, DNS)")]
        }
        do {
            try await NetworkProbe.connect(host, port: port, timeout: Self.networkTimeout)
            checks.append(DoctorCheck("\(name) TCP", .ok, "\(host):\(port) accepts connections"))
        } catch {
            return checks + [DoctorCheck("\(name) TCP", .fail, "\(error): check the port, the peer's firewall and ours")]
        }
        var transfer = TransferOptions()
        transfer.caFile = peer.caFileURL?.path
        transfer.pinnedPublicKey = peer.tlsPinnedPublicKey
        transfer.clientCertificate = identity.map { ClientCertificate(chainPEM: $0.chainPEM, keyPEM: $0.keyPEM, notAfter: $0.notAfter) }
        transfer.reportsServerCertificate = true
        transfer.connectTimeout = Self.networkTimeout
        transfer.totalTimeout = Self.networkTimeout * 2
        let base = peer.url.absoluteString.hasSuffix("/") ? String(peer.url.absoluteString.dropLast()) : peer.url.absoluteString
        let health: HTTPResponse
        do {
            health = try await client.get(HTTPRequest(url: base + "/healthz", options: transfer))
        } catch {
            let what = error.reason == .tls ? "the TLS handshake failed" : "the health request failed"
            return checks + [DoctorCheck("\(name) TLS", .fail, "\(what): \(error)")]
        }
        if peer.url.scheme?.lowercased() == "https" {
            let pin = peer.tlsPinnedPublicKey == nil ? "" : ", the pinned key"
            let detail = "handshake, chain from \(peer.caFileURL?.path ?? "the system's CAs")\(pin)"
            if let notAfter = health.serverCertificateNotAfter {
                let certificate = expiry("\(name) TLS", notAfter, of: "the server certificate")
                checks.append(DoctorCheck(certificate.name, certificate.outcome, "\(detail) verified; \(certificate.detail)"))
            } else {
                checks.append(DoctorCheck("\(name) TLS", .ok, "\(detail) verified"))
            }
        } else {
            checks.append(DoctorCheck("\(name) TLS", .ok, "plain http to a loopback address: no TLS to check"))
        }
        switch health.status {
        case 200:
            checks.append(DoctorCheck("\(name) client certificate", .ok, identity == nil ? "none presented, none required" : "presented and accepted"))
        case 400 where identity == nil:
            return checks + [DoctorCheck("\(name) client certificate", .fail, "the server answered 400: it requires a client certificate; set client_certificate and client_key")]
        case 400:
            return checks + [DoctorCheck("\(name) client certificate", .fail, "the server answered 400: it refused our client certificate (a CA it does not trust?)")]
        default:
            return checks + [DoctorCheck("\(name) health", .fail, "/healthz answered \(health.status): is the peer's lienthong running behind its TLS server?")]
        }
        if let skew = health.header("Date").flatMap(UnixTime.init(httpDate:)).map({ $0.seconds - clock.now.seconds }) {
            let outcome: DoctorCheck.Outcome = abs(skew) > configuration.clockSkewSeconds ? .fail : .ok
            let advice = outcome == .fail ? ": more than clock_skew_seconds (\(configuration.clockSkewSeconds)); check NTP on both machines" : ""
            checks.append(DoctorCheck("\(name) clock", outcome, "its clock differs from ours by \(skew) s\(advice)"))
        } else {
            checks.append(DoctorCheck("\(name) clock", .warn, "its answer has no Date header: the clocks were not compared"))
        }
        guard let signingKey else { return checks }
        return checks + (await grants(peer, base: base, transfer: transfer, keys: keys, configuration: configuration, signingKey: signingKey))
    }

    /// A signed request for the dataset list, its signature, and the datasets we pull from it among those listed.
    private func grants(
        _ peer: PeerSettings, base: String, transfer: TransferOptions, keys: [PublicKey], configuration: Configuration, signingKey: PrivateKey
    ) async -> [DoctorCheck] {
        let name = "peer \(peer.agency)"
        let path = (peer.url.path.hasSuffix("/") ? String(peer.url.path.dropLast()) : peer.url.path) + "/v1/datasets"
        let now = clock.now
        let response: HTTPResponse
        do {
            let token = try RequestTokenSigner(agency: configuration.agency, key: signingKey).token(audience: peer.agency, pathAndQuery: path, now: now)
            var origin = URLComponents(url: peer.url, resolvingAgainstBaseURL: false) ?? URLComponents()
            origin.path = ""
            response = try await client.get(HTTPRequest(
                url: (origin.string ?? base) + path, headers: [("Authorization", "Bearer \(token)"), ("Accept", "application/jose")], options: transfer
            ))
        } catch {
            return [DoctorCheck("\(name) request token", .fail, "the dataset list could not be asked for: \(error)")]
        }
        guard response.status == 200 else {
            let advice = response.status == 401
                ? ": it refused our signed request; does it pin our current public key, and are both clocks right?"
                : response.status == 429 ? ": it asks us to slow down; try again in a minute" : ""
            return [DoctorCheck("\(name) request token", .fail, "/v1/datasets answered \(response.status)\(advice)")]
        }
        let listed: [DatasetName: DatasetList.Entry]
        do {
            listed = try DatasetList.verify(
                response.body, keys: keys, publisher: peer.agency, audience: configuration.agency, now: now, clockSkewSeconds: configuration.clockSkewSeconds
            )
        } catch {
            return [DoctorCheck("\(name) request token", .fail, "\(error)")]
        }
        var checks = [DoctorCheck("\(name) request token", .ok, "accepted; the dataset list verifies against the pinned keys")]
        let missing = peer.pull.filter { listed[$0] == nil }
        if missing.isEmpty {
            let granted = peer.pull.map { dataset in
                let entry = listed[dataset]
                return "\(dataset) (head \(entry?.head ?? 0), \(entry?.waitMaxSeconds.map { "live, wait_max \($0) s" } ?? "polled"))"
            }.joined(separator: ", ")
            checks.append(DoctorCheck("\(name) grants", .ok, peer.pull.isEmpty ? "we pull nothing from it" : "granted: \(granted)"))
        } else {
            let names = missing.map(\.rawValue).joined(separator: ", ")
            checks.append(DoctorCheck("\(name) grants", .fail, "we pull \(names) but it does not grant it to us: ask \(peer.agency) to share it (share: in its configuration)"))
        }
        return checks + schemaChecks(peer, listed: listed, configuration: configuration)
    }

    /// For each dataset pulled from `peer`: whether the schema it lists is ours (a difference is a warning, not
    /// a failure: a peer may be stricter, and records that break our schema are quarantined, not applied).
    private func schemaChecks(_ peer: PeerSettings, listed: [DatasetName: DatasetList.Entry], configuration: Configuration) -> [DoctorCheck] {
        peer.pull.compactMap { dataset -> DoctorCheck? in
            guard let entry = listed[dataset] else { return nil }
            let name = "peer \(peer.agency) schema of \(dataset)"
            let ours = configuration.schema(for: dataset).flatMap { try? DatasetList.schemaDigest($0.declaration) }
            switch (entry.schemaSHA256, ours) {
            case (nil, nil): return DoctorCheck(name, .ok, "neither side declares one")
            case (let theirs?, let ours?) where theirs == ours: return DoctorCheck(name, .ok, "the same as ours (sha256 \(ours.prefix(12))…)")
            case (nil, _?): return DoctorCheck(name, .warn, "it declares none; records that break ours are quarantined with reason schema")
            case (_?, nil): return DoctorCheck(name, .warn, "it declares one and we do not: set schema: for \(dataset) under datasets")
            case (let theirs?, let ours?):
                return DoctorCheck(
                    name, .warn,
                    "differs from ours (theirs sha256 \(theirs.prefix(12))…, ours \(ours.prefix(12))…); records that break ours are quarantined with reason schema"
                )
            }
        }
    }
}
