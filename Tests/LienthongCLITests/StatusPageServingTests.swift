import Foundation
import LienThongCore
import LienThongStore
import LienThongTestSupport
import Testing

private let boCongAn = try! AgencyID("bo-cong-an")
private let soTuPhap = try! AgencyID("so-tu-phap")
private let boYTe = try! AgencyID("bo-y-te")
private let danCu = try! DatasetName("dan-cu")
private let hoTich = try! DatasetName("ho-tich")

/// The programs the status page's tests drive: Debian's headless Chromium and python3-jsonschema.
enum StatusPageTools {
    static let chromium = "/usr/bin/chromium"
    static let python = "/usr/bin/python3"

    /// Why the page cannot be checked here, or nil when it can.
    static let missing: String? = {
        if !FileManager.default.isExecutableFile(atPath: chromium) { return "the status page test needs chromium (apt-get install chromium)" }
        if !FileManager.default.isExecutableFile(atPath: "/usr/bin/timeout") { return "the status page test needs timeout (coreutils)" }
        let probe = FileManager.default.temporaryDirectory.appending(path: "lt-jsonschema-probe-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: probe) }
        let found = FileManager.default.isExecutableFile(atPath: python)
            && (try? spawnAndWait([python, "-c", "import jsonschema"], standardOutput: probe, standardError: probe)) == 0
        return found ? nil : "the status page test needs python3-jsonschema (apt-get install python3-jsonschema)"
    }()

    /// In CI the page must be checked: there a missing tool is a failure, not a skip.
    static var runs: Bool { missing == nil || ProcessInfo.processInfo.environment["CI"] != nil }

    /// Where test artifacts go: `.build/test-artifacts` under the package, which git ignores.
    static let artifacts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appending(path: ".build/test-artifacts")

    /// Runs headless Chromium on `url` with `arguments`, at most 90 seconds, with a profile of its own removed after.
    static func chromium(_ arguments: [String], url: String) async throws -> ChildOutcome {
        if let missing { throw StatusPageToolError(description: missing) }
        let profile = FileManager.default.temporaryDirectory.appending(path: "lt-chromium-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: profile) }
        return try await runChild("/usr/bin/timeout", [
            "-k", "5", "90", chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--user-data-dir=\(profile.path)",
        ] + arguments + [url])
    }

    /// The problems python3-jsonschema finds in the JSON at `instance` against the draft 2020-12 schema at `schema`
    /// (the schema itself checked first); empty when it is valid.
    static func schemaProblems(schema: String, instance: String) async throws -> String {
        if let missing { throw StatusPageToolError(description: missing) }
        let script = """
            import json, sys
            from jsonschema import Draft202012Validator, FormatChecker
            schema = json.load(open(sys.argv[1]))
            Draft202012Validator.check_schema(schema)
            errors = list(Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(json.load(open(sys.argv[2]))))
            for error in errors: print(list(error.absolute_path), error.message)
            sys.exit(1 if errors else 0)
            """
        let outcome = try await runChild("/usr/bin/timeout", ["-k", "5", "60", python, "-c", script, schema, instance])
        return outcome.status == 0 ? "" : "exit \(outcome.status): \(outcome.standardOutputText)\(outcome.standardError)"
    }
}

struct StatusPageToolError: Error, CustomStringConvertible {
    let description: String
}

@Suite("The daemon's status page, in headless Chromium", .serialized)
struct StatusPageServingTests {
    static let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appending(path: "docs")

    @Test(
        "one healthy peer, one whose pages fail their signature, one that answers with markup: the page shows each, in words, escaped",
        .enabled(if: StatusPageTools.runs, Comment(rawValue: StatusPageTools.missing ?? ""))
    )
    func healthyAndFailingPeers() async throws {
        let scratch = try ScratchFolder()
        try scratch.makeKeys(for: ["bo-y-te", "bo-cong-an", "so-tu-phap", "ubnd-ha-noi"])
        let keys = scratch.url.appending(path: "keys")
        let healthy = try InTestAgency(boCongAn, keys: keys, store: scratch.url.appending(path: "bo-cong-an.sqlite"), sharing: danCu, with: boYTe)
        try await healthy.seed(danCu, count: 40, prefix: "cd")
        // so-tu-phap signs its pages with its own key; bo-y-te is configured with another one for it.
        let wrongKey = try InTestAgency(soTuPhap, keys: keys, store: scratch.url.appending(path: "so-tu-phap.sqlite"), sharing: hoTich, with: boYTe)
        try await wrongKey.seed(hoTich, count: 3, prefix: "ht")
        // ubnd-ha-noi refuses with an error code that is markup: the page must show it as text.
        let hostile = try LoopbackServer { _ in
            .response(status: 503, headers: [("Content-Type", "application/json")], body: Array(#"{"error":"<script>alert(1)</script>"}"#.utf8))
        }
        let config = scratch.path("lienthong.yaml")

        try await healthy.publisher.serving { healthyPort in
            try await wrongKey.publisher.serving { wrongKeyPort in
                try """
                    agency: bo-y-te
                    store: state/store.sqlite
                    signing_key: keys/bo-y-te.key.pem
                    listen: "127.0.0.1:0"
                    admin_listen: "127.0.0.1:0"
                    datasets:
                      dan-cu: { policy: authority, owner: bo-cong-an }
                      ho-tich: { policy: lww }
                      khai-sinh: { policy: lww }
                    peers:
                      bo-cong-an: { url: "http://127.0.0.1:\(healthyPort)", keys: [keys/bo-cong-an.pub.pem], pull: [dan-cu], interval_seconds: 1 }
                      so-tu-phap: { url: "http://127.0.0.1:\(wrongKeyPort)", keys: [keys/ubnd-ha-noi.pub.pem], pull: [ho-tich], interval_seconds: 1 }
                      ubnd-ha-noi: { url: "\(hostile.url)", keys: [keys/ubnd-ha-noi.pub.pem], pull: [khai-sinh], interval_seconds: 1 }
                    """.write(toFile: config, atomically: true, encoding: .utf8)
                // The daemon speaks Vietnamese; ?lang=en asks for English.
                let daemon = try DaemonProcess(config: config, folder: scratch.url, extraArguments: ["--lang", "vi"])
                defer { daemon.killIfRunning() }
                let adminPort = try #require(try await Self.port(in: daemon, after: "status page ready admin_listen=127.0.0.1:"), "log: \(daemon.log)")
                let publisherPort = try #require(try await Self.port(in: daemon, after: " listen=127.0.0.1:"), "log: \(daemon.log)")
                #expect(adminPort != publisherPort)

                // Bounded wait until each peer has been tried: bo-cong-an caught up, the other two failed for their reasons.
                var json = JSONValue.null
                var body: [UInt8] = []
                let deadline = ContinuousClock.now + .seconds(60)
                while ContinuousClock.now < deadline {
                    let reply = try await httpGet(port: adminPort, target: "/status.json?lang=en")
                    try #require(reply.status == 200, "\(reply.text)")
                    body = reply.body
                    json = try JSONValue(parsing: body)
                    if Self.feed(json, "bo-cong-an")?["cursor"] == .integer(40),
                        Self.feed(json, "so-tu-phap")?["last_error"]?["reason"] == .string("signature"),
                        Self.feed(json, "ubnd-ha-noi")?["last_error"]?["reason"] == .string("status")
                    {
                        break
                    }
                    try await Task.sleep(for: .milliseconds(200))
                }
                let good = try #require(Self.feed(json, "bo-cong-an"), "\(json.displayText)")
                #expect(good["healthy"] == .bool(true) && good["lag_records"] == .integer(0) && good["last_error"] == .null, "\(good.displayText)")
                #expect(good["last_success"]?.stringValue != nil)
                let bad = try #require(Self.feed(json, "so-tu-phap"))
                #expect(bad["healthy"] == .bool(false) && bad["last_error"]?["reason"] == .string("signature"), "\(bad.displayText)\n\(daemon.log)")
                #expect(bad["last_error"]?["reason_text"] == .string(localized("status.reason.signature", in: .english)))
                #expect(bad["backoff"]?["seconds"]?.int64Value != nil, "\(bad.displayText)")
                #expect(Self.feed(json, "ubnd-ha-noi")?["last_error"]?["http_status"] == .integer(503))
                #expect(json["datasets"]?.arrayValue?.first { $0["dataset"] == .string("dan-cu") }?["records"] == .integer(40))
                #expect((json["applied_per_minute"]?["total"]?.int64Value ?? 0) >= 40, "\(json.displayText)")
                #expect(json["keys"]?["peers"]?.arrayValue?.count == 3)
                // so-tu-phap's refused pages are in quarantine, counted under its name and the page check.
                let refused = json["quarantined_without_dataset"]?["by_reason"]?.arrayValue ?? []
                #expect(refused.contains { $0["peer"] == .string("so-tu-phap") && $0["reason"] == .string("page: signature") }, "\(json.displayText)")
                #expect(json["build"]?.stringValue?.hasPrefix("lienthong ") == true)

                // /status.json against its documented schema, by python3-jsonschema.
                let instance = scratch.path("status.json")
                try Data(body).write(to: URL(fileURLWithPath: instance))
                let problems = try await StatusPageTools.schemaProblems(schema: Self.docs.appending(path: "status.schema.json").path, instance: instance)
                #expect(problems.isEmpty, "\(problems)\n\(json.displayText)")

                // The HTML page's headers: nothing external may load; not cached; no referrer.
                let page = try await httpGet(port: adminPort, target: "/?lang=en")
                #expect(page.status == 200)
                #expect(page.headers["content-type"] == "text/html; charset=utf-8")
                #expect(page.headers["content-security-policy"]?.hasPrefix("default-src 'none'; style-src 'unsafe-inline'; img-src data:") == true)
                #expect(page.headers["x-content-type-options"] == "nosniff")
                #expect(page.headers["cache-control"] == "no-store")
                #expect(page.headers["referrer-policy"] == "no-referrer")
                #expect(try await httpGet(port: adminPort, target: "/other").status == 404)

                // The publisher's port, which faces the peers, serves no status page.
                for target in ["/", "/status.json", "/?lang=en"] {
                    let reply = try await httpGet(port: publisherPort, target: target)
                    #expect(reply.status == 404, "\(target): \(reply.status) \(reply.text)")
                    #expect(!reply.text.contains("so-tu-phap"))
                }

                // The page as a browser without JavaScript shows it, in English.
                let english = try await StatusPageTools.chromium(["--dump-dom"], url: "http://127.0.0.1:\(adminPort)/?lang=en")
                let dom = english.standardOutputText
                #expect(english.status == 0, "\(english.standardError)")
                #expect(dom.contains("bo-cong-an") && dom.contains("so-tu-phap") && dom.contains("ubnd-ha-noi"), "\(dom)")
                #expect(dom.contains(localized("status.reason.signature", in: .english)), "\(dom)")
                #expect(dom.contains(localized("status.reason.status", ["status": "503"], in: .english)), "\(dom)")
                // The peer's markup arrives as text: escaped in the DOM, no script element anywhere.
                #expect(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(dom)")
                #expect(!dom.contains("<script"))
                #expect(dom.contains("<svg") && dom.contains("chart-title"))

                // Without ?lang, in the daemon's language: Vietnamese.
                let vietnamese = try await StatusPageTools.chromium(["--dump-dom"], url: "http://127.0.0.1:\(adminPort)/")
                #expect(vietnamese.standardOutputText.contains("<html lang=\"vi\">"), "\(vietnamese.standardOutputText)")
                #expect(vietnamese.standardOutputText.contains(localized("status.reason.signature", in: .vietnamese)))
                #expect(vietnamese.standardOutputText.contains("Cơ quan đối tác"))

                // Screenshots, kept as test artifacts.
                try FileManager.default.createDirectory(at: StatusPageTools.artifacts, withIntermediateDirectories: true)
                for (name, query) in [("status-page.png", "?lang=en"), ("status-page.vi.png", "")] {
                    let file = StatusPageTools.artifacts.appending(path: name)
                    try? FileManager.default.removeItem(at: file)
                    let shot = try await StatusPageTools.chromium(
                        ["--screenshot=\(file.path)", "--window-size=1280,1000", "--hide-scrollbars"], url: "http://127.0.0.1:\(adminPort)/\(query)"
                    )
                    #expect(shot.status == 0, "\(shot.standardError)")
                    let png = try Data(contentsOf: file)
                    #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "not a PNG")
                    #expect(png.count > 20_000, "\(png.count) bytes: a blank page?")
                    print("status page screenshot: \(file.path) (\(png.count) bytes)")
                }

                daemon.send(SIGTERM)
                #expect(try await daemon.waitForExit(.seconds(10)) == 0, "log: \(daemon.log)")
                #expect(!daemon.log.contains("Nguyễn"))
            }
        }
    }

    static func feed(_ json: JSONValue, _ peer: String) -> JSONValue? {
        json["feeds"]?.arrayValue?.first { $0["peer"] == .string(peer) }
    }

    /// The port written after `prefix` in the daemon's log, waiting for it at most 30 seconds.
    static func port(in daemon: DaemonProcess, after prefix: String) async throws -> Int? {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let range = daemon.log.range(of: prefix) {
                let digits = daemon.log[range.upperBound...].prefix { $0.isNumber }
                if !digits.isEmpty { return Int(digits) }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }
}
