import ArgumentParser
import Foundation
import LienThongConfig
import LienThongCore
import LienThongFeed
import LienThongSigning
import LienThongStore

struct Apply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: localized("help.apply.abstract"),
        discussion: localized("help.apply.discussion")
    )

    @OptionGroup var config: ConfigOption

    @Option(help: ArgumentHelp(localized("help.apply.peer")))
    var peer: String

    @Flag(help: ArgumentHelp(localized("help.apply.allow-expired")))
    var allowExpired = false

    /// Unix seconds to check the pages and records at instead of the wall clock, for replaying recorded fixtures.
    @Option(help: .hidden)
    var now: Int64?

    @Argument(help: ArgumentHelp(localized("help.apply.pages"), valueName: "PAGE.jws"))
    var pages: [String]

    func validate() throws {
        if pages.isEmpty { throw ValidationError(localized("error.apply.no-pages")) }
        // In milliseconds it must fit the store's clock: up to the year 10000 is plenty for fixtures.
        if let now, !(0...253_402_300_799).contains(now) { throw ValidationError(localized("error.apply.now")) }
    }

    func run() async throws {
        try await reportingFailures {
            let (configuration, store) = try config.openStore()
            let peerID = try AgencyID(peer)
            guard let settings = configuration.peers[peerID] else {
                throw Failure.unusable(localized("error.not-a-peer", ["peer": "\(peerID)", "path": configuration.fileURL.path]))
            }
            let verifier = JWSVerifier(keys: try settings.readPinnedKeys(), requiredType: FeedPage.type)
            let importer = PageImporter(store: store, clockSkewSeconds: configuration.clockSkewSeconds, schemas: configuration.schemas)
            let clock: any UnixClock = self.now.map { FixedClock(UnixTime(seconds: $0)) } ?? store.clock
            var refused = 0
            for path in pages {
                let bytes = try InputOption(file: path).readAll(limit: InputLimit.signedDocument, what: localized("input.signed-page"))
                let now = clock.now
                let expectation = PageExpectation(
                    publisher: peerID, audience: configuration.agency, pulledDatasets: Set(settings.pull), now: now,
                    clockSkewSeconds: configuration.clockSkewSeconds, allowExpired: allowExpired
                )
                do throws(PageImportError) {
                    let (page, result) = try await importer.importPage(bytes, verifier: verifier, expected: expectation, rules: configuration.mergeRules(for:))
                    // `after` is the peer's number: `after + 1` only when below `last`, so it cannot overflow.
                    let span = page.after < page.last ? "\(page.after + 1)…\(page.last)" : localized("apply.nothing-after", ["after": "\(page.after)"])
                    printLine(localized("apply.page", [
                        "path": path, "dataset": "\(page.dataset)", "span": span, "applied": "\(result.applied)", "redundant": "\(result.redundant)",
                        "quarantined": "\(result.quarantined)", "held": "\(result.held)", "cursor": "\(result.cursor)",
                    ]))
                } catch {
                    guard error.reason == .refused, let rejection = error.rejection else { throw error }
                    refused += 1
                    printDiagnostic(localized("apply.refused", ["path": path, "reason": localizedText(of: rejection)]))
                }
            }
            if refused > 0 { throw ExitCode(1) }
        }
    }
}
