import LienThongCore
import LienThongMerge
import LienThongTestSupport
import Testing

/// Replicas that receive the same versions, in any order and with repeats, must show the same records.
@Suite("Replicas converge whatever the delivery order")
struct ConvergenceTests {
    static let seeds: [UInt64] = Array(0..<50)

    static func history(seed: UInt64) -> History {
        let agencies = ["bo-y-te", "so-y-te", "ubnd-ha-noi", "bhxh", "cong-an"].prefix(3 + Int(seed % 3)).map(Fixture.agency)
        return History.generate(seed: seed, agencies: agencies, records: 6, operations: 150, dataset: Fixture.dataset)
    }

    /// A replica that learns by `Merge.receive`, after `Merge.checkClaims` when it has rules: the siblings
    /// of each record id. It holds a version whose claims run ahead, as MERGE.md describes.
    struct Replica {
        var rules: MergeRules?
        var siblings: [String: [RecordVersion]] = [:]
        var equivocations = 0
        var authored: [String: [AgencyID: Int64]] = [:]
        var held: [RecordVersion] = []

        mutating func receive(_ version: RecordVersion) {
            if let rules {
                let check = Merge.checkClaims(of: version, authored: authored[version.id] ?? [:], rules: rules)
                authored[version.id, default: [:]][version.origin] = max(authored[version.id]?[version.origin] ?? 0, version.vv[version.origin])
                if case .ahead = check {
                    held.append(version)
                } else {
                    merge(version)
                }
                let (credible, waiting) = held.partitioned { Merge.checkClaims(of: $0, authored: authored[$0.id] ?? [:], rules: rules) == .credible }
                held = waiting
                credible.forEach { merge($0) }
            } else {
                merge(version)
            }
        }

        private mutating func merge(_ version: RecordVersion) {
            switch Merge.receive(version, siblings: siblings[version.id] ?? [], policy: rules?.policy ?? .lww) {
            case .accepted(let next, _, _): siblings[version.id] = next
            case .equivocation: equivocations += 1
            case .redundant, .dropped: break
            }
        }

        /// Every record as shown under `policy`, as canonical JSON text.
        func resolved(_ policy: MergePolicy) -> String {
            let records = siblings.mapValues { siblings -> JSONValue in
                guard let resolution = Merge.resolve(siblings, policy: policy) else { return .null }
                return .object([
                    "visible": resolution.visible.json,
                    "isConflict": .bool(resolution.isConflict),
                    "awaitsReview": .bool(resolution.awaitsReview),
                    "siblings": .array(resolution.siblings.map(\.json)),
                ])
            }
            return JSONValue.object(records).serializedText
        }
    }

    @Test("every replica shows the same records under every policy", arguments: seeds)
    func converges(seed: UInt64) throws {
        let history = Self.history(seed: seed)
        let policies: [MergePolicy] = [.lww, .authority(owner: history.agencies[Int(seed) % history.agencies.count]), .manual]
        var replicas: [Replica] = []
        for delivery in 0..<4 {
            var replica = Replica()
            for version in history.deliveries(seed: seed &* 1_000 &+ UInt64(delivery), duplicates: 40) { replica.receive(version) }
            #expect(replica.equivocations == 0)
            replicas.append(replica)
        }
        for policy in policies {
            let reference = replicas[0].resolved(policy)
            for replica in replicas.dropFirst() {
                #expect(replica.resolved(policy) == reference, "seed \(seed), \(policy)")
            }
        }
    }

    static let hostile = Fixture.agency("ke-gian")

    /// Versions by a hostile pinned peer, each claiming for another agency more edits than it made.
    static func falseClaims(_ history: History, seed: UInt64) -> [RecordVersion] {
        history.ids.enumerated().map { index, id in
            let victim = history.agencies[(Int(seed) + index) % history.agencies.count]
            return RecordVersion(
                dataset: history.dataset, id: id, origin: hostile, hlc: HybridTimestamp(milliseconds: 1_767_225_600_000 + Int64(index), counter: 0),
                vv: VersionVector([victim: VersionVector.maximumCounter - Int64(index), hostile: 1]), deleted: false, data: .object(["forged": .bool(true)])
            )
        }
    }

    @Test("false claims by a hostile peer change nothing, whatever the delivery order", arguments: seeds.prefix(20))
    func falseClaimsChangeNothing(seed: UInt64) {
        let history = Self.history(seed: seed)
        let rules = MergeRules(policy: .lww, receiver: Fixture.agency("so-xay-dung"), directSources: Set(history.agencies + [Self.hostile]))
        var honest = Replica()
        for version in history.versions { honest.receive(version) }
        let forged = Self.falseClaims(history, seed: seed)
        var generator = SeededGenerator(seed: seed &+ 77)
        for delivery in 0..<4 {
            var replica = Replica(rules: rules)
            // The forged versions go first, last or mixed in among the honest ones.
            var versions = history.deliveries(seed: seed &* 1_000 &+ UInt64(delivery), duplicates: 20)
            switch delivery {
            case 0: versions = forged + versions
            case 1: versions += forged
            default:
                for version in forged { versions.insert(version, at: Int.random(in: 0...versions.count, using: &generator)) }
            }
            for version in versions { replica.receive(version) }
            // Every honest feed is caught up and the claims are still false: what is held stays out.
            #expect(Set(replica.held) == Set(forged), "seed \(seed), delivery \(delivery)")
            for policy in [MergePolicy.lww, .authority(owner: history.agencies[0]), .manual] {
                #expect(replica.resolved(policy) == honest.resolved(policy), "seed \(seed), delivery \(delivery), \(policy)")
            }
        }
    }

    @Test("honest histories merge exactly as without the check of claims", arguments: seeds.prefix(20))
    func honestUnchangedByClaimCheck(seed: UInt64) {
        let history = Self.history(seed: seed)
        let rules = MergeRules(policy: .lww, receiver: Fixture.agency("so-xay-dung"), directSources: Set(history.agencies))
        var unchecked = Replica()
        var checked = Replica(rules: rules)
        for version in history.deliveries(seed: seed, duplicates: 20) {
            unchecked.receive(version)
            checked.receive(version)
        }
        #expect(checked.held.isEmpty)
        #expect(checked.siblings == unchecked.siblings)
    }

    @Test("the siblings are exactly the versions no other version has seen", arguments: seeds)
    func siblingsAreMaximal(seed: UInt64) {
        let history = Self.history(seed: seed)
        var replica = Replica()
        for version in history.deliveries(seed: seed, duplicates: 10) { replica.receive(version) }
        for id in history.ids {
            let versions = history.versions.filter { $0.id == id }
            let maximal = versions.filter { version in
                !versions.contains { $0.vv != version.vv && version.vv.isCovered(by: $0.vv) }
            }
            #expect(Set(replica.siblings[id] ?? []) == Set(maximal), "seed \(seed), \(id)")
        }
    }

    @Test("the histories hold the cases that matter: conflicts, deletes concurrent with updates, edits built on others'")
    func historiesAreRich() {
        var conflicts = 0
        var deleteAgainstUpdate = 0
        var builtOnOthers = 0
        for seed in Self.seeds {
            var replica = Replica()
            let versions = Self.history(seed: seed).versions
            builtOnOthers += versions.filter { $0.vv.counters.count > 1 }.count
            for version in versions { replica.receive(version) }
            for siblings in replica.siblings.values where siblings.count > 1 {
                conflicts += 1
                if siblings.contains(where: \.deleted) && siblings.contains(where: { !$0.deleted }) { deleteAgainstUpdate += 1 }
            }
        }
        #expect(conflicts >= 100)
        #expect(deleteAgainstUpdate >= 20)
        #expect(builtOnOthers >= 2_000)
    }
}

extension Array {
    /// The elements that satisfy `belongs`, and the others, each in their order.
    func partitioned(_ belongs: (Element) -> Bool) -> (matching: [Element], others: [Element]) {
        (filter(belongs), filter { !belongs($0) })
    }
}

@Suite("History simulates honest agencies")
struct HistoryTests {
    @Test("each agency's edits of a record count up by one, with rising stamps", arguments: [UInt64(1), 7, 42])
    func honest(seed: UInt64) {
        let history = ConvergenceTests.history(seed: seed)
        var lastCount: [String: Int64] = [:]
        var lastStamp: [AgencyID: HybridTimestamp] = [:]
        for version in history.versions {
            let key = "\(version.origin) \(version.id)"
            #expect(version.vv[version.origin] == (lastCount[key] ?? 0) + 1)
            lastCount[key] = version.vv[version.origin]
            if let previous = lastStamp[version.origin] { #expect(version.hlc > previous) }
            lastStamp[version.origin] = version.hlc
        }
        #expect(Set(history.versions.map(\.origin)) == Set(history.agencies))
    }

    @Test("a version's stamp is greater than the stamp of every version it has seen", arguments: [UInt64(2), 8, 43])
    func stampsFollowCausality(seed: UInt64) {
        let versions = ConvergenceTests.history(seed: seed).versions
        for later in versions {
            for earlier in versions where earlier.id == later.id && earlier.vv.isCovered(by: later.vv) && earlier.vv != later.vv {
                #expect(earlier.hlc < later.hlc, "seed \(seed), \(later.id)")
            }
        }
    }

    @Test("the same seed gives the same history; another seed another")
    func deterministic() {
        #expect(ConvergenceTests.history(seed: 3).versions == ConvergenceTests.history(seed: 3).versions)
        #expect(ConvergenceTests.history(seed: 3).versions != ConvergenceTests.history(seed: 4).versions)
    }

    @Test("deliveries hold every version, plus the duplicates, in a shuffled order")
    func deliveries() {
        let history = ConvergenceTests.history(seed: 5)
        let delivered = history.deliveries(seed: 9, duplicates: 25)
        #expect(delivered.count == history.versions.count + 25)
        #expect(Set(delivered) == Set(history.versions))
        #expect(delivered.prefix(history.versions.count).elementsEqual(history.versions) == false)
    }

    @Test("SeededGenerator repeats its sequence for a seed and differs across seeds")
    func generator() {
        var first = SeededGenerator(seed: 11)
        var again = SeededGenerator(seed: 11)
        var other = SeededGenerator(seed: 12)
        let sequence = (0..<8).map { _ in first.next() }
        #expect(sequence == (0..<8).map { _ in again.next() })
        #expect(sequence != (0..<8).map { _ in other.next() })
        var zero = SeededGenerator(seed: 0)
        // SplitMix64's published first output for seed 0.
        #expect(zero.next() == 0xE220_A839_7B1D_CDAF)
    }
}
