import Foundation
import LienThongCore
import Testing

@Suite("Messages in Vietnamese and English (issue 18 item 3)")
struct CatalogTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    @Test("both catalogs hold the same keys")
    func sameKeys() {
        let english = Set(Catalog.english.keys), vietnamese = Set(Catalog.vietnamese.keys)
        #expect(english.subtracting(vietnamese).sorted() == [], "missing from the Vietnamese catalog")
        #expect(vietnamese.subtracting(english).sorted() == [], "missing from the English catalog")
        #expect(english.count > 1)
    }

    @Test("each entry's placeholders are the same in both languages")
    func samePlaceholders() {
        for (key, english) in Catalog.english.sorted(by: { $0.key < $1.key }) {
            guard let vietnamese = Catalog.vietnamese[key] else { continue }
            #expect(Catalog.placeholders(in: english) == Catalog.placeholders(in: vietnamese), "\(key)")
        }
    }

    @Test("no entry is empty, and no Vietnamese entry is left as the English text unless it has no words to translate")
    func translated() {
        for (key, english) in Catalog.english {
            #expect(!english.isEmpty, "\(key)")
            #expect(Catalog.vietnamese[key]?.isEmpty == false, "\(key)")
        }
    }

    /// Every `localized("key"…)` and `LocalizedMessage("key"…)` in the sources names a key both catalogs hold:
    /// keys are written as literals where they are used, so this finds them all.
    @Test("every key the sources use exists in both catalogs")
    func usedKeysExist() throws {
        let used = try Self.usedKeys()
        #expect(used.count > 1)
        for (key, file) in used.sorted(by: { $0.key < $1.key }) {
            #expect(Catalog.english[key] != nil, "\(key) (\(file)) is not in the English catalog")
            #expect(Catalog.vietnamese[key] != nil, "\(key) (\(file)) is not in the Vietnamese catalog")
        }
    }

    /// The reverse: an entry no source names is dead, or is named through a computed key, which the test above
    /// cannot see (write `cond ? localized("a") : localized("b")`, never `localized(cond ? "a" : "b")`).
    @Test("every key in the catalogs is used by the sources")
    func everyKeyUsed() throws {
        let used = try Self.usedKeys()
        #expect(Set(Catalog.english.keys).subtracting(used.keys).sorted() == [])
    }

    @Test("placeholders are filled once: a value that holds {name} stays as it is")
    func fillingOnce() {
        #expect(localized("lang.invalid", ["value": "{value}"], in: .english) == "--lang takes en or vi, not {value}")
        #expect(localized("lang.invalid", ["value": "x"], in: .vietnamese) == "--lang nhận en hoặc vi, không nhận x")
        #expect(localized("no.such.key", in: .english) == "no.such.key")
        #expect(Catalog.placeholders(in: "{a} {b_2} {Not} {} {c") == ["a", "b_2"])
    }

    @Test("the locale variables choose the language as gettext reads them", arguments: [
        ([:], Language.english),
        (["LANG": "vi_VN.UTF-8"], .vietnamese),
        (["LANG": "en_US.UTF-8"], .english),
        (["LANG": "C"], .english),
        (["LC_ALL": "vi_VN.UTF-8", "LANG": "en_US.UTF-8"], .vietnamese),
        (["LC_ALL": "", "LC_MESSAGES": "vi", "LANG": "en_US.UTF-8"], .vietnamese),
        (["LC_ALL": "en_GB.UTF-8", "LC_MESSAGES": "vi"], .english),
        (["LC_MESSAGES": "", "LANG": "vi"], .vietnamese),
    ] as [([String: String], Language)])
    func fromEnvironment(environment: [String: String], expected: Language) {
        #expect(Language(environment: environment) == expected)
    }

    static func usedKeys() throws -> [String: String] {
        let pattern = try Regex(#"(?:localized|LocalizedMessage)\(\s*"([a-z0-9_.\-]+)""#)
        var keys: [String: String] = [:]
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "swift", !file.lastPathComponent.hasPrefix("Catalog.") else { continue }
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: pattern) {
                if let key = match.output[1].substring { keys[String(key)] = file.lastPathComponent }
            }
        }
        return keys
    }
}
