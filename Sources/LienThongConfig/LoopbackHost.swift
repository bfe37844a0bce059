import Foundation

/// Which URL hosts name this machine without asking any resolver: only there may a peer be reached over
/// plain HTTP, since no network lies between the two ends.
public enum LoopbackHost {
    /// Whether `host` (as a URL gives it, IPv6 with or without its brackets) is the literal IPv4 address
    /// 127.x.y.z in plain dotted decimal, the literal IPv6 address ::1 in any of its spellings, or the name
    /// `localhost` (any case). A name that merely starts with `127.`, a shortened or octal IPv4 form, an IPv6
    /// zone and an IPv4-mapped address are not loopback here.
    public static func isLoopback(_ host: String) -> Bool {
        if host.lowercased() == "localhost" { return true }
        if host.hasPrefix("["), host.hasSuffix("]") { return isIPv6Loopback(host.dropFirst().dropLast()) }
        return isIPv4Loopback(host) || isIPv6Loopback(Substring(host))
    }

    /// Four decimal parts of 0 to 255 without leading zeros, the first 127.
    private static func isIPv4Loopback(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        let octets = parts.compactMap { part -> Int? in
            guard (1...3).contains(part.count), part.allSatisfy({ ("0"..."9").contains($0) }), part == "0" || !part.hasPrefix("0")
            else { return nil }
            return Int(part).flatMap { $0 <= 255 ? $0 : nil }
        }
        return octets.count == 4 && octets[0] == 127
    }

    /// Eight groups of hexadecimal, with at most one `::` standing for zero groups, that read as 0…0:1.
    private static func isIPv6Loopback(_ host: Substring) -> Bool {
        let halves = host.components(separatedBy: "::")
        guard halves.count <= 2 else { return false }
        func groups(_ text: String) -> [UInt16]? {
            if text.isEmpty { return [] }
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            let values = parts.compactMap { part -> UInt16? in
                guard (1...4).contains(part.count), part.allSatisfy(\.isHexDigit) else { return nil }
                return UInt16(part, radix: 16)
            }
            return values.count == parts.count ? values : nil
        }
        guard let head = groups(halves[0]) else { return false }
        let written: [UInt16]
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return false }
            written = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            written = head
        }
        return written == [0, 0, 0, 0, 0, 0, 0, 1]
    }
}
