extension Duration {
    /// Whole milliseconds, rounded down, saturated at the ends of Int64.
    public var milliseconds: Int64 {
        let (whole, overflow) = components.seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return components.seconds < 0 ? Int64.min : Int64.max }
        let (sum, overflowed) = whole.addingReportingOverflow(components.attoseconds / 1_000_000_000_000_000)
        return overflowed ? Int64.max : sum
    }
}
