public import ServiceLifecycle

/// An HTTP client over libcurl, with TLS verification always on, connection reuse, HTTP/2 where the server
/// offers it, and the limits of ``TransferOptions``.
///
/// A swift-service-lifecycle `Service`: ``run()`` drives every transfer, on one thread of its own
/// (``CurlDriver``) that it starts and ends, so no transfer blocks Swift's cooperative pool. Nothing runs
/// before ``run()``: a GET made earlier waits for it. In the daemon the client is in the service group and
/// stops after the services that use it; a one-shot command uses ``withHTTPClient(_:)``.
public final class HTTPClient: Service, Sendable {
    private let driver: CurlDriver

    public init() throws(HTTPError) {
        driver = try CurlDriver()
    }

    /// Drives the transfers until a graceful shutdown, a cancellation or ``shutdown()``; transfers still
    /// running then end with ``HTTPError/Reason/shutDown``. Runs once: a second call returns at once.
    public func run() async {
        let driver = driver
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await driver.run()
            } onCancel: {
                driver.stop()
            }
        } onGracefulShutdown: {
            driver.stop()
        }
    }

    /// Ends ``run()``: transfers still running end with ``HTTPError/Reason/shutDown``, later ones fail at once.
    public func shutdown() {
        driver.stop()
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

/// Runs `body` with an HTTP client that runs for as long as `body` does, then shuts it down: the scope a
/// one-shot command needs.
public func withHTTPClient<Result: Sendable>(_ body: (HTTPClient) async throws -> Result) async throws -> Result {
    let client = try HTTPClient()
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { client.shutdown() }
        return try await body(client)
    }
}
