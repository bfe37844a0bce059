import ArgumentParser
import Foundation
import GRDB
import LienThongTestSupport

/// Another program of the agency reading the store while lienthong writes: one process looking records up by
/// id, chosen at random, through `visible_records`, read-only, each lookup its own read transaction, with no
/// busy timeout (a lock would count as an error). It prints `LOOKUPS n HITS h SECONDS s ERRORS e` at the end.
struct PointReads: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "point-reads", shouldDisplay: false)

    @Option var store: String
    @Option var ids: Int
    @Option var seed: UInt64
    @Option(help: "Stop after this many seconds…") var seconds: Double?
    @Option(help: "…or once this file exists.") var stopFile: String?
    @Option(help: "Lookups per second at most (0: as fast as it can), as a program serving its own users would.") var rate = 0

    func run() throws {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: store, configuration: configuration)
        var generator = SeededGenerator(seed: seed)
        let start = ContinuousClock.now
        var lookups = 0
        var hits = 0
        var errors = 0
        try queue.inDatabase { db in
            let statement = try db.makeStatement(sql: "SELECT data FROM visible_records WHERE dataset = 'dan-cu' AND id = ?")
            while true {
                do {
                    if try String.fetchOne(statement, arguments: ["cd-\(generator.next() % UInt64(ids))"]) != nil { hits += 1 }
                } catch {
                    errors += 1
                }
                lookups += 1
                if rate > 0, lookups % 16 == 0 {
                    let due = start + .seconds(Double(lookups) / Double(rate))
                    if ContinuousClock.now < due { Thread.sleep(forTimeInterval: Double((due - ContinuousClock.now).components.attoseconds) / 1e18) }
                }
                guard lookups % 256 == 0 else { continue }
                if let seconds, (ContinuousClock.now - start) >= .seconds(seconds) { break }
                if let stopFile, FileManager.default.fileExists(atPath: stopFile) { break }
            }
        }
        let elapsed = ContinuousClock.now - start
        let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("LOOKUPS \(lookups) HITS \(hits) SECONDS \(elapsedSeconds) ERRORS \(errors)")
    }
}

/// Reader processes (``PointReads``) running beside a benchmark, started at nice `niceness`, stopped together.
final class ReaderProcesses {
    private let processes: [Process]
    private let outputs: [URL]
    private let stopFile: URL

    /// The lookups per second of each reader, and in all their errors and hits.
    struct Figures: Sendable {
        let lookupsPerSecond: [Double]
        let hitShare: Double
        let errors: Int
    }

    init(count: Int, store: URL, ids: Int, niceness: Int, rate: Int = 0, seconds: Double? = nil, in folder: URL) throws {
        stopFile = folder.appending(path: "readers-stop-\(UUID().uuidString.prefix(8))")
        var processes: [Process] = []
        var outputs: [URL] = []
        for index in 0..<count {
            let output = folder.appending(path: "reader-\(UUID().uuidString.prefix(8))-\(index).out")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/nice")
            process.arguments = ["-n", String(niceness), URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path, "point-reads",
                                 "--store", store.path, "--ids", String(ids), "--seed", String(index + 1), "--rate", String(rate)]
                + (seconds.map { ["--seconds", String($0)] } ?? ["--stop-file", stopFile.path])
            process.standardOutput = try FileHandle(forWritingTo: output)
            try process.run()
            processes.append(process)
            outputs.append(output)
        }
        self.processes = processes
        self.outputs = outputs
    }

    /// Tells the readers to stop (those running until told), waits for them and reads what they measured.
    func stop() throws -> Figures {
        FileManager.default.createFile(atPath: stopFile.path, contents: nil)
        var rates: [Double] = []
        var lookups = 0
        var hits = 0
        var errors = 0
        for (process, output) in zip(processes, outputs) {
            process.waitUntilExit()
            let words = (try String(contentsOf: output, encoding: .utf8)).split(whereSeparator: \.isWhitespace)
            guard words.count == 8, let count = Int(words[1]), let found = Int(words[3]), let seconds = Double(words[5]), let failed = Int(words[7]) else {
                throw BenchmarkFailure(description: "a reader did not report: \(words.joined(separator: " "))")
            }
            rates.append(Double(count) / seconds)
            lookups += count
            hits += found
            errors += failed
        }
        return Figures(lookupsPerSecond: rates, hitShare: Double(hits) / Double(max(lookups, 1)), errors: errors)
    }
}
