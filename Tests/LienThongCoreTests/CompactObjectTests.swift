import LienThongCore
import Testing

/// Cutting members out of a compact JSON object as text gives what filtering the parsed value and serializing
/// it gives, whatever the values hold.
@Suite("JSON: members kept from compact object text")
struct CompactObjectTests {
    @Test(
        "the text cut keeps exactly the granted members, as the parsed value filtered would",
        arguments: [
            #"{}"#,
            #"{"a":1}"#,
            #"{"a":1,"b":"x","c":true}"#,
            #"{"a":{"b":[1,{"c":"}"}]},"b":null,"c":"q\"uo,te"}"#,
            #"{"a":[],"b":{},"c":-1.5e3,"d":"\\"}"#,
            #"{"a\"b":1,"b":[[["]"]]],"c":"\u00e9"}"#,
            #"{"b":"Hà Nội","c":[true,false,null]}"#,
        ]
    )
    func matchesTheParsedValue(text: String) throws {
        let parsed = try #require(try JSONValue(parsing: text).objectValue)
        for granted: Set<String> in [[], ["a"], ["b", "c"], ["a\"b", "c"], ["a", "b", "c", "d"]] {
            let cut = try #require(JSONValue.compactObject(text.utf8, keeping: granted.contains))
            let expected = JSONValue.object(parsed.filter { granted.contains($0.key) })
            #expect(try JSONValue(parsing: cut) == expected, "\(text) keeping \(granted)")
            if JSONValue.object(parsed).serializedText == text {
                #expect(cut == expected.serialized(), "canonical text cut stays canonical")
            }
        }
    }

    @Test("text that is not a compact object is left to the parser", arguments: [#"[1]"#, #"{"a":1"#, #"{"a" :1}"#, #"{"a":1,}"#, #"{"a":}"#, #""#])
    func refusesOtherText(text: String) {
        #expect(JSONValue.compactObject(text.utf8, keeping: { _ in true }) == nil)
    }
}
