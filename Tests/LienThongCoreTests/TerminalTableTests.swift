import LienThongCore
import Testing

@Suite("The one table format of the commands that print rows (issue 18 item 4)")
struct TerminalTableTests {
    /// The terminal column where each cell of `line` starts, cells being two spaces or more apart.
    static func starts(_ line: String) -> [Int] {
        var starts: [Int] = []
        var column = 0
        var spaces = 2
        for character in line {
            if character == " " {
                spaces += 1
            } else {
                if spaces >= 2 { starts.append(column) }
                spaces = 0
            }
            column += TerminalTable.displayWidth(String(character))
        }
        return starts
    }

    @Test("a header, then the rows, each column padded to its widest cell, two spaces apart, no trailing spaces")
    func layout() {
        var table = TerminalTable(["dataset", "id", "siblings"])
        table.append(["ho-tich", "ks-1", "2"])
        table.append(["dan-cu", "cd-000042", ""])
        #expect(table.text == """
            dataset  id         siblings
            ho-tich  ks-1       2
            dan-cu   cd-000042
            """)
    }

    @Test("a table without rows is its header alone")
    func empty() {
        #expect(TerminalTable(["mã", "trường"]).text == "mã  trường")
    }

    @Test("Vietnamese letters count once with their marks, composed or not; wide characters and emoji count twice", arguments: [
        ("Hà Nội", 6), ("Ha\u{0300} No\u{0323}\u{0302}i", 6), ("Nguyễn", 6), ("Nguye\u{0302}\u{0303}n", 6), ("東京都", 6),
        ("ｔｅｓｔ", 8), ("👍ok", 4), ("a\u{200B}b", 2), ("", 0),
    ])
    func displayWidth(text: String, width: Int) {
        #expect(TerminalTable.displayWidth(text) == width)
    }

    @Test("columns line up on a terminal whatever the script of the cells before them")
    func alignment() throws {
        var table = TerminalTable(["tập dữ liệu", "trường", "x"])
        table.append(["Ha\u{0300} No\u{0323}\u{0302}i", "東京", "1"])
        table.append(["Huế", "👍", "2"])
        table.append(["a", "ｔｅｓｔ", "3"])
        let lines = table.text.split(separator: "\n").map(String.init)
        try #require(lines.count == 4)
        // tập dữ liệu (11 columns) is the widest first cell, ｔｅｓｔ (8) the widest second one.
        #expect(lines.map(Self.starts) == Array(repeating: [0, 13, 23], count: 4), "\(lines)")
    }

    @Test("a hostile cell is escaped: it adds no line and no column and holds nothing a terminal acts on")
    func hostileCell() throws {
        var table = TerminalTable(["id", "state"])
        table.append(["line\nforged\tcolumn", "ok"])
        table.append(["\u{1B}[2J\u{1B}]0;owned\u{07}\u{202E}", "ok"])
        table.append(["back\\tslash", "ok"])
        let lines = table.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        try #require(lines.count == 4)
        #expect(lines[1].hasPrefix(#"line\nforged\tcolumn  "#))
        #expect(lines[2].hasPrefix(#"\u{1B}[2J\u{1B}]0;owned\u{7}\u{202E}  "#))
        #expect(lines[3].hasPrefix(#"back\\tslash  "#))
        #expect(!table.text.unicodeScalars.contains { $0.controlsTerminal && $0 != "\n" })
        #expect(lines.dropFirst().allSatisfy { $0.hasSuffix("ok") })
        #expect(Set(lines.dropFirst().map { Self.starts($0)[1] }).count == 1)
    }

    @Test("with a width limit a long cell is cut to it and ends with an ellipsis; a cell that fits is left whole")
    func cut() {
        var table = TerminalTable(["field", "value"], cellWidthLimit: 8)
        table.append(["ho_ten", "Nguyễn Thị Minh Khai"])
        table.append(["noi_sinh", "東京都港区"])
        table.append(["lan", "12345678"])
        #expect(table.text == """
            field     value
            ho_ten    Nguyễn …
            noi_sinh  東京都…
            lan       12345678
            """)
        #expect(TerminalTable.cut("abc", toWidth: 3) == "abc")
        #expect(TerminalTable.cut("abcd", toWidth: 3) == "ab…")
    }
}
