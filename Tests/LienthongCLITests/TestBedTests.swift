import Foundation
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

@Suite("The test bed: three hosts, nginx with mutual TLS", .serialized, .enabled(if: TestBed.runs, "\(TestBed.missing ?? "")"))
struct TestBedTests {
    @Test("three daemons pull each other through nginx over mutual TLS, with ca_file and tls_pin, and the stores converge")
    func convergeOverMutualTLS() async throws {
        try await TestBed.withBed { folder in
            for agency in TestBed.agencies {
                let lines = (1...100).map { #"{"id":"\#(agency)-\#($0)","data":{"ho_ten":"Công dân \#($0)","noi_cap":"\#(agency)"}}"# }
                let input = folder.appending(path: "\(agency)/edits.jsonl")
                try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: input)
                let put = try CommandRunner.run(["put", "--config", folder.appending(path: "\(agency)/lienthong.yaml").path, "--dataset", "dan-cu", input.path])
                #expect(put.status == 0, "\(put.stderr)")
            }
            let daemons = try TestBed.agencies.map { agency in
                try DaemonProcess(config: folder.appending(path: "\(agency)/lienthong.yaml").path, folder: folder, host: TestBed.host(agency))
            }
            defer { daemons.forEach { $0.send(SIGKILL) } }
            let deadline = ContinuousClock.now + .seconds(60)
            var exports: [[String]] = []
            while ContinuousClock.now < deadline {
                exports = try TestBed.agencies.map { try TestBed.export(folder, $0) }
                if exports.allSatisfy({ $0.count == 300 }), Set(exports).count == 1 { break }
                try await Task.sleep(for: .milliseconds(500))
            }
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
}
