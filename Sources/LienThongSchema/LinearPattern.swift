/// A pattern from a dataset schema (the `pattern` rule of a string field), matched against text that peers
/// send. Peers may be hostile, so matching never backtracks: the pattern is compiled to a Thompson NFA and
/// the text is read once, left to right, with the set of states the NFA can be in. The work is at most one
/// visit per state per position: O(states × scalars), whatever the pattern and the text.
///
/// A pattern matches the whole text, from its first Unicode scalar to its last. It compares scalars as they
/// are, with no case folding and no normalization: callers pass NFC text (and NFC patterns).
///
/// The syntax, all of it; anything else is refused with a ``PatternError``:
///
///     pattern     = branch ( "|" branch )*
///     branch      = piece*                   an empty branch matches the empty text: "(a|)"
///     piece       = atom quantifier?
///     quantifier  = "*" | "+" | "?" | "{" m "}" | "{" m ",}" | "{" m "," n "}"
///                                            decimal m and n, 0 ≤ m ≤ n ≤ 1000, no spaces
///     atom        = literal | "." | escape | class | "(" pattern ")"
///     literal     = any scalar but \ . [ ] ( ) { } | * + ? ^ $
///     escape      = "\d" | "\D" | "\w" | "\W" | "\s" | "\S"
///                 | "\" followed by one of \ . [ ] ( ) { } | * + ? - ^ $ /    (that scalar itself)
///                 | "\u{" 1 to 6 hex digits "}"                                (that scalar, which must exist)
///     class       = "[" "^"? item+ "]"
///     item        = single | single "-" single | "\d" | "\D" | "\w" | "\W" | "\s" | "\S"
///     single      = any scalar but \ [ ] ; or an escape that names one scalar
///
/// - `.` matches any one scalar, newline included.
/// - `\d` is an ASCII digit `0-9`; `\w` an ASCII letter, digit or `_`; `\s` space, tab, LF, VT, FF or CR.
///   `\D`, `\W` and `\S` match every other scalar. No other Unicode categories are known.
/// - `[^…]` matches any scalar that no item matches. A range `x-y` needs `x ≤ y` (by scalar value). Inside a
///   class, `-` is itself only first (after any `^`) or last, `^` is itself except first, the other
///   metacharacters are themselves, and `[`, `]` and `\` need a backslash. `[]` and `[^]` are errors.
/// - Groups only group: `(?` is an error, and nothing is captured.
/// - `^` and `$` are errors: every pattern is anchored at both ends already.
/// - Lazy and possessive quantifiers (`*?`, `*+`, `{2}?`…) are errors, as is a quantifier after another
///   (`a**`): for a whole-text match they mean nothing. A quantifier with nothing before it is an error, and
///   `{` is never a literal.
/// - Limits: 1000 scalars of source, 100 nested groups, 4000 NFA states once `{m,n}` is expanded into copies.
public struct LinearPattern: Sendable, Hashable {
    /// The pattern as written.
    public let source: String
    private let program: Program

    /// Compiles `source`; throws a ``PatternError`` naming the position (in Unicode scalars, from 1) and the problem.
    public init(_ source: String) throws(PatternError) {
        var parser = try Parser(source)
        let tree = try parser.parsePattern()
        self.source = source
        program = Program(tree: tree, sets: parser.sets)
    }

    /// Whether the whole of `text` matches (the pattern is anchored at both ends; `^` and `$` are not part of the syntax).
    public func matches(_ text: String) -> Bool { program.run(text).matched }

    /// The same, also returning how many NFA state visits the match took: tests use this to prove the work is
    /// bounded by (states + 1) × (scalars + 1).
    public func matchCountingSteps(_ text: String) -> (matched: Bool, steps: Int) { program.run(text) }

    /// How many NFA states the compiled pattern has.
    public var stateCount: Int { program.states.count }

    /// The longest source accepted, in Unicode scalars.
    public static let maximumSourceScalars = 1000
    /// The most NFA states a pattern may compile to: bounds the work per scalar of text.
    public static let maximumStates = 4000
    /// The largest `m` or `n` in `{m,n}`.
    public static let maximumRepetition = 1000
    /// How deeply groups may nest.
    static let maximumNesting = 100

    /// Patterns are equal when their sources are the same scalars: the scalars are what is matched.
    public static func == (left: LinearPattern, right: LinearPattern) -> Bool {
        left.source.unicodeScalars.elementsEqual(right.source.unicodeScalars)
    }

    /// Hashes the source's scalars, as `==` compares them.
    public func hash(into hasher: inout Hasher) {
        for scalar in source.unicodeScalars { hasher.combine(scalar.value) }
    }
}

/// Why a pattern was refused, and where.
public struct PatternError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The 1-based offset, in Unicode scalars, of the part of the pattern at fault.
    public let position: Int
    /// A few words, such as "unbalanced parenthesis".
    public let problem: String

    /// "pattern position 3: anchors are implicit".
    public var description: String { "pattern position \(position): \(problem)" }
}

// MARK: - Parsing

/// A parsed pattern, before it becomes NFA states.
private indirect enum Node {
    case scalar(UInt32)
    case any
    /// An index into the parser's `sets`.
    case set(Int)
    case sequence([Node])
    case alternation([Node])
    /// `max` nil is unbounded.
    case repetition(Node, min: Int, max: Int?)
}

/// A node and how many NFA states it compiles to (the final match state aside).
private struct Sized {
    let node: Node
    let size: Int
}

/// What an escape stands for: one scalar, or a set of them (`\d`, `\W`…).
private enum Escaped {
    case scalar(Unicode.Scalar)
    case set([ClosedRange<UInt32>])
}

/// A recursive-descent parser over the pattern's scalars. It recurses once per group, and groups nest at
/// most ``LinearPattern/maximumNesting`` deep.
private struct Parser {
    private let scalars: [Unicode.Scalar]
    private var index = 0
    /// The character classes met so far; nodes refer to them by index.
    private(set) var sets: [ScalarSet] = []

    init(_ source: String) throws(PatternError) {
        scalars = Array(source.unicodeScalars.prefix(LinearPattern.maximumSourceScalars + 1))
        guard scalars.count <= LinearPattern.maximumSourceScalars else {
            throw PatternError(position: scalars.count, problem: "the pattern is longer than \(LinearPattern.maximumSourceScalars) scalars")
        }
    }

    mutating func parsePattern() throws(PatternError) -> Node {
        let pattern = try parseAlternation(depth: 0)
        if index < scalars.count { throw PatternError(position: index + 1, problem: "unbalanced parenthesis") }
        return pattern.node
    }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    private func error(at offset: Int, _ problem: String) -> PatternError {
        PatternError(position: offset + 1, problem: problem)
    }

    /// `size` if the pattern still fits in ``LinearPattern/maximumStates`` with it (and the match state).
    private func fitting(_ size: Int, at offset: Int) throws(PatternError) -> Int {
        guard size < LinearPattern.maximumStates else { throw error(at: offset, "the pattern is too large") }
        return size
    }

    private mutating func parseAlternation(depth: Int) throws(PatternError) -> Sized {
        let first = try parseSequence(depth: depth)
        guard peek() == "|" else { return first }
        var branches = [first.node]
        var size = first.size
        while peek() == "|" {
            let bar = index
            index += 1
            let branch = try parseSequence(depth: depth)
            branches.append(branch.node)
            size = try fitting(size + branch.size + 1, at: bar)
        }
        return Sized(node: .alternation(branches), size: size)
    }

    private mutating func parseSequence(depth: Int) throws(PatternError) -> Sized {
        var pieces: [Node] = []
        var size = 0
        while let next = peek(), next != "|", next != ")" {
            let start = index
            let piece = try parsePiece(depth: depth)
            // A piece without states matches only the empty text: leaving it out keeps the work of
            // compiling bounded by the states made, even for "((){1000}){1000}".
            if piece.size > 0 { pieces.append(piece.node) }
            size = try fitting(size + piece.size, at: start)
        }
        return pieces.count == 1 ? Sized(node: pieces[0], size: size) : Sized(node: .sequence(pieces), size: size)
    }

    private mutating func parsePiece(depth: Int) throws(PatternError) -> Sized {
        let atom = try parseAtom(depth: depth)
        let quantifier = index
        let min: Int
        let max: Int?
        switch peek() {
        case "*": (min, max) = (0, nil); index += 1
        case "+": (min, max) = (1, nil); index += 1
        case "?": (min, max) = (0, 1); index += 1
        case "{": (min, max) = try parseCount()
        default: return atom
        }
        switch peek() {
        case "?", "+": throw error(at: index, "lazy and possessive quantifiers are not supported")
        case "*", "{": throw error(at: index, "a quantifier cannot follow another quantifier")
        default: break
        }
        guard atom.size > 0, max != 0 else { return Sized(node: .sequence([]), size: 0) }
        let size: Int
        if let max {
            size = min * atom.size + (max - min) * (atom.size + 1)
        } else {
            size = Swift.max(min, 1) * atom.size + 1
        }
        return Sized(node: .repetition(atom.node, min: min, max: max), size: try fitting(size, at: quantifier))
    }

    /// `{m}`, `{m,}` or `{m,n}`, with the index on the `{`.
    private mutating func parseCount() throws(PatternError) -> (min: Int, max: Int?) {
        let brace = index
        index += 1
        let invalid = error(at: brace, "{ must be followed by a count: {m}, {m,} or {m,n}")
        guard let min = try parseNumber(brace: brace) else { throw invalid }
        var max: Int? = min
        if peek() == "," {
            index += 1
            max = try parseNumber(brace: brace)
        }
        guard peek() == "}" else { throw invalid }
        index += 1
        if let max, max < min { throw error(at: brace, "repetition range out of order") }
        return (min, max)
    }

    /// Decimal digits, if any, refused above ``LinearPattern/maximumRepetition``.
    private mutating func parseNumber(brace: Int) throws(PatternError) -> Int? {
        var value: Int?
        while let digit = peek(), ("0"..."9").contains(digit) {
            value = (value ?? 0) * 10 + Int(digit.value - 0x30)
            guard let value, value <= LinearPattern.maximumRepetition else {
                throw error(at: brace, "repetition count above \(LinearPattern.maximumRepetition)")
            }
            index += 1
        }
        return value
    }

    private mutating func parseAtom(depth: Int) throws(PatternError) -> Sized {
        guard let scalar = peek() else { throw error(at: index, "unexpected end of pattern") }
        switch scalar {
        case "(":
            let open = index
            guard depth < LinearPattern.maximumNesting else { throw error(at: open, "too deeply nested") }
            if peek(1) == "?" { throw error(at: open, "group flags are not supported") }
            index += 1
            let inner = try parseAlternation(depth: depth + 1)
            guard peek() == ")" else { throw error(at: open, "unbalanced parenthesis") }
            index += 1
            return inner
        case "*", "+", "?", "{": throw error(at: index, "nothing to repeat")
        case "}": throw error(at: index, "unmatched brace: write \\} for a literal brace")
        case "]": throw error(at: index, "unmatched bracket: write \\] for a literal bracket")
        case "^", "$": throw error(at: index, "anchors are implicit")
        case ".":
            index += 1
            return Sized(node: .any, size: 1)
        case "[":
            return Sized(node: .set(try parseClass()), size: 1)
        case "\\":
            switch try parseEscape() {
            case .scalar(let escaped): return Sized(node: .scalar(escaped.value), size: 1)
            case .set(let ranges): return Sized(node: .set(adding(ScalarSet(ranges))), size: 1)
            }
        default:
            index += 1
            return Sized(node: .scalar(scalar.value), size: 1)
        }
    }

    private mutating func adding(_ set: ScalarSet) -> Int {
        sets.append(set)
        return sets.count - 1
    }

    /// A class, with the index on the `[`; returns the index of its set.
    private mutating func parseClass() throws(PatternError) -> Int {
        let open = index
        index += 1
        let negated = peek() == "^"
        if negated { index += 1 }
        var ranges: [ClosedRange<UInt32>] = []
        var first = true
        while true {
            guard let scalar = peek() else { throw error(at: open, "unterminated character class") }
            if scalar == "]" {
                if first { throw error(at: index, "empty character class") }
                index += 1
                break
            }
            if scalar == "-", !first, let after = peek(1), after != "]" {
                throw error(at: index, "write \\- for a literal hyphen inside a class")
            }
            let start = index
            let low: UInt32
            switch try parseClassSingle() {
            case .set(let escaped):
                ranges += escaped
                first = false
                continue
            case .scalar(let single): low = single.value
            }
            first = false
            guard peek() == "-", let after = peek(1), after != "]" else {
                ranges.append(low...low)
                continue
            }
            index += 1
            guard case .scalar(let end) = try parseClassSingle() else {
                throw error(at: start, "a range must end at a single scalar")
            }
            guard low <= end.value else { throw error(at: start, "range out of order") }
            ranges.append(low...end.value)
        }
        return adding(ScalarSet(negated ? ScalarSet.complement(ranges) : ranges))
    }

    /// One scalar or escape inside a class.
    private mutating func parseClassSingle() throws(PatternError) -> Escaped {
        guard let scalar = peek() else { throw error(at: index, "unexpected end of pattern") }
        switch scalar {
        case "\\": return try parseEscape()
        case "[": throw error(at: index, "write \\[ for a literal bracket inside a class")
        default:
            index += 1
            return .scalar(scalar)
        }
    }

    /// An escape, with the index on the backslash.
    private mutating func parseEscape() throws(PatternError) -> Escaped {
        let slash = index
        guard let scalar = peek(1) else { throw error(at: slash, "the pattern ends with a backslash") }
        index += 2
        switch scalar {
        case "d": return .set(ScalarSet.digit)
        case "D": return .set(ScalarSet.complement(ScalarSet.digit))
        case "w": return .set(ScalarSet.word)
        case "W": return .set(ScalarSet.complement(ScalarSet.word))
        case "s": return .set(ScalarSet.space)
        case "S": return .set(ScalarSet.complement(ScalarSet.space))
        case "u": return .scalar(try parseHexScalar(slash: slash))
        case "\\", ".", "[", "]", "(", ")", "{", "}", "|", "*", "+", "?", "-", "^", "$", "/": return .scalar(scalar)
        case "!"..."~": throw error(at: slash, "unknown escape \\\(scalar)")
        default: throw error(at: slash, "unknown escape: \\ followed by U+\(String(scalar.value, radix: 16, uppercase: true))")
        }
    }

    /// The `{HEX}` of `\u{HEX}`, with the index after the `u`.
    private mutating func parseHexScalar(slash: Int) throws(PatternError) -> Unicode.Scalar {
        let invalid = error(at: slash, "\\u must be followed by 1 to 6 hex digits in braces")
        guard peek() == "{" else { throw invalid }
        index += 1
        var value: UInt32 = 0
        var digits = 0
        while let scalar = peek(), scalar != "}" {
            guard digits < 6, let digit = hexValue(scalar) else { throw invalid }
            value = value * 16 + digit
            digits += 1
            index += 1
        }
        guard digits > 0, peek() == "}" else { throw invalid }
        index += 1
        guard let scalar = Unicode.Scalar(value) else { throw error(at: slash, "\\u{…} is not a Unicode scalar") }
        return scalar
    }

    private func hexValue(_ scalar: Unicode.Scalar) -> UInt32? {
        switch scalar {
        case "0"..."9": scalar.value - 0x30
        case "a"..."f": scalar.value - 0x61 + 10
        case "A"..."F": scalar.value - 0x41 + 10
        default: nil
        }
    }
}

// MARK: - Character classes

/// A set of scalars as sorted, disjoint, non-adjacent ranges, with a bitmap for ASCII.
private struct ScalarSet: Sendable {
    private let lows: [UInt32]
    private let highs: [UInt32]
    private let asciiLow: UInt64
    private let asciiHigh: UInt64

    static let digit: [ClosedRange<UInt32>] = [0x30...0x39]
    static let word: [ClosedRange<UInt32>] = [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]
    static let space: [ClosedRange<UInt32>] = [0x09...0x0D, 0x20...0x20]

    init(_ ranges: [ClosedRange<UInt32>]) {
        let merged = Self.merged(ranges)
        lows = merged.map(\.lowerBound)
        highs = merged.map(\.upperBound)
        var bits: (UInt64, UInt64) = (0, 0)
        for range in merged where range.lowerBound < 128 {
            for value in range.lowerBound...Swift.min(range.upperBound, 127) {
                if value < 64 { bits.0 |= 1 << value } else { bits.1 |= 1 << (value - 64) }
            }
        }
        (asciiLow, asciiHigh) = bits
    }

    func contains(_ value: UInt32) -> Bool {
        if value < 64 { return asciiLow >> value & 1 != 0 }
        if value < 128 { return asciiHigh >> (value - 64) & 1 != 0 }
        // The first range that starts above `value`; the one before it is the only one that can hold it.
        var low = 0
        var high = lows.count
        while low < high {
            let middle = (low + high) / 2
            if lows[middle] <= value { low = middle + 1 } else { high = middle }
        }
        return low > 0 && value <= highs[low - 1]
    }

    /// The ranges sorted, with overlapping and adjacent ones joined.
    static func merged(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var merged: [ClosedRange<UInt32>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, range.lowerBound <= last.upperBound + 1 {
                merged[merged.count - 1] = last.lowerBound...Swift.max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    /// Every scalar value up to U+10FFFF that none of the ranges holds.
    static func complement(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var result: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for range in merged(ranges) {
            if range.lowerBound > next { result.append(next...(range.lowerBound - 1)) }
            next = range.upperBound + 1
        }
        if next <= 0x10FFFF { result.append(next...0x10FFFF) }
        return result
    }
}

// MARK: - The NFA

private struct State: Sendable {
    enum Kind: UInt8, Sendable {
        /// Consumes the scalar `value`.
        case scalar
        /// Consumes any scalar.
        case any
        /// Consumes a scalar in `sets[value]`.
        case set
        /// Goes on to both `next` and `alternative` without consuming.
        case split
        /// The whole pattern has matched.
        case match
    }

    var kind: Kind
    var value: UInt32 = 0
    var next = 0
    var alternative = 0
}

/// The compiled NFA and its simulation.
private struct Program: Sendable {
    /// State 0 is the match state.
    private(set) var states = [State(kind: .match)]
    private let sets: [ScalarSet]
    private var start = 0

    init(tree: Node, sets: [ScalarSet]) {
        self.sets = sets
        start = emit(tree, then: 0)
    }

    /// Adds the states of `node`, leading to state `next`, and returns the state to enter them by. Built back
    /// to front, so that every state knows where it goes when it is made; only loops need patching.
    private mutating func emit(_ node: Node, then next: Int) -> Int {
        switch node {
        case .scalar(let value): return add(State(kind: .scalar, value: value, next: next))
        case .any: return add(State(kind: .any, next: next))
        case .set(let index): return add(State(kind: .set, value: UInt32(index), next: next))
        case .sequence(let pieces):
            var entry = next
            for piece in pieces.reversed() { entry = emit(piece, then: entry) }
            return entry
        case .alternation(let branches):
            guard let last = branches.last else { return next }
            var entry = emit(last, then: next)
            for branch in branches.dropLast().reversed() {
                entry = add(State(kind: .split, next: emit(branch, then: next), alternative: entry))
            }
            return entry
        case .repetition(let body, let min, let max):
            var entry = next
            var copies = min
            if let max {
                // The optional copies nest, (x(x(x)?)?)?, and each may skip straight to `next`.
                for _ in min..<max { entry = add(State(kind: .split, next: emit(body, then: entry), alternative: next)) }
            } else {
                // x* is a split that loops through the body; x+ enters the body first.
                let loop = add(State(kind: .split, alternative: next))
                let bodyEntry = emit(body, then: loop)
                states[loop].next = bodyEntry
                entry = min == 0 ? loop : bodyEntry
                copies = Swift.max(min - 1, 0)
            }
            for _ in 0..<copies { entry = emit(body, then: entry) }
            return entry
        }
    }

    private mutating func add(_ state: State) -> Int {
        states.append(state)
        return states.count - 1
    }

    /// Reads `text` once, scalar by scalar, with the list of consuming states the NFA is in.
    func run(_ text: String) -> (matched: Bool, steps: Int) {
        let count = states.count
        return states.withUnsafeBufferPointer { states in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: Walk.memoryNeeded(states: count)) { memory in
                var walk = Walk(states: states, memory: memory)
                walk.enter(start)
                walk.advance()
                for scalar in text.unicodeScalars {
                    if walk.isStuck { return (false, walk.steps) }
                    let value = scalar.value
                    for index in walk.current {
                        let state = states[index]
                        let accepted =
                            switch state.kind {
                            case .scalar: state.value == value
                            case .any: true
                            case .set: sets[Int(state.value)].contains(value)
                            case .split, .match: false
                            }
                        if accepted { walk.enter(state.next) }
                    }
                    walk.advance()
                }
                return (walk.current.contains(0), walk.steps)
            }
        }
    }
}

/// The NFA's states at one position and the next: the states of `current` consume the position's scalar,
/// and `enter` adds what they lead to to the next position's list. Each state is visited at most once per
/// position (it is stamped with the position's generation), so a list holds at most every state once, and
/// splits are followed with an explicit stack that holds at most two entries per split, plus one.
private struct Walk {
    private let states: UnsafeBufferPointer<State>
    private let stamps: UnsafeMutableBufferPointer<Int>
    private let stack: UnsafeMutableBufferPointer<Int>
    private var currentList: UnsafeMutableBufferPointer<Int>
    private var currentCount = 0
    private var followingList: UnsafeMutableBufferPointer<Int>
    private var followingCount = 0
    private var generation = 1
    /// State visits so far.
    private(set) var steps = 0

    /// Stamps, two lists and the stack.
    static func memoryNeeded(states: Int) -> Int { 5 * states + 1 }

    /// Uses `memory`, of ``memoryNeeded(states:)`` integers, for its stamps, lists and stack.
    init(states: UnsafeBufferPointer<State>, memory: UnsafeMutableBufferPointer<Int>) {
        let count = states.count
        self.states = states
        memory.initialize(repeating: 0)
        stamps = UnsafeMutableBufferPointer(rebasing: memory[0..<count])
        currentList = UnsafeMutableBufferPointer(rebasing: memory[count..<(2 * count)])
        followingList = UnsafeMutableBufferPointer(rebasing: memory[(2 * count)..<(3 * count)])
        stack = UnsafeMutableBufferPointer(rebasing: memory[(3 * count)...])
    }

    /// The states that consume the current position's scalar, and the match state if it was reached.
    var current: Slice<UnsafeMutableBufferPointer<Int>> { currentList[0..<currentCount] }

    /// Whether the list is empty: nothing that follows can match.
    var isStuck: Bool { currentCount == 0 }

    /// Adds to the next position's list the consuming states and the match state reachable from `entry`.
    mutating func enter(_ entry: Int) {
        stack[0] = entry
        var top = 1
        while top > 0 {
            top -= 1
            let index = stack[top]
            guard stamps[index] != generation else { continue }
            stamps[index] = generation
            steps += 1
            let state = states[index]
            if state.kind == .split {
                stack[top] = state.alternative
                stack[top + 1] = state.next
                top += 2
            } else {
                followingList[followingCount] = index
                followingCount += 1
            }
        }
    }

    /// Moves to the next position.
    mutating func advance() {
        swap(&currentList, &followingList)
        currentCount = followingCount
        followingCount = 0
        generation += 1
    }
}
