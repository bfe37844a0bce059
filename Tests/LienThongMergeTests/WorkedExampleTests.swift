import LienThongCore
import LienThongMerge
import Testing

/// The worked example of docs/MERGE.md, step by step, so that the document stays true.
@Suite("The worked example in docs/MERGE.md")
struct WorkedExampleTests {
    typealias F = Fixture
    static let soYTe = F.agency("so-y-te")
    static let boYTe = F.agency("bo-y-te")

    static func edit(_ siblings: [RecordVersion], by agency: AgencyID, at milliseconds: Int64, status: String) -> RecordVersion {
        Merge.localEdit(
            siblings: siblings, dataset: F.dataset, id: "bn-001", agency: agency,
            hlc: HybridTimestamp(milliseconds: milliseconds, counter: 0), deleted: false, data: .object(["status": .string(status)])
        )
    }

    @Test("two concurrent edits conflict, each policy shows its pick, and a local edit resolves it")
    func example() throws {
        let v1 = Self.edit([], by: Self.soYTe, at: 1_767_225_600_000, status: "cho")
        let v2 = Self.edit([v1], by: Self.soYTe, at: 1_767_225_605_000, status: "da-tiem")
        let v3 = Self.edit([v1], by: Self.boYTe, at: 1_767_225_604_000, status: "hoan")
        #expect(v2.vv == F.vv(["so-y-te": 2]))
        #expect(v3.vv == F.vv(["so-y-te": 1, "bo-y-te": 1]))

        let atSoYTe = try #require(Merge.receive(v3, siblings: [v2], policy: .lww).accepted)
        let atBoYTe = try #require(Merge.receive(v2, siblings: [v3], policy: .lww).accepted)
        #expect(atSoYTe.siblings == [v2, v3])
        #expect(atBoYTe.siblings == atSoYTe.siblings)

        let lww = try #require(Merge.resolve(atSoYTe.siblings, policy: .lww))
        #expect(lww.visible == v2 && lww.isConflict && !lww.awaitsReview)
        #expect(try #require(Merge.resolve(atSoYTe.siblings, policy: .authority(owner: Self.boYTe))).visible == v3)
        let manual = try #require(Merge.resolve(atSoYTe.siblings, policy: .manual))
        #expect(manual.visible == v2 && manual.awaitsReview)

        let v4 = Self.edit(atSoYTe.siblings, by: Self.soYTe, at: 1_767_225_610_000, status: "hoan")
        #expect(v4.vv == F.vv(["so-y-te": 3, "bo-y-te": 1]))
        let resolved = try #require(Merge.receive(v4, siblings: atBoYTe.siblings, policy: .lww).accepted)
        #expect(resolved.siblings == [v4])
        #expect(resolved.displaced == [v2, v3])
    }

    @Test("had bo-y-te deleted instead, the update shows even under bo-y-te's authority")
    func deleteInstead() throws {
        let v1 = Self.edit([], by: Self.soYTe, at: 1_767_225_600_000, status: "cho")
        let v2 = Self.edit([v1], by: Self.soYTe, at: 1_767_225_605_000, status: "da-tiem")
        let v3 = Merge.localEdit(
            siblings: [v1], dataset: F.dataset, id: "bn-001", agency: Self.boYTe,
            hlc: HybridTimestamp(milliseconds: 1_767_225_604_000, counter: 0), deleted: true, data: .object([:])
        )
        let resolution = try #require(Merge.resolve([v2, v3], policy: .authority(owner: Self.boYTe)))
        #expect(resolution.visible == v2)
        #expect(resolution.isConflict)
    }
}
