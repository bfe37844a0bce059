/// An HTTP client over libcurl: every transfer runs on one dedicated thread (``CurlDriver``), with TLS
/// verification always on, connection reuse, HTTP/2 where the server offers it, and the limits of
/// ``TransferOptions``.
public final class HTTPClient: Sendable {
    private let driver: CurlDriver

    public init() throws(HTTPError) {
        driver = try CurlDriver()
    }

    deinit {
        driver.shutdown()
    }

    /// Performs a GET. Throws ``HTTPError`` for a transfer that failed; any HTTP status is a response.
    public func get(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let transfer = try EasyTransfer(request)
        do {
            return try await driver.perform(transfer)
        } catch let error as HTTPError {
            throw error
        } catch {
            throw HTTPError(.cancelled, "GET \(request.url): \(error)")
        }
    }
}
