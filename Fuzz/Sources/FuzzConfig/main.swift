import Foundation
import FuzzSupport
import LienThongConfig

/// The configuration parser on any text: a configuration or one error naming the file and the key.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Fuzz.bytes(data, size)
    guard let text = String(validating: input, as: UTF8.self) else { return 0 }
    _ = try? Configuration(yaml: text, fileURL: URL(fileURLWithPath: "/nonexistent/lienthong.yaml"))
    return 0
}
