import LienThongSchema
import Testing

@Suite("LinearPattern matches whole texts in linear time")
struct LinearPatternTests {
    @Test("matches the whole text, or not", arguments: matchRows)
    func matching(row: MatchRow) throws {
        let pattern = try LinearPattern(row.pattern)
        let (matched, steps) = pattern.matchCountingSteps(row.text)
        #expect(matched == row.matches)
        #expect(pattern.matches(row.text) == row.matches)
        #expect(steps <= (pattern.stateCount + 1) * (row.text.unicodeScalars.count + 1))
    }

    @Test("refuses a bad pattern, naming where and why", arguments: badPatternRows)
    func refusing(row: BadPatternRow) {
        let error = #expect(throws: PatternError.self) { try LinearPattern(row.pattern) }
        #expect(error?.position == row.position)
        #expect(error?.problem.contains(row.problem) == true, "\(String(describing: error))")
    }

    @Test("reads 10,000 hostile scalars with at most one visit per state per position", arguments: pathologicalRows)
    func linear(row: PathologicalRow) throws {
        let pattern = try LinearPattern(row.pattern)
        let text = String(repeating: "a", count: 10_000)
        let (matched, steps) = pattern.matchCountingSteps(text)
        #expect(matched == row.matches)
        #expect(steps <= (pattern.stateCount + 1) * 10_001)
    }

    @Test("describes an error by position and problem")
    func errorDescription() {
        let error = #expect(throws: PatternError.self) { try LinearPattern("ab$") }
        #expect(error.map { "\($0)" } == "pattern position 3: anchors are implicit")
    }

    @Test("is equal and hashes by its source")
    func equality() throws {
        let digits = try LinearPattern(#"\d+"#)
        #expect(digits == (try LinearPattern(#"\d+"#)))
        #expect(digits != (try LinearPattern("[0-9]+")))
        #expect(Set([digits, try LinearPattern(#"\d+"#)]).count == 1)
        #expect(digits.source == #"\d+"#)
    }

    @Test("counts its states: one per scalar test and split, and the match state")
    func states() throws {
        #expect(try LinearPattern("").stateCount == 1)
        #expect(try LinearPattern("abc").stateCount == 4)
        #expect(try LinearPattern("a*").stateCount == 3)
        #expect(try LinearPattern("a{2,3}").stateCount == 5)
        #expect(try LinearPattern("x()*(a{0}){9}").stateCount == 2)
        #expect(try LinearPattern("(a{1000}){3}b{999}").stateCount == LinearPattern.maximumStates)
    }
}

extension LinearPatternTests.MatchRow: CustomTestStringConvertible {
    var testDescription: String { "\(pattern) on \(text.debugDescription.prefix(40)) → \(matches)" }
}

extension LinearPatternTests.BadPatternRow: CustomTestStringConvertible {
    var testDescription: String { "\(pattern.prefix(40)) → \(position): \(problem)" }
}

extension LinearPatternTests.PathologicalRow: CustomTestStringConvertible {
    var testDescription: String { pattern }
}

// MARK: - Rows

extension LinearPatternTests {
    struct MatchRow: Sendable {
        let pattern: String
        let text: String
        let matches: Bool

        init(_ pattern: String, _ text: String, _ matches: Bool) {
            (self.pattern, self.text, self.matches) = (pattern, text, matches)
        }
    }

    struct BadPatternRow: Sendable {
        let pattern: String
        let position: Int
        /// A part of the expected problem.
        let problem: String

        init(_ pattern: String, _ position: Int, _ problem: String) {
            (self.pattern, self.position, self.problem) = (pattern, position, problem)
        }
    }

    struct PathologicalRow: Sendable {
        let pattern: String
        /// Whether 10,000 `a`s match.
        let matches: Bool

        init(_ pattern: String, _ matches: Bool) { (self.pattern, self.matches) = (pattern, matches) }
    }

    static let matchRows: [MatchRow] = [
        // Literals, anchored at both ends.
        MatchRow("abc", "abc", true),
        MatchRow("abc", "abd", false),
        MatchRow("abc", "abcd", false),
        MatchRow("abc", "zabc", false),
        MatchRow("abc", "ab", false),
        MatchRow("", "", true),
        MatchRow("", "a", false),
        MatchRow("a b", "a b", true),
        MatchRow("#@!%&=~<>,;:'\"", "#@!%&=~<>,;:'\"", true),
        // Any scalar.
        MatchRow("a.c", "abc", true),
        MatchRow("a.c", "a\nc", true),
        MatchRow("a.c", "ac", false),
        MatchRow(".", "ễ", true),
        MatchRow(".", "😀", true),
        MatchRow(".", "", false),
        // Escapes.
        MatchRow(#"\d{3}"#, "123", true),
        MatchRow(#"\d"#, "a", false),
        MatchRow(#"\d"#, "٣", false),
        MatchRow(#"\D"#, "a", true),
        MatchRow(#"\D"#, "5", false),
        MatchRow(#"\w+"#, "snake_Case9", true),
        MatchRow(#"\w"#, "-", false),
        MatchRow(#"\w"#, "é", false),
        MatchRow(#"\W"#, "é", true),
        MatchRow(#"\W"#, "_", false),
        MatchRow(#"\s"#, "\t", true),
        MatchRow(#"\s"#, "\u{0B}", true),
        MatchRow(#"\s"#, "\r", true),
        MatchRow(#"\s"#, "\u{A0}", false),
        MatchRow(#"\S"#, "x", true),
        MatchRow(#"\S"#, " ", false),
        MatchRow(#"\.\*\+\?\(\)\[\]\{\}\|\\"#, #".*+?()[]{}|\"#, true),
        MatchRow(#"\-\^\$\/"#, "-^$/", true),
        MatchRow(#"a\.b"#, "axb", false),
        MatchRow(#"\u{41}"#, "A", true),
        MatchRow(#"\u{41}"#, "a", false),
        MatchRow(#"\u{1EC5}"#, "ễ", true),
        MatchRow(#"\u{01f600}"#, "😀", true),
        MatchRow(#"\u{0}"#, "\u{0}", true),
        MatchRow(#"[\u{61}-\u{63}]+"#, "abcab", true),
        MatchRow(#"[\u{61}-\u{63}]+"#, "abd", false),
        // Classes.
        MatchRow("[abc]", "b", true),
        MatchRow("[abc]", "d", false),
        MatchRow("[abc]", "", false),
        MatchRow("[^abc]", "d", true),
        MatchRow("[^abc]", "a", false),
        MatchRow("[^abc]", "\n", true),
        MatchRow("[a-z]+", "hello", true),
        MatchRow("[a-z]+", "Hello", false),
        MatchRow("[a-z0-9_]+", "user_42", true),
        MatchRow("[-a]", "-", true),
        MatchRow("[a-]", "-", true),
        MatchRow("[^-]", "-", false),
        MatchRow("[+--]", ",", true),
        MatchRow(#"[\]\[]"#, "]", true),
        MatchRow(#"[\]\[]"#, "[", true),
        MatchRow(#"[\d\s]+"#, "1 2\t3", true),
        MatchRow(#"[\d\s]+"#, "1 2x", false),
        MatchRow(#"[\D]"#, "5", false),
        MatchRow(#"[\W\d]"#, "5", true),
        MatchRow(#"[\W\d]"#, "x", false),
        MatchRow(#"[^\d]"#, "x", true),
        MatchRow(#"[^\s\S]"#, "a", false),
        MatchRow("[.*]", "*", true),
        MatchRow("[.*]", "a", false),
        MatchRow("[a^]", "^", true),
        MatchRow("[(){}|?+$]+", "(){}|?+$", true),
        // Groups and alternation.
        MatchRow("(ab)+", "ababab", true),
        MatchRow("(ab)+", "", false),
        MatchRow("(ab)+", "aba", false),
        MatchRow("cat|dog", "dog", true),
        MatchRow("cat|dog", "cow", false),
        MatchRow("cat|dog", "catdog", false),
        MatchRow("a(b|c|d)e", "ade", true),
        MatchRow("(a|)b", "b", true),
        MatchRow("(a|)b", "ab", true),
        MatchRow("(|a)", "", true),
        MatchRow("a|", "", true),
        MatchRow("|", "", true),
        MatchRow("((a))", "a", true),
        MatchRow("()", "", true),
        MatchRow(String(repeating: "(", count: 100) + "a" + String(repeating: ")", count: 100), "a", true),
        // Quantifiers.
        MatchRow("a*", "", true),
        MatchRow("a*", "aaa", true),
        MatchRow("a*", "aab", false),
        MatchRow("a+", "", false),
        MatchRow("a+", "aaaa", true),
        MatchRow("a?", "", true),
        MatchRow("a?", "aa", false),
        MatchRow("a{3}", "aaa", true),
        MatchRow("a{3}", "aa", false),
        MatchRow("a{3}", "aaaa", false),
        MatchRow("a{2,}", "aaaaa", true),
        MatchRow("a{2,}", "a", false),
        MatchRow("a{0,}", "", true),
        MatchRow("a{2,4}", "aa", true),
        MatchRow("a{2,4}", "aaaa", true),
        MatchRow("a{2,4}", "aaaaa", false),
        MatchRow("a{0}", "", true),
        MatchRow("a{0,0}", "a", false),
        MatchRow("a{007}", "aaaaaaa", true),
        MatchRow("(ab){1,2}c", "ababc", true),
        MatchRow("(ab){1,2}c", "abababc", false),
        MatchRow("(a*)*b", "aab", true),
        MatchRow("(a|aa)*c", "aaac", true),
        MatchRow("()*", "", true),
        MatchRow("((((){1000}){1000}){1000}){1000}", "", true),
        MatchRow("((((){1000}){1000}){1000}){1000}", "a", false),
        MatchRow("(a{0}){1000}b", "b", true),
        MatchRow("(a?){3}a{3}", "aaa", true),
        MatchRow("(a?){3}a{3}", "aaaaaaa", false),
        MatchRow("x{1000}", String(repeating: "x", count: 1000), true),
        MatchRow("x{1000}", String(repeating: "x", count: 999), false),
        // Vietnamese and other scalars beyond ASCII.
        MatchRow("[A-ZÀ-Ỹa-zà-ỹ ]+", "Nguyễn Văn An", true),
        MatchRow("[A-ZÀ-Ỹa-zà-ỹ ]+", "Trần Thị Bích Ngọc", true),
        MatchRow("[A-ZÀ-Ỹa-zà-ỹ ]+", "Nguyễn Văn An 2", false),
        MatchRow("Nguyễn .+", "Nguyễn Thị Bích", true),
        MatchRow("[ĐđA-Za-z]+", "Đào", false),
        MatchRow("ễ", "\u{1EC5}", true),
        MatchRow("ễ", "e\u{302}\u{303}", false),
        MatchRow("(Hà Nội|Huế|Đà Nẵng)", "Huế", true),
        MatchRow("(Hà Nội|Huế|Đà Nẵng)", "Hue", false),
        MatchRow(#"\d{12}"#, "001203004005", true),
        MatchRow(#"\d{12}"#, "00120300400", false),
        MatchRow(#"[^\u{0}-\u{7F}]+"#, "ắẫ😀", true),
    ]

    static let badPatternRows: [BadPatternRow] = [
        BadPatternRow("(ab", 1, "unbalanced parenthesis"),
        BadPatternRow("ab)", 3, "unbalanced parenthesis"),
        BadPatternRow("a(b(c)", 2, "unbalanced parenthesis"),
        BadPatternRow("^ab", 1, "anchors are implicit"),
        BadPatternRow("ab$", 3, "anchors are implicit"),
        BadPatternRow("*a", 1, "nothing to repeat"),
        BadPatternRow("a|+b", 3, "nothing to repeat"),
        BadPatternRow("(*a)", 2, "nothing to repeat"),
        BadPatternRow("{2}", 1, "nothing to repeat"),
        BadPatternRow("a**", 3, "cannot follow another quantifier"),
        BadPatternRow("a+{2}", 3, "cannot follow another quantifier"),
        BadPatternRow("a*?", 3, "lazy and possessive quantifiers are not supported"),
        BadPatternRow("a*+", 3, "lazy and possessive quantifiers are not supported"),
        BadPatternRow("a{2}?", 5, "lazy and possessive quantifiers are not supported"),
        BadPatternRow("a{", 2, "must be followed by a count"),
        BadPatternRow("a{x}", 2, "must be followed by a count"),
        BadPatternRow("a{,3}", 2, "must be followed by a count"),
        BadPatternRow("a{2", 2, "must be followed by a count"),
        BadPatternRow("a{2,3", 2, "must be followed by a count"),
        BadPatternRow("a{ 2}", 2, "must be followed by a count"),
        BadPatternRow("a{3,2}", 2, "repetition range out of order"),
        BadPatternRow("a{1001}", 2, "repetition count above 1000"),
        BadPatternRow("a{1,99999999999999999999999}", 2, "repetition count above 1000"),
        BadPatternRow("a}", 2, #"\}"#),
        BadPatternRow("a]", 2, #"\]"#),
        BadPatternRow("(?i)a", 1, "group flags are not supported"),
        BadPatternRow(#"a\q"#, 2, #"unknown escape \q"#),
        BadPatternRow(#"\b"#, 1, #"unknown escape \b"#),
        BadPatternRow("\\\u{1EC5}", 1, "U+1EC5"),
        BadPatternRow(#"ab\"#, 3, "ends with a backslash"),
        BadPatternRow(#"\u41"#, 1, "hex digits"),
        BadPatternRow(#"\u{}"#, 1, "hex digits"),
        BadPatternRow(#"\u{1234567}"#, 1, "hex digits"),
        BadPatternRow(#"\u{12g}"#, 1, "hex digits"),
        BadPatternRow(#"\u{41"#, 1, "hex digits"),
        BadPatternRow(#"\u{D800}"#, 1, "not a Unicode scalar"),
        BadPatternRow(#"\u{110000}"#, 1, "not a Unicode scalar"),
        BadPatternRow("[]", 2, "empty character class"),
        BadPatternRow("[^]", 3, "empty character class"),
        BadPatternRow("[abc", 1, "unterminated character class"),
        BadPatternRow("x[a-", 2, "unterminated character class"),
        BadPatternRow("[z-a]", 2, "range out of order"),
        BadPatternRow("[ỹ-à]", 2, "range out of order"),
        BadPatternRow(#"[a-\d]"#, 2, "a range must end at a single scalar"),
        BadPatternRow("[a-c-e]", 5, #"\-"#),
        BadPatternRow(#"[\d-z]"#, 4, #"\-"#),
        BadPatternRow("[[:alpha:]]", 2, #"\["#),
        BadPatternRow(#"[\x]"#, 2, #"unknown escape \x"#),
        BadPatternRow("x(a{1000}){4}", 11, "the pattern is too large"),
        BadPatternRow("a{1000}a{1000}a{1000}a{1000}", 22, "the pattern is too large"),
        BadPatternRow("((a{1000}){1000}){1000}", 11, "the pattern is too large"),
        BadPatternRow(String(repeating: "a", count: 1001), 1001, "longer than 1000 scalars"),
        BadPatternRow(String(repeating: "(", count: 101) + "a" + String(repeating: ")", count: 101), 101, "too deeply nested"),
    ]

    static let pathologicalRows: [PathologicalRow] = [
        PathologicalRow("(a|a)*b", false),
        PathologicalRow("(a*)*b", false),
        PathologicalRow("(a|aa)*c", false),
        PathologicalRow("(.*)*x", false),
        PathologicalRow(#"(\w+\s?)*!"#, false),
        PathologicalRow("(a+)+b", false),
        PathologicalRow("(a?){1000}a{1000}", false),
        PathologicalRow("(.*a){100}", true),
        PathologicalRow("(a|a)*", true),
        PathologicalRow("(a*)*", true),
    ]
}
