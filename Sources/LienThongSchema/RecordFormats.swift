/// A 12-digit citizen identity number (căn cước công dân), read by its published rules (Circular
/// 07/2016/TT-BCA): digits 1–3 the province where the birth was registered, digit 4 the century of birth and
/// the sex, digits 5–6 the last two digits of the birth year, digits 7–12 a serial number.
struct CitizenID {
    /// Digit 4: 0/1 born 1900–1999 male/female, 2/3 2000–2099, 4/5 2100–2199, 6/7 2200–2299, 8/9 2300–2399.
    let centuryAndSex: Int
    /// Digits 5–6.
    let yearInCentury: Int

    /// Reads `text`; nil unless it is 12 ASCII digits whose first three are a province code of the table.
    init?(_ text: String) {
        var digits: (province: Int, centuryAndSex: Int, year: Int) = (0, 0, 0)
        var count = 0
        for byte in text.utf8 {
            guard count < 12, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            let digit = Int(byte - UInt8(ascii: "0"))
            switch count {
            case 0..<3: digits.province = digits.province * 10 + digit
            case 3: digits.centuryAndSex = digit
            case 4, 5: digits.year = digits.year * 10 + digit
            default: break
            }
            count += 1
        }
        guard count == 12, Self.provinceCodes.contains(digits.province) else { return nil }
        centuryAndSex = digits.centuryAndSex
        yearInCentury = digits.year
    }

    /// Which published rule `text` breaks, when ``init(_:)`` refuses it, in words that do not repeat it.
    static func problem(_ text: String) -> String {
        guard text.utf8.count == 12, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return "cccd: 12 digits"
        }
        return "cccd: a province code of Circular 07/2016/TT-BCA"
    }

    var isFemale: Bool { centuryAndSex % 2 == 1 }

    /// Whether a person born in `year` would have these digits 4–6.
    func agrees(withBirthYear year: Int) -> Bool {
        let century = 1900 + 100 * (centuryAndSex / 2)
        return (century...(century + 99)).contains(year) && year % 100 == yearInCentury
    }

    /// The 63 province codes of the table in Circular 07/2016/TT-BCA. Numbers issued before the 2025 merger of
    /// provinces keep their codes, so the table is not changed by it.
    static let provinceCodes: Set<Int> = [
        1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54,
        56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
    ]
}

/// A Vietnamese telephone number of the current numbering plan (since 2018), written with no spaces:
/// `+84` or `0`, then a national number of 9 digits for a mobile (prefixes 3x, 5x, 7x, 8x, 9x of the plan)
/// or 10 digits for a landline (`2` and the province's area code, then the subscriber number).
enum PhoneNumberVN {
    static func isValid(_ text: String) -> Bool {
        var bytes = Substring(text).utf8[...]
        if bytes.starts(with: "+84".utf8) {
            bytes = bytes.dropFirst(3)
        } else if bytes.first == UInt8(ascii: "0") {
            bytes = bytes.dropFirst()
        } else {
            return false
        }
        guard bytes.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return false }
        let digits = bytes.map { Int($0 - UInt8(ascii: "0")) }
        switch digits.count {
        case 9: return mobilePrefixes.contains(digits[0] * 10 + digits[1])
        case 10:
            guard digits[0] == 2 else { return false }
            return [24, 28].contains(digits[0] * 10 + digits[1]) || areaCodes.contains(digits[0] * 100 + digits[1] * 10 + digits[2])
        default: return false
        }
    }

    /// The first two digits of the national number of mobile networks.
    static let mobilePrefixes: Set<Int> = [32, 33, 34, 35, 36, 37, 38, 39, 52, 55, 56, 58, 59, 70, 76, 77, 78, 79, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 96, 97, 98, 99]

    /// The three-digit landline area codes (the provinces other than Hà Nội, 24, and Hồ Chí Minh City, 28).
    static let areaCodes: Set<Int> = [
        203, 204, 205, 206, 207, 208, 209, 210, 211, 212, 213, 214, 215, 216, 218, 219, 220, 221, 222, 225, 226, 227, 228, 229, 232, 233, 234, 235,
        236, 237, 238, 239, 251, 252, 254, 255, 256, 257, 258, 259, 260, 261, 262, 263, 269, 270, 271, 272, 273, 274, 275, 276, 277, 290, 291, 292,
        293, 294, 296, 297, 299,
    ]
}

/// An email address in a subset of RFC 5322's addr-spec: a dot-atom local part of 1–64 ASCII characters
/// (letters, digits and ``atomSymbols``, dots only between them), `@`, and a domain of at least two labels of
/// letters, digits and inner hyphens, 1–63 characters each, 253 in all, the last not all digits. No quoted
/// local parts, no address literals, no comments; an internationalized domain is written in its `xn--` form.
enum EmailAddress {
    static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count <= 254, let at = bytes.lastIndex(of: UInt8(ascii: "@")) else { return false }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        guard (1...64).contains(local.count), (1...253).contains(domain.count) else { return false }
        let atoms = local.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard atoms.allSatisfy({ atom in !atom.isEmpty && atom.allSatisfy { isLetterOrDigit($0) || atomSymbols.contains($0) } }) else { return false }
        let labels = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2,
            labels.allSatisfy({ label in
                (1...63).contains(label.count) && label.first != UInt8(ascii: "-") && label.last != UInt8(ascii: "-")
                    && label.allSatisfy { isLetterOrDigit($0) || $0 == UInt8(ascii: "-") }
            }),
            let last = labels.last, !last.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { return false }
        return true
    }

    static let atomSymbols = Set("!#$%&'*+/=?^_`{|}~-".utf8)

    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: false
        }
    }
}

/// Dates and times as text: `date` is ISO 8601's `YYYY-MM-DD` (a real Gregorian date, years 0001–9999);
/// `datetime` is RFC 3339's `date-time` (`T` or `t`, seconds 00–59, an optional fraction of 1–9 digits,
/// `Z`, `z` or an offset `±HH:MM`).
enum CalendarText {
    static func date(_ text: String) -> (year: Int, month: Int, day: Int)? {
        guard text.utf8.count == 10 else { return nil }
        return date(Array(text.utf8)[...])
    }

    static func isDateTime(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, date(bytes[0..<10]) != nil, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
            let hour = number(bytes[11..<13]), hour <= 23, bytes[13] == UInt8(ascii: ":"),
            let minute = number(bytes[14..<16]), minute <= 59, bytes[16] == UInt8(ascii: ":"),
            let second = number(bytes[17..<19]), second <= 59
        else { return false }
        var rest = bytes[19...]
        if rest.first == UInt8(ascii: ".") {
            let fraction = rest.dropFirst().prefix { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            guard (1...9).contains(fraction.count) else { return false }
            rest = rest.dropFirst(1 + fraction.count)
        }
        if rest.elementsEqual("Z".utf8) || rest.elementsEqual("z".utf8) { return true }
        guard rest.count == 6, rest.first == UInt8(ascii: "+") || rest.first == UInt8(ascii: "-") else { return false }
        let start = rest.startIndex
        guard let offsetHours = number(rest[(start + 1)..<(start + 3)]), offsetHours <= 23, rest[start + 3] == UInt8(ascii: ":"),
            let offsetMinutes = number(rest[(start + 4)..<(start + 6)]), offsetMinutes <= 59
        else { return false }
        return true
    }

    private static func date(_ bytes: ArraySlice<UInt8>) -> (year: Int, month: Int, day: Int)? {
        let start = bytes.startIndex
        guard let year = number(bytes[start..<(start + 4)]), year >= 1, bytes[start + 4] == UInt8(ascii: "-"),
            let month = number(bytes[(start + 5)..<(start + 7)]), (1...12).contains(month), bytes[start + 7] == UInt8(ascii: "-"),
            let day = number(bytes[(start + 8)..<(start + 10)]), day >= 1, day <= daysIn(month: month, year: year)
        else { return nil }
        return (year, month, day)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// ASCII digits as a number; nil if any byte is not a digit.
    private static func number(_ bytes: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for byte in bytes {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
