import Foundation
import GRDB
import LienThongCore
import LienThongTestSupport
import Testing

/// The test bed (`testbed/bed`): three agency hosts in network namespaces, nginx with TLS and required client
/// certificates in front of each publisher, daemons pulling each other by name over mutual TLS.
enum TestBed {
    static let agencies = ["bo-cong-an", "bo-y-te", "ubnd-ha-noi"]
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appending(path: "testbed/bed")

    /// Why the bed cannot run here, or nil when it can: it needs root, `ip netns` and nginx.
    static let missing: String? = {
        if getuid() != 0 { return "the test bed needs root (network namespaces, nginx on port 443)" }
        if !FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") { return "the test bed needs nginx (apt-get install -y nginx)" }
        if !FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") { return "the test bed needs iproute2" }
        if !FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft") { return "the test bed needs nftables" }
        if !FileManager.default.isExecutableFile(atPath: "/usr/bin/faketime") { return "the test bed needs faketime" }
        return nil
    }()

    /// In CI the bed must run: there a missing part is a failure, not a skip.
    static var runs: Bool { missing == nil || ProcessInfo.processInfo.environment["CI"] != nil }

    /// The namespace of `agency`'s host.
    static func host(_ agency: String) -> String { "lt-\(agency)" }

    /// Brings the bed up in a fresh folder, runs `body` with it, and takes the bed down whatever happens.
    static func withBed<Result>(_ body: (URL) async throws -> Result) async throws -> Result {
        if let missing { throw TestBedError(description: missing) }
        let folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-bed-\(UUID().uuidString.prefix(8))")
        // A bed left by a test that was killed is taken down first.
        _ = try await runChild(script.path, ["down"])
        let up = try await runChild(script.path, ["up", folder.path, CommandRunner.binary.path])
        guard up.status == 0 else {
            _ = try? await runChild(script.path, ["down", folder.path])
            throw TestBedError(description: "testbed/bed up failed: \(up.standardError)")
        }
        do {
            let result = try await body(folder)
            _ = try await runChild(script.path, ["down", folder.path])
            return result
        } catch {
            _ = try? await runChild(script.path, ["down", folder.path])
            throw error
        }
    }

    /// `lienthong export` of `dataset` from `agency`'s store.
    static func export(_ folder: URL, _ agency: String, dataset: String = "dan-cu") throws -> [String] {
        let outcome = try CommandRunner.run(["export", "--config", folder.appending(path: "\(agency)/lienthong.yaml").path, "--dataset", dataset])
        return outcome.stdoutText.split(separator: "\n").map(String.init)
    }
}

struct TestBedError: Error, CustomStringConvertible {
    let description: String
}

/// One bed at a time: the suites below share the namespaces' names.
@Suite("The test bed: three hosts, nginx with mutual TLS", .serialized, .enabled(if: TestBed.runs, "\(TestBed.missing ?? "")"))
struct TestBedTests {
    @Test("three daemons pull each other through nginx over mutual TLS, with ca_file and tls_pin, and the stores converge")
    func convergeOverMutualTLS() async throws {
        try await TestBed.withBed { folder in
            for agency in TestBed.agencies { try TestBed.put(folder, agency, from: 1, count: 100) }
            let daemons = try TestBed.agencies.map { try TestBed.daemon(folder, $0) }
            defer { daemons.forEach { $0.send(SIGKILL) } }
            let exports = try await TestBed.converged(folder, records: 300)
            #expect(exports.map(\.count) == [300, 300, 300], "\(daemons.map(\.log))")
            #expect(Set(exports).count == 1)
            // Every page crossed nginx over TLS: each publisher's access log shows the other two pulling.
            for agency in TestBed.agencies {
                let log = (try? String(contentsOf: folder.appending(path: "\(agency)/nginx/access.log"), encoding: .utf8)) ?? ""
                let pulls = log.split(separator: "\n").filter { $0.contains("GET /v1/feeds/dan-cu") && $0.contains("\" 200 ") }
                #expect(pulls.count >= 2, "\(agency): \(log.prefix(2000))")
            }
        }
    }

    @Test("certificate rotation: a server's and a client's certificate replaced (new keys, same CA) with nginx reload and SIGHUP; pulls go on")
    func rotation() async throws {
        try await TestBed.withBed { folder in
            for agency in TestBed.agencies { try TestBed.put(folder, agency, from: 1, count: 20) }
            let daemons = try TestBed.agencies.map { try TestBed.daemon(folder, $0) }
            defer { daemons.forEach { $0.send(SIGKILL) } }
            #expect(try await TestBed.converged(folder, records: 60).map(\.count) == [60, 60, 60])
            let server = "bo-cong-an.lienthong.test"
            let oldPin = try await TestBed.pin(folder, key: server)
            // New key pairs, the same CAs. nginx keeps serving the old certificate until it is reloaded.
            try await TestBed.bed(["cert", folder.path, server, "intermediate-ca", "server", "90"])
            try await TestBed.bed(["cert", folder.path, "bo-y-te-client", "agencies-ca", "client", "90"])
            let newPin = try await TestBed.pin(folder, key: server)
            #expect(newPin != oldPin)
            // The peers pin both keys first, as DEPLOY.md says; then the server switches.
            for (index, agency) in TestBed.agencies.enumerated() where agency != "bo-cong-an" {
                let url = folder.appending(path: "\(agency)/lienthong.yaml")
                let text = try String(contentsOf: url, encoding: .utf8)
                try #require(text.contains(oldPin))
                try Data(text.replacingOccurrences(of: "\"\(oldPin)\"", with: "\"\(oldPin);\(newPin)\"").utf8).write(to: url)
                daemons[index].send(SIGHUP)
            }
            try await TestBed.bed(["reload", folder.path, "bo-cong-an"])
            try TestBed.put(folder, "bo-cong-an", from: 21, count: 10)
            try TestBed.put(folder, "bo-y-te", from: 21, count: 10)
            #expect(try await TestBed.converged(folder, records: 80).map(\.count) == [80, 80, 80], "\(daemons.map(\.log))")
            // bo-y-te presented its new certificate after the reload: bo-cong-an's nginx logged its serial.
            let newSerial = try await TestBed.serial(folder, "bo-y-te-client")
            let log = try String(contentsOf: folder.appending(path: "bo-cong-an/nginx/access.log"), encoding: .utf8)
            #expect(log.split(separator: "\n").contains { $0.hasSuffix("client=\(newSerial)") && $0.contains("\" 200 ") }, "\(newSerial)")
            // No daemon restarted: each reloaded in place.
            #expect(daemons.allSatisfy { $0.process.isRunning })
            #expect(daemons[1].log.contains("configuration reloaded"))
            // A bad certificate file on a reload is logged, and the pair in force stays: pulls go on.
            try Data("not a certificate\n".utf8).write(to: folder.appending(path: "pki/bo-y-te-client.pem"))
            daemons[1].send(SIGHUP)
            try TestBed.put(folder, "bo-cong-an", from: 31, count: 5)
            #expect(try await TestBed.converged(folder, records: 85).map(\.count) == [85, 85, 85], "\(daemons[1].log.suffix(3000))")
            #expect(daemons[1].log.contains("configuration not reloaded"))
            #expect(daemons[1].log.contains("bo-y-te-client.pem"))
        }
    }

    @Test("faults: 200 ms ± 50 ms and 5 % loss on one link, nginx workers killed mid-body, a 30 s partition during an initial sync of 50,000 records with kill -9 of a daemon; after healing the stores converge, each page applied once")
    func faults() async throws {
        try await TestBed.withBed { folder in
            try TestBed.put(folder, "bo-cong-an", from: 1, count: 50_000)
            try TestBed.put(folder, "bo-y-te", from: 1, count: 10)
            try TestBed.put(folder, "ubnd-ha-noi", from: 1, count: 10)
            // This kernel has no netem (CONFIG_NET_SCH_NETEM): loss comes from nftables, the delay from a relay.
            try await TestBed.bed(["loss", "ubnd-ha-noi", "5"])
            try await TestBed.bed(["delay", folder.path, "ubnd-ha-noi", "200", "50"])
            var daemons = try TestBed.agencies.map { try TestBed.daemon(folder, $0) }
            defer { daemons.forEach { $0.send(SIGKILL) } }
            // Mid-sync: bo-cong-an's nginx workers die with bodies in flight (the master starts new ones).
            try await TestBed.waitForRecords(folder, "bo-y-te", atLeast: 2_000)
            let killed = try await runChild("/usr/bin/pkill", ["-KILL", "-f", "nginx: worker process"])
            #expect(killed.status == 0)
            // Then bo-cong-an is cut off for 30 s while bo-y-te and ubnd-ha-noi are still behind it.
            try await TestBed.bed(["partition", "bo-cong-an"])
            try await Task.sleep(for: .seconds(5))
            daemons[1].send(SIGKILL)
            _ = try await daemons[1].waitForExit(.seconds(10))
            try await Task.sleep(for: .seconds(5))
            daemons[1] = try TestBed.daemon(folder, "bo-y-te")
            try await Task.sleep(for: .seconds(20))
            let partitioned = try TestBed.export(folder, "bo-y-te").count
            #expect(partitioned < 50_020, "bo-y-te finished during the partition: the fault came too late to test anything")
            try await TestBed.bed(["heal", "bo-cong-an"])
            let healed = ContinuousClock.now
            let exports = try await TestBed.converged(folder, records: 50_020, within: .seconds(240))
            let converged = ContinuousClock.now - healed
            #expect(exports.map(\.count) == [50_020, 50_020, 50_020], "\(daemons.map { $0.log.suffix(3000) })")
            #expect(Set(exports).count == 1)
            print("test bed: converged \(converged) after the partition healed; bo-y-te held \(partitioned) records during it")
            for agency in ["bo-y-te", "ubnd-ha-noi"] {
                let pages = try TestBed.appliedPages(folder, agency, from: "bo-cong-an")
                // Each page's `after` is the `last` of the one before: none applied twice, none skipped.
                #expect(zip(pages, pages.dropFirst()).allSatisfy { $0.last == $1.after }, "\(agency)")
                #expect(pages.first?.after == 0 && pages.last?.cursor == 50_000, "\(agency)")
                #expect(pages.reduce(0) { $0 + $1.applied } == 50_000, "\(agency)")
            }
            // No feed is left in backoff longer than the daemon's cap (900 s), and each is soon pulling again.
            let recovered = ContinuousClock.now + .seconds(90)
            for agency in TestBed.agencies {
                while true {
                    let status = try CommandRunner.run(["status", "--config", folder.appending(path: "\(agency)/lienthong.yaml").path, "--json"])
                    let report = try JSONValue(parsing: Array(status.stdout))
                    let feeds = try #require(report["feeds"]?.arrayValue)
                    let generated = try #require(report["generated_at"]?.stringValue.flatMap { ISO8601DateFormatter().date(from: $0) })
                    for feed in feeds {
                        guard let next = feed["next_attempt_at"]?.stringValue.flatMap({ ISO8601DateFormatter().date(from: $0) }) else { continue }
                        #expect(next.timeIntervalSince(generated) <= 900, "\(agency): \(status.stdoutText)")
                    }
                    if feeds.allSatisfy({ $0["consecutive_failures"] == .integer(0) }) { break }
                    try #require(ContinuousClock.now < recovered, "\(agency) still failing: \(status.stdoutText)")
                    try await Task.sleep(for: .seconds(1))
                }
            }
        }
    }
}

/// One thing broken between bo-y-te and bo-cong-an, and the reason bo-y-te's `sync` and `status` must give.
struct BrokenLink: Sendable, CustomTestStringConvertible {
    let name: String
    /// Breaks it, given the bed's folder.
    let breakIt: @Sendable (URL) async throws -> Void
    /// What bo-y-te's failure line for bo-cong-an says.
    let reason: String
    /// Environment for the sync: a permissive system TLS policy, so that only lienthong's own floor refuses.
    var environment: [String] = []

    var testDescription: String { name }
}

extension TestBed {
    /// bo-y-te's configuration file.
    static func configuration(_ folder: URL) -> URL { folder.appending(path: "bo-y-te/lienthong.yaml") }

    /// Replaces `old` by `new` in bo-y-te's settings for bo-cong-an (or in the whole file, `peerOnly` false).
    static func editConfiguration(_ folder: URL, _ old: String, _ new: String, peerOnly: Bool = true) throws {
        let url = configuration(folder)
        var text = try String(contentsOf: url, encoding: .utf8)
        if peerOnly {
            let start = try #require(text.range(of: "  bo-cong-an:\n"))
            let end = try #require(text.range(of: "  ubnd-ha-noi:\n"))
            let block = text[start.upperBound..<end.lowerBound]
            try #require(block.contains(old), "no \(old) for bo-cong-an")
            text.replaceSubrange(start.upperBound..<end.lowerBound, with: block.replacingOccurrences(of: old, with: new))
        } else {
            try #require(text.contains(old), "no \(old)")
            text = text.replacingOccurrences(of: old, with: new)
        }
        try Data(text.utf8).write(to: url)
    }

    /// Gives bo-y-te's settings for bo-cong-an a client certificate pair of their own.
    static func presentToBoCongAn(_ folder: URL, certificate name: String) throws {
        let pki = folder.appending(path: "pki").path
        try editConfiguration(folder, "    pull: [dan-cu]\n", "    pull: [dan-cu]\n    client_certificate: \(pki)/\(name).pem\n    client_key: \(pki)/\(name).key\n")
    }

    static func bed(_ arguments: [String]) async throws {
        let outcome = try await runChild(script.path, arguments)
        try #require(outcome.status == 0, "testbed/bed \(arguments.joined(separator: " ")): \(outcome.standardError)")
    }

    /// Changes one line of bo-cong-an's nginx server block and reloads it.
    static func editServerBlock(_ folder: URL, _ old: String, _ new: String) async throws {
        let url = folder.appending(path: "bo-cong-an/nginx/nginx.conf")
        let text = try String(contentsOf: url, encoding: .utf8)
        try #require(text.contains(old))
        try Data(text.replacingOccurrences(of: old, with: new).utf8).write(to: url)
        try await bed(["reload", folder.path, "bo-cong-an"])
    }

    /// `lienthong sync` on bo-y-te's host, with `environment` added.
    static func sync(_ folder: URL, environment: [String] = []) async throws -> ChildOutcome {
        try await runChild("/usr/bin/env", environment + [
            "/usr/sbin/ip", "netns", "exec", host("bo-y-te"), CommandRunner.binary.path, "sync", "--config", configuration(folder).path,
        ])
    }
}

extension TestBedTests {
    @Suite("Each broken link is refused with its own reason while the other peer completes")
    struct Refusals {
        static let links: [BrokenLink] = [
            BrokenLink(name: "a server certificate from an unknown CA", breakIt: { folder in
                try TestBed.editConfiguration(folder, "pki/root-ca.pem", "pki/agencies-ca.pem")
            }, reason: "TLS: SSL certificate problem: unable to get local issuer certificate"),
            BrokenLink(name: "a wrong tls_pin", breakIt: { folder in
                try TestBed.editConfiguration(folder, "tls_pin: \"sha256//", "tls_pin: \"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\" # ")
            }, reason: "TLS: SSL: public key does not match pinned public key"),
            BrokenLink(name: "an expired server certificate", breakIt: { folder in
                try await TestBed.bed(["cert", folder.path, "bo-cong-an.lienthong.test", "intermediate-ca", "server", "-5"])
                try await TestBed.bed(["reload", folder.path, "bo-cong-an"])
            }, reason: "TLS: SSL certificate problem: certificate has expired"),
            BrokenLink(name: "a name mismatch", breakIt: { folder in
                try TestBed.editConfiguration(folder, "https://bo-cong-an.lienthong.test", "https://10.77.0.11")
            }, reason: "TLS: SSL: no alternative certificate subject name matches target host name '10.77.0.11'"),
            BrokenLink(name: "a server offering only TLS 1.1", breakIt: { folder in
                try await TestBed.editServerBlock(folder, "ssl_protocols TLSv1.2 TLSv1.3;", "ssl_protocols TLSv1.1; ssl_ciphers DEFAULT:@SECLEVEL=0;")
            }, reason: "alert protocol version", environment: ["OPENSSL_CONF=\(TestBed.permissiveOpenSSLConfiguration.path)"]),
            BrokenLink(name: "no client certificate", breakIt: { folder in
                let pki = folder.appending(path: "pki").path
                try TestBed.editConfiguration(
                    folder, "client_certificate: \(pki)/bo-y-te-client.pem\nclient_key: \(pki)/bo-y-te-client.key\n", "", peerOnly: false
                )
                try TestBed.editConfiguration(
                    folder, "  ubnd-ha-noi:\n", "  ubnd-ha-noi:\n    client_certificate: \(pki)/bo-y-te-client.pem\n    client_key: \(pki)/bo-y-te-client.key\n",
                    peerOnly: false
                )
            }, reason: "publisher answered 400; its TLS server may require a client certificate, and none is configured for this peer"),
            BrokenLink(name: "an expired client certificate", breakIt: { folder in
                try await TestBed.bed(["cert", folder.path, "expired-client", "agencies-ca", "client", "-5"])
                try TestBed.presentToBoCongAn(folder, certificate: "expired-client")
            }, reason: "our client certificate for bo-cong-an expired at"),
            BrokenLink(name: "a client certificate from a CA the server does not trust", breakIt: { folder in
                try await TestBed.bed(["cert", folder.path, "stranger-client", "intermediate-ca", "client", "30"])
                try TestBed.presentToBoCongAn(folder, certificate: "stranger-client")
            }, reason: "publisher answered 400; its TLS server may have refused our client certificate"),
        ]

        @Test("refused with its reason in sync's failure line and in status; ubnd-ha-noi completes", arguments: links)
        func refused(link: BrokenLink) async throws {
            try await TestBed.withBed { folder in
                let daemons = try ["bo-cong-an", "ubnd-ha-noi"].map { agency in
                    try TestBed.put(folder, agency, from: 1, count: 1)
                    return try TestBed.daemon(folder, agency)
                }
                defer { daemons.forEach { $0.send(SIGKILL) } }
                // Before breaking anything the link works: the reason below is the broken thing's, not the bed's.
                let healthy = try await TestBed.syncWhenPublishersAnswer(folder)
                try #require(healthy.status == 0, "\(healthy.standardError)")
                try await link.breakIt(folder)
                let outcome = try await TestBed.sync(folder, environment: link.environment)
                #expect(outcome.status == 3, "\(outcome.standardError)")
                let failure = outcome.standardError.split(separator: "\n").first { $0.hasPrefix("lienthong: bo-cong-an dan-cu: ") } ?? ""
                #expect(failure.contains(link.reason), "\(outcome.standardError)")
                let rows = outcome.standardOutputText.split(separator: "\n")
                // Nothing changed since the healthy sync, whose ETag the store kept: 304.
                #expect(rows.contains { $0.hasPrefix("ubnd-ha-noi") && $0.hasSuffix(" unchanged") }, "\(outcome.standardOutputText)")
                #expect(rows.contains { $0.hasPrefix("bo-cong-an") && $0.contains("failed") }, "\(outcome.standardOutputText)")
                let status = try CommandRunner.run(["status", "--config", TestBed.configuration(folder).path])
                let row = status.stdoutText.split(separator: "\n").first { $0.hasPrefix("bo-cong-an") } ?? ""
                #expect(row.contains(link.reason.prefix(60)), "\(status.stdoutText)")
            }
        }

        @Test("plain http to a host that is not loopback is refused by the configuration, before any transfer")
        func plainHTTP() async throws {
            try await TestBed.withBed { folder in
                try TestBed.editConfiguration(folder, "https://bo-cong-an.lienthong.test", "http://bo-cong-an.lienthong.test")
                let outcome = try await TestBed.sync(folder)
                #expect(outcome.status == 2, "\(outcome.standardError)")
                #expect(outcome.standardError.contains("peers.bo-cong-an.url"), "\(outcome.standardError)")
                #expect(outcome.standardError.contains("must use https"), "\(outcome.standardError)")
            }
        }
    }
}

extension TestBed {
    /// Every agency's export once all hold `records` records and agree (or after `within`, as they are).
    static func converged(_ folder: URL, records: Int, within: Duration = .seconds(60)) async throws -> [[String]] {
        let deadline = ContinuousClock.now + within
        while true {
            let exports = try agencies.map { try export(folder, $0) }
            if exports.allSatisfy({ $0.count == records }) && Set(exports).count == 1 || ContinuousClock.now > deadline { return exports }
            try await Task.sleep(for: .milliseconds(300))
        }
    }

    /// `agency`'s daemon, on its host.
    static func daemon(_ folder: URL, _ agency: String) throws -> DaemonProcess {
        try DaemonProcess(config: folder.appending(path: "\(agency)/lienthong.yaml").path, folder: folder, host: host(agency))
    }

    /// Waits until `agency` holds at least `count` records (at most 120 s), counted in its store directly.
    static func waitForRecords(_ folder: URL, _ agency: String, atLeast count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        let path = folder.appending(path: "\(agency)/store.sqlite").path
        func held() throws -> Int {
            guard FileManager.default.fileExists(atPath: path) else { return 0 }
            return try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM record") ?? 0 }
        }
        while try held() < count {
            try #require(ContinuousClock.now < deadline, "\(agency) did not reach \(count) records")
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// The pages `agency` applied from `peer`, from its audit log, in order.
    static func appliedPages(_ folder: URL, _ agency: String, from peer: String) throws -> [(after: Int64, last: Int64, applied: Int64, cursor: Int64)] {
        let store = try DatabaseQueue(path: folder.appending(path: "\(agency)/store.sqlite").path, configuration: {
            var configuration = Configuration()
            configuration.readonly = true
            return configuration
        }())
        return try store.read { db in
            try String.fetchAll(db, sql: "SELECT detail FROM audit_log WHERE event = 'page applied' AND peer = ? ORDER BY seq", arguments: [peer])
                .compactMap { text in
                    let detail = try JSONValue(parsing: Array(text.utf8))
                    guard let after = detail["after"]?.int64Value, let last = detail["last"]?.int64Value,
                        let applied = detail["applied"]?.int64Value, let cursor = detail["cursor"]?.int64Value, last > after
                    else { return nil }
                    return (after, last, applied, cursor)
                }
        }
    }

    /// Makes `count` local edits at `agency`, ids `agency-first`…
    static func put(_ folder: URL, _ agency: String, from first: Int, count: Int) throws {
        let lines = (first..<(first + count)).map { #"{"id":"\#(agency)-\#($0)","data":{"ho_ten":"Công dân \#($0)","noi_cap":"\#(agency)"}}"# }
        let input = folder.appending(path: "\(agency)/edits-\(first).jsonl")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: input)
        let put = try CommandRunner.run(["put", "--config", folder.appending(path: "\(agency)/lienthong.yaml").path, "--dataset", "dan-cu", input.path])
        try #require(put.status == 0, "\(put.stderr)")
    }

    /// The serial of a certificate in the bed's PKI, as nginx logs `$ssl_client_serial`.
    static func serial(_ folder: URL, _ name: String) async throws -> String {
        let outcome = try await runChild("/usr/bin/openssl", ["x509", "-noout", "-serial", "-in", folder.appending(path: "pki/\(name).pem").path])
        return String(outcome.standardOutputText.trimmingCharacters(in: .whitespacesAndNewlines).dropFirst("serial=".count))
    }

    /// The pin of a key in the bed's PKI, as `tls_pin` takes it.
    static func pin(_ folder: URL, key name: String) async throws -> String {
        let key = folder.appending(path: "pki/\(name).key").path
        let outcome = try await runChild("/bin/sh", ["-c", "openssl pkey -in \"$0\" -pubout -outform DER | openssl dgst -sha256 -binary | base64", key])
        return "sha256//" + outcome.standardOutputText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A system TLS policy that allows TLS 1.0 and every cipher: with it only lienthong's own floor refuses an
    /// old server (Debian's policy refuses it too, which would hide a missing floor).
    static let permissiveOpenSSLConfiguration: URL = {
        let url = FileManager.default.temporaryDirectory.appending(path: "lienthong-permissive-openssl.cnf")
        let text = "openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = permissive\n[permissive]\nMinProtocol = TLSv1\nCipherString = DEFAULT@SECLEVEL=0\n"
        try? Data(text.utf8).write(to: url)
        return url
    }()

    /// `sync` from bo-y-te, repeated until the publishers it pulls have started (at most 30 s).
    static func syncWhenPublishersAnswer(_ folder: URL) async throws -> ChildOutcome {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let outcome = try await sync(folder)
            if outcome.status == 0 || ContinuousClock.now > deadline { return outcome }
            try await Task.sleep(for: .milliseconds(300))
        }
    }
}

extension TestBedTests {
    /// One thing broken for bo-y-te, and the doctor line that must name it.
    struct DoctorRow: Sendable, CustomTestStringConvertible {
        let name: String
        /// Breaks it, given the bed's folder and the two publishers' daemons (bo-cong-an's first).
        let breakIt: @Sendable (URL, [DaemonProcess]) async throws -> Void
        /// The start of the line doctor must print for it.
        let line: String
        /// What doctor runs under, such as `faketime` to move its clock.
        var wrapper: [String] = []

        var testDescription: String { name }
    }

    @Suite("lienthong doctor on the bed: every check ok, then one broken thing per row")
    struct DoctorTests {
        static let rows: [DoctorRow] = [
            DoctorRow(name: "nothing broken", breakIt: { _, _ in }, line: "ok    peer ubnd-ha-noi grants: granted: dan-cu"),
            DoctorRow(name: "the signing key readable by others", breakIt: { folder, _ in
                try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: folder.appending(path: "bo-y-te/keys/bo-y-te.key.pem").path)
            }, line: "fail  signing key: refusing the private key"),
            DoctorRow(name: "an expired client certificate", breakIt: { folder, _ in
                try await TestBed.bed(["cert", folder.path, "expired-client", "agencies-ca", "client", "-5"])
                try TestBed.presentToBoCongAn(folder, certificate: "expired-client")
            }, line: "fail  client certificate: "),
            DoctorRow(name: "no client certificate for a peer that requires one", breakIt: { folder, _ in
                let pki = folder.appending(path: "pki").path
                try TestBed.editConfiguration(folder, "client_certificate: \(pki)/bo-y-te-client.pem\nclient_key: \(pki)/bo-y-te-client.key\n", "", peerOnly: false)
            }, line: "fail  peer bo-cong-an client certificate: the server answered 400: it requires a client certificate"),
            DoctorRow(name: "a name that does not resolve", breakIt: { folder, _ in
                try TestBed.editConfiguration(folder, "https://bo-cong-an.lienthong.test", "https://khong-co.lienthong.test")
            }, line: "fail  peer bo-cong-an DNS: khong-co.lienthong.test does not resolve"),
            DoctorRow(name: "nothing listening", breakIt: { folder, _ in
                try TestBed.editConfiguration(folder, "https://bo-cong-an.lienthong.test", "https://bo-cong-an.lienthong.test:8443")
            }, line: "fail  peer bo-cong-an TCP: cannot connect to bo-cong-an.lienthong.test:8443"),
            DoctorRow(name: "a wrong pin", breakIt: { folder, _ in
                try TestBed.editConfiguration(folder, "tls_pin: \"sha256//", "tls_pin: \"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\" # ")
            }, line: "fail  peer bo-cong-an TLS: the TLS handshake failed"),
            DoctorRow(name: "a server certificate expiring in 10 days", breakIt: { folder, _ in
                try await TestBed.bed(["cert", folder.path, "bo-cong-an.lienthong.test", "intermediate-ca", "server", "10"])
                try await TestBed.bed(["reload", folder.path, "bo-cong-an"])
                let pin = try await TestBed.pin(folder, key: "bo-cong-an.lienthong.test")
                let text = try String(contentsOf: TestBed.configuration(folder), encoding: .utf8)
                let old = try #require(text.split(separator: "\n").first { $0.contains("tls_pin") })
                try TestBed.editConfiguration(folder, String(old), "    tls_pin: \"\(pin)\"")
            }, line: "warn  peer bo-cong-an TLS: "),
            DoctorRow(name: "the publisher behind nginx stopped", breakIt: { _, daemons in
                daemons[0].send(SIGKILL)
                _ = try await daemons[0].waitForExit(.seconds(10))
            }, line: "fail  peer bo-cong-an health: /healthz answered 502"),
            DoctorRow(name: "a pulled dataset not granted", breakIt: { folder, daemons in
                let url = folder.appending(path: "bo-cong-an/lienthong.yaml")
                let text = try String(contentsOf: url, encoding: .utf8)
                let start = try #require(text.range(of: "  bo-y-te:\n"))
                let share = try #require(text.range(of: "    share: { dan-cu: {} }\n", range: start.upperBound..<text.endIndex))
                try Data(text.replacingCharacters(in: share, with: "    share: {}\n").utf8).write(to: url)
                daemons[0].send(SIGHUP)
                try await Task.sleep(for: .seconds(1))
            }, line: "fail  peer bo-cong-an grants: we pull dan-cu but it does not grant it to us"),
            DoctorRow(name: "our clock ten minutes ahead", breakIt: { _, _ in },
                      line: "fail  peer bo-cong-an clock: its clock differs from ours by -600 s", wrapper: ["/usr/bin/faketime", "-f", "+600s"]),
            DoctorRow(name: "a damaged store", breakIt: { folder, _ in
                let handle = try FileHandle(forWritingTo: folder.appending(path: "bo-y-te/store.sqlite"))
                try handle.seek(toOffset: 2 * 4096)
                try handle.write(contentsOf: Data(repeating: 0xAB, count: 3 * 4096))
                try handle.close()
            }, line: "fail  store: "),
            DoctorRow(name: "the store readable by every user", breakIt: { folder, _ in
                let store = folder.appending(path: "bo-y-te/store.sqlite").path
                try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.appending(path: "bo-y-te").path)
                try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: store)
            }, line: "fail  store access: every user may read"),
        ]

        @Test("doctor names the broken thing on its own line; exit 0 only when nothing fails", arguments: rows)
        func doctor(row: DoctorRow) async throws {
            try await TestBed.withBed { folder in
                let daemons = try ["bo-cong-an", "ubnd-ha-noi"].map { try TestBed.daemon(folder, $0) }
                defer { daemons.forEach { $0.send(SIGKILL) } }
                _ = try await TestBed.syncWhenPublishersAnswer(folder)
                try await row.breakIt(folder, daemons)
                let outcome = try await runChild("/usr/sbin/ip", ["netns", "exec", TestBed.host("bo-y-te")] + row.wrapper + [
                    CommandRunner.binary.path, "doctor", "--config", TestBed.configuration(folder).path,
                ])
                let lines = outcome.standardOutputText.split(separator: "\n")
                #expect(lines.contains { $0.hasPrefix(row.line) }, "\(outcome.standardOutputText)")
                let failed = lines.contains { $0.hasPrefix("fail") }
                #expect(outcome.status == (failed ? 1 : 0), "\(outcome.standardError)")
                #expect(failed == row.line.hasPrefix("fail"), "\(outcome.standardOutputText)")
                if row.name == "nothing broken" {
                    #expect(!lines.contains { $0.hasPrefix("warn") }, "\(outcome.standardOutputText)")
                    for check in ["DNS", "TCP", "TLS", "client certificate", "clock", "request token", "grants"] {
                        #expect(lines.contains { $0.hasPrefix("ok    peer bo-cong-an \(check):") }, "\(check): \(outcome.standardOutputText)")
                    }
                }
            }
        }
    }
}
