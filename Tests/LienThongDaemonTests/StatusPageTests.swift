import Foundation
import LienThongAgency
import LienThongCore
@testable import LienThongDaemon
import LienThongStore
import Testing

/// The status page's model and rendering, without a daemon (the daemon serving it is tested in
/// `Tests/LienthongCLITests/StatusPageServingTests.swift`).
@Suite("The status page: rendering")
struct StatusPageTests {
    static let now = UnixTime(milliseconds: 1_796_000_000_000)

    /// A page with one healthy feed and one failing one whose stored detail, quarantine reason and build are hostile.
    static func page(detail: String = "publisher answered 503", reason: String = "status") -> StatusPage {
        let hostile = "<script>alert('x')</script>\"&"
        return StatusPage(
            agency: "bo-y-te", build: "lienthong 0.1.0 \(hostile)", startedAt: UnixTime(milliseconds: now.milliseconds - 3_723_000), generatedAt: now,
            signingKeyID: "kid-own", peerKeyIDs: [(peer: "bo-cong-an", keyIDs: ["kid-a"]), (peer: "so-tu-phap", keyIDs: ["kid-b", "kid-c"])],
            feeds: [
                StatusPage.Feed(
                    peer: "bo-cong-an", dataset: "dan-cu", mode: "live", cursor: 300, head: 300, lagRecords: 0, lagSeconds: 0,
                    lastAttemptAt: now, lastSuccessAt: now, lastError: nil, consecutiveFailures: 0, backoffUntil: nil, backoffSeconds: 0
                ),
                StatusPage.Feed(
                    peer: "so-tu-phap", dataset: "ho-tich", mode: "polled", cursor: 0, head: 0, lagRecords: 0, lagSeconds: nil,
                    lastAttemptAt: now, lastSuccessAt: nil,
                    lastError: StatusPage.FeedError(reason: reason, httpStatus: 503, at: now, detail: detail, current: true),
                    consecutiveFailures: 3, backoffUntil: UnixTime(milliseconds: now.milliseconds + 20_000), backoffSeconds: 20
                ),
            ],
            datasets: [StatusPage.Dataset(name: "dan-cu", policy: "authority", records: 300, openConflicts: 2, quarantined: [])],
            quarantinedWithoutDataset: [],
            appliedPerMinute: (0..<60).map { $0 == 59 ? 300 : $0 % 7 }
        )
    }

    @Test("every peer-supplied or stored text is escaped: no markup of theirs reaches the page")
    func escapesHostileText() {
        let hostile = "publisher answered 503 (\"<script>alert(1)</script>\") <img src=x onerror=alert(2)> & 'quoted'"
        let html = Self.page(detail: hostile, reason: "<b>made-up</b>").html(in: .english)
        #expect(!html.contains("<script"), "\(html)")
        #expect(!html.contains("<img"))
        #expect(!html.contains("<b>made-up"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("&lt;img src=x onerror=alert(2)&gt; &amp; &#39;quoted&#39;"))
        #expect(html.contains("lienthong 0.1.0 &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;"))
        // An unknown code is shown as a code, in words as an unknown reason.
        #expect(html.contains("&lt;b&gt;made-up&lt;/b&gt;"))
        #expect(html.contains(localized("status.reason.unknown", in: .english)))
    }

    @Test("an error's detail is shown whole up to 300 characters and cut past them", arguments: [299, 300, 301, 5_000])
    func detailBound(length: Int) throws {
        let feed = FeedKey(peer: try AgencyID("so-tu-phap"), dataset: try DatasetName("ho-tich"))
        let text = "so-tu-phap ho-tich: " + String(repeating: "ạ", count: length)
        let shown = StatusPage.shownDetail(of: text, feed: feed)
        #expect(StatusPage.detailLimit == 300)
        #expect(shown == String(repeating: "ạ", count: min(length, 300)))
    }

    @Test("the page needs nothing from outside: no script, no external asset, a refresh of its own, the chart inline with words")
    func selfContained() {
        let html = Self.page().html(in: .english)
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("src="))
        #expect(!html.contains("href=\"http"))
        #expect(!html.contains("https://"))
        #expect(html.contains("<meta http-equiv=\"refresh\" content=\"\(StatusPage.refreshSeconds)\">"))
        #expect(html.contains("<svg") && html.contains("role=\"img\"") && html.contains("<title id=\"chart-title\">"))
        // The summary states the total and the peak: 300 in the last minute, plus the pattern before.
        let total = (0..<59).map { $0 % 7 }.reduce(300, +)
        #expect(html.contains("\(total) records applied in the last 60 minutes; at most 300 in one minute."), "\(html)")
        // One bar per minute with records: 59 minutes minus those where $0 % 7 == 0, plus the last.
        let bars = html.components(separatedBy: "fill=\"#2b6cb0\"").count - 1
        #expect(bars == (0..<59).filter { $0 % 7 != 0 }.count + 1)
        #expect(html.contains("1 h 2 min"), "uptime of 3723 s")
    }

    @Test("in Vietnamese the page and the reasons read in Vietnamese; the JSON keeps English keys and stable codes")
    func vietnamese() throws {
        let page = Self.page()
        let html = page.html(in: .vietnamese)
        #expect(html.contains("<html lang=\"vi\">"))
        #expect(html.contains("Cơ quan đối tác"))
        #expect(html.contains("cơ quan đối tác từ chối yêu cầu (HTTP 503)"))
        let json = page.json(in: .vietnamese)
        let failing = try #require(json["feeds"]?.arrayValue?.last)
        #expect(failing["last_error"]?["reason"] == .string("status"))
        #expect(failing["last_error"]?["reason_text"] == .string("cơ quan đối tác từ chối yêu cầu (HTTP 503)"))
        #expect(failing["backoff"]?["seconds"] == .integer(20))
        #expect(json["language"] == .string("vi"))
        #expect(json["applied_per_minute"]?["counts"]?.arrayValue?.count == 60)
    }

    @Test("every reason code the pull gives has words of its own in both languages", arguments: [
        "signature", "malformed", "unsupported_version", "wrong_publisher", "wrong_audience", "wrong_dataset", "dataset_not_pulled",
        "wrong_after", "sequence", "last_after_head", "too_many_records", "issued_in_the_future", "expired", "lifetime", "rollback",
        "purpose", "page_rejected", "transfer", "status", "local", "lease_lost",
    ])
    func reasonWords(code: String) {
        for language in Language.allCases {
            let words = StatusPage.reasonText(code, httpStatus: 500, in: language)
            #expect(words != StatusPage.reasonText("no such code", httpStatus: nil, in: language), "\(code) in \(language)")
            #expect(!words.hasPrefix("status."), "a missing catalog entry shows its key: \(words)")
        }
    }
}

@Suite("Applied records per minute")
struct AppliedPerMinuteTests {
    static func at(minute: Int64, second: Int64 = 0) -> UnixTime { UnixTime(milliseconds: (28_000_000 + minute) * 60_000 + second * 1000) }

    @Test("counts per minute over the last hour, oldest first; older minutes fall out, and 60 counters are all it keeps")
    func lastHour() {
        var counts = AppliedPerMinute()
        counts.add(5, at: Self.at(minute: 0, second: 1))
        counts.add(2, at: Self.at(minute: 0, second: 59))
        counts.add(7, at: Self.at(minute: 10))
        var hour = counts.lastHour(endingAt: Self.at(minute: 10, second: 30))
        #expect(hour.count == 60)
        // Minute 10 is the last; minute 0 (5 + 2) ten before it.
        #expect(hour[59] == 7 && hour[49] == 7 && hour.reduce(0, +) == 14)
        // 60 minutes later minute 0's counter is reused for minute 60: its old count is gone, not added to.
        counts.add(1, at: Self.at(minute: 60))
        hour = counts.lastHour(endingAt: Self.at(minute: 60))
        #expect(hour[59] == 1 && hour[9] == 7 && hour.reduce(0, +) == 8)
        // A time older than its counter's minute (a clock stepped back an hour) is dropped.
        counts.add(100, at: Self.at(minute: 0))
        #expect(counts.lastHour(endingAt: Self.at(minute: 60)).reduce(0, +) == 8)
        // An hour without records shows none.
        #expect(counts.lastHour(endingAt: Self.at(minute: 130)).allSatisfy { $0 == 0 })
    }
}
