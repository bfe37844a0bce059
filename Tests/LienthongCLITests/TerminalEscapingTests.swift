import Foundation
import LienThongCore
import LienThongTestSupport
import Testing

/// Whether `text` holds nothing that acts on a terminal but the newlines and tabs that lay out the output.
private func isSafeForTerminal(_ text: String) -> Bool {
    !text.unicodeScalars.contains { $0.controlsTerminal && $0 != "\n" && $0 != "\t" }
}

@Suite("Peer strings printed by the commands are escaped (issue 9 row 12)")
struct TerminalEscapingTests {
    /// Record ids as a hostile peer would choose them: screen clearing, a window title (OSC), an 8-bit CSI,
    /// tabs and newlines that forge a row, a right-to-left override, and the text of an escape.
    static let hostileIDs = [
        "\u{1B}[2J\u{1B}[31mred", "\u{1B}]0;owned\u{07}", "\u{9B}6n", "tab\there",
        "line\nho-tich\tforged\t9 siblings\tawaits review", "\u{202E}txt.exe", "back\\tslash",
    ]

    @Test("conflicts list, show and resolve, get, export and error messages print no control and cannot forge a row")
    func hostileRecordIDs() throws {
        let agency = try AgencyFolder()
        let ids = Self.hostileIDs
        let edits = ids.map { JSONValue.object(["id": .string($0), "data": .object(["noi_sinh": .string("Huế")])]).serializedText }
        #expect(try agency.run(["put", "--dataset", "ho-tich"], stdin: edits.joined(separator: "\n")).status == 0)
        let page = try agency.page("p.jws", dataset: "ho-tich", records: ids.enumerated().map { (Int64($0.offset + 1), $0.element, 1) })
        let applied = try agency.run(["apply", "--peer", "bo-cong-an", page])
        #expect(applied.status == 0, "\(applied.stderr)")

        let list = try agency.run(["conflicts"], subcommand: "list")
        #expect(list.status == 0, "\(list.stderr)")
        #expect(isSafeForTerminal(list.stdoutText))
        let lines = list.stdoutText.split(separator: "\n")
        // The header and one row per conflict: nothing an id holds adds a row or a column.
        #expect(lines.count == ids.count + 1)
        #expect(lines.first?.hasPrefix("dataset  id") == true)
        let rows = lines.dropFirst().map { $0.components(separatedBy: "  ").filter { !$0.isEmpty }.map { $0.trimmingCharacters(in: .whitespaces) } }
        #expect(rows.allSatisfy { $0.count == 4 && $0[0] == "ho-tich" && $0[3] == "awaits review" }, "\(rows)")
        #expect(Set(rows.map { $0[1] }) == Set(ids.map(\.terminalField)))
        #expect(list.stdoutText.contains(#"\u{1B}]0;owned\u{7}"#) && list.stdoutText.contains(#"back\\tslash"#))

        for id in ids {
            let show = try agency.run(["conflicts", "--dataset", "ho-tich", id], subcommand: "show")
            #expect(show.status == 0, "\(show.stderr)")
            #expect(isSafeForTerminal(show.stdoutText))
            // The title, the header, state and version vector, ho_ten, lan and noi_sinh, the legend.
            #expect(show.stdoutText.split(separator: "\n").count == 8, "\(show.stdoutText)")

            // get and export print JSON that means the same id, with the controls as \u escapes.
            let get = try agency.run(["get", "--dataset", "ho-tich", id])
            #expect(isSafeForTerminal(get.stdoutText))
            #expect(try JSONValue(parsing: get.stdout)["id"] == .string(id))
        }
        let export = try agency.run(["export", "--dataset", "ho-tich"])
        #expect(isSafeForTerminal(export.stdoutText))
        let exported = try export.stdoutText.split(separator: "\n").map { try JSONValue(parsing: String($0))["id"]?.stringValue }
        #expect(Set(exported.compactMap { $0 }) == Set(ids))

        let resolve = try agency.run(["conflicts", "--dataset", "ho-tich", "--pick", "bo-cong-an", ids[4]], subcommand: "resolve")
        #expect(resolve.status == 0, "\(resolve.stderr)")
        #expect(isSafeForTerminal(resolve.stdoutText))
        #expect(resolve.stdoutText.split(separator: "\n").count == 1)

        // An error message that quotes an id: one line, escaped.
        let absent = try agency.run(["get", "--dataset", "ho-tich", "\u{1B}[31mnone\nlienthong: forged"])
        #expect(absent.status == 1)
        #expect(isSafeForTerminal(absent.stderr))
        #expect(absent.stderr.split(separator: "\n").count == 1)
        #expect(absent.stderr.contains(#"\u{1B}[31mnone"#), "\(absent.stderr)")
    }

    @Test("a publisher's error code with controls reaches sync's and status's output escaped")
    func hostileErrorCode() throws {
        let scratch = try ScratchFolder()
        let body = Array(#"{"error":"\u001b]0;owned\u0007\u009b2J\u202e\n\tforged"}"#.utf8)
        let hostile = try LoopbackServer { _ in .response(status: 403, headers: [("Content-Type", "application/json")], body: body) }
        let config = try scratch.agency(peerURL: hostile.url)
        let sync = try CommandRunner.run(["sync", "--config", config])
        #expect(sync.status == 3)
        #expect(isSafeForTerminal(sync.stdoutText) && isSafeForTerminal(sync.stderr))
        #expect(sync.stderr.contains("403"), "\(sync.stderr)")
        #expect(sync.stderr.split(separator: "\n").count == 2, "\(sync.stderr)")

        let status = try CommandRunner.run(["status", "--config", config])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(isSafeForTerminal(status.stdoutText))
        #expect(status.stdoutText.contains("403"), "\(status.stdoutText)")
        let json = try CommandRunner.run(["status", "--config", config, "--json"])
        #expect(isSafeForTerminal(json.stdoutText))
        let lastError = try JSONValue(parsing: json.stdout)["feeds"]?.arrayValue?.first?["last_error"]?.stringValue
        #expect(lastError?.contains("403") == true)
    }
}
