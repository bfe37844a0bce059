import FuzzSupport
import LienThongCore

/// The strict JSON parser on any bytes: it refuses or parses, and what it parses serializes to a canonical
/// form that parses back to the same value and serializes to the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Fuzz.bytes(data, size)
    guard let value = try? JSONValue(parsing: input) else { return 0 }
    let canonical = value.serialized()
    guard let again = try? JSONValue(parsing: canonical) else { Fuzz.broken("canonical form parses") }
    guard again == value else { Fuzz.broken("canonical form parses to the same value") }
    guard again.serialized() == canonical else { Fuzz.broken("canonical form is stable") }
    return 0
}
