import Foundation
import LienThongConfig
import LienThongCore
import LienThongMerge
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    static let file = URL(fileURLWithPath: "/etc/lienthong/lienthong.yaml")

    static let example = """
        agency: bo-y-te
        store: /var/lib/lienthong/lienthong.sqlite
        signing_key: keys/bo-y-te.key.pem
        listen: "127.0.0.1:8440"
        clock_skew_seconds: 300
        datasets:
          tiem-chung: { policy: lww }
          dan-cu:     { policy: authority, owner: bo-cong-an }
          ho-tich:    { policy: manual }
        peers:
          bo-cong-an:
            url: "https://lienthong.bocongan.example"
            keys: [peers/bo-cong-an.pub.pem]
            pull: [dan-cu]
            share:
              tiem-chung: { fields: [ma_dinh_danh, vaccine, ngay_tiem] }
            interval_seconds: 30
        """

    @Test("the example from the issue reads as written, with paths resolved against the file's folder")
    func example() throws {
        let configuration = try Configuration(yaml: Self.example, fileURL: Self.file)
        #expect(configuration.agency.rawValue == "bo-y-te")
        #expect(configuration.store == .file(URL(fileURLWithPath: "/var/lib/lienthong/lienthong.sqlite")))
        #expect(configuration.signingKeyURL.path == "/etc/lienthong/keys/bo-y-te.key.pem")
        #expect(configuration.listen == ListenAddress(host: "127.0.0.1", port: 8440))
        #expect(configuration.clockSkewSeconds == 300)
        #expect(configuration.policy(for: try DatasetName("tiem-chung")) == .lww)
        #expect(configuration.policy(for: try DatasetName("dan-cu")) == .authority(owner: try AgencyID("bo-cong-an")))
        #expect(configuration.policy(for: try DatasetName("ho-tich")) == .manual)
        let peer = try #require(configuration.peers[try AgencyID("bo-cong-an")])
        #expect(peer.url.absoluteString == "https://lienthong.bocongan.example")
        #expect(peer.keyURLs.map(\.path) == ["/etc/lienthong/peers/bo-cong-an.pub.pem"])
        #expect(peer.pull == [try DatasetName("dan-cu")])
        #expect(peer.share == [try DatasetName("tiem-chung"): Grant(fields: ["ma_dinh_danh", "vaccine", "ngay_tiem"])])
        #expect(peer.intervalSeconds == 30)
    }

    @Test("defaults: listen 127.0.0.1:8440, skew 300 s, interval 30 s, a grant without fields shares all")
    func defaults() throws {
        let configuration = try Configuration(yaml: """
            agency: bo-y-te
            store: data/store.sqlite
            signing_key: /keys/k.pem
            datasets:
              tiem-chung: { policy: lww }
            peers:
              so-y-te-ha-noi:
                url: http://127.0.0.1:9000
                keys: [a.pem, b.jwk.json]
                share:
                  tiem-chung:
            """, fileURL: Self.file)
        #expect(configuration.listen == ListenAddress(host: "127.0.0.1", port: 8440))
        #expect(configuration.clockSkewSeconds == 300)
        #expect(configuration.store.fileURL?.path == "/etc/lienthong/data/store.sqlite")
        let peer = try #require(configuration.peers[try AgencyID("so-y-te-ha-noi")])
        #expect(peer.intervalSeconds == 30)
        #expect(peer.keyURLs.count == 2)
        #expect(peer.rateLimit == RateLimitSettings(requestsPerSecond: 20, burst: 40))
        #expect(configuration.connections == ConnectionSettings(maximum: 512, perAddress: 32))
        #expect(peer.caFileURL == nil)
        #expect(peer.tlsPinnedPublicKey == nil)
        #expect(peer.share[try DatasetName("tiem-chung")] == Grant(fields: nil))
    }

    static let minimal = "agency: bo-y-te\nstore: s.sqlite\nsigning_key: k.pem\n"

    /// Each bad configuration, with the key its message must name and a word of the reason.
    static let bad: [(String, String, String)] = [
        ("", "", "empty"),
        ("agency: [", "", "not valid YAML"),
        ("- a\n- b\n", "", "expected a mapping"),
        ("store: s\nsigning_key: k\n", "agency", "missing"),
        ("agency: bo-y-te\nsigning_key: k\n", "store", "missing"),
        (minimal + "colour: blue\n", "colour", "unknown key"),
        (minimal + "agency: bo-cong-an\n", "", "duplicated key(s): 'agency'"),
        ("agency: Bo-Y-Te\nstore: s\nsigning_key: k\n", "agency", "agency id"),
        (minimal + "clock_skew_seconds: soon\n", "clock_skew_seconds", "whole number"),
        (minimal + "clock_skew_seconds: -1\n", "clock_skew_seconds", "must be from"),
        (minimal + "listen: 8440\n", "listen", "host:port"),
        (minimal + "client_certificate: c.pem\n", "client_certificate", "give client_key with it"),
        (minimal + "client_key: c.key\n", "client_key", "give client_certificate with it"),
        (minimal + "peers:\n  bo-cong-an: { url: \"https://a.example\", keys: [k.pem], client_key: c.key }\n",
         "peers.bo-cong-an.client_key", "give client_certificate with it"),
        (minimal + "listen: \"127.0.0.1:99999\"\n", "listen", "host:port"),
        (minimal + "datasets:\n  tiem-chung: { policy: newest }\n", "datasets.tiem-chung.policy", "expected lww, authority or manual"),
        (minimal + "datasets:\n  tiem-chung: { policy: authority }\n", "datasets.tiem-chung.owner", "missing"),
        (minimal + "datasets:\n  tiem-chung: { policy: lww, owner: bo-y-te }\n", "datasets.tiem-chung.owner", "only the authority policy"),
        (minimal + "datasets:\n  tiem-chung: { policy: lww, ttl: 3 }\n", "datasets.tiem-chung.ttl", "unknown key"),
        (minimal + "datasets:\n  Tiem_Chung: { policy: lww }\n", "datasets.Tiem_Chung", "dataset name"),
        (minimal + "peers:\n  bo-y-te: { url: \"https://a.example\", keys: [k.pem] }\n", "peers.bo-y-te", "its own peer"),
        (minimal + "peers:\n  bo-cong-an: { keys: [k.pem] }\n", "peers.bo-cong-an.url", "missing"),
        (minimal + "peers:\n  bo-cong-an: { url: \"http://a.example\", keys: [k.pem] }\n", "peers.bo-cong-an.url", "must use https"),
        (minimal + "peers:\n  bo-cong-an: { url: \"not a url\", keys: [k.pem] }\n", "peers.bo-cong-an.url", "expected a URL"),
        (minimal + "peers:\n  bo-cong-an: { url: \"https://a.example\", keys: [] }\n", "peers.bo-cong-an.keys", "at least one"),
        (minimal + "peers:\n  bo-cong-an: { url: \"https://a.example\", keys: [k.pem], pull: [dan-cu] }\n", "peers.bo-cong-an.pull", "not listed under datasets"),
        (minimal + "peers:\n  bo-cong-an: { url: \"https://a.example\", keys: [k.pem], share: { dan-cu: {} } }\n", "peers.bo-cong-an.share.dan-cu", "not listed under datasets"),
        (minimal + "peers:\n  bo-cong-an: { url: \"https://a.example\", keys: [k.pem], interval_seconds: 0 }\n", "peers.bo-cong-an.interval_seconds", "must be from"),
        (minimal + "peers:\n  bo-cong-an: { url: \"https://a.example\", keys: [k.pem], tls: off }\n", "peers.bo-cong-an.tls", "unknown key"),
        (minimal + "rate_limit: { requests_per_second: 0, burst: 1 }\n", "rate_limit.requests_per_second", "must be from 1 to 10000"),
        (minimal + "rate_limit: { requests_per_second: 10001, burst: 1 }\n", "rate_limit.requests_per_second", "must be from 1 to 10000"),
        (minimal + "rate_limit: { requests_per_second: 5 }\n", "rate_limit.burst", "missing"),
        (minimal + "peers:\n  bo-cong-an: { url: \"https://a.example\", keys: [k.pem], rate_limit: { requests_per_second: 1, burst: 0 } }\n", "peers.bo-cong-an.rate_limit.burst", "must be from"),
        (minimal + "connections: { max: 0 }\n", "connections.max", "must be from 1 to 60000"),
        (minimal + "connections: { max: 10, per_address: 11 }\n", "connections.per_address", "must be from 1 to 10"),
        (minimal + "peers:\n  bo-cong-an: { url: \"https://a.example\", keys: [k.pem], tls_pin: \"md5//abc\" }\n", "peers.bo-cong-an.tls_pin", "expected sha256//"),
        (minimal + "store_password_file: pw\n", "store_password_file", "only a PostgreSQL store"),
        ("agency: bo-y-te\nsigning_key: k.pem\nstore: \"postgresql://lt:secret@db/lienthong\"\n", "store", "holds a password"),
        ("agency: bo-y-te\nsigning_key: k.pem\nstore: \"postgresql://db/lienthong\"\n", "store", "names no user"),
        ("agency: bo-y-te\nsigning_key: k.pem\nstore: \"postgresql://lt@db/\"\n", "store", "names no database"),
        ("agency: bo-y-te\nsigning_key: k.pem\nstore: \"postgresql://lt@db/x?sslmode=prefer\"\n", "store", "expected disable, require or verify-full"),
        ("agency: bo-y-te\nsigning_key: k.pem\nstore: \"postgresql://lt@db/x?sslrootcert=/ca.pem\"\n", "store", "without sslmode=verify-full"),
        ("agency: bo-y-te\nsigning_key: k.pem\nstore: \"postgresql://lt@db/x?connect_timeout=3\"\n", "store", "unknown option"),
        (minimal + "daemon_id: \"a b\"\n", "daemon_id", "expected 1 to 64"),
        (minimal + "lease_seconds: 4\n", "lease_seconds", "must be from 5 to 3600"),
        (minimal + "lease_seconds: 3601\n", "lease_seconds", "must be from 5 to 3600"),
        (minimal + "daemon_id: \(String(repeating: "d", count: 65))\n", "daemon_id", "expected 1 to 64"),
        (minimal + "long_poll: { wait_max_seconds: 56 }\n", "long_poll.wait_max_seconds", "must be from 0 to 55"),
        (minimal + "long_poll: { wait_max_seconds: -1 }\n", "long_poll.wait_max_seconds", "must be from 0 to 55"),
        (minimal + "long_poll: { held_per_peer: 0 }\n", "long_poll.held_per_peer", "must be from 1 to 1000"),
        (minimal + "long_poll: { held_per_peer: 1001 }\n", "long_poll.held_per_peer", "must be from 1 to 1000"),
        (minimal + "long_poll: { held_max: 1000001 }\n", "long_poll.held_max", "must be from 1 to 1000000"),
        (minimal + "long_poll: { wait: 5 }\n", "long_poll.wait", "unknown key"),
        (purposes("share: { dan-cu: { purposes: [Xac_Minh] } }"), "peers.bo-cong-an.share.dan-cu.purposes", "has a character other than a-z, 0-9, - and ."),
        (purposes("share: { dan-cu: { purposes: [\(String(repeating: "a", count: 65))] } }"), "peers.bo-cong-an.share.dan-cu.purposes", "longer than 64"),
        (purposes("share: { dan-cu: { purposes: [xac-minh, thong-ke, xac-minh] } }"), "peers.bo-cong-an.share.dan-cu.purposes", "\"xac-minh\" is listed twice"),
        (purposes("share: { dan-cu: { purposes: [] } }"), "peers.bo-cong-an.share.dan-cu.purposes", "name at least one purpose"),
        (purposes("share: { dan-cu: { purposes: xac-minh } }"), "peers.bo-cong-an.share.dan-cu.purposes", "expected a list"),
        (purposes("share: { dan-cu: { legal_basis: \(String(repeating: "b", count: 501)) } }"), "peers.bo-cong-an.share.dan-cu.legal_basis", "at most 500"),
        (purposes("share: { dan-cu: { legal_basis: \"\" } }"), "peers.bo-cong-an.share.dan-cu.legal_basis", "non-empty"),
        (purposes("share: { dan-cu: { purpose: [xac-minh] } }"), "peers.bo-cong-an.share.dan-cu.purpose", "unknown key"),
        (purposes("pull: [dan-cu], pull_purposes: { ho-tich: xac-minh }"), "peers.bo-cong-an.pull_purposes.ho-tich", "not pulled from this peer"),
        (purposes("pull_purposes: { dan-cu: xac-minh }"), "peers.bo-cong-an.pull_purposes.dan-cu", "not pulled from this peer"),
        (purposes("pull: [dan-cu], pull_purposes: { dan-cu: \"xac minh\" }"), "peers.bo-cong-an.pull_purposes.dan-cu", "purpose code"),
        (purposes("pull: [dan-cu], pull_purposes: { dan-cu: [xac-minh] }"), "peers.bo-cong-an.pull_purposes.dan-cu", "non-empty text"),
    ]

    /// A configuration holding dan-cu and ho-tich, with one peer whose settings end with `settings`.
    static func purposes(_ settings: String) -> String {
        minimal + "datasets: { dan-cu: { policy: lww }, ho-tich: { policy: lww } }\n"
            + "peers:\n  bo-cong-an: { url: \"https://a.example\", keys: [k.pem], \(settings) }\n"
    }

    @Test("purposes and legal_basis in a grant, pull_purposes per pulled dataset; codes of 64 characters and a basis of 500")
    func purposeBoundGrants() throws {
        let longest = String(repeating: "a", count: 64)
        let basis = String(repeating: "đ", count: 500)
        let configuration = try Configuration(yaml: Self.minimal + """
            datasets: { dan-cu: { policy: lww }, ho-tich: { policy: lww }, tiem-chung: { policy: lww } }
            peers:
              bo-cong-an:
                url: "https://a.example"
                keys: [k.pem]
                pull: [dan-cu, ho-tich]
                pull_purposes: { dan-cu: xac-minh-tiem-chung }
                share:
                  tiem-chung: { fields: [vaccine], purposes: [xac-minh-tiem-chung, thong-ke.2026, \(longest)], legal_basis: "\(basis)" }
                  dan-cu: { purposes: [xac-minh] }
                  ho-tich: { legal_basis: "Luật Hộ tịch 2014" }
            """, fileURL: Self.file)
        let peer = try #require(configuration.peers[try AgencyID("bo-cong-an")])
        #expect(peer.pullPurposes == [try DatasetName("dan-cu"): try PurposeCode("xac-minh-tiem-chung")])
        #expect(peer.share == [
            try DatasetName("tiem-chung"): Grant(
                fields: ["vaccine"], purposes: [try PurposeCode("xac-minh-tiem-chung"), try PurposeCode("thong-ke.2026"), try PurposeCode(longest)],
                legalBasis: basis
            ),
            try DatasetName("dan-cu"): Grant(fields: nil, purposes: [try PurposeCode("xac-minh")]),
            try DatasetName("ho-tich"): Grant(fields: nil, legalBasis: "Luật Hộ tịch 2014"),
        ])
        // Without the keys: any purpose or none, no legal basis, nothing stated when pulling.
        let plain = try #require(try Configuration(yaml: Self.example, fileURL: Self.file).peers[try AgencyID("bo-cong-an")])
        #expect(plain.pullPurposes.isEmpty)
        #expect(plain.share.values.allSatisfy { $0.purposes == nil && $0.legalBasis == nil })
    }

    @Test("store: a postgresql:// URL with its options, the password from store_password_file; daemon_id and lease_seconds")
    func postgresStore() throws {
        let configuration = try Configuration(yaml: """
            agency: bo-y-te
            store: "postgresql://lienthong@db.bo-y-te.internal:5433/lienthong?sslmode=verify-full&sslrootcert=/etc/lienthong/db-ca.pem"
            store_password_file: secrets/db-password
            signing_key: k
            daemon_id: lt-1.bo-y-te
            lease_seconds: 3600
            """, fileURL: Self.file)
        #expect(configuration.store == .postgres(PostgresLocation(
            host: "db.bo-y-te.internal", port: 5433, user: "lienthong", database: "lienthong", tls: .verifyFull,
            rootCertificatesFile: "/etc/lienthong/db-ca.pem", passwordFile: "/etc/lienthong/secrets/db-password"
        )))
        // Never the password, which is not in the URL anyway.
        #expect(configuration.store.description == "postgresql://lienthong@db.bo-y-te.internal:5433/lienthong?sslmode=verify-full")
        #expect(configuration.daemonID == "lt-1.bo-y-te")
        #expect(configuration.leaseSeconds == 3600)
        // At the limits: the shortest lease, the longest name.
        let bounds = try Configuration(yaml: Self.minimal + "lease_seconds: 5\ndaemon_id: \(String(repeating: "d", count: 64))\n", fileURL: Self.file)
        #expect(bounds.leaseSeconds == 5 && bounds.daemonID?.count == 64)
        let defaults = try Configuration(yaml: Self.minimal, fileURL: Self.file)
        #expect(defaults.daemonID == nil && defaults.leaseSeconds == 30)
        #expect(defaults.longPoll == LongPollConfiguration(waitMaxSeconds: 25, heldPerPeer: 4, heldMax: 10_000))
        // long_poll at its limits: no held requests at all, or the longest wait and the most held.
        let off = try Configuration(yaml: Self.minimal + "long_poll: { wait_max_seconds: 0, held_per_peer: 1, held_max: 1 }\n", fileURL: Self.file)
        #expect(off.longPoll == LongPollConfiguration(waitMaxSeconds: 0, heldPerPeer: 1, heldMax: 1))
        let most = try Configuration(yaml: Self.minimal + "long_poll: { wait_max_seconds: 55, held_per_peer: 1000, held_max: 1000000 }\n", fileURL: Self.file)
        #expect(most.longPoll == LongPollConfiguration(waitMaxSeconds: 55, heldPerPeer: 1000, heldMax: 1_000_000))
        let plain = try Configuration(yaml: "agency: bo-y-te\nsigning_key: k\nstore: \"postgres://lt@[::1]/x\"\n", fileURL: Self.file)
        #expect(plain.store == .postgres(PostgresLocation(host: "::1", user: "lt", database: "x")))
    }

    @Test("rate_limit at the top is every peer's, a peer's own replaces it; connections at their limits")
    func rateLimitAndConnections() throws {
        let configuration = try Configuration(yaml: """
            agency: bo-y-te
            store: s
            signing_key: k
            rate_limit: { requests_per_second: 10000, burst: 1 }
            connections: { max: 60000, per_address: 60000 }
            peers:
              bo-cong-an: { url: "https://a.example", keys: [k.pem] }
              bo-tu-phap: { url: "https://b.example", keys: [k.pem], rate_limit: { requests_per_second: 1, burst: 10000 } }
            """, fileURL: Self.file)
        #expect(configuration.peers[try AgencyID("bo-cong-an")]?.rateLimit == RateLimitSettings(requestsPerSecond: 10_000, burst: 1))
        #expect(configuration.peers[try AgencyID("bo-tu-phap")]?.rateLimit == RateLimitSettings(requestsPerSecond: 1, burst: 10_000))
        #expect(configuration.connections == ConnectionSettings(maximum: 60_000, perAddress: 60_000))
    }

    @Test("client_certificate and client_key: the top-level pair for every peer, a peer's own pair instead")
    func clientCertificates() throws {
        let configuration = try Configuration(yaml: """
            agency: bo-y-te
            store: s
            signing_key: k
            client_certificate: tls/client.pem
            client_key: tls/client.key
            peers:
              bo-cong-an: { url: "https://a.example", keys: [k.pem] }
              bo-tu-phap: { url: "https://b.example", keys: [k.pem], client_certificate: /srv/b.pem, client_key: /srv/b.key }
            """, fileURL: Self.file)
        let shared = ClientCertificateFiles(
            certificateURL: URL(fileURLWithPath: "/etc/lienthong/tls/client.pem"), keyURL: URL(fileURLWithPath: "/etc/lienthong/tls/client.key")
        )
        #expect(configuration.clientCertificate == shared)
        #expect(configuration.peers[try AgencyID("bo-cong-an")]?.clientCertificate == shared)
        #expect(configuration.peers[try AgencyID("bo-tu-phap")]?.clientCertificate?.keyURL.path == "/srv/b.key")
        #expect(try Configuration(yaml: Self.example, fileURL: Self.file).peers.values.allSatisfy { $0.clientCertificate == nil })
    }

    @Test("a bad configuration is one clear error naming the file and the key", arguments: bad)
    func refused(yaml: String, key: String, reason: String) {
        let error = #expect(throws: ConfigurationError.self) { try Configuration(yaml: yaml, fileURL: Self.file) }
        let message = error?.description ?? ""
        #expect(message.hasPrefix("/etc/lienthong/lienthong.yaml"), "\(message)")
        #expect(message.contains(": \(key)") || key.isEmpty, "\(message)")
        #expect(message.contains(reason), "\(message)")
        #expect(!message.contains("\n"), "\(message)")
    }

    @Test("a missing file is an error naming it")
    func missingFile() {
        let error = #expect(throws: ConfigurationError.self) {
            try Configuration(contentsOf: URL(fileURLWithPath: "/nonexistent/lienthong.yaml"))
        }
        #expect(error?.description.contains("/nonexistent/lienthong.yaml") == true)
    }

    /// Peer URLs and whether plain HTTP to them is allowed: only literal loopback addresses and `localhost`.
    static let plainHTTPPeers: [(url: String, accepted: Bool)] = [
        ("http://127.0.0.1:9000", true),
        ("http://127.0.0.1", true),
        ("http://127.255.255.254:80/feeds", true),
        ("http://127.1.2.3:9000", true),
        ("http://[::1]:9000", true),
        ("http://[0:0:0:0:0:0:0:1]:9000", true),
        ("http://[::0:1]:9000", true),
        ("http://localhost:9000", true),
        ("http://LocalHost:9000", true),
        ("http://127.0.0.1.attacker.example", false),
        ("http://127.0.0.1.attacker.example:9000", false),
        ("http://127.attacker.example", false),
        ("http://127.0.0.1.", false),
        ("http://127.0.0.01:9000", false),
        ("http://0177.0.0.1:9000", false),
        ("http://127.0.0.256:9000", false),
        ("http://127.1:9000", false),
        ("http://2130706433:9000", false),
        ("http://128.0.0.1:9000", false),
        ("http://10.0.0.1:9000", false),
        ("http://[::2]:9000", false),
        ("http://[::ffff:127.0.0.1]:9000", false),
        ("http://[::1%25lo]:9000", false),
        ("http://[1::1]:9000", false),
        ("http://localhost.attacker.example:9000", false),
        ("http://localhost.:9000", false),
        ("http://attacker.example#@127.0.0.1", false),
        ("http://127.0.0.1@attacker.example", false),
    ]

    @Test("plain http is allowed to literal loopback addresses and localhost only", arguments: plainHTTPPeers)
    func plainHTTPOnlyToLoopback(url: String, accepted: Bool) {
        let yaml = """
            agency: bo-y-te
            store: s
            signing_key: k
            peers:
              bo-cong-an: { url: "\(url)", keys: [k.pem] }

            """
        let result = Result { try Configuration(yaml: yaml, fileURL: Self.file) }
        switch result {
        case .success(let configuration):
            #expect(accepted, "\(url) was accepted")
            #expect(configuration.peers[try! AgencyID("bo-cong-an")]?.url.absoluteString == url)
        case .failure(let error):
            #expect(!accepted, "\(url) was refused: \(error)")
        }
        // The same host over https is always fine: TLS protects it whatever it resolves to.
        if url.hasPrefix("http://"), !url.contains("#"), !url.contains("%") {
            let secure = yaml.replacingOccurrences(of: "http://", with: "https://")
            #expect(throws: Never.self) { try Configuration(yaml: secure, fileURL: Self.file) }
        }
    }
}
