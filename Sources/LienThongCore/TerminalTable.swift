/// The one table format of every `lienthong` command that prints rows (README, "Output formats"): a header row of column
/// names in the operator's language, then one line per row, each column padded to its widest cell as a
/// terminal shows it, two spaces apart, no trailing spaces. Every cell is escaped as
/// ``Swift/String/terminalField``, so that no cell (a peer's id, a file's value) can add a row or a column or act
/// on the terminal. A table without rows is its header alone. Scripts read `--json` instead: the columns may
/// change with the language and the terminal, the JSON members do not.
public struct TerminalTable: Sendable {
    public let columns: [String]
    public private(set) var rows: [[String]] = []
    /// The most columns of a terminal a cell may take; a longer one is cut and ends with `…`. Nil: no limit.
    public let cellWidthLimit: Int?

    public init(_ columns: [String], cellWidthLimit: Int? = nil) {
        self.columns = columns
        self.cellWidthLimit = cellWidthLimit
    }

    public mutating func append(_ row: [String]) {
        precondition(row.count == columns.count, "a row of \(row.count) cells in a table of \(columns.count) columns")
        rows.append(row)
    }

    /// The header and the rows, one line each, without a final newline.
    public var text: String {
        let header = columns.map(\.terminalField)
        let body = rows.map { row in
            row.map { cell in cellWidthLimit.map { limit in Self.cut(cell.terminalField, toWidth: limit) } ?? cell.terminalField }
        }
        let lines = [header] + body
        let widths = columns.indices.map { column in lines.map { Self.displayWidth($0[column]) }.max() ?? 0 }
        return lines.map { cells in
            var line = ""
            for (column, cell) in cells.enumerated() {
                if column > 0 { line += "  " }
                line += cell
                if column < cells.count - 1 { line += String(repeating: " ", count: widths[column] - Self.displayWidth(cell)) }
            }
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }

    /// How many columns a terminal gives `text`: one per grapheme cluster (a letter with its combining marks, as
    /// Vietnamese writes "ệ" from up to three scalars), two for an East Asian wide or full-width character and
    /// for an emoji shown as a picture, none for a cluster of marks or invisible format characters alone.
    public static func displayWidth(_ text: String) -> Int {
        text.reduce(0) { $0 + width(of: $1) }
    }

    /// `text` cut to at most `width` columns, the last of them `…` when anything was cut.
    public static func cut(_ text: String, toWidth width: Int) -> String {
        guard displayWidth(text) > width else { return text }
        var kept = ""
        var used = 0
        for character in text {
            let next = Self.width(of: character)
            if used + next > width - 1 { break }
            kept.append(character)
            used += next
        }
        return kept + "…"
    }

    private static func width(of character: Character) -> Int {
        let scalars = character.unicodeScalars
        guard let first = scalars.first else { return 0 }
        if scalars.allSatisfy(isZeroWidth) { return 0 }
        if isWide(first) || first.properties.isEmojiPresentation || scalars.contains("\u{FE0F}") { return 2 }
        return 1
    }

    private static func isZeroWidth(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: true
        default: scalar.value == 0x200B
        }
    }

    /// The East Asian Wide and Fullwidth ranges of Unicode's EastAsianWidth.txt, in blocks: Hangul Jamo, CJK
    /// (radicals to Yi), Hangul syllables, CJK compatibility ideographs and forms, full-width forms, and the
    /// supplementary ideographic planes.
    private static func isWide(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
            0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x20000...0x3FFFD:
            true
        default: false
        }
    }
}
