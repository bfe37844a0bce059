/// Why the store could not do what was asked, in one line.
public struct StoreError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }

    /// Wraps a failure from SQLite with what the store was doing.
    static func sqlite(_ doing: String, _ error: any Error) -> StoreError { StoreError("cannot \(doing): \(error)") }
}
