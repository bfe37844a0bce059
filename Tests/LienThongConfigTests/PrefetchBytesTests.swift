import Foundation
import LienThongConfig
import Testing

@Suite("prefetch_bytes")
struct PrefetchBytesTests {
    private static func configuration(_ line: String) throws -> Configuration {
        try Configuration(yaml: """
            agency: bo-y-te
            store: store.sqlite
            signing_key: keys/bo-y-te.key.pem
            \(line)
            datasets:
              tiem-chung: { policy: lww }
            """, fileURL: URL(fileURLWithPath: "/etc/lienthong/lienthong.yaml"))
    }

    @Test("absent, it is 64 MiB; 0 and 1 GiB are taken", arguments: [("", 67_108_864), ("prefetch_bytes: 0", 0), ("prefetch_bytes: 1073741824", 1_073_741_824)])
    func accepted(line: String, bytes: Int) throws {
        #expect(try Self.configuration(line).prefetchBytes == bytes)
    }

    @Test("one past 1 GiB, a negative number or text is an error naming the key", arguments: ["prefetch_bytes: 1073741825", "prefetch_bytes: -1", "prefetch_bytes: lots"])
    func refused(line: String) {
        let error = #expect(throws: ConfigurationError.self) { try Self.configuration(line) }
        #expect(error?.description.contains("prefetch_bytes") == true, "\(String(describing: error))")
    }
}
