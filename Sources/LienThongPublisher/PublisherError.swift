import Hummingbird
import LienThongCore

/// An answer other than a page, as protocol v1 writes it: a status and `{"error": CODE, "message": TEXT}`.
/// The message is one line for the requester's operator; it never holds record contents, keys or tokens.
struct PublisherError: Error, HTTPResponseError {
    private enum Code: String {
        case badRequest = "bad_request"
        case unauthorized
        case forbidden
        /// 403 as well: the grant names purposes and the request states none of them.
        case purpose
        case notFound = "not_found"
        case payloadTooLarge = "payload_too_large"
        case tooManyRequests = "too_many_requests"
        case unavailable
        case internalError = "internal"
    }

    private let code: Code
    let message: String
    private let retryAfterSeconds: Int64?

    private init(_ code: Code, _ message: String, retryAfterSeconds: Int64? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    static func badRequest(_ message: String) -> Self { .init(.badRequest, message) }
    static func unauthorized(_ message: String) -> Self { .init(.unauthorized, message) }
    static func forbidden(_ message: String) -> Self { .init(.forbidden, message) }
    static func purpose(_ message: String) -> Self { .init(.purpose, message) }
    static func notFound(_ message: String) -> Self { .init(.notFound, message) }
    static func payloadTooLarge(_ message: String) -> Self { .init(.payloadTooLarge, message) }
    static func tooManyRequests(retryAfter seconds: Int64) -> Self {
        .init(.tooManyRequests, "too many requests; retry after \(seconds) s", retryAfterSeconds: seconds)
    }
    static func unavailable(_ message: String, retryAfter seconds: Int64) -> Self { .init(.unavailable, message, retryAfterSeconds: seconds) }
    static let internalError = Self(.internalError, "the publisher failed to answer")

    var status: HTTPResponse.Status {
        switch code {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden, .purpose: .forbidden
        case .notFound: .notFound
        case .payloadTooLarge: .contentTooLarge
        case .tooManyRequests: .tooManyRequests
        case .unavailable: .serviceUnavailable
        case .internalError: .internalServerError
        }
    }

    /// The protocol's error code, such as `not_found`.
    var errorCode: String { code.rawValue }

    func response(from request: Request, context: some RequestContext) -> Response {
        let body = JSONValue.object(["error": .string(code.rawValue), "message": .string(message)]).serialized()
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        if code == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Gives every refusal the protocol's JSON body: the publisher's own errors as they are, the router's
/// (no such path) as `not_found`, anything else as `internal`, logged by type only.
struct PublisherErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as PublisherError {
            return error.response(from: request, context: context)
        } catch let error as HTTPError where error.status == .notFound {
            return PublisherError.notFound("no such resource").response(from: request, context: context)
        } catch {
            context.logger.error("request failed", metadata: ["error.type": "\(type(of: error))"])
            return PublisherError.internalError.response(from: request, context: context)
        }
    }
}
