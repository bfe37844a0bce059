extension Array where Element == UInt8 {
    /// The bytes without ASCII white space (space, tab, CR, LF) at either end, as around a JWS in a file or body.
    public func trimmingASCIIWhiteSpace() -> ArraySlice<UInt8> {
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return [] }
        return self[first...last]
    }
}
