public import LienThongCore

/// How many siblings and vector entries one record may have here: the bound on the work one received
/// version can cost (docs/MERGE.md, "Limits"). Configured per dataset.
public struct MergeLimits: Sendable, Hashable {
    /// The most siblings a record may have; a version that would make more is refused.
    public let maximumSiblings: Int
    /// The most agencies a record's siblings may name in their vectors together, the receiver included;
    /// a version that would make more is refused.
    public let maximumVectorEntries: Int

    /// 32 and 32: an honest record has at most one sibling per agency that edits it and names only those
    /// agencies, so these hold any record edited by up to 32 agencies, the receiver included; a page at
    /// both limits applies well within 2 s (docs/MERGE.md, "Limits").
    public static let standard = MergeLimits(maximumSiblings: 32, maximumVectorEntries: 32)

    public init(maximumSiblings: Int, maximumVectorEntries: Int) {
        self.maximumSiblings = maximumSiblings
        self.maximumVectorEntries = maximumVectorEntries
    }

    /// Why a record may not have `siblings` (its siblings once a version is accepted, or the one version
    /// received), or nil.
    ///
    /// The receiver counts among the agencies named, so that its own next edit, which names every agency
    /// the siblings name plus itself, stays within the limit its peers apply.
    public func refusal(ofSiblings siblings: [RecordVersion], receiver: AgencyID) -> String? {
        guard let dataset = siblings.first?.dataset else { return nil }
        if siblings.count > maximumSiblings {
            return "record would have \(siblings.count) siblings, more than the \(maximumSiblings) allowed for \(dataset)"
        }
        // Most records name few agencies: count them only when the sum of the entries could exceed the limit.
        guard siblings.reduce(1, { $0 + $1.vv.counters.count }) > maximumVectorEntries else { return nil }
        var agencies: Set<AgencyID> = [receiver]
        for sibling in siblings {
            agencies.formUnion(sibling.vv.counters.keys)
            if agencies.count > maximumVectorEntries {
                return "record versions name more than the \(maximumVectorEntries) agencies allowed for \(dataset), this agency included"
            }
        }
        return nil
    }
}

/// Everything the merge of one dataset's versions depends on at one receiver.
public struct MergeRules: Sendable, Hashable {
    public let policy: MergePolicy
    /// The agency that receives: it knows every edit it made itself.
    public let receiver: AgencyID
    /// The agencies the receiver pulls this dataset from directly: claims about them are checked.
    public let directSources: Set<AgencyID>
    public let limits: MergeLimits

    public init(policy: MergePolicy, receiver: AgencyID, directSources: Set<AgencyID>, limits: MergeLimits = .standard) {
        self.policy = policy
        self.receiver = receiver
        self.directSources = directSources
        self.limits = limits
    }
}

/// What a version's vector claims about other agencies, against what the receiver has from them.
public enum ClaimCheck: Sendable, Equatable {
    /// Every checked claim is backed by a version the receiver has: merge it.
    case credible
    /// It claims edits by the receiver itself that the receiver never made: refuse it.
    case falseAboutReceiver(claimed: Int64, made: Int64)
    /// It claims edits by these direct sources (in name order) beyond what the receiver has from them:
    /// hold it until their versions arrive, or until their feeds are caught up and prove the claim false.
    case ahead(of: [AgencyID])
}

extension Merge {
    /// Checks the claims in `version`'s vector about agencies other than its origin (docs/MERGE.md,
    /// "Claims about other agencies").
    ///
    /// `authored[a]` is the greatest `vv[a]` among the versions of this record authored by `a` that the
    /// receiver has received or made, 0 when none. Claims about agencies the receiver does not pull from
    /// directly cannot be checked and count as credible.
    public static func checkClaims(of version: RecordVersion, authored: [AgencyID: Int64], rules: MergeRules) -> ClaimCheck {
        var ahead: [AgencyID] = []
        for (agency, claimed) in version.vv.counters where agency != version.origin && claimed > authored[agency, default: 0] {
            if agency == rules.receiver { return .falseAboutReceiver(claimed: claimed, made: authored[agency, default: 0]) }
            if rules.directSources.contains(agency) { ahead.append(agency) }
        }
        return ahead.isEmpty ? .credible : .ahead(of: ahead.sorted())
    }
}
