public import LienThongAgency
public import LienThongCore
public import LienThongStore

/// What the daemon's status page shows (docs/STATUS.md): per feed, per dataset, the last hour's applied
/// records, the build, the uptime and the key ids in use. Built from one snapshot of the store (the
/// ``StatusReport`` that `lienthong status` prints), the pull loops' ``PullActivity`` and the plan in force;
/// rendered as HTML (``html(in:)``) or as the JSON of `docs/status.schema.json` (``json(in:)``).
///
/// It holds peer names, counts, reasons and key ids — never record contents or personal data.
public struct StatusPage: Sendable {
    /// One feed: a peer's dataset pulled here.
    public struct Feed: Sendable {
        public let peer: String
        public let dataset: String
        /// `live` or `polled`; nil before a daemon pulled the feed.
        public let mode: String?
        public let cursor: Int64
        public let head: Int64
        public let lagRecords: Int64
        /// How long the feed has not been known caught up: 0 when its last attempt succeeded with nothing left
        /// to pull, otherwise the time since its last success; nil when it never succeeded.
        public let lagSeconds: Int64?
        public let lastAttemptAt: UnixTime?
        public let lastSuccessAt: UnixTime?
        public let lastError: FeedError?
        public let consecutiveFailures: Int
        /// When the next attempt is due after a failure; nil while the feed is healthy.
        public let backoffUntil: UnixTime?
        public let backoffSeconds: Int64

        public var isHealthy: Bool { consecutiveFailures == 0 }
    }

    /// A feed's last error.
    public struct FeedError: Sendable {
        /// A stable code (``PullActivity/Failure/code``), or `unknown` for an error stored before this daemon started.
        public let reason: String
        public let httpStatus: Int?
        public let at: UnixTime?
        /// The stored one-line text (English, no record contents; it may quote a short error code the peer sent).
        public let detail: String
        /// Whether the last attempt failed with it; false when a later attempt succeeded.
        public let current: Bool
    }

    public struct Dataset: Sendable {
        public let name: String
        public let policy: String
        public let records: Int
        public let openConflicts: Int
        public let quarantined: [QuarantineCount]
    }

    public let agency: String
    public let build: String
    public let startedAt: UnixTime
    public let generatedAt: UnixTime
    public let signingKeyID: String
    public let peerKeyIDs: [(peer: String, keyIDs: [String])]
    public let feeds: [Feed]
    public let datasets: [Dataset]
    /// Quarantined items without a dataset held here: refused pages are kept without one.
    public let quarantinedWithoutDataset: [QuarantineCount]
    /// Records applied in each of the last 60 minutes, oldest first, the last one the minute of ``generatedAt``.
    public let appliedPerMinute: [Int]

    /// How often the page reloads itself, in seconds.
    public static let refreshSeconds = 10
    /// The longest error text shown; stored texts are one line, this keeps a page readable.
    static let detailLimit = 300

    public init(
        agency: String, build: String, startedAt: UnixTime, generatedAt: UnixTime, signingKeyID: String, peerKeyIDs: [(peer: String, keyIDs: [String])],
        feeds: [Feed], datasets: [Dataset], quarantinedWithoutDataset: [QuarantineCount], appliedPerMinute: [Int]
    ) {
        self.agency = agency
        self.build = build
        self.startedAt = startedAt
        self.generatedAt = generatedAt
        self.signingKeyID = signingKeyID
        self.peerKeyIDs = peerKeyIDs
        self.feeds = feeds
        self.datasets = datasets
        self.quarantinedWithoutDataset = quarantinedWithoutDataset
        self.appliedPerMinute = appliedPerMinute
    }

    /// The page as it stands at `now`: one snapshot of `store`, what `activity` noted, and the keys of `plan`.
    public static func reading(store: Store, plan: AgencyPlan, activity: PullActivity, build: String, startedAt: UnixTime, now: UnixTime) async throws -> StatusPage {
        let configuration = plan.configuration
        let keys = StatusReport.feedKeys(of: configuration)
        let (report, records, quarantine) = try await store.read { snapshot in
            (try StatusReport(snapshot, feeds: keys, datasets: configuration.datasets), try snapshot.liveRecordCounts(), try snapshot.quarantineCounts())
        }
        let feeds = report.feeds.map { feed in Self.feed(feed, failure: activity.failure(of: feed.key), now: now) }
        let held = Set(configuration.datasets.keys.map(\.rawValue))
        let datasets = report.datasets.map { dataset in
            Dataset(
                name: dataset.name.rawValue, policy: dataset.policy, records: records[dataset.name] ?? 0, openConflicts: dataset.open,
                quarantined: quarantine.filter { $0.dataset == dataset.name.rawValue }
            )
        }
        return StatusPage(
            agency: configuration.agency.rawValue, build: build, startedAt: startedAt, generatedAt: now, signingKeyID: plan.signingKey.publicKey.keyID,
            peerKeyIDs: plan.feeds.reduce(into: [String: Set<String>]()) { ids, scheduled in
                ids[scheduled.feed.peer.rawValue, default: []].formUnion(scheduled.feed.keys.map(\.keyID))
            }.sorted { $0.key < $1.key }.map { (peer: $0.key, keyIDs: $0.value.sorted()) },
            feeds: feeds, datasets: datasets, quarantinedWithoutDataset: quarantine.filter { !held.contains($0.dataset ?? "") },
            appliedPerMinute: activity.appliedPerMinute(endingAt: now)
        )
    }

    /// The stored error text as the page shows it: without the feed's own name, at most ``detailLimit`` characters.
    static func shownDetail(of text: String, feed: FeedKey) -> String {
        String(StatusReport.reason(of: text, feed: feed).prefix(detailLimit))
    }

    static func feed(_ feed: StatusReport.Feed, failure: PullActivity.Failure?, now: UnixTime) -> Feed {
        let pull = feed.pull
        let healthy = pull?.isHealthy ?? true
        let lagSeconds: Int64? = if healthy, pull != nil, feed.lagRecords == 0 {
            0
        } else {
            pull?.lastSuccessAt.map { max(0, now.milliseconds - $0) / 1000 }
        }
        let error = pull.flatMap { pull in
            pull.lastError.map { text in
                FeedError(
                    reason: failure?.code ?? "unknown", httpStatus: failure?.httpStatus, at: pull.lastErrorAt.map(UnixTime.init(milliseconds:)),
                    detail: shownDetail(of: text, feed: feed.key), current: !pull.isHealthy
                )
            }
        }
        let backoffUntil = healthy ? nil : pull?.nextAttemptAt.map(UnixTime.init(milliseconds:))
        return Feed(
            peer: feed.key.peer.rawValue, dataset: feed.key.dataset.rawValue, mode: pull?.mode?.rawValue, cursor: feed.cursor?.position ?? 0,
            head: feed.cursor?.head ?? 0, lagRecords: feed.lagRecords, lagSeconds: lagSeconds,
            lastAttemptAt: pull.map { UnixTime(milliseconds: $0.lastAttemptAt) }, lastSuccessAt: pull?.lastSuccessAt.map(UnixTime.init(milliseconds:)),
            lastError: error, consecutiveFailures: pull?.consecutiveFailures ?? 0, backoffUntil: backoffUntil,
            backoffSeconds: backoffUntil.map { max(0, ($0.milliseconds - now.milliseconds + 999) / 1000) } ?? 0
        )
    }

    public var uptimeSeconds: Int64 { max(0, generatedAt.milliseconds - startedAt.milliseconds) / 1000 }

    /// The words for a failure's `reason` code in `language`.
    public static func reasonText(_ reason: String, httpStatus: Int?, in language: Language) -> String {
        switch reason {
        case "signature": localized("status.reason.signature", in: language)
        case "malformed": localized("status.reason.malformed", in: language)
        case "unsupported_version": localized("status.reason.unsupported_version", in: language)
        case "wrong_publisher": localized("status.reason.wrong_publisher", in: language)
        case "wrong_audience": localized("status.reason.wrong_audience", in: language)
        case "wrong_dataset": localized("status.reason.wrong_dataset", in: language)
        case "dataset_not_pulled": localized("status.reason.dataset_not_pulled", in: language)
        case "wrong_after", "sequence", "last_after_head": localized("status.reason.sequence", in: language)
        case "too_many_records": localized("status.reason.too_many_records", in: language)
        case "issued_in_the_future": localized("status.reason.issued_in_the_future", in: language)
        case "expired", "lifetime": localized("status.reason.expired", in: language)
        case "rollback": localized("status.reason.rollback", in: language)
        case "purpose": localized("status.reason.purpose", in: language)
        case "page_rejected": localized("status.reason.page_rejected", in: language)
        case "transfer": localized("status.reason.transfer", in: language)
        case "status": localized("status.reason.status", ["status": httpStatus.map(String.init) ?? "?"], in: language)
        case "local": localized("status.reason.local", in: language)
        case "lease_lost": localized("status.reason.lease_lost", in: language)
        default: localized("status.reason.unknown", in: language)
        }
    }
}

// MARK: - JSON

extension StatusPage {
    /// The page as the JSON that `docs/status.schema.json` describes: English keys, stable codes, and each
    /// reason's words in `language`.
    public func json(in language: Language) -> JSONValue {
        .object([
            "schema_version": .integer(1),
            "agency": .string(agency),
            "build": .string(build),
            "language": .string(language.rawValue),
            "generated_at": .string(generatedAt.iso8601),
            "started_at": .string(startedAt.iso8601),
            "uptime_seconds": .integer(uptimeSeconds),
            "refresh_seconds": .integer(Int64(Self.refreshSeconds)),
            "keys": .object([
                "signing_key_id": .string(signingKeyID),
                "peers": .array(peerKeyIDs.map { .object(["peer": .string($0.peer), "key_ids": .array($0.keyIDs.map(JSONValue.string))]) }),
            ]),
            "feeds": .array(feeds.map { feedJSON($0, in: language) }),
            "datasets": .array(datasets.map { dataset in
                .object([
                    "dataset": .string(dataset.name), "policy": .string(dataset.policy), "records": .integer(Int64(dataset.records)),
                    "open_conflicts": .integer(Int64(dataset.openConflicts)), "quarantined": Self.quarantineJSON(dataset.quarantined),
                ])
            }),
            "quarantined_without_dataset": Self.quarantineJSON(quarantinedWithoutDataset),
            "applied_per_minute": .object([
                "minutes": .integer(Int64(appliedPerMinute.count)),
                "ending_at": .string(generatedAt.iso8601),
                "counts": .array(appliedPerMinute.map { .integer(Int64($0)) }),
                "total": .integer(Int64(appliedPerMinute.reduce(0, +))),
            ]),
        ])
    }

    private func feedJSON(_ feed: Feed, in language: Language) -> JSONValue {
        func time(_ value: UnixTime?) -> JSONValue { value.map { .string($0.iso8601) } ?? .null }
        let error: JSONValue = feed.lastError.map { error in
            .object([
                "reason": .string(error.reason), "reason_text": .string(Self.reasonText(error.reason, httpStatus: error.httpStatus, in: language)),
                "http_status": error.httpStatus.map { .integer(Int64($0)) } ?? .null, "at": time(error.at), "detail": .string(error.detail),
                "current": .bool(error.current),
            ])
        } ?? .null
        return .object([
            "peer": .string(feed.peer), "dataset": .string(feed.dataset), "mode": feed.mode.map(JSONValue.string) ?? .null,
            "cursor": .integer(feed.cursor), "head": .integer(feed.head), "lag_records": .integer(feed.lagRecords),
            "lag_seconds": feed.lagSeconds.map(JSONValue.integer) ?? .null, "healthy": .bool(feed.isHealthy),
            "last_attempt": time(feed.lastAttemptAt), "last_success": time(feed.lastSuccessAt), "last_error": error,
            "consecutive_failures": .integer(Int64(feed.consecutiveFailures)),
            "backoff": feed.backoffUntil.map { until in .object(["until": .string(until.iso8601), "seconds": .integer(feed.backoffSeconds)]) } ?? .null,
        ])
    }

    private static func quarantineJSON(_ counts: [QuarantineCount]) -> JSONValue {
        .object([
            "items": .integer(Int64(counts.reduce(0) { $0 + $1.items })),
            "by_reason": .array(counts.map { count in
                .object([
                    "peer": .string(count.peer), "reason": .string(count.reason), "items": .integer(Int64(count.items)), "times_seen": .integer(Int64(count.timesSeen)),
                    "last_received": .string(UnixTime(milliseconds: count.lastReceivedAt).iso8601),
                ])
            }),
        ])
    }
}

// MARK: - HTML

extension StatusPage {
    /// The page as one HTML document in `language`: styles inline, the chart an inline SVG, no script, no
    /// external asset; it reloads itself every ``refreshSeconds``. Every text from the store or a peer is escaped.
    public func html(in language: Language) -> String {
        let l = language
        var body = ""
        body += "<header><h1>\(localized("status.title", in: l)): \(htmlEscaped(agency))</h1>"
        body += "<p>\(localized("status.build", in: l)): <code>\(htmlEscaped(build))</code> · \(localized("status.uptime", in: l)): "
        body += "\(htmlEscaped(Self.duration(uptimeSeconds, in: l))) · \(localized("status.generated", in: l)): <time>\(generatedAt.iso8601)</time></p>"
        body += "<p class=\"small\">\(htmlEscaped(localized("status.refresh_note", ["seconds": String(Self.refreshSeconds)], in: l))) · "
        body += "<a href=\"?lang=en\" hreflang=\"en\">English</a> · <a href=\"?lang=vi\" hreflang=\"vi\">Tiếng Việt</a> · "
        body += "<a href=\"status.json?lang=\(l.rawValue)\">status.json</a></p></header>"

        body += "<section><h2>\(localized("status.peers", in: l))</h2>"
        if feeds.isEmpty {
            body += "<p>\(localized("status.no_feeds", in: l))</p>"
        } else {
            let headers = [
                localized("status.column.peer", in: l), localized("status.column.dataset", in: l), localized("status.column.mode", in: l),
                localized("status.column.cursor", in: l), localized("status.column.head", in: l), localized("status.column.lag", in: l),
                localized("status.column.last_success", in: l), localized("status.column.last_error", in: l), localized("status.column.backoff", in: l),
            ]
            body += "<table><thead><tr>\(headers.map { "<th scope=\"col\">\(htmlEscaped($0))</th>" }.joined())</tr></thead><tbody>"
            for feed in feeds { body += feedRow(feed, in: l) }
            body += "</tbody></table>"
        }
        body += "</section>"

        let datasetHeaders = [
            localized("status.column.dataset", in: l), localized("status.column.policy", in: l), localized("status.column.records", in: l),
            localized("status.column.open_conflicts", in: l), localized("status.column.quarantined", in: l),
        ]
        body += "<section><h2>\(localized("status.datasets", in: l))</h2><table><thead><tr>"
        body += "\(datasetHeaders.map { "<th scope=\"col\">\(htmlEscaped($0))</th>" }.joined())</tr></thead><tbody>"
        for dataset in datasets {
            body += "<tr><td>\(htmlEscaped(dataset.name))</td><td>\(htmlEscaped(dataset.policy))</td><td class=\"n\">\(dataset.records)</td>"
            body += "<td class=\"n\">\(dataset.openConflicts)</td><td>\(quarantineList(dataset.quarantined, in: l))</td></tr>"
        }
        body += "</tbody></table>"
        if !quarantinedWithoutDataset.isEmpty {
            body += "<p>\(localized("status.quarantined_without_dataset", in: l)): \(quarantineList(quarantinedWithoutDataset, in: l))</p>"
        }
        body += "</section>"

        body += "<section><h2>\(localized("status.chart.heading", in: l))</h2>\(chart(in: l))</section>"

        body += "<section><h2>\(localized("status.keys", in: l))</h2><ul>"
        body += "<li>\(localized("status.keys.signing", in: l)): <code>\(htmlEscaped(signingKeyID))</code></li>"
        for peer in peerKeyIDs {
            body += "<li>\(htmlEscaped(peer.peer)): \(peer.keyIDs.map { "<code>\(htmlEscaped($0))</code>" }.joined(separator: ", "))</li>"
        }
        body += "</ul></section>"

        return """
            <!DOCTYPE html>
            <html lang="\(l.rawValue)"><head><meta charset="utf-8">
            <meta http-equiv="refresh" content="\(Self.refreshSeconds)">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(localized("status.title", in: l)): \(htmlEscaped(agency))</title>
            <style>\(Self.style)</style></head>
            <body>\(body)</body></html>

            """
    }

    private func feedRow(_ feed: Feed, in l: Language) -> String {
        var row = "<tr class=\"\(feed.isHealthy ? "ok" : "failing")\"><td>\(htmlEscaped(feed.peer))</td><td>\(htmlEscaped(feed.dataset))</td>"
        let mode = switch feed.mode {
        case "live": localized("status.mode.live", in: l)
        case "polled": localized("status.mode.polled", in: l)
        default: "–"
        }
        row += "<td>\(htmlEscaped(mode))</td><td class=\"n\">\(feed.cursor)</td><td class=\"n\">\(feed.head)</td>"
        let seconds = feed.lagSeconds.map { Self.duration($0, in: l) } ?? "–"
        row += "<td class=\"n\">\(htmlEscaped(localized("status.lag.value", ["records": String(feed.lagRecords), "time": seconds], in: l)))</td>"
        row += "<td>\(feed.lastSuccessAt.map { "<time>\($0.iso8601)</time>" } ?? htmlEscaped(localized("status.never", in: l)))</td>"
        if let error = feed.lastError {
            let words = Self.reasonText(error.reason, httpStatus: error.httpStatus, in: l)
            row += "<td><strong class=\"reason\">\(htmlEscaped(words))</strong> <code>\(htmlEscaped(error.reason))</code>"
            if !error.current { row += " <em>(\(htmlEscaped(localized("status.error.earlier", in: l))))</em>" }
            row += "<br><span class=\"small\">\(error.at.map { "<time>\($0.iso8601)</time> " } ?? "")\(htmlEscaped(error.detail))</span></td>"
        } else {
            row += "<td>–</td>"
        }
        if let until = feed.backoffUntil {
            row += "<td>\(htmlEscaped(localized("status.backoff.value", ["failures": String(feed.consecutiveFailures), "seconds": String(feed.backoffSeconds), "time": until.iso8601], in: l)))</td>"
        } else {
            row += "<td>–</td>"
        }
        return row + "</tr>"
    }

    private func quarantineList(_ counts: [QuarantineCount], in l: Language) -> String {
        guard !counts.isEmpty else { return "0" }
        return "<ul class=\"plain\">" + counts.map { count in
            "<li>\(htmlEscaped(count.peer)), <code>\(htmlEscaped(count.reason))</code>: \(count.items)\(count.timesSeen > count.items ? " (\(htmlEscaped(localized("status.quarantine.seen", ["times": String(count.timesSeen)], in: l))))" : "")</li>"
        }.joined() + "</ul>"
    }

    /// The last hour's applied records per minute as an inline SVG bar chart, with a title and a description
    /// that say in words what it shows.
    func chart(in l: Language) -> String {
        let width = 600, height = 120, barWidth = 10
        let peak = appliedPerMinute.max() ?? 0
        let total = appliedPerMinute.reduce(0, +)
        let summary = localized("status.chart.summary", ["total": String(total), "peak": String(peak), "minutes": String(appliedPerMinute.count)], in: l)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"chart-title chart-desc\" width=\"\(width)\" height=\"\(height + 20)\" "
        svg += "viewBox=\"0 0 \(width) \(height + 20)\"><title id=\"chart-title\">\(htmlEscaped(localized("status.chart.heading", in: l)))</title>"
        svg += "<desc id=\"chart-desc\">\(htmlEscaped(summary))</desc>"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#f4f6f8\"/>"
        for (index, count) in appliedPerMinute.enumerated() where count > 0 {
            let barHeight = max(1, count * (height - 4) / max(peak, 1))
            svg += "<rect x=\"\(index * barWidth + 1)\" y=\"\(height - barHeight)\" width=\"\(barWidth - 2)\" height=\"\(barHeight)\" fill=\"#2b6cb0\">"
            svg += "<title>\(count)</title></rect>"
        }
        svg += "<text x=\"0\" y=\"\(height + 15)\" font-size=\"11\">−60 min</text>"
        svg += "<text x=\"\(width)\" y=\"\(height + 15)\" font-size=\"11\" text-anchor=\"end\">\(htmlEscaped(localized("status.chart.now", in: l)))</text>"
        svg += "<text x=\"4\" y=\"14\" font-size=\"11\">\(peak)</text></svg>"
        return svg + "<p class=\"small\">\(htmlEscaped(summary))</p>"
    }

    /// Seconds as days, hours, minutes and seconds, the larger units only when there are any.
    static func duration(_ seconds: Int64, in l: Language) -> String {
        let (days, hours, minutes, rest) = (seconds / 86_400, seconds % 86_400 / 3600, seconds % 3600 / 60, seconds % 60)
        if days > 0 { return localized("status.duration.days", ["days": String(days), "hours": String(hours)], in: l) }
        if hours > 0 { return localized("status.duration.hours", ["hours": String(hours), "minutes": String(minutes)], in: l) }
        if minutes > 0 { return localized("status.duration.minutes", ["minutes": String(minutes), "seconds": String(rest)], in: l) }
        return localized("status.duration.seconds", ["seconds": String(rest)], in: l)
    }

    static let style = """
        body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:1.5rem;color:#1a202c;background:#fff}\
        h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.5rem}\
        table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border:1px solid #cbd5e0;padding:.3rem .5rem;text-align:left;vertical-align:top}\
        th{background:#edf2f7}td.n{text-align:right;white-space:nowrap}tr.failing td{background:#fff5f5}\
        .reason{color:#c53030}.small{font-size:.8rem;color:#4a5568}code{font-size:.85rem;word-break:break-all}\
        ul.plain{list-style:none;margin:0;padding:0}
        """
}

/// `text` safe inside HTML text and attribute values: `&`, `<`, `>`, `"` and `'` as character references.
func htmlEscaped(_ text: String) -> String {
    var escaped = ""
    escaped.reserveCapacity(text.utf8.count)
    for character in text {
        switch character {
        case "&": escaped += "&amp;"
        case "<": escaped += "&lt;"
        case ">": escaped += "&gt;"
        case "\"": escaped += "&quot;"
        case "'": escaped += "&#39;"
        default: escaped.append(character)
        }
    }
    return escaped
}
