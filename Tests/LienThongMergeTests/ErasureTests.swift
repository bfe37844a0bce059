import LienThongCore
import LienThongMerge
import Testing

/// The erasure rules of docs/MERGE.md ("Erasure"): an erasure dominates like any tombstone; against a
/// concurrent update the authority owner's erasure wins, anyone else's opens a conflict that awaits review.
@Suite("Merge: erasure tombstones")
struct ErasureTests {
    typealias F = Fixture

    static let update = F.version("b", ["a": 1, "b": 1], hlc: (3_000, 0), data: F.data("b's update"))
    static let older = F.version("a", ["a": 1], hlc: (1_000, 0), data: F.data("first"))

    /// An erasure by `origin`, concurrent with ``update`` (it saw only ``older``).
    static func erasure(by origin: String, hlc: Int64 = 2_000) -> RecordVersion {
        RecordVersion(
            dataset: F.dataset, id: "r1", origin: F.agency(origin), hlc: HybridTimestamp(milliseconds: hlc, counter: 0),
            vv: F.vv(origin == "a" ? ["a": 2] : ["a": 1, origin: 1]), deleted: true, erasure: true, data: .object([:])
        )
    }

    static let policies: [MergePolicy] = [.lww, .manual, .authority(owner: F.agency("a")), .authority(owner: F.agency("b"))]

    @Test("only an erasure carries the member, after deleted in canonical order; other versions' bytes do not change")
    func canonicalForm() throws {
        #expect(String(decoding: Self.older.canonicalJSON, as: UTF8.self)
            == #"{"data":{"note":"first"},"deleted":false,"hlc":[1000,0],"id":"r1","origin":"a","vv":{"a":1}}"#)
        #expect(Self.older.json["erasure"] == nil)
        let erasure = Self.erasure(by: "a")
        #expect(String(decoding: erasure.canonicalJSON, as: UTF8.self)
            == #"{"data":{},"deleted":true,"erasure":true,"hlc":[2000,0],"id":"r1","origin":"a","vv":{"a":2}}"#)
        #expect(erasure.canonicalJSON == erasure.json.serialized())
        let plain = RecordVersion(dataset: F.dataset, id: "r1", origin: F.agency("a"), hlc: erasure.hlc, vv: erasure.vv, deleted: true, data: .object([:]))
        #expect(plain != erasure)
    }

    @Test("an erasure that covers a sibling displaces it, under every policy", arguments: policies)
    func dominates(policy: MergePolicy) throws {
        let erasure = Self.erasure(by: "a")
        let accepted = try #require(Merge.receive(erasure, siblings: [Self.older], policy: policy).accepted)
        #expect(accepted.siblings == [erasure])
        #expect(accepted.displaced == [Self.older])
        #expect(Merge.receive(Self.older, siblings: [erasure], policy: policy).isRedundant)
    }

    @Test("a later version that saw the erasure displaces it: the record lives again", arguments: policies)
    func recreated(policy: MergePolicy) throws {
        let erasure = Self.erasure(by: "a")
        let again = F.version("b", ["a": 2, "b": 1], hlc: (4_000, 0), data: F.data("new"))
        let accepted = try #require(Merge.receive(again, siblings: [erasure], policy: policy).accepted)
        #expect(accepted.siblings == [again])
        #expect(accepted.displaced == [erasure])
    }

    /// Policies under which the erasure by `a` meets ``update`` as an equal: every one but authority with owner a.
    static let nonOwnerCases: [(eraser: String, policy: MergePolicy)] = [
        ("a", .lww), ("a", .manual), ("a", .authority(owner: F.agency("b"))), ("a", .authority(owner: F.agency("z"))),
        ("c", .authority(owner: F.agency("a"))),
    ]

    @Test("an erasure by anyone but the authority owner and a concurrent update are siblings; the erasure is shown and the conflict awaits review", arguments: nonOwnerCases)
    func nonOwner(eraser: String, policy: MergePolicy) throws {
        let erasure = Self.erasure(by: eraser)
        for (received, sibling) in [(erasure, Self.update), (Self.update, erasure)] {
            let accepted = try #require(Merge.receive(received, siblings: [sibling], policy: policy).accepted)
            #expect(Set(accepted.siblings) == [erasure, Self.update])
            #expect(accepted.displaced.isEmpty)
            #expect(accepted.dropped.isEmpty)
        }
        let resolution = try #require(Merge.resolve([Self.update, erasure], policy: policy))
        #expect(resolution.visible == erasure)
        #expect(resolution.isConflict)
        #expect(resolution.awaitsReview)
    }

    @Test("the authority owner's erasure drops a concurrent sibling, and a concurrent version that comes after it")
    func owner() throws {
        let policy = MergePolicy.authority(owner: F.agency("a"))
        let erasure = Self.erasure(by: "a")
        let accepted = try #require(Merge.receive(erasure, siblings: [Self.update], policy: policy).accepted)
        #expect(accepted.siblings == [erasure])
        #expect(accepted.displaced.isEmpty)
        #expect(accepted.dropped == [Self.update])
        guard case .dropped(let by) = Merge.receive(Self.update, siblings: [erasure], policy: policy) else {
            Issue.record("a version concurrent with the owner's erasure must be dropped")
            return
        }
        #expect(by == erasure)
        let resolution = try #require(Merge.resolve([erasure], policy: policy))
        #expect(resolution.visible == erasure && !resolution.isConflict && !resolution.awaitsReview)
    }

    @Test("MERGE.md's worked example: the owner's erasure drops the concurrent update at both agencies; bo-y-te's erasure awaits review")
    func workedExample() throws {
        let policy = MergePolicy.authority(owner: F.agency("bo-cong-an"))
        func tombstone(_ origin: String, _ counts: [String: Int64], hlc: Int64) -> RecordVersion {
            RecordVersion(
                dataset: F.dataset, id: "cd-7", origin: F.agency(origin), hlc: HybridTimestamp(milliseconds: hlc, counter: 0), vv: F.vv(counts),
                deleted: true, erasure: true, data: .object([:])
            )
        }
        let e = tombstone("bo-cong-an", ["bo-cong-an": 2], hlc: 2_000)
        let u = F.version("bo-y-te", ["bo-cong-an": 1, "bo-y-te": 1], hlc: (3_000, 0), data: F.data("u"), id: "cd-7")
        // At bo-y-te, e meets u and drops it; at bo-cong-an, u comes after e and is dropped.
        #expect(try #require(Merge.receive(e, siblings: [u], policy: policy).accepted).dropped == [u])
        guard case .dropped = Merge.receive(u, siblings: [e], policy: policy) else {
            Issue.record("u must be dropped at bo-cong-an")
            return
        }
        // bo-y-te erases while bo-cong-an updates: siblings at both, e' shown, awaiting review.
        let e2 = tombstone("bo-y-te", ["bo-cong-an": 1, "bo-y-te": 1], hlc: 3_000)
        let u2 = F.version("bo-cong-an", ["bo-cong-an": 2], hlc: (2_000, 0), data: F.data("u'"), id: "cd-7")
        for (received, sibling) in [(e2, u2), (u2, e2)] {
            #expect(Set(try #require(Merge.receive(received, siblings: [sibling], policy: policy).accepted).siblings) == [e2, u2])
        }
        let open = try #require(Merge.resolve([e2, u2], policy: policy))
        #expect(open.visible == e2 && open.awaitsReview)
    }

    @Test("every delivery order ends with the same siblings", arguments: nonOwnerCases.map(\.policy))
    func anyOrder(policy: MergePolicy) {
        let versions = [Self.older, Self.update, Self.erasure(by: "a"), F.version("c", ["a": 1, "c": 1], hlc: (2_500, 0), data: F.data("c's"))]
        var results: Set<[RecordVersion]> = []
        for order in versions.permutations {
            var siblings: [RecordVersion] = []
            for version in order {
                if case .accepted(let next, _, _) = Merge.receive(version, siblings: siblings, policy: policy) { siblings = next }
            }
            results.insert(siblings)
        }
        #expect(results.count == 1)
    }
}

extension Array {
    /// Every ordering of the elements.
    fileprivate var permutations: [[Element]] {
        guard count > 1 else { return [self] }
        return indices.flatMap { index in
            var rest = self
            let first = rest.remove(at: index)
            return rest.permutations.map { [first] + $0 }
        }
    }
}
