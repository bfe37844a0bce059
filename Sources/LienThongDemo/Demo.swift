public import Foundation
import LienThongAgency
import LienThongConfig
import LienThongCore
import LienThongFeed
import LienThongHTTP
import LienThongPublisher
import LienThongMerge
import LienThongSigning
import LienThongStore
import Logging

/// `lienthong demo`: three agencies in one process on loopback, each with its own keys, store and
/// publisher, exchanging signed feeds; concurrent edits under each merge policy; a tampered page; and a
/// check that all three stores converge to the same visible data.
public enum Demo {
    /// What the demo found.
    public struct Outcome: Sendable {
        /// All three stores hold the same visible data for every dataset.
        public let converged: Bool
    }

    /// Runs the demo in `folder` (which must be empty or absent), telling what happens through `say`.
    public static func run(records: Int, folder: URL, say: @escaping @Sendable (String) -> Void) async throws -> Outcome {
        let started = ContinuousClock.now
        var timings: [(String, Duration)] = []
        func timed<T>(_ phase: String, _ body: () async throws -> T) async rethrows -> T {
            let start = ContinuousClock.now
            let result = try await body()
            timings.append((phase, ContinuousClock.now - start))
            return result
        }

        let agencies = try DemoAgency.all(in: folder)
        // Keys and stores: every folder the demo makes is for its user only (0700), as lienthong's own are.
        for path in [folder.path] + agencies.map(\.folder.path) {
            try CreatedFile.createFolder(atPath: path)
        }
        try await timed(localized("demo.phase.keys")) {
            for agency in agencies {
                try agency.makeKeys(sharingWith: agencies.filter { $0.id != agency.id })
            }
        }
        say(localized("demo.agencies"))
        for agency in agencies {
            let name = agency.id.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
            say("  " + localized("demo.agency", ["agency": name, "key": agency.keyType == .p256 ? "ES256  " : "Ed25519", "dataset": agency.dataset.rawValue]))
        }

        // First configurations, listening on any free port, give the publishers; the final ones name the ports.
        for agency in agencies {
            try agency.writeConfiguration(port: 0, peerPorts: Dictionary(uniqueKeysWithValues: agencies.filter { $0.id != agency.id }.map { ($0.id, 1) }))
        }
        var stores: [AgencyID: Store] = [:]
        var publishers: [AgencyID: Publisher] = [:]
        for agency in agencies {
            let plan = try AgencyPlan(contentsOf: agency.configURL)
            let store = try Store(opening: plan.configuration.store)
            stores[agency.id] = store
            publishers[agency.id] = Publisher(settings: plan.publisherSettings, store: store, logger: Logger(label: "demo") { _ in SwiftLogNoOpLogHandler() })
        }
        return try await Publisher.serving(try agencies.map { try requireValue(publishers[$0.id]) }) { servedPorts in
            let ports = Dictionary(uniqueKeysWithValues: zip(agencies.map(\.id), servedPorts))
            var plans: [AgencyID: AgencyPlan] = [:]
            for agency in agencies {
                try agency.writeConfiguration(
                    port: try requireValue(ports[agency.id]),
                    peerPorts: ports.filter { $0.key != agency.id }
                )
                plans[agency.id] = try AgencyPlan(contentsOf: agency.configURL)
            }
            return try await withHTTPClient { client in
                let network = try DemoNetwork(agencies: agencies, plans: plans, stores: stores, client: client)

                try await timed(localized("demo.phase.seed")) {
                    for agency in agencies {
                        let policy = try requireValue(plans[agency.id]?.configuration.policy(for: agency.dataset))
                        try await agency.seed(try requireValue(stores[agency.id]), count: records, policy: policy)
                    }
                }
                say("\n" + localized("demo.seeded", ["count": "\(records)", "total": "\(records * agencies.count)"]))

                let first = try await timed(localized("demo.phase.first-sync")) { try await network.pullRound() }
                say("\n" + localized("demo.first-sync"))
                first.describe(say)

                let edited = try await timed(localized("demo.phase.concurrent-edits")) { try await network.makeConcurrentEdits(count: max(3, min(100, records / 100))) }
                say("\n" + localized("demo.edits"))
                for edit in edited { say("  \(edit)") }

                var pages = first.pages
                var rounds = 0
                try await timed(localized("demo.phase.second-sync")) {
                    while rounds < 4 {
                        rounds += 1
                        let round = try await network.pullRound()
                        pages += round.pages
                        if rounds == 1 {
                            say("\n" + localized("demo.second-sync"))
                            round.describe(say)
                        }
                        if round.applied == 0 { break }
                    }
                }

                say("\n" + localized("demo.conflicts"))
                for line in try await network.describeConflicts() { say("  \(line)") }

                let editor = try AgencyID("bo-y-te")
                let live = try await timed(localized("demo.phase.live-edits")) {
                    try await network.whileLive { try await network.liveEdits(by: editor, count: 3, records: records) }
                }
                say("\n" + localized("demo.live", ["editor": editor.rawValue, "count": "\(live.count)"]))
                for edit in live {
                    say("  \(edit.id): " + edit.seen.map { localized("demo.live.seen", ["agency": $0.0.rawValue, "duration": Self.text($0.1)]) }.joined(separator: ", "))
                }

                let refusedRecord = try await timed(localized("demo.phase.refused-record")) { try await network.refusedRecord() }
                say("\n" + localized("demo.refused-record", ["refusal": refusedRecord]))

                let refusal = try await timed(localized("demo.phase.tampered-page")) { try await network.tamperedPage() }
                say("\n" + localized("demo.tampered", ["refusal": refusal]))

                let verdict = try await timed(localized("demo.phase.convergence-check")) { try await network.convergence() }
                say("\n" + localized("demo.convergence"))
                for line in verdict.lines { say("  \(line)") }

                say("\n" + localized("demo.pages", ["pages": "\(pages)"]))
                let phases = timings.map { "\($0.0) \(Self.text($0.1))" }.joined(separator: ", ")
                say(localized("demo.timings", ["phases": phases, "total": Self.text(ContinuousClock.now - started)]))
                return Outcome(converged: verdict.converged)
            }
        }
    }

    static func text(_ duration: Duration) -> String {
        let milliseconds = duration.milliseconds
        return milliseconds < 1000 ? "\(milliseconds) ms" : String(format: "%.2f s", Double(milliseconds) / 1000)
    }
}

/// A value that must be there: the demo's own bookkeeping, so its absence is a bug, reported as an error.
func requireValue<T>(_ value: T?, _ what: String = "a demo value") throws -> T {
    guard let value else { throw DemoError(description: "\(what) is missing") }
    return value
}

/// Something in the demo went wrong.
struct DemoError: Error, CustomStringConvertible {
    let description: String
}
