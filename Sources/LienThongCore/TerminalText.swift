extension Unicode.Scalar {
    /// Whether a terminal acts on this scalar instead of showing it: the C0 controls, DEL, the C1 controls
    /// (U+0080–U+009F; U+009B is a one-character CSI), the bidirectional formatting controls (which reorder
    /// what follows them on screen) and the Unicode line and paragraph separators.
    public var controlsTerminal: Bool {
        switch value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        case 0x2028, 0x2029: true
        default: false
        }
    }
}

extension String {
    /// The text as one line that a terminal shows as written: tab, newline and carriage return as `\t`, `\n`
    /// and `\r`, every other scalar that ``Unicode/Scalar/controlsTerminal`` as `\u{1B}` (hexadecimal).
    /// Applied to every line lienthong prints that may hold a peer's or a file's strings.
    public var terminalSafe: String { escapingTerminalControls(doublingBackslashes: false) }

    /// ``terminalSafe`` for one field of a table or a tab-separated row, with `\` written `\\` as well, so that
    /// a field that holds the text `\t` cannot pass for an escaped tab.
    public var terminalField: String { escapingTerminalControls(doublingBackslashes: true) }

    private func escapingTerminalControls(doublingBackslashes: Bool) -> String {
        guard unicodeScalars.contains(where: { $0.controlsTerminal || (doublingBackslashes && $0 == "\\") }) else { return self }
        var escaped = String.UnicodeScalarView()
        for scalar in unicodeScalars {
            switch scalar {
            case "\t": escaped.append(contentsOf: #"\t"#.unicodeScalars)
            case "\n": escaped.append(contentsOf: #"\n"#.unicodeScalars)
            case "\r": escaped.append(contentsOf: #"\r"#.unicodeScalars)
            case "\\" where doublingBackslashes: escaped.append(contentsOf: #"\\"#.unicodeScalars)
            case _ where scalar.controlsTerminal:
                escaped.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            default: escaped.append(scalar)
            }
        }
        return String(escaped)
    }
}
