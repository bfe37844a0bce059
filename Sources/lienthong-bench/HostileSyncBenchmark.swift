import ArgumentParser
import Foundation
import LienThongCore
import LienThongFeed
import LienThongMerge
import LienThongSigning
import LienThongTestSupport

/// The peak memory of a one-shot `lienthong sync` (the binary, in a child process) against a hostile peer
/// (issue 9 rows 5, 7, 8 and 9), beside the same command against an honest peer in the same run.
struct HostileSyncBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hostile-sync",
        abstract: "Run `lienthong sync` against peers that misbehave on purpose; report each run's peak resident memory."
    )

    @Option(help: "Pages each peer serves.") var pages = 200

    /// A peer, as the pages it serves for each `after`.
    enum Peer: String, CaseIterable {
        case honest = "honest: 100 records of 200 bytes a page"
        case paddedFarHead = "1-record pages padded to 200 KB, head 10^12 until the last page"
        case largestPages = "pages of 5 records of 1 MB, as `limit` allows (pages near the 8 MiB bound)"
        case paddedLargestFarHead = "pages of 5 records of 1 MB, head 10^12 until the last page"
        case badBody40 = "a 40 MB body with a bad signature, every request"
        case badBody400 = "a 400 MB body with a bad signature, every request"
    }

    static let badBody40 = Array(repeating: UInt8(ascii: "A"), count: 40_000_000)
    static let badBody400 = Array(repeating: UInt8(ascii: "A"), count: 400_000_000)

    static let publisher = try! AgencyID("bo-cong-an")
    static let puller = try! AgencyID("bo-y-te")
    static let dataset = try! DatasetName("dan-cu")

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-hostile-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let publisherKey = try PrivateKey.generate(.ed25519)
        try AgencyKeyFiles(agency: Self.puller, directory: folder.appending(path: "keys")).writeNew(try PrivateKey.generate(.ed25519))
        try publisherKey.publicKey.pemText.write(to: folder.appending(path: "keys/bo-cong-an.pub.pem"), atomically: true, encoding: .utf8)
        let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appending(path: "lienthong")

        print("`lienthong sync` against one peer serving \(pages) pages (peak resident memory of the sync process)")
        print("peer | exit | seconds | peak MB | × honest")
        print("---|---|---|---|---")
        var honestPeak: Double?
        for peer in Peer.allCases {
            let pageCount = pages
            let server = try LoopbackServer { request in Self.reply(peer, to: request, pages: pageCount, key: publisherKey) }
            defer { server.stop() }
            let run = folder.appending(path: "\(peer)")
            try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
            let config = run.appending(path: "lienthong.yaml")
            try """
                agency: bo-y-te
                store: store.sqlite
                signing_key: ../keys/bo-y-te.key.pem
                datasets:
                  dan-cu: { policy: lww }
                peers:
                  bo-cong-an: { url: "\(server.url)", keys: [../keys/bo-cong-an.pub.pem], pull: [dan-cu] }
                """.write(to: config, atomically: true, encoding: .utf8)
            let outcome = try await TimedChild.run(binary, ["sync", "--config", config.path, "--attempts", "1"], log: run.appending(path: "sync.log"))
            let peak = Double(outcome.peakResidentKiB) / 1024
            if peer == .honest { honestPeak = peak }
            let ratio = honestPeak.map { String(format: "%.1f", peak / $0) } ?? "-"
            print(String(format: "%@ | %d | %.1f | %.0f | %@", peer.rawValue, outcome.status, outcome.seconds, peak, ratio))
        }
    }

    /// The page `peer` serves for the request, or its bad body.
    static func reply(_ peer: Peer, to request: LoopbackServer.Request, pages: Int, key: PrivateKey) -> LoopbackServer.Reply {
        if request.target.hasPrefix("/v1/datasets") {
            let list = JSONValue.object(["datasets": .array([.object(["name": .string(dataset.rawValue), "head": .integer(0)])])])
            return .response(status: 200, headers: [("Content-Type", "application/json")], body: list.serialized())
        }
        let query = request.target.split(separator: "?").last?.split(separator: "&") ?? []
        let after = query.first { $0.hasPrefix("after=") }.flatMap { Int64($0.dropFirst(6)) } ?? 0
        let limit = query.first { $0.hasPrefix("limit=") }.flatMap { Int64($0.dropFirst(6)) } ?? 1000
        var perPage: Int64
        let padding: Int
        let head: Int64
        switch peer {
        case .honest:
            (perPage, padding) = (100, 200)
            head = Int64(pages) * perPage
        case .paddedFarHead:
            (perPage, padding) = (1, 200_000)
            head = after + 1 < Int64(pages) ? 1_000_000_000_000 : Int64(pages)
        case .largestPages:
            (perPage, padding) = (5, 1_000_000)
            head = Int64(pages) * perPage
        case .paddedLargestFarHead:
            (perPage, padding) = (5, 1_000_000)
            head = after + perPage < Int64(pages) * perPage ? 1_000_000_000_000 : Int64(pages) * perPage
        case .badBody40:
            return .response(status: 200, headers: [("Content-Type", "application/jose")], body: badBody40)
        case .badBody400:
            return .response(status: 200, headers: [("Content-Type", "application/jose")], body: badBody400)
        }
        perPage = min(perPage, max(1, limit))
        let last = min(after + perPage, head)
        let now = Int64(Date().timeIntervalSince1970)
        let filler = String(repeating: "x", count: padding)
        let records = (after < last ? Array(after + 1...last) : []).map { seq in
            (seq: seq, version: RecordVersion(
                dataset: dataset, id: "r-\(seq)", origin: publisher, hlc: HybridTimestamp(milliseconds: (now - 60) * 1000, counter: 0),
                vv: VersionVector([publisher: 1]), deleted: false, data: .object(["filler": .string(filler)])
            ).json)
        }
        let payload = FeedPage.payload(
            publisher: publisher, audience: puller, dataset: dataset, after: after, head: head, issuedAt: now, expiresAt: now + 300, records: records
        )
        guard let page = try? JWSSigner(key: key).sign(payload: payload.serialized(), type: FeedPage.type) else {
            return .response(status: 500, headers: [], body: [])
        }
        return .response(status: 200, headers: [("Content-Type", "application/jose")], body: Array(page.utf8))
    }
}

/// A child process run to its end under GNU time, for its peak resident memory. The process's own `wait4`
/// figure would not do: a child spawned with `posix_spawn` shares this process's memory until it execs, and
/// Linux counts that in the child's peak.
enum TimedChild {
    struct Outcome {
        let status: Int32
        let seconds: Double
        let peakResidentKiB: Int
    }

    static let time = URL(fileURLWithPath: "/usr/bin/time")

    /// Runs `executable` with `arguments` to its end, writes its stdout and stderr to `log`, and reads its peak.
    static func run(_ executable: URL, _ arguments: [String], log: URL) async throws -> Outcome {
        guard FileManager.default.isExecutableFile(atPath: time.path) else {
            throw BenchmarkFailure(description: "\(time.path) is missing: install Debian's time package")
        }
        let figures = log.deletingPathExtension().appendingPathExtension("rss")
        let start = ContinuousClock.now
        let child = try await runChild(time.path, ["-f", "%M", "-o", figures.path, executable.path] + arguments)
        let elapsed = ContinuousClock.now - start
        try Data(child.standardOutput + Array(child.standardError.utf8)).write(to: log)
        let text = try String(contentsOf: figures, encoding: .utf8)
        guard let kibibytes = text.split(separator: "\n").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) else {
            throw BenchmarkFailure(description: "GNU time wrote no peak memory: \(text)")
        }
        return Outcome(
            status: child.status, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
            peakResidentKiB: kibibytes
        )
    }
}
