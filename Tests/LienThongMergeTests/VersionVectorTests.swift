import LienThongCore
import LienThongMerge
import Testing

@Suite("VersionVector orders edits by what each version has seen")
struct VersionVectorTests {
    static let comparisons: [(left: [String: Int64], right: [String: Int64], order: CausalOrder)] = [
        ([:], [:], .equal),
        (["a": 1], ["a": 1], .equal),
        (["a": 2, "b": 1], ["b": 1, "a": 2], .equal),
        (["a": 1], ["a": 2], .before),
        ([:], ["a": 1], .before),
        (["a": 1], ["a": 1, "b": 1], .before),
        (["a": 1, "b": 1], ["a": 2, "b": 1], .before),
        (["a": 2], ["a": 1], .after),
        (["a": 1, "b": 1], ["b": 1], .after),
        (["a": 1], ["b": 1], .concurrent),
        (["a": 1, "b": 2], ["a": 2, "b": 1], .concurrent),
        (["a": 3], ["a": 2, "b": 5], .concurrent),
    ]

    @Test("compare gives the causal order, and its mirror from the other side", arguments: comparisons)
    func compare(left: [String: Int64], right: [String: Int64], order: CausalOrder) {
        let lhs = Fixture.vv(left)
        let rhs = Fixture.vv(right)
        let mirror: [CausalOrder: CausalOrder] = [.equal: .equal, .before: .after, .after: .before, .concurrent: .concurrent]
        #expect(lhs.compare(rhs) == order)
        #expect(rhs.compare(lhs) == mirror[order])
    }

    @Test("isCovered holds exactly for equal and before", arguments: comparisons)
    func isCovered(left: [String: Int64], right: [String: Int64], order: CausalOrder) {
        #expect(Fixture.vv(left).isCovered(by: Fixture.vv(right)) == (order == .equal || order == .before))
    }

    @Test("counters of 0 or less are dropped, so equal counts make equal vectors")
    func dropsNonPositive() {
        let built = Fixture.vv(["a": 0, "b": -3, "c": 2])
        #expect(built.counters == [Fixture.agency("c"): 2])
        #expect(built == Fixture.vv(["c": 2]))
        #expect(Set([built, Fixture.vv(["c": 2])]).count == 1)
        #expect(built[Fixture.agency("a")] == 0)
        #expect(built[Fixture.agency("zz")] == 0)
        #expect(built[Fixture.agency("c")] == 2)
    }

    static let merges: [(left: [String: Int64], right: [String: Int64], merged: [String: Int64])] = [
        ([:], [:], [:]),
        (["a": 1], [:], ["a": 1]),
        (["a": 1, "b": 3], ["a": 2, "c": 1], ["a": 2, "b": 3, "c": 1]),
        (["a": 5], ["a": 2], ["a": 5]),
    ]

    @Test("merging is the pointwise maximum, either way round", arguments: merges)
    func merging(left: [String: Int64], right: [String: Int64], merged: [String: Int64]) {
        let lhs = Fixture.vv(left)
        let rhs = Fixture.vv(right)
        #expect(lhs.merging(rhs) == Fixture.vv(merged))
        #expect(rhs.merging(lhs) == Fixture.vv(merged))
        #expect(lhs.isCovered(by: lhs.merging(rhs)))
        #expect(rhs.isCovered(by: lhs.merging(rhs)))
    }

    static let increments: [(counts: [String: Int64], agency: String, result: [String: Int64])] = [
        ([:], "a", ["a": 1]),
        (["a": 2, "b": 1], "a", ["a": 3, "b": 1]),
        (["a": 2, "b": 1], "c", ["a": 2, "b": 1, "c": 1]),
    ]

    @Test("incrementing adds one edit by the agency and comes after the original", arguments: increments)
    func incrementing(counts: [String: Int64], agency: String, result: [String: Int64]) {
        let original = Fixture.vv(counts)
        let next = original.incrementing(Fixture.agency(agency))
        #expect(next == Fixture.vv(result))
        #expect(next.compare(original) == .after)
    }

    @Test("the JSON form maps agency ids to counts")
    func json() {
        #expect(Fixture.vv(["bo-y-te": 2, "so-y-te": 1, "x": 0]).json.serializedText == #"{"bo-y-te":2,"so-y-te":1}"#)
        #expect(Fixture.vv([:]).json.serializedText == "{}")
    }
}
