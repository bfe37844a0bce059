import Foundation
import LienThongCore
import Testing

/// `conflicts list` and `conflicts show` in the one table format, with `--json` and `--lang vi`, run as the binary
/// on a store made by the command itself (issue 18 item 4).
@Suite("Reading conflicts: one table format, siblings side by side, --json")
struct TableCommandTests {
    /// AgencyFolder's agency with ho-tich (manual) under a schema whose ho_ten and noi_sinh are pii, and ks-1 an
    /// open conflict: bo-cong-an's {"ho_ten": "Phạm Thu Hà", "lan": 2} against bo-y-te's {"ho_ten": "Phạm Thu
    /// Hằng", "lan": 2, "noi_sinh": "Huế"}. So ho_ten differs in value (both pii), lan is the same, and noi_sinh is
    /// held by one sibling only.
    static func agency() throws -> AgencyFolder {
        let agency = try MaskingCommandTests.agencyWithPersonalSchema()
        #expect(try agency.run(["apply", "--peer", "bo-cong-an", try agency.page("p.jws", dataset: "ho-tich", records: [(1, "ks-1", 1)])]).status == 0)
        let edit = #"{"id":"ks-1","data":{"ho_ten":"Phạm Thu Hằng","lan":2,"noi_sinh":"Huế"}}"#
        #expect(try agency.run(["put", "--dataset", "ho-tich"], stdin: edit).status == 0)
        #expect(try agency.run(["apply", "--peer", "bo-cong-an", try agency.page("q.jws", dataset: "ho-tich", after: 1, records: [(2, "ks-1", 2)])]).status == 0)
        return agency
    }

    /// The terminal columns where the cells of `line` start, cells being two spaces or more apart.
    static func starts(_ line: Substring) -> [Int] {
        var column = 0
        var starts: [Int] = []
        for piece in line.components(separatedBy: "  ") {
            let text = piece.drop { $0 == " " }
            if !text.isEmpty { starts.append(column + piece.count - text.count) }
            column += TerminalTable.displayWidth(piece) + 2
        }
        return starts
    }

    /// `conflicts show`'s table: the lines between the title and the legend, each split at the field's column
    /// into the mark and the rest, keyed by the field.
    static func showRows(_ text: String) throws -> (lines: [Substring], byField: [String: (mark: Bool, line: Substring)]) {
        let lines = text.split(separator: "\n")
        try #require(lines.count >= 4, "\(text)")
        let table = Array(lines.dropFirst().dropLast())
        var byField: [String: (mark: Bool, line: Substring)] = [:]
        for line in table.dropFirst() {
            let marked = line.hasPrefix("≠")
            let rest = String(line.dropFirst(marked ? 1 : 0).drop { $0 == " " })
            byField[rest.components(separatedBy: "  ")[0]] = (marked, line)
        }
        return (table, byField)
    }

    @Test("conflicts list: a header, one aligned row per conflict, the header alone once none is open")
    func list() throws {
        let agency = try Self.agency()
        let list = try agency.run(["conflicts"], subcommand: "list")
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdoutText == """
            dataset  id    siblings  decision
            ho-tich  ks-1  2         awaits review

            """)
        #expect(try agency.run(["conflicts", "--dataset", "ho-tich", "--pick", "bo-cong-an", "ks-1"], subcommand: "resolve").status == 0)
        #expect(try agency.run(["conflicts"], subcommand: "list").stdoutText == "dataset  id  siblings  decision\n")
        #expect(try agency.run(["conflicts", "--json"], subcommand: "list").stdoutText == "[]\n")
    }

    @Test("conflicts list --json: one array of objects with stable English names, in any language")
    func listJSON() throws {
        let agency = try Self.agency()
        for lang in ["en", "vi"] {
            let outcome = try agency.run(["conflicts", "--json", "--lang", lang], subcommand: "list")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let conflicts = try JSONValue(parsing: outcome.stdout)
            #expect(conflicts == .array([
                .object(["dataset": .string("ho-tich"), "id": .string("ks-1"), "siblings": .integer(2), "awaits_review": .bool(true)]),
            ]))
        }
    }

    @Test("--lang vi: Vietnamese column names and words, the columns still aligned")
    func vietnamese() throws {
        let agency = try Self.agency()
        let list = try agency.run(["conflicts", "--lang", "vi"], subcommand: "list")
        #expect(list.status == 0, "\(list.stderr)")
        let lines = list.stdoutText.split(separator: "\n")
        #expect(lines == ["tập dữ liệu  mã    phiên bản song song  quyết định", "ho-tich      ks-1  2                    chờ người xem xét"])
        #expect(lines.map(Self.starts) == [[0, 13, 19, 40], [0, 13, 19, 40]])

        let show = try agency.run(["conflicts", "--dataset", "ho-tich", "ks-1", "--lang", "vi"], subcommand: "show")
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdoutText.hasPrefix("ho-tich ks-1: 2 phiên bản song song, chính sách manual\n"), "\(show.stdoutText)")
        #expect(show.stdoutText.contains("trường") && show.stdoutText.contains("(đang hiển thị)") && show.stdoutText.contains("(trạng thái)"))
        #expect(show.stdoutText.contains("có dữ liệu"))
        #expect(show.stdoutText.contains("≠ đánh dấu trường có giá trị khác nhau"))
    }

    @Test("conflicts show: the siblings side by side, the visible one first; ≠ on the fields that differ, masked values compared as shown")
    func showMasked() throws {
        let agency = try Self.agency()
        let show = try agency.run(["conflicts", "--dataset", "ho-tich", "ks-1"], subcommand: "show")
        #expect(show.status == 0, "\(show.stderr)")
        for value in ["Phạm Thu Hà", "Phạm Thu Hằng", "Huế"] { #expect(!show.stdoutText.contains(value), "\(show.stdoutText)") }
        let lines = show.stdoutText.split(separator: "\n")
        #expect(lines.first == "ho-tich ks-1: 2 siblings under policy manual")
        #expect(lines.last?.hasPrefix("≠ marks a field whose values differ between the siblings") == true)
        let (table, rows) = try Self.showRows(show.stdoutText)
        // The header: the mark column, the field, then each sibling by origin, the visible one first.
        let header = table[0].split(separator: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        #expect(header == ["field", "bo-y-te (visible)", "bo-cong-an"] || header == ["field", "bo-cong-an (visible)", "bo-y-te"], "\(header)")
        #expect(Set(rows.keys) == ["(state)", "(version vector)", "ho_ten", "lan", "noi_sinh"])
        // Both siblings hold ho_ten, masked alike: not marked, which would tell that the personal data differs.
        let hoTen = try #require(rows["ho_ten"])
        #expect(!hoTen.mark && hoTen.line.components(separatedBy: #""***""#).count == 3, "\(hoTen.line)")
        #expect(try #require(rows["lan"]).mark == false)
        // noi_sinh is held by one sibling only, which shows anyway ("***" against "-").
        let noiSinh = try #require(rows["noi_sinh"])
        #expect(noiSinh.mark && noiSinh.line.hasSuffix(header[1] == "bo-y-te (visible)" ? "-" : #""***""#), "\(noiSinh.line)")
        #expect(try #require(rows["(state)"]).line.components(separatedBy: "holds data").count == 3)
        // Every line's last two cells start in the same terminal columns.
        #expect(Set(table.map { Array(Self.starts($0).suffix(2)) }).count == 1, "\(table)")
    }

    @Test("conflicts show --reveal: the values, audited, with ≠ on the personal field whose values differ")
    func showRevealed() throws {
        let agency = try Self.agency()
        let show = try agency.run(["conflicts", "--dataset", "ho-tich", "ks-1", "--reveal", "--purpose", "xac-minh"], subcommand: "show")
        #expect(show.status == 0, "\(show.stderr)")
        let (table, rows) = try Self.showRows(show.stdoutText)
        let hoTen = try #require(rows["ho_ten"])
        #expect(hoTen.mark && hoTen.line.contains(#""Phạm Thu Hà""#) && hoTen.line.contains(#""Phạm Thu Hằng""#), "\(hoTen.line)")
        #expect(try #require(rows["noi_sinh"]).line.contains(#""Huế""#))
        #expect(try #require(rows["lan"]).mark == false)
        // Aligned by what a terminal shows, with Vietnamese letters of two and three scalars in the cells.
        #expect(Set(table.map { Array(Self.starts($0).suffix(2)) }).count == 1, "\(table)")
        #expect(try MaskingCommandTests.disclosures(agency).count == 1)
    }

    @Test("conflicts show --json: the siblings whole, masked unless --reveal, and differing_fields", arguments: [false, true])
    func showJSON(reveal: Bool) throws {
        let agency = try Self.agency()
        let outcome = try agency.run(["conflicts", "--dataset", "ho-tich", "ks-1", "--json"] + (reveal ? ["--reveal"] : []), subcommand: "show")
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let shown = try JSONValue(parsing: outcome.stdout)
        #expect(shown["dataset"] == .string("ho-tich") && shown["id"] == .string("ks-1") && shown["policy"] == .string("manual"))
        #expect(shown["awaits_review"] == .bool(true))
        #expect(shown["differing_fields"] == .array((reveal ? ["ho_ten", "noi_sinh"] : ["noi_sinh"]).map(JSONValue.string)))
        let siblings = try #require(shown["siblings"]?.arrayValue)
        #expect(siblings.map { $0["visible"] } == [.bool(true), .bool(false)])
        #expect(siblings.allSatisfy { $0["deleted"] == .bool(false) && $0["erasure"] == .bool(false) && $0["hlc"]?.arrayValue?.count == 2 })
        let byOrigin = Dictionary(uniqueKeysWithValues: siblings.map { ($0["origin"]?.stringValue ?? "", $0) })
        #expect(byOrigin["bo-cong-an"]?["vv"] == .object(["bo-cong-an": .integer(2)]))
        let mask = JSONValue.string("***")
        #expect(byOrigin["bo-cong-an"]?["data"] == .object(["ho_ten": reveal ? .string("Phạm Thu Hà") : mask, "lan": .integer(2)]))
        #expect(byOrigin["bo-y-te"]?["data"] == .object([
            "ho_ten": reveal ? .string("Phạm Thu Hằng") : mask, "lan": .integer(2), "noi_sinh": reveal ? .string("Huế") : mask,
        ]))
        #expect(try MaskingCommandTests.disclosures(agency).count == (reveal ? 1 : 0))
    }

    @Test("conflicts show: a deletion among the siblings reads as deleted, and a long value is cut in the table, whole in --json")
    func deletedAndLong() throws {
        let agency = try AgencyFolder()
        #expect(try agency.run(["apply", "--peer", "bo-cong-an", try agency.page("p.jws", dataset: "ho-tich", records: [(1, "ks-1", 1)])]).status == 0)
        #expect(try agency.run(["put", "--dataset", "ho-tich"], stdin: #"{"id":"ks-1","deleted":true}"#).status == 0)
        #expect(try agency.run(["apply", "--peer", "bo-cong-an", try agency.page("q.jws", dataset: "ho-tich", after: 1, records: [(2, "ks-1", 2)])]).status == 0)
        let show = try agency.run(["conflicts", "--dataset", "ho-tich", "ks-1"], subcommand: "show")
        #expect(show.status == 0, "\(show.stderr)")
        let (_, rows) = try Self.showRows(show.stdoutText)
        let state = try #require(rows["(state)"]).line
        #expect(state.contains("deleted") && state.contains("holds data"), "\(state)")
        // The deleted sibling holds no field: both of bo-cong-an's differ from its "-".
        #expect(rows["ho_ten"]?.mark == true && rows["lan"]?.mark == true)
        #expect(rows["ho_ten"]?.line.contains("  -") == true)

        let long = String(repeating: "Nguyễn Văn A ", count: 10)
        #expect(try agency.run(["put", "--dataset", "tiem-chung"], stdin: #"{"id":"tc-1","data":{"ghi_chu":"\#(long)"}}"#).status == 0)
        let one = try agency.run(["conflicts", "--dataset", "tiem-chung", "tc-1"], subcommand: "show")
        #expect(one.status == 0, "\(one.stderr)")
        let cell = try #require(try Self.showRows(one.stdoutText).byField["ghi_chu"]).line
        #expect(cell.hasSuffix("…") && !cell.contains(long), "\(cell)")
        #expect(TerminalTable.displayWidth((cell.split(separator: "  ").last ?? "").trimmingCharacters(in: .whitespaces)) == 40, "\(cell)")
        let json = try JSONValue(parsing: try agency.run(["conflicts", "--dataset", "tiem-chung", "tc-1", "--json"], subcommand: "show").stdout)
        #expect(json["siblings"]?.arrayValue?.first?["data"] == .object(["ghi_chu": .string(long)]))
        #expect(json["differing_fields"] == .array([]))
    }
}
