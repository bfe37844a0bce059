import ArgumentParser
import Foundation
import LienThongCore
import LienThongTestSupport

/// `lienthong put` of N JSON lines, the real command in a child process under GNU time: its rate and its
/// peak resident memory.
struct PutBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put",
        abstract: "Run `lienthong put` on N JSON lines of local edits; report records/s and the command's peak memory."
    )

    @Option(help: "Lines of local edits.") var records = 1_000_000
    @Option(help: "Append the figures as one JSON line to this file.") var results: String?

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "lienthong-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appending(path: "lienthong")
        let keygen = try await runChild(binary.path, ["keygen", "--agency", "bo-y-te", "--out", folder.appending(path: "keys").path])
        guard keygen.status == 0 else { throw BenchmarkFailure(description: "keygen failed: \(keygen.standardError)") }
        let config = folder.appending(path: "lienthong.yaml")
        try """
            agency: bo-y-te
            store: store.sqlite
            signing_key: keys/bo-y-te.key.pem
            datasets:
              dan-cu: { policy: lww }

            """.write(to: config, atomically: true, encoding: .utf8)
        let lines = folder.appending(path: "edits.jsonl")
        FileManager.default.createFile(atPath: lines.path, contents: nil)
        let handle = try FileHandle(forWritingTo: lines)
        var chunk: [UInt8] = []
        for index in 0..<records {
            chunk += JSONValue.object(["id": .string("cd-\(index)"), "data": StoreBenchmark.data(index)]).serialized()
            chunk.append(0x0A)
            if chunk.count > 1 << 20 {
                try handle.write(contentsOf: Data(chunk))
                chunk.removeAll(keepingCapacity: true)
            }
        }
        try handle.write(contentsOf: Data(chunk))
        try handle.close()
        let size = try FileManager.default.attributesOfItem(atPath: lines.path)[.size] as? Int ?? 0
        print("`lienthong put` of \(records) lines (\(size / 1_000_000) MB)")
        let outcome = try await TimedChild.run(
            binary, ["put", "--config", config.path, "--dataset", "dan-cu", lines.path], log: folder.appending(path: "put.log")
        )
        guard outcome.status == 0 else {
            throw BenchmarkFailure(description: "put exited \(outcome.status): \((try? String(contentsOf: folder.appending(path: "put.log"), encoding: .utf8)) ?? "")")
        }
        let rate = Double(records) / outcome.seconds
        print(String(format: "put                   %10.0f records/s  (%.1f s)", rate, outcome.seconds))
        print(String(format: "peak memory           %10.0f MB (resident, the put process)", Double(outcome.peakResidentKiB) / 1024))
        try keep(.object([
            "benchmark": .string("put"), "versions": .integer(Int64(records)), "input_bytes": .integer(Int64(size)),
            "records_per_second": .number(String(format: "%.0f", rate)),
            "peak_rss_mb": .number(String(format: "%.0f", Double(outcome.peakResidentKiB) / 1024)), "at": .integer(SystemClock().now.seconds),
        ]), in: results)
    }
}
