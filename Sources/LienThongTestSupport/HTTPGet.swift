import Foundation
public import LienThongHTTP

/// One HTTP response as a test sees it.
public struct HTTPReply: Sendable {
    public let status: Int
    /// Header names in lower case.
    public let headers: [String: String]
    public let body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// The libcurl client the tests share, as the poller uses it, running for the whole test process.
public let testClient: HTTPClient = runningForTheProcess(try! HTTPClient())

/// `client`, running until the process ends. Tests and benchmarks only: a service runs its client in its service group,
/// a command in ``withHTTPClient(_:)``; a test process has no scope that outlives every test.
public func runningForTheProcess(_ client: HTTPClient) -> HTTPClient {
    Task.detached { await client.run() }
    return client
}

/// A GET over loopback through lienthong's libcurl client, with the request target sent exactly as given.
public func httpGet(port: Int, target: String, headers: [(String, String)] = []) async throws -> HTTPReply {
    var options = TransferOptions()
    options.totalTimeout = .seconds(20)
    let response = try await testClient.get(HTTPRequest(
        url: "http://127.0.0.1:\(port)\(target)", headers: headers.map { (name: $0.0, value: $0.1) }, options: options
    ))
    var fields: [String: String] = [:]
    for (name, value) in response.headers { fields[name.lowercased()] = value }
    return HTTPReply(status: response.status, headers: fields, body: response.body)
}
