import FuzzSupport
import LienThongCore
import LienThongSchema

/// A rich schema, as an agency might declare one: every type, formats, a cross-check, patterns, nesting. It is
/// read again for each input: a schema held across inputs is reported as leaked, because LeakSanitizer does
/// not see the pointers Swift's enums keep with tag bits in them.
let declaration = #"""
    {"fields": {
      "so_dinh_danh": {"type": "string", "format": "cccd", "cccd": {"birth_date": "ngay_sinh", "sex": "gioi_tinh"}},
      "ngay_sinh": {"type": "date"}, "gioi_tinh": {"type": "string", "enum": ["nam", "nữ"]},
      "ho_ten": {"type": "string", "min_length": 2, "max_length": 100, "pattern": "[A-Za-zÀ-Ỹà-ỹ ]+"},
      "dien_thoai": {"type": "string", "format": "phone-vn", "nullable": true}, "email": {"type": "string", "format": "email"},
      "luc": {"type": "datetime"}, "so": {"type": "integer", "minimum": -5, "maximum": 5}, "ty_le": {"type": "number", "maximum": 1.5},
      "co": {"type": "boolean"},
      "dia_chi": {"type": "object", "additional": "allow", "fields": {"tinh": {"type": "string", "pattern": "(a|a)*b|[0-9]{2,4}"}}},
      "mui": {"type": "array", "max_items": 5, "items": {"type": "object", "fields": {"ngay": {"type": "date"}}}}}}
    """#

/// Two parts of the schema module on any bytes. Input starting with an even byte: a pattern (up to the first
/// zero byte) compiled and matched against the rest, whose work must stay within (states + 1) × (scalars + 1).
/// Otherwise: the rest as a record's data, checked against the schema of `declaration`; a violation is always one line.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSchema(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Fuzz.bytes(data, size)
    guard let mode = input.first else { return 0 }
    let rest = input.dropFirst()
    if mode % 2 == 0 {
        let split = rest.firstIndex(of: 0) ?? rest.endIndex
        let source = String(decoding: rest[..<split], as: UTF8.self)
        let text = String(decoding: rest[split...].dropFirst(), as: UTF8.self)
        guard let pattern = try? LinearPattern(source) else { return 0 }
        let (_, steps) = pattern.matchCountingSteps(text)
        guard steps <= (pattern.stateCount + 1) * (text.unicodeScalars.count + 1) else { Fuzz.broken("matching is linear") }
        return 0
    }
    let schema = try! DatasetSchema(declaration: try! JSONValue(parsing: declaration))
    guard let value = try? JSONValue(parsing: rest), let violation = schema.validate(value) else { return 0 }
    guard !violation.description.contains(where: \.isNewline) else { Fuzz.broken("a violation is one line") }
    return 0
}
