public import Foundation
import LienThongCore
import LienThongMerge
import LienThongSchema
import Yams

extension Configuration {
    /// Reads and checks the configuration in `url`. Any unknown key, missing key or bad value is an error
    /// that names the file and the key.
    public init(contentsOf url: URL) throws(ConfigurationError) {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ConfigurationError(file: url, key: nil, line: nil, LocalizedMessage("error.config.unreadable", ["reason": error.localizedDescription]))
        }
        try self.init(yaml: text, fileURL: url)
    }

    /// Reads a configuration from YAML text, as if it were in the file `fileURL` (for messages and relative paths).
    public init(yaml text: String, fileURL: URL) throws(ConfigurationError) {
        let reader = YAMLReader(file: fileURL)
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else { throw reader.error(nil, nil, LocalizedMessage("error.config.empty")) }
            root = node
        } catch let error as ConfigurationError {
            throw error
        } catch {
            let oneLine = "\(error)".split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            throw reader.error(nil, nil, LocalizedMessage("error.config.yaml", ["reason": oneLine.joined(separator: " ")]))
        }
        let top = try reader.mapping(root, at: nil, allowed: [
            "agency", "store", "signing_key", "listen", "clock_skew_seconds", "datasets", "peers", "prefetch_bytes", "rate_limit",
            "connections", "client_certificate", "client_key", "changes_retention_days", "store_password_file", "daemon_id", "lease_seconds",
            "long_poll", "retention", "admin_listen",
        ])
        let agency = try reader.identifier(AgencyID.self, reader.required(top, "agency", at: nil), at: "agency")
        let retention = try top["retention"].map { node throws(ConfigurationError) in
            try reader.retention(node, at: "retention", defaults: .default, allowsAudit: true)
        } ?? .default
        let datasets = try reader.datasets(top["datasets"], retention: retention)
        let rateLimit = try top["rate_limit"].map { node throws(ConfigurationError) in try reader.rateLimit(node, at: "rate_limit") }
            ?? .default
        let clientCertificate = try reader.clientCertificate(top, at: nil)
        let listen = try top["listen"].map { node throws(ConfigurationError) in try reader.listenAddress(node) }
            ?? ListenAddress(host: "127.0.0.1", port: 8440)
        self.init(
            fileURL: fileURL,
            agency: agency,
            store: try reader.store(top),
            signingKeyURL: try reader.path(reader.required(top, "signing_key", at: nil), at: "signing_key"),
            listen: listen,
            clockSkewSeconds: Int64(try top["clock_skew_seconds"].map { node throws(ConfigurationError) in
                try reader.integer(node, at: "clock_skew_seconds", in: 0...86_400)
            } ?? 300),
            datasets: datasets,
            peers: try reader.peers(top["peers"], own: agency, datasets: datasets, rateLimit: rateLimit, clientCertificate: clientCertificate),
            prefetchBytes: try top["prefetch_bytes"].map { node throws(ConfigurationError) in
                try reader.integer(node, at: "prefetch_bytes", in: 0...(1 << 30))
            } ?? 64 << 20,
            changesRetentionDays: try top["changes_retention_days"].map { node throws(ConfigurationError) in
                try reader.integer(node, at: "changes_retention_days", in: 1...36_500)
            } ?? 30,
            daemonID: try top["daemon_id"].map { node throws(ConfigurationError) in try reader.daemonID(node) },
            leaseSeconds: try top["lease_seconds"].map { node throws(ConfigurationError) in try reader.integer(node, at: "lease_seconds", in: 5...3600) }
                ?? 30,
            longPoll: try top["long_poll"].map { node throws(ConfigurationError) in try reader.longPoll(node) } ?? .default,
            connections: try top["connections"].map { node throws(ConfigurationError) in try reader.connections(node) } ?? .default,
            clientCertificate: clientCertificate,
            retention: retention,
            adminListen: try top["admin_listen"].map { node throws(ConfigurationError) in try reader.adminListenAddress(node) }
                ?? Configuration.defaultAdminListen(publisher: listen)
        )
        // The status page has no authentication and the publisher's port faces the peers: never the same port.
        if let admin = adminListen, admin.port != 0, admin.port == listen.port {
            throw reader.error(
                top["admin_listen"], "admin_listen", LocalizedMessage("error.config.admin-listen-port", ["port": "\(listen.port)"])
            )
        }
    }
}

/// Walks the YAML tree, turning every surprise into a ``ConfigurationError`` with the key and line.
private struct YAMLReader {
    let file: URL

    func error(_ node: Node?, _ key: String?, _ problem: LocalizedMessage) -> ConfigurationError {
        ConfigurationError(file: file, key: key, line: node?.mark.map { $0.line }, problem)
    }

    /// A mapping whose keys are plain strings, each allowed and given once.
    func mapping(_ node: Node, at key: String?, allowed: Set<String>? = nil) throws(ConfigurationError) -> [String: Node] {
        guard let mapping = node.mapping else { throw error(node, key, LocalizedMessage("error.config.mapping")) }
        var result: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let name = keyNode.scalar?.string else { throw error(keyNode, key, LocalizedMessage("error.config.key-text")) }
            let path = key.map { "\($0).\(name)" } ?? name
            if let allowed, !allowed.contains(name) { throw error(keyNode, path, LocalizedMessage("error.config.unknown-key")) }
            if result.updateValue(value, forKey: name) != nil { throw error(keyNode, path, LocalizedMessage("error.config.duplicate-key")) }
        }
        return result
    }

    func required(_ mapping: [String: Node], _ name: String, at key: String?) throws(ConfigurationError) -> Node {
        guard let node = mapping[name] else {
            throw ConfigurationError(file: file, key: key.map { "\($0).\(name)" } ?? name, line: nil, LocalizedMessage("error.config.missing"))
        }
        return node
    }

    func string(_ node: Node, at key: String) throws(ConfigurationError) -> String {
        guard let scalar = node.scalar, !scalar.string.isEmpty else { throw error(node, key, LocalizedMessage("error.config.text")) }
        return scalar.string
    }

    func integer(_ node: Node, at key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard node.scalar != nil, let value = node.int else { throw error(node, key, LocalizedMessage("error.config.integer")) }
        guard range.contains(value) else { throw error(node, key, LocalizedMessage("error.config.range", ["lowest": "\(range.lowerBound)", "highest": "\(range.upperBound)"])) }
        return value
    }

    func identifier<Kind>(_ type: Identifier<Kind>.Type, _ node: Node, at key: String) throws(ConfigurationError) -> Identifier<Kind> {
        do {
            return try Identifier<Kind>(try string(node, at: key))
        } catch let failure as ConfigurationError {
            throw failure
        } catch {
            throw self.error(node, key, LocalizedMessage("error.config.invalid", ["reason": "\(error)"]))
        }
    }

    func sequence(_ node: Node, at key: String) throws(ConfigurationError) -> [Node] {
        guard let sequence = node.sequence else { throw error(node, key, LocalizedMessage("error.config.list")) }
        return Array(sequence)
    }

    /// `store`: a `postgresql://` URL (with `store_password_file` for its password), or a SQLite file's path.
    func store(_ top: [String: Node]) throws(ConfigurationError) -> StoreLocation {
        let node = try required(top, "store", at: nil)
        let text = try string(node, at: "store")
        let passwordFile = try top["store_password_file"].map { passwordNode throws(ConfigurationError) in
            try path(passwordNode, at: "store_password_file").path
        }
        guard text.hasPrefix("postgresql://") || text.hasPrefix("postgres://") else {
            if let passwordNode = top["store_password_file"] {
                throw error(passwordNode, "store_password_file", LocalizedMessage("error.config.password-without-postgres"))
            }
            return .file(try path(node, at: "store"))
        }
        do throws(PostgresLocation.ParseError) {
            return .postgres(try PostgresLocation(url: text, passwordFile: passwordFile))
        } catch {
            throw self.error(node, "store", LocalizedMessage("error.config.invalid", ["reason": error.description]))
        }
    }

    /// `daemon_id`: 1 to 64 of `A-Z a-z 0-9 . _ -`.
    func daemonID(_ node: Node) throws(ConfigurationError) -> String {
        let text = try string(node, at: "daemon_id")
        let allowed = text.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        guard allowed, text.utf8.count <= 64 else { throw error(node, "daemon_id", LocalizedMessage("error.config.daemon-id")) }
        return text
    }

    /// A path, resolved against the configuration file's folder when relative.
    func path(_ node: Node, at key: String) throws(ConfigurationError) -> URL {
        let text = try string(node, at: key)
        return text.hasPrefix("/")
            ? URL(fileURLWithPath: text).standardizedFileURL
            : file.deletingLastPathComponent().appending(path: text).standardizedFileURL
    }

    func listenAddress(_ node: Node, at key: String = "listen", example: String = "127.0.0.1:8440") throws(ConfigurationError) -> ListenAddress {
        let text = try string(node, at: key)
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port)
        else { throw error(node, key, LocalizedMessage("error.config.listen", ["example": example])) }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw error(node, key, LocalizedMessage("error.config.listen", ["example": example])) }
        return ListenAddress(host: host, port: port)
    }

    /// `admin_listen`: `host:port`, or `off` for no status page.
    func adminListenAddress(_ node: Node) throws(ConfigurationError) -> ListenAddress? {
        if node.scalar?.string == "off" { return nil }
        return try listenAddress(node, at: "admin_listen", example: "127.0.0.1:8441, off")
    }

    /// The largest `max_siblings` and `max_vector_entries` accepted: work per received version grows with
    /// their product, and at 256 each a full page would take minutes (docs/MERGE.md, "Limits").
    static let largestMergeLimit = 256

    private func mergeLimit(_ node: Node?, at key: String, default standard: Int) throws(ConfigurationError) -> Int {
        guard let node else { return standard }
        return try integer(node, at: key, in: 2...Self.largestMergeLimit)
    }

    /// `{history_days: N, quarantine_days: M}` (and `audit_days` at the top level, from 1), each optional, 0 to 36,500;
    /// what is not given comes from `defaults`.
    func retention(_ node: Node, at key: String, defaults: RetentionSettings, allowsAudit: Bool) throws(ConfigurationError) -> RetentionSettings {
        let names: Set<String> = allowsAudit ? ["history_days", "quarantine_days", "audit_days"] : ["history_days", "quarantine_days"]
        let settings = try mapping(node, at: key, allowed: names)
        func days(_ name: String, _ standard: Int, from least: Int = 0) throws(ConfigurationError) -> Int {
            try settings[name].map { node throws(ConfigurationError) in try integer(node, at: "\(key).\(name)", in: least...36_500) } ?? standard
        }
        // The audit log keeps at least a day: its entries are what answers for the others.
        return RetentionSettings(
            historyDays: try days("history_days", defaults.historyDays), quarantineDays: try days("quarantine_days", defaults.quarantineDays),
            auditDays: try days("audit_days", defaults.auditDays, from: 1)
        )
    }

    func datasets(_ node: Node?, retention: RetentionSettings) throws(ConfigurationError) -> [DatasetName: DatasetSettings] {
        guard let node else { return [:] }
        var result: [DatasetName: DatasetSettings] = [:]
        for (name, settingsNode) in try mapping(node, at: "datasets") {
            let key = "datasets.\(name)"
            let dataset = try identifier(DatasetName.self, .init(name), at: key)
            let settings = try mapping(settingsNode, at: key, allowed: ["policy", "owner", "max_siblings", "max_vector_entries", "schema", "retention"])
            let policyName = try string(required(settings, "policy", at: key), at: "\(key).policy")
            let policy: MergePolicy
            switch policyName {
            case "lww", "manual":
                if let owner = settings["owner"] { throw error(owner, "\(key).owner", LocalizedMessage("error.config.owner")) }
                policy = policyName == "lww" ? .lww : .manual
            case "authority":
                policy = .authority(owner: try identifier(AgencyID.self, required(settings, "owner", at: key), at: "\(key).owner"))
            default:
                throw error(settings["policy"], "\(key).policy", LocalizedMessage("error.config.policy", ["value": policyName.debugDescription]))
            }
            let standard = MergeLimits.standard
            let limits = MergeLimits(
                maximumSiblings: try mergeLimit(settings["max_siblings"], at: "\(key).max_siblings", default: standard.maximumSiblings),
                maximumVectorEntries: try mergeLimit(
                    settings["max_vector_entries"], at: "\(key).max_vector_entries", default: standard.maximumVectorEntries
                )
            )
            let schemaFile = try settings["schema"].map { node throws(ConfigurationError) in try path(node, at: "\(key).schema") }
            result[dataset] = DatasetSettings(
                policy: policy, limits: limits, schema: try schemaFile.map { file throws(ConfigurationError) in try DatasetSchema(contentsOf: file) },
                schemaFile: schemaFile,
                retention: try settings["retention"].map { node throws(ConfigurationError) in
                    try self.retention(node, at: "\(key).retention", defaults: retention, allowsAudit: false)
                } ?? retention
            )
        }
        return result
    }

    /// `{requests_per_second: N, burst: M}`, both required.
    func rateLimit(_ node: Node, at key: String) throws(ConfigurationError) -> RateLimitSettings {
        let settings = try mapping(node, at: key, allowed: ["requests_per_second", "burst"])
        return RateLimitSettings(
            requestsPerSecond: try integer(required(settings, "requests_per_second", at: key), at: "\(key).requests_per_second", in: 1...10_000),
            burst: try integer(required(settings, "burst", at: key), at: "\(key).burst", in: 1...10_000)
        )
    }

    /// `{wait_max_seconds: W, held_per_peer: P, held_max: M}`, each optional; W from 0 (off) to 55.
    func longPoll(_ node: Node) throws(ConfigurationError) -> LongPollConfiguration {
        let settings = try mapping(node, at: "long_poll", allowed: ["wait_max_seconds", "held_per_peer", "held_max"])
        let standard = LongPollConfiguration.default
        return LongPollConfiguration(
            waitMaxSeconds: try settings["wait_max_seconds"].map { node throws(ConfigurationError) in
                try integer(node, at: "long_poll.wait_max_seconds", in: 0...55)
            } ?? standard.waitMaxSeconds,
            heldPerPeer: try settings["held_per_peer"].map { node throws(ConfigurationError) in
                try integer(node, at: "long_poll.held_per_peer", in: 1...1000)
            } ?? standard.heldPerPeer,
            heldMax: try settings["held_max"].map { node throws(ConfigurationError) in
                try integer(node, at: "long_poll.held_max", in: 1...1_000_000)
            } ?? standard.heldMax
        )
    }

    /// `{max: N, per_address: M}`, each optional, `per_address` at most `max`.
    func connections(_ node: Node) throws(ConfigurationError) -> ConnectionSettings {
        let settings = try mapping(node, at: "connections", allowed: ["max", "per_address"])
        let maximum = try settings["max"].map { node throws(ConfigurationError) in
            try integer(node, at: "connections.max", in: 1...60_000)
        } ?? ConnectionSettings.default.maximum
        let perAddress = try settings["per_address"].map { node throws(ConfigurationError) in
            try integer(node, at: "connections.per_address", in: 1...maximum)
        } ?? min(ConnectionSettings.default.perAddress, maximum)
        return ConnectionSettings(maximum: maximum, perAddress: perAddress)
    }

    func peers(
        _ node: Node?, own: AgencyID, datasets: [DatasetName: DatasetSettings], rateLimit: RateLimitSettings,
        clientCertificate: ClientCertificateFiles?
    ) throws(ConfigurationError) -> [AgencyID: PeerSettings] {
        guard let node else { return [:] }
        var result: [AgencyID: PeerSettings] = [:]
        for (name, peerNode) in try mapping(node, at: "peers") {
            let key = "peers.\(name)"
            let agency = try identifier(AgencyID.self, .init(name), at: key)
            if agency == own { throw error(peerNode, key, LocalizedMessage("error.config.own-peer")) }
            let settings = try mapping(peerNode, at: key, allowed: [
                "url", "keys", "pull", "pull_purposes", "share", "interval_seconds", "ca_file", "tls_pin", "rate_limit", "client_certificate",
                "client_key",
            ])
            let keyNodes = try sequence(required(settings, "keys", at: key), at: "\(key).keys")
            if keyNodes.isEmpty { throw error(settings["keys"], "\(key).keys", LocalizedMessage("error.config.no-keys")) }
            var keyURLs: [URL] = []
            for keyNode in keyNodes { keyURLs.append(try path(keyNode, at: "\(key).keys")) }
            let pull = try pulledDatasets(settings["pull"], at: "\(key).pull", held: datasets)
            result[agency] = PeerSettings(
                agency: agency,
                url: try peerURL(required(settings, "url", at: key), at: "\(key).url"),
                keyURLs: keyURLs,
                pull: pull,
                share: try grants(settings["share"], at: "\(key).share", held: datasets),
                pullPurposes: try pullPurposes(settings["pull_purposes"], at: "\(key).pull_purposes", pulled: pull),
                intervalSeconds: try settings["interval_seconds"].map { node throws(ConfigurationError) in
                    try integer(node, at: "\(key).interval_seconds", in: 1...86_400)
                } ?? 30,
                caFileURL: try settings["ca_file"].map { node throws(ConfigurationError) in try path(node, at: "\(key).ca_file") },
                tlsPinnedPublicKey: try settings["tls_pin"].map { node throws(ConfigurationError) in try tlsPin(node, at: "\(key).tls_pin") },
                rateLimit: try settings["rate_limit"].map { node throws(ConfigurationError) in
                    try self.rateLimit(node, at: "\(key).rate_limit")
                } ?? rateLimit,
                clientCertificate: try self.clientCertificate(settings, at: key) ?? clientCertificate
            )
        }
        return result
    }

    /// `client_certificate` and `client_key` of one level (the top, or a peer), given together or not at all.
    func clientCertificate(_ settings: [String: Node], at key: String?) throws(ConfigurationError) -> ClientCertificateFiles? {
        func name(_ member: String) -> String { key.map { "\($0).\(member)" } ?? member }
        switch (settings["client_certificate"], settings["client_key"]) {
        case (nil, nil):
            return nil
        case (let certificate?, let privateKey?):
            return ClientCertificateFiles(
                certificateURL: try path(certificate, at: name("client_certificate")), keyURL: try path(privateKey, at: name("client_key"))
            )
        case (let given?, nil):
            throw error(given, name("client_certificate"), LocalizedMessage("error.config.certificate-without-key"))
        case (nil, let given?):
            throw error(given, name("client_key"), LocalizedMessage("error.config.key-without-certificate"))
        }
    }

    /// One or more `sha256//` followed by the base64 of a SHA-256, joined by `;`.
    private func tlsPin(_ node: Node, at key: String) throws(ConfigurationError) -> String {
        let text = try string(node, at: key)
        let pins = text.split(separator: ";", omittingEmptySubsequences: false)
        guard pins.allSatisfy({ $0.hasPrefix("sha256//") && Data(base64Encoded: String($0.dropFirst(8)))?.count == 32 }) else {
            throw error(node, key, LocalizedMessage("error.config.pin"))
        }
        return text
    }

    /// `https://…`; plain `http://` only to a loopback address, where there is no network to protect.
    private func peerURL(_ node: Node, at key: String) throws(ConfigurationError) -> URL {
        let text = try string(node, at: key)
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty, components.query == nil, components.fragment == nil,
            let url = components.url
        else { throw error(node, key, LocalizedMessage("error.config.url")) }
        guard scheme == "https" || (scheme == "http" && LoopbackHost.isLoopback(host)) else {
            throw error(node, key, LocalizedMessage("error.config.https"))
        }
        return url
    }

    private func pulledDatasets(_ node: Node?, at key: String, held: [DatasetName: DatasetSettings]) throws(ConfigurationError) -> [DatasetName] {
        guard let node else { return [] }
        var result: [DatasetName] = []
        for item in try sequence(node, at: key) {
            let dataset = try identifier(DatasetName.self, item, at: key)
            guard held[dataset] != nil else { throw error(item, key, LocalizedMessage("error.config.unknown-dataset", ["dataset": "\(dataset)"])) }
            guard !result.contains(dataset) else { throw error(item, key, LocalizedMessage("error.config.dataset-twice", ["dataset": "\(dataset)"])) }
            result.append(dataset)
        }
        return result
    }

    /// `share`: per dataset held, `{fields: [...], purposes: [...], legal_basis: TEXT}`, each optional; nothing
    /// after the dataset's name, or `{}`, grants every field for any purpose.
    private func grants(_ node: Node?, at key: String, held: [DatasetName: DatasetSettings]) throws(ConfigurationError) -> [DatasetName: Grant] {
        guard let node else { return [:] }
        var result: [DatasetName: Grant] = [:]
        for (name, grantNode) in try mapping(node, at: key) {
            let grantKey = "\(key).\(name)"
            let dataset = try identifier(DatasetName.self, .init(name), at: grantKey)
            guard held[dataset] != nil else { throw error(grantNode, grantKey, LocalizedMessage("error.config.unknown-dataset", ["dataset": "\(dataset)"])) }
            guard grantNode.null == nil else {
                result[dataset] = Grant(fields: nil)
                continue
            }
            let settings = try mapping(grantNode, at: grantKey, allowed: ["fields", "purposes", "legal_basis"])
            let purposes = try settings["purposes"].map { node throws(ConfigurationError) in
                let codes = try distinctList(node, at: "\(grantKey).purposes", repeated: { LocalizedMessage("error.config.purpose-twice", ["value": $0]) }) { item throws(ConfigurationError) in
                    try purposeCode(item, at: "\(grantKey).purposes")
                }
                if codes.isEmpty { throw error(node, "\(grantKey).purposes", LocalizedMessage("error.config.no-purposes")) }
                return codes
            }
            result[dataset] = Grant(
                fields: try settings["fields"].map { node throws(ConfigurationError) in
                    try distinctList(node, at: "\(grantKey).fields", repeated: { LocalizedMessage("error.config.field-twice", ["value": $0]) }) { item throws(ConfigurationError) in
                        try string(item, at: "\(grantKey).fields")
                    }
                },
                purposes: purposes,
                legalBasis: try settings["legal_basis"].map { node throws(ConfigurationError) in try legalBasis(node, at: "\(grantKey).legal_basis") }
            )
        }
        return result
    }

    /// A list whose items `read` reads, none given twice; a repeated one is reported as `repeated` words it.
    private func distinctList<Value: Equatable & CustomStringConvertible>(
        _ node: Node, at key: String, repeated: (String) -> LocalizedMessage, _ read: (Node) throws(ConfigurationError) -> Value
    ) throws(ConfigurationError) -> [Value] {
        var result: [Value] = []
        for item in try sequence(node, at: key) {
            let value = try read(item)
            guard !result.contains(value) else { throw error(item, key, repeated(value.description.debugDescription)) }
            result.append(value)
        }
        return result
    }

    /// 1 to 64 of `a-z 0-9 - .`.
    private func purposeCode(_ node: Node, at key: String) throws(ConfigurationError) -> PurposeCode {
        let text = try string(node, at: key)
        do throws(IdentifierError) {
            return try PurposeCode(text)
        } catch {
            throw self.error(node, key, LocalizedMessage("error.config.invalid", ["reason": "\(error)"]))
        }
    }

    /// 1 to 500 characters: it is written with every page served, so it is kept short.
    private func legalBasis(_ node: Node, at key: String) throws(ConfigurationError) -> String {
        let text = try string(node, at: key)
        guard text.unicodeScalars.count <= 500 else { throw error(node, key, LocalizedMessage("error.config.too-long", ["count": "\(text.unicodeScalars.count)"])) }
        return text
    }

    /// `pull_purposes`: the purpose stated when pulling each dataset, `{DATASET: CODE}`, every dataset one pulled.
    private func pullPurposes(_ node: Node?, at key: String, pulled: [DatasetName]) throws(ConfigurationError) -> [DatasetName: PurposeCode] {
        guard let node else { return [:] }
        var result: [DatasetName: PurposeCode] = [:]
        for (name, codeNode) in try mapping(node, at: key) {
            let datasetKey = "\(key).\(name)"
            let dataset = try identifier(DatasetName.self, .init(name), at: datasetKey)
            guard pulled.contains(dataset) else { throw error(codeNode, datasetKey, LocalizedMessage("error.config.not-pulled", ["dataset": "\(dataset)"])) }
            result[dataset] = try purposeCode(codeNode, at: datasetKey)
        }
        return result
    }
}
