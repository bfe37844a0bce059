import LienThongCore
import LienThongMerge
import Testing

@Suite("Merge.resolve picks the visible version by policy, from the set of siblings")
struct ResolveTests {
    typealias F = Fixture
    static let policies: [MergePolicy] = [.lww, .authority(owner: F.agency("a")), .authority(owner: F.agency("z")), .manual]

    @Test("no siblings resolve to nothing", arguments: policies)
    func empty(policy: MergePolicy) {
        #expect(Merge.resolve([], policy: policy) == nil)
    }

    @Test("one sibling is visible, no conflict, nothing to review", arguments: policies)
    func single(policy: MergePolicy) throws {
        let version = F.version("b", ["b": 1])
        let resolution = try #require(Merge.resolve([version, version], policy: policy))
        #expect(resolution.visible == version)
        #expect(!resolution.isConflict)
        #expect(!resolution.awaitsReview)
        #expect(resolution.siblings == [version])
    }

    static let lwwCases: [(name: String, winner: RecordVersion, loser: RecordVersion)] = [
        ("later millisecond", F.version("a", ["a": 1], hlc: (2_000, 0)), F.version("b", ["b": 1], hlc: (1_999, 9))),
        ("same millisecond, higher counter", F.version("a", ["a": 1], hlc: (2_000, 1)), F.version("b", ["b": 1], hlc: (2_000, 0))),
        ("same hlc, greater origin", F.version("b", ["b": 1], hlc: (2_000, 0)), F.version("a", ["a": 1], hlc: (2_000, 0))),
        ("same hlc, origin greater by bytes", F.version("bo-y-te", ["bo-y-te": 1]), F.version("bo", ["bo": 1])),
    ]

    @Test("lww: the greatest hlc wins, then the greatest origin id", arguments: lwwCases)
    func lww(name: String, winner: RecordVersion, loser: RecordVersion) throws {
        for siblings in [[winner, loser], [loser, winner]] {
            let resolution = try #require(Merge.resolve(siblings, policy: .lww))
            #expect(resolution.visible == winner)
            #expect(resolution.siblings == [winner, loser])
            #expect(resolution.isConflict)
            #expect(!resolution.awaitsReview)
        }
    }

    @Test("authority: the owner's greatest candidate wins over later ones from others")
    func authorityPrefersOwner() throws {
        let owners = [F.version("a", ["a": 1, "b": 1], hlc: (1_000, 0)), F.version("a", ["a": 2], hlc: (1_500, 0))]
        let later = F.version("b", ["b": 2], hlc: (9_000, 0))
        let resolution = try #require(Merge.resolve(owners + [later], policy: .authority(owner: F.agency("a"))))
        #expect(resolution.visible == owners[1])
        #expect(resolution.isConflict)
        #expect(!resolution.awaitsReview)
    }

    @Test("authority: without a candidate from the owner, the greatest (hlc, origin) wins")
    func authorityFallsBack() throws {
        let earlier = F.version("b", ["b": 1], hlc: (1_000, 0))
        let later = F.version("c", ["c": 1], hlc: (2_000, 0))
        let ownersDelete = F.version("a", ["a": 1], hlc: (3_000, 0), deleted: true)
        let resolution = try #require(Merge.resolve([earlier, ownersDelete, later], policy: .authority(owner: F.agency("a"))))
        #expect(resolution.visible == later)
    }

    @Test("manual: shown as lww, and a conflict awaits review")
    func manual() throws {
        let earlier = F.version("b", ["b": 1], hlc: (1_000, 0))
        let later = F.version("a", ["a": 1], hlc: (2_000, 0))
        let resolution = try #require(Merge.resolve([earlier, later], policy: .manual))
        #expect(resolution.visible == later)
        #expect(resolution.isConflict)
        #expect(resolution.awaitsReview)
    }

    @Test("an update beats a concurrent delete whatever the stamps", arguments: policies)
    func updateBeatsDelete(policy: MergePolicy) throws {
        let delete = F.version("a", ["a": 1], hlc: (9_000, 0), deleted: true)
        let update = F.version("b", ["b": 1], hlc: (1_000, 0), data: F.data("kept"))
        let resolution = try #require(Merge.resolve([delete, update], policy: policy))
        #expect(resolution.visible == update)
        #expect(resolution.isConflict)
        #expect(resolution.siblings == [delete, update])
    }

    @Test("when every sibling is a delete, a tombstone is visible", arguments: policies)
    func allDeleted(policy: MergePolicy) throws {
        let first = F.version("a", ["a": 1], hlc: (1_000, 0), deleted: true)
        let second = F.version("b", ["b": 1], hlc: (2_000, 0), deleted: true)
        let resolution = try #require(Merge.resolve([first, second], policy: policy))
        #expect(resolution.visible.deleted)
        #expect(resolution.isConflict)
        if policy == .authority(owner: F.agency("a")) {
            #expect(resolution.visible == first)
        } else {
            #expect(resolution.visible == second)
        }
    }

    /// Four siblings, two of them tied on (hlc, origin), as only an equivocating origin could make them.
    static let fourSiblings = [
        F.version("a", ["a": 1, "b": 1], hlc: (2_000, 0), data: F.data("one")),
        F.version("a", ["a": 1, "c": 1], hlc: (2_000, 0), data: F.data("two")),
        F.version("b", ["b": 2], hlc: (1_000, 0), deleted: true),
        F.version("c", ["c": 2], hlc: (1_500, 4), data: F.data("three")),
    ]

    @Test("every order of the same siblings gives the same resolution", arguments: policies)
    func orderIndependent(policy: MergePolicy) throws {
        let reference = try #require(Merge.resolve(Self.fourSiblings, policy: policy))
        for permutation in permutations(Self.fourSiblings) {
            let resolution = try #require(Merge.resolve(permutation, policy: policy))
            #expect(resolution.visible == reference.visible)
            #expect(resolution.siblings == reference.siblings)
            #expect(resolution.isConflict == reference.isConflict)
            #expect(resolution.awaitsReview == reference.awaitsReview)
        }
        #expect(reference.siblings.count == 4)
    }

    @Test("siblings tied on (hlc, origin) rank by their serialized bytes, greatest first")
    func tieBreak() throws {
        // Only an equivocating origin makes such ties; the JSON form starts with "data", so the notes decide.
        let tied = [("b", "p"), ("e", "s"), ("a", "q"), ("d", "t"), ("c", "r")].map { note, other in
            F.version("a", ["a": 1, other: 1], hlc: (2_000, 0), data: F.data(note))
        }
        let resolution = try #require(Merge.resolve(tied, policy: .lww))
        #expect(resolution.siblings.map(\.data) == ["e", "d", "c", "b", "a"].map(F.data))
        #expect(resolution.visible.data == F.data("e"))
    }

    private func permutations(_ items: [RecordVersion]) -> [[RecordVersion]] {
        guard let first = items.first else { return [[]] }
        return permutations(Array(items.dropFirst())).flatMap { rest in
            (0...rest.count).map { position in
                var permutation = rest
                permutation.insert(first, at: position)
                return permutation
            }
        }
    }
}

@Suite("Merge.localEdit makes a version that dominates every sibling")
struct LocalEditTests {
    typealias F = Fixture

    @Test("with no siblings, the vector counts one edit by the agency")
    func firstEdit() {
        let hlc = HybridTimestamp(milliseconds: 5_000, counter: 2)
        let edit = Merge.localEdit(
            siblings: [], dataset: F.dataset, id: "r9", agency: F.agency("me"), hlc: hlc, deleted: false, data: F.data("new")
        )
        #expect(edit == RecordVersion(dataset: F.dataset, id: "r9", origin: F.agency("me"), hlc: hlc, vv: F.vv(["me": 1]), deleted: false, data: F.data("new")))
    }

    @Test("the vector is the pointwise maximum of the siblings' with the agency's entry one higher")
    func dominates() throws {
        let siblings = [
            F.version("a", ["a": 2, "b": 1, "me": 1]),
            F.version("c", ["a": 1, "c": 3, "me": 4]),
            F.version("b", ["b": 2]),
        ]
        let edit = Merge.localEdit(
            siblings: siblings, dataset: F.dataset, id: "r1", agency: F.agency("me"),
            hlc: HybridTimestamp(milliseconds: 1, counter: 0), deleted: true, data: .object([:])
        )
        #expect(edit.vv == F.vv(["a": 2, "b": 2, "c": 3, "me": 5]))
        #expect(edit.deleted)
        #expect(edit.origin == F.agency("me"))
        for sibling in siblings { #expect(sibling.vv.isCovered(by: edit.vv) && !edit.vv.isCovered(by: sibling.vv)) }
        let accepted = try #require(Merge.receive(edit, siblings: siblings, policy: .lww).accepted)
        #expect(accepted.siblings == [edit])
        #expect(Set(accepted.displaced) == Set(siblings))
    }
}
