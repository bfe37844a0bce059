import LienThongCore
import LienThongMerge
import Testing

@Suite("VersionVector orders edits by what each version has seen")
struct VersionVectorTests {
    /// How two vectors relate: the names of the table below.
    enum Relation {
        case equal, before, after, concurrent
    }

    static let comparisons: [(left: [String: Int64], right: [String: Int64], order: Relation)] = [
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

    @Test("isCovered holds exactly for equal and before, and from the other side for equal and after", arguments: comparisons)
    func isCovered(left: [String: Int64], right: [String: Int64], order: Relation) {
        #expect(Fixture.vv(left).isCovered(by: Fixture.vv(right)) == (order == .equal || order == .before))
        #expect(Fixture.vv(right).isCovered(by: Fixture.vv(left)) == (order == .equal || order == .after))
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
        #expect(original.isCovered(by: next) && !next.isCovered(by: original))
    }

    @Test("the JSON form maps agency ids to counts")
    func json() {
        #expect(Fixture.vv(["bo-y-te": 2, "so-y-te": 1, "x": 0]).json.serializedText == #"{"bo-y-te":2,"so-y-te":1}"#)
        #expect(Fixture.vv([:]).json.serializedText == "{}")
    }
}
