import ArgumentParser
import Foundation
import LienThongCore
import LienThongFeed
import LienThongHTTP
import LienThongSigning
import LienThongTestSupport

/// The cost of holding requests (issue 15): one `lienthong daemon` publishing four empty datasets to
/// `--agencies` agencies holds `--requests` long polls from them (four per agency at most, its default
/// bound), each renewed as soon as it is answered — a `304` after `wait_max`, as lienthong's puller gets —
/// for `--seconds`. Reports the daemon's CPU time (from /proc) over the window and its resident memory.
struct HeldRequestsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "held",
        abstract: "Hold N long polls from M agencies at one daemon for a while; its CPU and resident memory."
    )

    @Option(help: "Held requests in all.") var requests = 1000
    @Option(help: "Requesting agencies (at most four requests each).") var agencies = 250
    @Option(help: "Seconds to measure.") var seconds = 600
    @Option(help: "The publisher's wait_max, each request's wait.") var wait = 25
    @Option(help: "The lienthong binary the daemon runs (default: the one built beside this benchmark).") var lienthong: String?
    @Option(help: "Append the figures as JSON lines to this file.") var results: String?

    func run() async throws {
        guard requests <= agencies * 4 else { throw BenchmarkFailure(description: "at most four requests per agency: raise --agencies") }
        let binary = try lienthongBinary(lienthong)
        let folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-held-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let publisher = try AgencyID("bo-cong-an")
        let publisherKey = try PrivateKey.generate(.ed25519)
        try CreatedFile.create(atPath: folder.appending(path: "bo-cong-an.key.pem").path, mode: CreatedFile.ownerOnly)
        try publisherKey.pemText().write(to: folder.appending(path: "bo-cong-an.key.pem"), atomically: false, encoding: .utf8)
        let datasets = ["ds-1", "ds-2", "ds-3", "ds-4"]
        var signers: [RequestTokenSigner] = []
        var peers: [String] = []
        for index in 0..<agencies {
            let key = try PrivateKey.generate(.ed25519)
            try key.publicKey.pemText.write(to: folder.appending(path: "a\(index).pub.pem"), atomically: true, encoding: .utf8)
            signers.append(RequestTokenSigner(agency: try AgencyID("a\(index)"), key: key))
            peers.append("""
                  a\(index):
                    url: "http://127.0.0.1:1"
                    keys: [a\(index).pub.pem]
                    share: { \(datasets.map { "\($0): {}" }.joined(separator: ", ")) }
                """)
        }
        let port = try freeLoopbackPort()
        try """
            agency: bo-cong-an
            store: store.sqlite
            signing_key: bo-cong-an.key.pem
            listen: "127.0.0.1:\(port)"
            connections: { max: \(requests + 100), per_address: \(requests + 100) }
            long_poll: { wait_max_seconds: \(wait), held_per_peer: 4, held_max: 10000 }
            datasets:
            \(datasets.map { "  \($0): { policy: lww }" }.joined(separator: "\n"))
            peers:
            \(peers.joined(separator: "\n"))

            """.write(to: folder.appending(path: "lienthong.yaml"), atomically: true, encoding: .utf8)
        let daemon = try startDaemon(binary, config: folder.appending(path: "lienthong.yaml"))
        defer { stopDaemon(daemon) }
        let client = runningForTheProcess(try HTTPClient())
        let ready = ContinuousClock.now
        while (try? await client.get(HTTPRequest(url: "http://127.0.0.1:\(port)/healthz", headers: [], options: TransferOptions())))?.status != 200 {
            guard ContinuousClock.now - ready < .seconds(30) else { throw BenchmarkFailure(description: "the daemon did not start") }
            try await Task.sleep(for: .milliseconds(100))
        }
        let pollers = (0..<requests).map { (signer: signers[$0 / 4], dataset: datasets[$0 % 4]) }
        print("\(requests) long polls (wait \(wait) s, renewed when answered) from \(agencies) agencies at one lienthong daemon for \(seconds) s")
        let wait = wait
        let options = {
            var options = TransferOptions()
            options.totalTimeout = .seconds(Int64(wait) + 120)
            options.lowSpeedTime = .seconds(Int64(wait) + 20)
            return options
        }()
        // Each poller's first answer, an empty page, gives the tag its long polls send.
        let tags = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (index, poller) in pollers.enumerated() {
                group.addTask {
                    let response = try await Self.get(client, port: port, publisher: publisher, poller, query: "after=0", tag: nil, options: options)
                    guard response.status == 200, let tag = response.header("ETag") else { throw BenchmarkFailure(description: "first request: \(response.status)") }
                    return (index, tag)
                }
            }
            return try await group.reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
        }
        let before = try Self.processFigures(daemon.processIdentifier)
        let deadline = ContinuousClock.now + .seconds(seconds)
        let counts = try await withThrowingTaskGroup(of: [Int: Int].self) { group in
            for (index, poller) in pollers.enumerated() {
                group.addTask {
                    var statuses: [Int: Int] = [:]
                    // Spread the first long polls over one wait, as pullers that started apart would be.
                    try await Task.sleep(for: .milliseconds(index * wait * 1000 / max(pollers.count, 1)))
                    while ContinuousClock.now < deadline {
                        let response = try await Self.get(client, port: port, publisher: publisher, poller, query: "after=0&wait=\(wait)", tag: tags[index], options: options)
                        statuses[response.status, default: 0] += 1
                    }
                    return statuses
                }
            }
            return try await group.reduce(into: [Int: Int]()) { total, statuses in total.merge(statuses, uniquingKeysWith: +) }
        }
        let after = try Self.processFigures(daemon.processIdentifier)
        let cpu = after.cpuSeconds - before.cpuSeconds
        print(String(format: "answers: %@; daemon CPU %.1f s in %d s = %.3f%% of one core; resident %.1f MB now, %.1f MB at most",
                     counts.sorted { $0.key < $1.key }.map { "\($0.value) × \($0.key)" }.joined(separator: ", "), cpu, seconds,
                     cpu * 100 / Double(seconds), after.residentMegabytes, after.peakResidentMegabytes))
        try keep(.object([
            "benchmark": .string("held"), "requests": .integer(Int64(requests)), "agencies": .integer(Int64(agencies)), "seconds": .integer(Int64(seconds)),
            "cpu_percent_of_core": .number(String(format: "%.3f", cpu * 100 / Double(seconds))),
            "rss_mb": .number(String(format: "%.1f", after.residentMegabytes)), "peak_rss_mb": .number(String(format: "%.1f", after.peakResidentMegabytes)),
            "at": .integer(SystemClock().now.seconds),
        ]), in: results)
    }

    private static func get(
        _ client: HTTPClient, port: Int, publisher: AgencyID, _ poller: (signer: RequestTokenSigner, dataset: String), query: String, tag: String?,
        options: TransferOptions
    ) async throws -> HTTPResponse {
        let target = "/v1/feeds/\(poller.dataset)?\(query)"
        let token = try poller.signer.token(audience: publisher, pathAndQuery: target, now: SystemClock().now)
        var headers = [(name: "Authorization", value: "Bearer \(token)")]
        if let tag { headers.append((name: "If-None-Match", value: tag)) }
        return try await client.get(HTTPRequest(url: "http://127.0.0.1:\(port)\(target)", headers: headers, options: options))
    }

    /// A process's CPU time so far (user and system, from /proc/PID/stat) and resident memory now and at most.
    private static func processFigures(_ pid: Int32) throws -> (cpuSeconds: Double, residentMegabytes: Double, peakResidentMegabytes: Double) {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // The fields after the command's closing parenthesis: state is field 3, utime 14 and stime 15.
        let fields = stat[stat.index(after: stat.lastIndex(of: ")") ?? stat.startIndex)...].split(separator: " ")
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let cpu = (Double(fields[11]) ?? 0) / ticks + (Double(fields[12]) ?? 0) / ticks
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        func kilobytes(_ name: String) -> Double {
            status.split(separator: "\n").first { $0.hasPrefix(name) }.flatMap { Double($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") } ?? 0
        }
        return (cpu, kilobytes("VmRSS:") / 1024, kilobytes("VmHWM:") / 1024)
    }
}
