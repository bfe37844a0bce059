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

    /// What was checked, such as "peer bo-y-te TLS", in any language.
    public let title: LocalizedMessage
    public let outcome: Outcome
    /// What was seen and what to do, in any language.
    public let finding: LocalizedMessage

    /// What was checked, in English: `--json`'s "check", stable whatever the language.
    public var name: String { title.description }
    /// What was seen and what to do, in English.
    public var detail: String { finding.description }

    init(_ title: LocalizedMessage, _ outcome: Outcome, _ finding: LocalizedMessage) {
        self.title = title
        self.outcome = outcome
        self.finding = finding
    }

    /// A failed check whose finding is `error` itself: its own message when it has one, else its words.
    init(_ title: LocalizedMessage, failedWith error: any Error) {
        self.init(title, .fail, (error as? any LienThongCore.LocalizedError)?.message ?? LocalizedMessage("doctor.error", ["error": "\(error)"]))
    }
}

/// `error` in the operator's language when it can say itself in it, as part of a longer finding.
private func words(_ error: any Error) -> String {
    (error as? any LienThongCore.LocalizedError)?.message.text(in: .current) ?? "\(error)"
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
            return [DoctorCheck(LocalizedMessage("doctor.check.configuration"), failedWith: error)]
        }
        var checks = [DoctorCheck(
            LocalizedMessage("doctor.check.configuration"), .ok,
            LocalizedMessage("doctor.configuration.ok", [
                "path": configurationURL.path, "agency": "\(configuration.agency)", "peers": "\(configuration.peers.count)",
            ])
        )] + Self.legalBasisChecks(configuration)
        var signingKey: PrivateKey?
        do {
            let key = try PrivateKeyFile(reading: configuration.signingKeyURL).key
            signingKey = key
            checks.append(DoctorCheck(
                LocalizedMessage("doctor.check.signing-key"), .ok,
                LocalizedMessage("doctor.signing-key.ok", ["path": configuration.signingKeyURL.path, "kid": "\(key.publicKey.keyID)"])
            ))
        } catch {
            signingKey = nil
            checks.append(DoctorCheck(LocalizedMessage("doctor.check.signing-key"), failedWith: error))
        }
        var identities: [ClientCertificateFiles: TLSClientIdentity] = [:]
        for files in Set(configuration.peers.values.compactMap(\.clientCertificate)).sorted(by: { $0.certificateURL.path < $1.certificateURL.path }) {
            do {
                let identity = try TLSClientIdentity(certificateURL: files.certificateURL, keyURL: files.keyURL)
                identities[files] = identity
                checks.append(expiry(LocalizedMessage("doctor.check.client-certificate"), identity.notAfter, of: files.certificateURL.path))
            } catch {
                checks.append(DoctorCheck(LocalizedMessage("doctor.check.client-certificate"), failedWith: error))
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
                    LocalizedMessage("doctor.check.grant", ["dataset": "\(dataset)", "peer": "\(peer.agency)"]), .warn,
                    LocalizedMessage("doctor.grant.no-legal-basis", ["dataset": "\(dataset)", "peer": "\(peer.agency)"])
                )
            }
        }
    }

    /// Whether a certificate valid until `notAfter` is still, and for how long.
    private func expiry(_ title: LocalizedMessage, _ notAfter: UnixTime, of path: String) -> DoctorCheck {
        let now = clock.now
        let arguments = ["path": path, "time": notAfter.iso8601]
        if notAfter < now { return DoctorCheck(title, .fail, LocalizedMessage("doctor.expiry.expired", arguments)) }
        if notAfter < now + Self.expiryWarning {
            return DoctorCheck(title, .warn, LocalizedMessage("doctor.expiry.soon", arguments))
        }
        return DoctorCheck(title, .ok, LocalizedMessage("doctor.expiry.ok", arguments))
    }

    private func store(_ url: URL) async -> DoctorCheck {
        guard FileManager.default.fileExists(atPath: url.path) else {
            return DoctorCheck(LocalizedMessage("doctor.check.store"), .warn, LocalizedMessage("doctor.store.missing", ["path": url.path]))
        }
        do {
            let problems = try await Store(openingAt: url).read { try $0.quickCheckProblems() }
            guard problems.isEmpty else {
                return DoctorCheck(
                    LocalizedMessage("doctor.check.store"), .fail,
                    LocalizedMessage("doctor.store.damaged", ["path": url.path, "problems": problems.joined(separator: "; ")])
                )
            }
            return DoctorCheck(LocalizedMessage("doctor.check.store"), .ok, LocalizedMessage("doctor.store.ok", ["path": url.path]))
        } catch {
            return DoctorCheck(LocalizedMessage("doctor.check.store"), failedWith: error)
        }
    }

    /// Whether the PostgreSQL store opens (which also brings its schema up to date) and who holds its leases.
    private func store(_ database: PostgresLocation) async -> DoctorCheck {
        do {
            let leases = try await Store(opening: database, clock: clock).read { try $0.pullLeases() }
            let now = clock.now.milliseconds
            let held = leases.filter { $0.expiresAt > now }
            let holders = Set(held.map(\.holder)).sorted().map(\.terminalSafe).joined(separator: ", ")
            let arguments = ["database": "\(database)", "held": "\(held.count)", "total": "\(leases.count)", "holders": holders]
            let finding = holders.isEmpty ? LocalizedMessage("doctor.store.postgres", arguments) : LocalizedMessage("doctor.store.postgres-holders", arguments)
            return DoctorCheck(LocalizedMessage("doctor.check.store"), .ok, finding)
        } catch {
            return DoctorCheck(LocalizedMessage("doctor.check.store"), failedWith: error)
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
            let title = LocalizedMessage("doctor.check.audit-log")
            if let problem = result.problem {
                return DoctorCheck(title, .fail, LocalizedMessage("doctor.audit.broken", messages: ["problem": problem]))
            }
            let counts = ["chained": "\(result.chained)", "checkpoints": "\(result.checkpoints)"]
            if let head = result.head, checkpoint.map({ $0.seq < head.seq && $0.madeAt < clock.now.milliseconds - 2 * 86_400_000 }) ?? true {
                return DoctorCheck(title, .warn, LocalizedMessage("doctor.audit.unsigned", counts.merging(["seq": "\(head.seq)"]) { $1 }))
            }
            return DoctorCheck(title, .ok, LocalizedMessage("doctor.audit.ok", counts))
        } catch {
            return DoctorCheck(LocalizedMessage("doctor.check.audit-log"), failedWith: error)
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
            return DoctorCheck(
                LocalizedMessage("doctor.check.store-access"), .fail,
                LocalizedMessage("doctor.store-access.open", ["path": open.0, "mode": Self.octal(open.1), "folder": Self.octal(folderMode)])
            )
        }
        let shown = ["mode": Self.octal(storeStatus.st_mode & 0o7777), "folder": Self.octal(folderMode)]
        guard storeStatus.st_mode & 0o040 != 0, folderMode & 0o050 == 0o050 else {
            return DoctorCheck(LocalizedMessage("doctor.check.store-access"), .ok, LocalizedMessage("doctor.store-access.owner", shown))
        }
        let group = getgrgid(storeStatus.st_gid).map { String(cString: $0.pointee.gr_name) } ?? String(storeStatus.st_gid)
        return DoctorCheck(
            LocalizedMessage("doctor.check.store-access"), .ok, LocalizedMessage("doctor.store-access.group", shown.merging(["group": group]) { $1 })
        )
    }

    private static func status(_ path: String) -> stat? {
        var result = stat()
        return stat(path, &result) == 0 ? result : nil
    }

    private static func octal(_ mode: mode_t) -> String { "0" + String(mode, radix: 8) }

    private func peer(
        _ peer: PeerSettings, configuration: Configuration, signingKey: PrivateKey?, identity: TLSClientIdentity?
    ) async -> [DoctorCheck] {
        let agency = ["peer": "\(peer.agency)"]
        var checks: [DoctorCheck] = []
        let keys: [PublicKey]
        do {
            keys = try peer.keyURLs.map { url throws(KeyFileError) in try PublicKey(contentsOf: url) }
            checks.append(DoctorCheck(LocalizedMessage("doctor.check.peer-keys", agency), .ok, LocalizedMessage("doctor.peer.keys", ["count": "\(keys.count)"])))
        } catch {
            return [DoctorCheck(LocalizedMessage("doctor.check.peer-keys", agency), failedWith: error)]
        }
        guard let host = peer.url.host(percentEncoded: false) else {
            return checks + [DoctorCheck(LocalizedMessage("doctor.check.peer-name", agency), .fail, LocalizedMessage("doctor.peer.no-host", ["url": "\(peer.url)"]))]
        }
        let port = peer.url.port ?? (peer.url.scheme?.lowercased() == "https" ? 443 : 80)
        let addresses: [String]
        do {
            addresses = try await NetworkProbe.resolve(host)
            checks.append(DoctorCheck(
                LocalizedMessage("doctor.check.peer-dns", agency), .ok,
                LocalizedMessage("doctor.peer.dns", ["host": host, "addresses": addresses.joined(separator: ", ")])
            ))
        } catch {
            return checks + [DoctorCheck(LocalizedMessage("doctor.check.peer-dns", agency), .fail, LocalizedMessage("doctor.peer.dns-failed", ["error": words(error)]))]
        }
        do {
            try await NetworkProbe.connect(host, port: port, timeout: Self.networkTimeout)
            checks.append(DoctorCheck(LocalizedMessage("doctor.check.peer-tcp", agency), .ok, LocalizedMessage("doctor.peer.tcp", ["host": host, "port": "\(port)"])))
        } catch {
            return checks + [DoctorCheck(LocalizedMessage("doctor.check.peer-tcp", agency), .fail, LocalizedMessage("doctor.peer.tcp-failed", ["error": words(error)]))]
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
            let reason = ["error": words(error)]
            let what = error.reason == .tls ? LocalizedMessage("doctor.peer.tls-failed", reason) : LocalizedMessage("doctor.peer.health-failed", reason)
            return checks + [DoctorCheck(LocalizedMessage("doctor.check.peer-tls", agency), .fail, what)]
        }
        let tls = LocalizedMessage("doctor.check.peer-tls", agency)
        if peer.url.scheme?.lowercased() == "https" {
            let chain = ["ca": peer.caFileURL?.path ?? localized("doctor.peer.system-cas")]
            let verified = peer.tlsPinnedPublicKey == nil ? LocalizedMessage("doctor.peer.tls-verified", chain) : LocalizedMessage("doctor.peer.tls-verified-pinned", chain)
            if let notAfter = health.serverCertificateNotAfter {
                let certificate = expiry(tls, notAfter, of: localized("doctor.peer.server-certificate"))
                let both = ["verified": verified.text(in: .current), "expiry": certificate.finding.text(in: .current)]
                checks.append(DoctorCheck(tls, certificate.outcome, LocalizedMessage("doctor.peer.tls-and-expiry", both)))
            } else {
                checks.append(DoctorCheck(tls, .ok, verified))
            }
        } else {
            checks.append(DoctorCheck(tls, .ok, LocalizedMessage("doctor.peer.plain-http")))
        }
        let clientCertificate = LocalizedMessage("doctor.check.peer-client-certificate", agency)
        switch health.status {
        case 200:
            let finding = identity == nil ? LocalizedMessage("doctor.peer.client-certificate-none") : LocalizedMessage("doctor.peer.client-certificate-accepted")
            checks.append(DoctorCheck(clientCertificate, .ok, finding))
        case 400 where identity == nil:
            return checks + [DoctorCheck(clientCertificate, .fail, LocalizedMessage("doctor.peer.client-certificate-required"))]
        case 400:
            return checks + [DoctorCheck(clientCertificate, .fail, LocalizedMessage("doctor.peer.client-certificate-refused"))]
        default:
            return checks + [DoctorCheck(
                LocalizedMessage("doctor.check.peer-health", agency), .fail, LocalizedMessage("doctor.peer.health", ["status": "\(health.status)"])
            )]
        }
        let clockTitle = LocalizedMessage("doctor.check.peer-clock", agency)
        if let skew = health.header("Date").flatMap(UnixTime.init(httpDate:)).map({ $0.seconds - clock.now.seconds }) {
            let outcome: DoctorCheck.Outcome = abs(skew) > configuration.clockSkewSeconds ? .fail : .ok
            let arguments = ["skew": "\(skew)", "allowed": "\(configuration.clockSkewSeconds)"]
            checks.append(DoctorCheck(clockTitle, outcome, outcome == .fail ? LocalizedMessage("doctor.peer.clock-skewed", arguments) : LocalizedMessage("doctor.peer.clock", arguments)))
        } else {
            checks.append(DoctorCheck(clockTitle, .warn, LocalizedMessage("doctor.peer.no-date")))
        }
        guard let signingKey else { return checks }
        return checks + (await grants(peer, base: base, transfer: transfer, keys: keys, configuration: configuration, signingKey: signingKey))
    }

    /// A signed request for the dataset list, its signature, and the datasets we pull from it among those listed.
    private func grants(
        _ peer: PeerSettings, base: String, transfer: TransferOptions, keys: [PublicKey], configuration: Configuration, signingKey: PrivateKey
    ) async -> [DoctorCheck] {
        let token = LocalizedMessage("doctor.check.peer-request-token", ["peer": "\(peer.agency)"])
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
            return [DoctorCheck(token, .fail, LocalizedMessage("doctor.peer.token-failed", ["error": words(error)]))]
        }
        guard response.status == 200 else {
            let status = ["status": "\(response.status)"]
            let finding = switch response.status {
            case 401: LocalizedMessage("doctor.peer.token-refused", status)
            case 429: LocalizedMessage("doctor.peer.token-slow-down", status)
            default: LocalizedMessage("doctor.peer.token-status", status)
            }
            return [DoctorCheck(token, .fail, finding)]
        }
        let listed: [DatasetName: DatasetList.Entry]
        do {
            listed = try DatasetList.verify(
                response.body, keys: keys, publisher: peer.agency, audience: configuration.agency, now: now, clockSkewSeconds: configuration.clockSkewSeconds
            )
        } catch {
            return [DoctorCheck(token, failedWith: error)]
        }
        var checks = [DoctorCheck(token, .ok, LocalizedMessage("doctor.peer.token-ok"))]
        let grants = LocalizedMessage("doctor.check.peer-grants", ["peer": "\(peer.agency)"])
        let missing = peer.pull.filter { listed[$0] == nil }
        if missing.isEmpty {
            let granted = peer.pull.map { dataset in
                let entry = listed[dataset]
                let arguments = ["dataset": "\(dataset)", "head": "\(entry?.head ?? 0)", "wait": entry?.waitMaxSeconds.map { "\($0)" } ?? ""]
                return entry?.waitMaxSeconds == nil ? localized("doctor.peer.granted-polled", arguments) : localized("doctor.peer.granted-live", arguments)
            }.joined(separator: ", ")
            checks.append(DoctorCheck(
                grants, .ok, peer.pull.isEmpty ? LocalizedMessage("doctor.peer.grants-none") : LocalizedMessage("doctor.peer.granted", ["datasets": granted])
            ))
        } else {
            let names = missing.map(\.rawValue).joined(separator: ", ")
            checks.append(DoctorCheck(grants, .fail, LocalizedMessage("doctor.peer.not-granted", ["datasets": names, "peer": "\(peer.agency)"])))
        }
        return checks + schemaChecks(peer, listed: listed, configuration: configuration)
    }

    /// For each dataset pulled from `peer`: whether the schema it lists is ours (a difference is a warning, not
    /// a failure: a peer may be stricter, and records that break our schema are quarantined, not applied).
    private func schemaChecks(_ peer: PeerSettings, listed: [DatasetName: DatasetList.Entry], configuration: Configuration) -> [DoctorCheck] {
        peer.pull.compactMap { dataset -> DoctorCheck? in
            guard let entry = listed[dataset] else { return nil }
            let name = LocalizedMessage("doctor.check.peer-schema", ["peer": "\(peer.agency)", "dataset": "\(dataset)"])
            let ours = configuration.schema(for: dataset).flatMap { try? DatasetList.schemaDigest($0.declaration) }
            switch (entry.schemaSHA256, ours) {
            case (nil, nil): return DoctorCheck(name, .ok, LocalizedMessage("doctor.schema.neither"))
            case (let theirs?, let ours?) where theirs == ours:
                return DoctorCheck(name, .ok, LocalizedMessage("doctor.schema.same", ["digest": String(ours.prefix(12))]))
            case (nil, _?): return DoctorCheck(name, .warn, LocalizedMessage("doctor.schema.theirs-none"))
            case (_?, nil): return DoctorCheck(name, .warn, LocalizedMessage("doctor.schema.ours-none", ["dataset": "\(dataset)"]))
            case (let theirs?, let ours?):
                return DoctorCheck(
                    name, .warn, LocalizedMessage("doctor.schema.differs", ["theirs": String(theirs.prefix(12)), "ours": String(ours.prefix(12))])
                )
            }
        }
    }
}
