import LienThongCore
import Testing

@Suite("Text for a terminal (issue 9 row 12)")
struct TerminalTextTests {
    @Test("controls, DEL, C1, bidi controls and line separators are escaped; tab, newline and CR by name", arguments: [
        ("plain ascii", "plain ascii"),
        ("Phạm Thu Hà — ổn", "Phạm Thu Hà — ổn"),
        ("\u{1B}[31mred", #"\u{1B}[31mred"#),
        ("\u{1B}]0;title\u{07}", #"\u{1B}]0;title\u{7}"#),
        ("\u{9B}2J", #"\u{9B}2J"#),
        ("\u{7F}\u{80}\u{9F}\u{A0}", #"\u{7F}\u{80}\u{9F}"# + "\u{A0}"),
        ("a\tb\nc\rd", #"a\tb\nc\rd"#),
        ("\u{202E}evil\u{202C}", #"\u{202E}evil\u{202C}"#),
        ("\u{2066}\u{2069}\u{200E}\u{200F}\u{061C}", #"\u{2066}\u{2069}\u{200E}\u{200F}\u{61C}"#),
        ("one\u{2028}two\u{2029}", #"one\u{2028}two\u{2029}"#),
        ("back\\slash", "back\\slash"),
    ])
    func terminalSafe(text: String, expected: String) {
        #expect(text.terminalSafe == expected)
        #expect(!text.terminalSafe.unicodeScalars.contains { $0.controlsTerminal })
        // Escaping twice changes nothing more: what is printed is already safe.
        #expect(text.terminalSafe.terminalSafe == text.terminalSafe)
    }

    @Test("a table field also doubles backslashes, so that the text \\t cannot pass for a tab")
    func terminalField() {
        #expect("a\\tb".terminalField == #"a\\tb"#)
        #expect("a\tb".terminalField == #"a\tb"#)
        #expect("a\tb".terminalField != "a\\tb".terminalField)
        #expect("id-1".terminalField == "id-1")
    }

    @Test("display JSON escapes what acts on a terminal as \\u and stays the same JSON value; canonical JSON is unchanged")
    func displayJSON() throws {
        let value = JSONValue.object([
            "id": .string("\u{1B}[2J\u{9B}\u{202E}x\u{7F}"), "ten": .string("Hà \"Nội\"\n"), "n": .integer(1),
        ])
        #expect(value.displayText == #"{"id":"\u001b[2J\u009b\u202ex\u007f","n":1,"ten":"Hà \"Nội\"\n"}"#)
        #expect(try JSONValue(parsing: value.displayText) == value)
        #expect(value.serializedText == "{\"id\":\"\\u001b[2J\u{9B}\u{202E}x\u{7F}\",\"n\":1,\"ten\":\"Hà \\\"Nội\\\"\\n\"}")
    }
}
