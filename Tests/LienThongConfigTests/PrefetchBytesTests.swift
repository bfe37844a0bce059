import Foundation
import LienThongConfig
import Testing

/// A configuration with `line` among its top-level keys.
private func configuration(_ line: String) throws -> Configuration {
    try Configuration(yaml: """
        agency: bo-y-te
        store: store.sqlite
        signing_key: keys/bo-y-te.key.pem
        \(line)
        datasets:
          tiem-chung: { policy: lww }
        """, fileURL: URL(fileURLWithPath: "/etc/lienthong/lienthong.yaml"))
}

@Suite("prefetch_bytes")
struct PrefetchBytesTests {
    @Test("absent, it is 64 MiB; 0 and 1 GiB are taken", arguments: [("", 67_108_864), ("prefetch_bytes: 0", 0), ("prefetch_bytes: 1073741824", 1_073_741_824)])
    func accepted(line: String, bytes: Int) throws {
        #expect(try configuration(line).prefetchBytes == bytes)
    }

    @Test("one past 1 GiB, a negative number or text is an error naming the key", arguments: ["prefetch_bytes: 1073741825", "prefetch_bytes: -1", "prefetch_bytes: lots"])
    func refused(line: String) {
        let error = #expect(throws: ConfigurationError.self) { try configuration(line) }
        #expect(error?.description.contains("prefetch_bytes") == true, "\(String(describing: error))")
    }
}

@Suite("changes_retention_days")
struct ChangesRetentionDaysTests {
    @Test("absent, it is 30; 1 and 36500 are taken", arguments: [("", 30), ("changes_retention_days: 1", 1), ("changes_retention_days: 36500", 36_500)])
    func accepted(line: String, days: Int) throws {
        #expect(try configuration(line).changesRetentionDays == days)
    }

    @Test("0, one past 36500 or text is an error naming the key", arguments: ["changes_retention_days: 0", "changes_retention_days: 36501", "changes_retention_days: forever"])
    func refused(line: String) {
        let error = #expect(throws: ConfigurationError.self) { try configuration(line) }
        #expect(error?.description.contains("changes_retention_days") == true, "\(String(describing: error))")
    }
}
