import Foundation
import Hummingbird
import LienThongAgency
import LienThongConfig
public import LienThongCore
import LienThongStore
import Logging
import ServiceLifecycle

/// The status page on its own listener (`admin_listen`, docs/STATUS.md): `GET /` the HTML page, `GET
/// /status.json` the same data. Never on the publisher's port: the publisher faces the peers, this page has no
/// authentication and is for the agency's operators. Read-only: it reads one snapshot of the store per request.
struct StatusService {
    let store: Store
    let running: Locked<AgencyPlan>
    let activity: PullActivity
    let clock: any UnixClock
    let build: String
    let startedAt: UnixTime
    let logger: Logger

    /// What may load on the page: inline styles and inline images, nothing else; no base, no form, no framing.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// The listener as a service; `onServerRunning` gets the port bound (port 0 picks a free one).
    func application(host: String, port: Int, onServerRunning: @escaping @Sendable (_ port: Int) async -> Void) -> some Service {
        let router = Router(context: BasicRequestContext.self)
        router.get("/") { request, _ in try await answer(request, json: false) }
        router.get("/status.json") { request, _ in try await answer(request, json: true) }
        return Application(
            router: router,
            server: .http1(configuration: .init(
                idleTimeout: .seconds(30),
                httpDecoderConfiguration: .init(maxHeaderFieldSize: 8 * 1024, maxHeaderListSize: 32 * 1024, maxHeaderFieldCount: 64)
            )),
            configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }

    /// The page in the language `?lang=en|vi` asks for, else the daemon's.
    func answer(_ request: Request, json: Bool) async throws -> Response {
        let language = request.uri.queryParameters["lang"].flatMap { Language(option: String($0)) } ?? Language.current
        let page: StatusPage
        do {
            page = try await self.page()
        } catch {
            logger.error("status page: cannot read the store", metadata: ["error": "\(error)"])
            return Self.response(
                status: .serviceUnavailable, body: localized("status.unavailable", in: language) + "\n", contentType: "text/plain; charset=utf-8"
            )
        }
        if json {
            return Self.response(status: .ok, body: page.json(in: language).displayText + "\n", contentType: "application/json")
        }
        return Self.response(status: .ok, body: page.html(in: language), contentType: "text/html; charset=utf-8")
    }

    /// The page as it stands now.
    func page() async throws -> StatusPage {
        try await StatusPage.reading(
            store: store, plan: running.withLock { $0 }, activity: activity, build: build, startedAt: startedAt, now: clock.now
        )
    }

    /// An answer with strict headers: nothing but inline styles and inline images may load, the page is not
    /// kept in caches, not framed, and its address is not sent on when a link is followed.
    static func response(status: HTTPResponse.Status, body: String, contentType: String) -> Response {
        let headers: HTTPFields = [
            .contentType: contentType, .contentSecurityPolicy: contentSecurityPolicy, .xContentTypeOptions: "nosniff", .cacheControl: "no-store",
            .init("Referrer-Policy")!: "no-referrer", .init("X-Frame-Options")!: "DENY",
        ]
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: Array(body.utf8))))
    }
}
