import Foundation
import LienThongAgency
import LienThongCore
import LienThongFeed
import LienThongHTTP
import LienThongMerge
import LienThongPoller
import LienThongSigning
import LienThongStore

/// The demo's three agencies wired together: each one's puller, feeds and store.
struct DemoNetwork: Sendable {
    let agencies: [DemoAgency]
    let plans: [AgencyID: AgencyPlan]
    let stores: [AgencyID: Store]
    let pullers: [AgencyID: FeedPuller]
    let client: HTTPClient

    /// `client` must run while the network is used (``withHTTPClient(_:)``).
    init(agencies: [DemoAgency], plans: [AgencyID: AgencyPlan], stores: [AgencyID: Store], client: HTTPClient) throws {
        self.agencies = agencies
        self.plans = plans
        self.stores = stores
        self.client = client
        pullers = try Dictionary(uniqueKeysWithValues: agencies.map { agency in
            let plan = try requireValue(plans[agency.id])
            return (agency.id, FeedPuller(
                agency: agency.id, client: client, store: try requireValue(stores[agency.id]),
                tokens: RequestTokenSigner(agency: agency.id, key: plan.signingKey), clockSkewSeconds: plan.configuration.clockSkewSeconds
            ))
        })
    }

    /// What one round of pulls did, per link (publisher → puller).
    struct Round {
        var applied = 0
        var pages = 0
        var links: [String: (applied: Int, pages: Int)] = [:]

        func describe(_ say: (String) -> Void) {
            for (link, counts) in links.sorted(by: { $0.key < $1.key }) {
                let name = link.padding(toLength: 28, withPad: " ", startingAt: 0)
                say("  " + localized("demo.link", ["link": name, "applied": "\(counts.applied)", "pages": "\(counts.pages)"]))
            }
        }
    }

    /// Every agency pulls every feed it is configured for, all at once, each until caught up.
    func pullRound() async throws -> Round {
        var work: [(AgencyID, PulledFeed)] = []
        for agency in agencies {
            for scheduled in try requireValue(plans[agency.id]).feeds { work.append((agency.id, scheduled.feed)) }
        }
        let results = try await withThrowingTaskGroup(of: (String, PullSummary).self) { group in
            for (puller, feed) in work {
                let pulling = try requireValue(pullers[puller])
                let store = try requireValue(stores[puller])
                group.addTask {
                    let summary = try await pulling.pullRecordingStatus(feed, store: store, retryIn: { _ in nil }).get()
                    return ("\(feed.peer) → \(puller)", summary)
                }
            }
            return try await group.reduce(into: [(String, PullSummary)]()) { $0.append($1) }
        }
        var round = Round()
        for (link, summary) in results {
            round.applied += summary.applied
            round.pages += summary.pages
            let before = round.links[link] ?? (0, 0)
            round.links[link] = (before.applied + summary.applied, before.pages + summary.pages)
        }
        return round
    }

    /// Two agencies edit the same `count` records of each dataset before either has seen the other's edit.
    /// The second edit of each pair comes later, so that `authority` is seen to overrule the latest edit.
    /// Runs `body` while every agency keeps a long poll open on every feed it pulls, as its daemon would
    /// (live when the peer lists `wait_max`, which the demo's publishers do); the polls end with `body`.
    func whileLive<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for agency in agencies {
                let plan = try requireValue(plans[agency.id])
                let puller = try requireValue(pullers[agency.id])
                let store = try requireValue(stores[agency.id])
                for scheduled in plan.feeds {
                    group.addTask {
                        let listing = try await puller.listing(of: scheduled.feed)
                        let mode = PullMode(listing: listing)
                        await puller.noteMode(mode, of: scheduled.feed, in: store)
                        await puller.notePeerSchema(listing.schemaSHA256, of: scheduled.feed, in: store)
                        while !Task.isCancelled {
                            if case .failure = await puller.pullRecordingStatus(scheduled.feed, store: store, mode: mode, retryIn: { _ in nil }) {
                                try? await Task.sleep(for: .milliseconds(500))
                            }
                        }
                    }
                }
            }
            let result = try await body()
            group.cancelAll()
            return result
        }
    }

    /// Makes `count` new records at `editor`, one at a time, each timed from its commit until every other
    /// agency shows it (looked at every 2 ms, at most 10 s).
    func liveEdits(by editor: AgencyID, count: Int, records: Int) async throws -> [(id: String, seen: [(AgencyID, Duration)])] {
        let agency = try requireValue(agencies.first { $0.id == editor })
        let store = try requireValue(stores[editor])
        let policy = try requireValue(plans[editor]?.configuration.policy(for: agency.dataset))
        var edits: [(id: String, seen: [(AgencyID, Duration)])] = []
        for index in records..<(records + count) {
            let (dataset, id) = (agency.dataset, DemoAgency.recordID(agency.dataset, index))
            try await store.write { transaction in
                try transaction.edit(dataset: dataset, id: id, agency: editor, deleted: false, data: DemoAgency.record(dataset, index), policy: policy)
            }
            let committed = ContinuousClock.now
            var seen: [(AgencyID, Duration)] = []
            for peer in agencies where peer.id != editor {
                let peerStore = try requireValue(stores[peer.id])
                while try await peerStore.read({ try $0.visibleRecord(dataset: dataset, id: id) }) == nil {
                    guard ContinuousClock.now - committed < .seconds(10) else { throw DemoError(description: "\(id) did not reach \(peer.id) in 10 s") }
                    try await Task.sleep(for: .milliseconds(2))
                }
                seen.append((peer.id, ContinuousClock.now - committed))
            }
            edits.append((id, seen))
            try await Task.sleep(for: .milliseconds(200))
        }
        return edits
    }

    func makeConcurrentEdits(count: Int) async throws -> [String] {
        let pairs: [(dataset: String, first: String, second: String)] = [
            ("dan-cu", "bo-cong-an", "bo-y-te"), ("tiem-chung", "bo-y-te", "ubnd-ha-noi"), ("ho-tich", "ubnd-ha-noi", "bo-cong-an"),
        ]
        var lines: [String] = []
        for pair in pairs {
            let dataset = try DatasetName(pair.dataset)
            for editor in [pair.first, pair.second] {
                let agency = try AgencyID(editor)
                let store = try requireValue(stores[agency])
                let policy = try requireValue(plans[agency]?.configuration.policy(for: dataset))
                try await store.write { transaction in
                    for index in 0..<count {
                        var data = DemoAgency.record(dataset, index)
                        if case .object(var members) = data {
                            members["cap_nhat_boi"] = .string(editor)
                            data = .object(members)
                        }
                        try transaction.edit(
                            dataset: dataset, id: DemoAgency.recordID(dataset, index), agency: agency, deleted: false, data: data, policy: policy
                        )
                    }
                }
                // A clear gap between the two edits' clocks.
                try await Task.sleep(for: .milliseconds(5))
            }
            lines.append(localized("demo.edit", ["dataset": pair.dataset, "count": "\(count)", "first": pair.first, "second": pair.second]))
        }
        return lines
    }

    /// Per dataset: how many records are in conflict and which version each store shows.
    func describeConflicts() async throws -> [String] {
        var lines: [String] = []
        for dataset in try ["dan-cu", "tiem-chung", "ho-tich"].map(DatasetName.init) {
            let policy = try requireValue(plans[agencies[0].id]?.configuration.policy(for: dataset))
            var perAgency: [String] = []
            for agency in agencies {
                let conflicts = try await requireValue(stores[agency.id]).read { try $0.openConflicts(dataset: dataset) }
                let winners = Dictionary(grouping: conflicts, by: { $0.version.origin.rawValue }).mapValues(\.count)
                let review = conflicts.filter(\.awaitsReview).count
                let shown = winners.sorted { $0.key < $1.key }.map { localized("demo.conflicts.winner", ["count": "\($0.value)", "agency": $0.key]) }
                let arguments = ["agency": agency.id.rawValue, "count": "\(conflicts.count)", "winners": shown.joined(separator: ", "), "review": "\(review)"]
                perAgency.append(review > 0 ? localized("demo.conflicts.agency-review", arguments) : localized("demo.conflicts.agency", arguments))
            }
            let rule = switch policy {
            case .lww: localized("demo.rule.lww")
            case .authority(let owner): localized("demo.rule.authority", ["owner": owner.rawValue])
            case .manual: localized("demo.rule.manual")
            }
            lines.append("\(dataset) [\(policy)]: \(rule)")
            lines.append(contentsOf: perAgency.map { "    \($0)" })
        }
        return lines
    }

    /// bo-cong-an tries to add a resident whose CCCD number has 11 digits, as `lienthong put` would: the
    /// dataset's schema refuses the line, naming the field, the rule and the value's shape, and nothing is
    /// applied. Returns the refusal.
    func refusedRecord() async throws -> String {
        let editor = try requireValue(agencies.first { $0.id.rawValue == "bo-cong-an" })
        let configuration = try requireValue(plans[editor.id]?.configuration)
        let schema = try requireValue(configuration.schema(for: editor.dataset))
        var resident = try requireValue(SyntheticRecords.resident(0).objectValue)
        resident["so_dinh_danh"] = .string(String(SyntheticRecords.citizenID(0).dropLast()))
        let line = JSONValue.object(["id": .string("dc-sai-so"), "data": .object(resident)]).serialized()
        do {
            _ = try requireValue(stores[editor.id]).applyLocalEdits(
                from: { chunk in try chunk(line + [0x0A]) }, dataset: editor.dataset, agency: editor.id,
                policy: try requireValue(configuration.policy(for: editor.dataset))
            ) { data in schema.validate(data)?.description }
        } catch {
            return "\(editor.id) \(editor.dataset): \(localizedText(of: error))"
        }
        throw DemoError(description: "the schema did not refuse a CCCD number of 11 digits")
    }

    /// bo-y-te fetches a real page of bo-cong-an's feed, one bit of its signature is flipped on the way, and
    /// the page goes through the same checks as any pulled page: refused, and kept in quarantine.
    func tamperedPage() async throws -> String {
        let reader = try requireValue(agencies.first { $0.id.rawValue == "bo-y-te" })
        let publisher = try requireValue(agencies.first { $0.id.rawValue == "bo-cong-an" })
        let plan = try requireValue(plans[reader.id])
        let feed = try requireValue(plan.feeds.first { $0.feed.peer == publisher.id && $0.feed.dataset == publisher.dataset }?.feed)
        let path = "/v1/feeds/\(feed.dataset)?after=0&limit=10"
        let now = try requireValue(stores[reader.id]).clock.now
        let token = try RequestTokenSigner(agency: reader.id, key: plan.signingKey).token(audience: publisher.id, pathAndQuery: path, now: now)
        let response = try await client.get(HTTPRequest(
            url: feed.baseURL.absoluteString + path, headers: [(name: "Authorization", value: "Bearer \(token)")]
        ))
        var parts = String(decoding: response.body, as: UTF8.self).split(separator: ".").map(String.init)
        guard response.status == 200, parts.count == 3 else { throw DemoError(description: "bo-cong-an did not serve a page (\(response.status))") }
        var signature = try Base64URL.decode(parts[2])
        signature[signature.count / 2] ^= 0x01
        parts[2] = Base64URL.encode(signature)
        let tampered = Array(parts.joined(separator: ".").utf8)
        let expectation = PageExpectation(
            publisher: publisher.id, audience: reader.id, pulledDatasets: [feed.dataset], now: now, clockSkewSeconds: plan.configuration.clockSkewSeconds
        )
        let importer = PageImporter(
            store: try requireValue(stores[reader.id]), clockSkewSeconds: plan.configuration.clockSkewSeconds, schemas: plan.configuration.schemas
        )
        do {
            _ = try await importer.importPage(tampered, verifier: feed.verifier, expected: expectation, rules: plan.configuration.mergeRules(for:))
            return localized("demo.tampered.accepted")
        } catch {
            guard error.reason == .refused, let rejection = error.rejection else { throw error }
            return localized("demo.tampered.refused", [
                "reader": reader.id.rawValue, "publisher": publisher.id.rawValue, "dataset": feed.dataset.rawValue, "reason": "\(rejection.reason)",
            ])
        }
    }

    /// Whether the three stores show the same visible data, dataset by dataset.
    func convergence() async throws -> (converged: Bool, lines: [String]) {
        var converged = true
        var lines: [String] = []
        for dataset in try ["dan-cu", "tiem-chung", "ho-tich"].map(DatasetName.init) {
            var exports: [String] = []
            var count = 0
            for agency in agencies {
                let (text, records) = try await requireValue(stores[agency.id]).read { snapshot in
                    var lines: [String] = []
                    try snapshot.forEachVisibleRecord(dataset: dataset) { lines.append($0.exportJSON.serializedText) }
                    return (lines.joined(separator: "\n"), lines.count)
                }
                exports.append(text)
                count = records
            }
            let same = exports.allSatisfy { $0 == exports[0] }
            converged = converged && same
            let arguments = ["dataset": dataset.rawValue, "count": "\(count)"]
            lines.append(same ? localized("demo.convergence.same", arguments) : localized("demo.convergence.different", arguments))
        }
        return (converged, lines)
    }
}
