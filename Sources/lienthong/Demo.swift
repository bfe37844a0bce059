import ArgumentParser
import Foundation
import LienThongDemo

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run three agencies on this machine, exchange signed feeds, and show what happens.",
        discussion: """
            Needs nothing configured. bo-cong-an, bo-y-te and ubnd-ha-noi each get their own keys, store and
            publisher on loopback; they seed records, edit some of the same records at once, pull each other's
            feeds, and meet a tampered page. Exits 0 only if the three stores end with the same visible data.
            With --keep DIR the configurations, keys and stores stay in DIR for `lienthong status`, `export` and
            `conflicts --config DIR/<agency>/lienthong.yaml`.
            """
    )

    @Option(help: "Records each agency seeds in its own dataset.") var records = 10_000
    @Option(help: ArgumentHelp("Keep the configurations, keys and stores in this folder (empty or new).", valueName: "DIR")) var keep: String?

    func validate() throws {
        guard (1...1_000_000).contains(records) else { throw ValidationError("--records must be from 1 to 1000000") }
    }

    func run() async throws {
        try await reportingFailures {
            let folder = keep.map { URL(fileURLWithPath: $0) }
                ?? FileManager.default.temporaryDirectory.appending(path: "lienthong-demo-\(UUID().uuidString)")
            if let existing = try? FileManager.default.contentsOfDirectory(atPath: folder.path), !existing.isEmpty {
                throw Failure.unusable("\(folder.path) is not empty: give --keep a new or empty folder")
            }
            defer { if keep == nil { try? FileManager.default.removeItem(at: folder) } }
            let outcome: LienThongDemo.Demo.Outcome
            do {
                outcome = try await LienThongDemo.Demo.run(records: records, folder: folder) { print($0) }
            } catch {
                throw Failure.refused("the demo failed: \(error)")
            }
            if let keep {
                print("\nKept in \(keep): try `lienthong status --config \(keep)/bo-y-te/lienthong.yaml`, `export` and `conflicts list` likewise.")
            }
            guard outcome.converged else { throw Failure.refused("the stores did not converge") }
        }
    }
}
