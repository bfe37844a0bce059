import Foundation
import LienThongConfig
import LienThongCore
import Testing

/// `retention` at the top level (the defaults, `audit_days`) and per dataset (docs/CONFIG.md).
@Suite("retention")
struct RetentionSettingsTests {
    let dataset = try! DatasetName("tiem-chung")
    let other = try! DatasetName("dan-cu")

    func configuration(top: String = "", dataset: String = "") throws -> Configuration {
        try Configuration(yaml: """
            agency: bo-y-te
            store: store.sqlite
            signing_key: keys/bo-y-te.key.pem
            \(top)
            datasets:
              tiem-chung: { policy: lww\(dataset) }
              dan-cu: { policy: lww }
            """, fileURL: URL(fileURLWithPath: "/etc/lienthong/lienthong.yaml"))
    }

    @Test("absent: a year of history, 90 days of quarantine, five years of audit log")
    func defaults() throws {
        let configuration = try configuration()
        #expect(configuration.retention == RetentionSettings(historyDays: 365, quarantineDays: 90, auditDays: 1825))
        #expect(configuration.datasets[dataset]?.retention == configuration.retention)
    }

    @Test("the top level gives every dataset its defaults; a dataset's own keys replace them one by one")
    func layered() throws {
        let configuration = try configuration(
            top: "retention: { history_days: 30, audit_days: 1 }", dataset: ", retention: { history_days: 0 }"
        )
        #expect(configuration.retention == RetentionSettings(historyDays: 30, quarantineDays: 90, auditDays: 1))
        #expect(configuration.datasets[dataset]?.retention.historyDays == 0)
        #expect(configuration.datasets[dataset]?.retention.quarantineDays == 90)
        #expect(configuration.datasets[other]?.retention.historyDays == 30)
    }

    @Test("out of range, unknown or misplaced keys are one error naming the key", arguments: [
        ("retention: { history_days: 36501 }", "", "retention.history_days"),
        ("retention: { quarantine_days: -1 }", "", "retention.quarantine_days"),
        ("retention: { audit_days: 0 }", "", "retention.audit_days"),
        ("retention: { keep: 1 }", "", "retention.keep"),
        ("", ", retention: { audit_days: 10 }", "datasets.tiem-chung.retention.audit_days"),
        ("", ", retention: { history_days: forever }", "datasets.tiem-chung.retention.history_days"),
    ])
    func refused(top: String, dataset: String, key: String) {
        let error = #expect(throws: ConfigurationError.self) { try configuration(top: top, dataset: dataset) }
        #expect(error?.description.contains(key) == true, "\(String(describing: error))")
    }
}
