import LienThongCore
import LienThongFeed
import LienThongPublisher
import LienThongSigning
import LienThongTestSupport
import Testing

@Suite("Publisher: request tokens over HTTP")
struct PublisherTokenTests {
    @Test("a refused token gets 401 with a JSON error that leaks nothing", arguments: TokenRow.all)
    func unauthorized(row: TokenRow) async throws {
        try await withPublisher { server in
            let token = try row.make(wallClock())
            let headers = token.map { [("Authorization", "Bearer \($0)")] } ?? []
            if row.usedBefore {
                #expect(try await httpGet(port: server.port, target: tokenTarget, headers: headers).status == 200)
            }
            let reply = try await httpGet(port: server.port, target: tokenTarget, headers: headers)
            #expect(reply.status == 401)
            #expect(reply.headers["www-authenticate"] == "Bearer")
            let body = try #require(try errorBody(reply))
            #expect(body.error == "unauthorized")
            #expect(body.message == "request token refused: \(row.reason)")
            for secret in [token, "so-ngoai-vu", "Nguyễn", withheldValue, requesterKey.publicKey.keyID].compactMap({ $0 }) {
                #expect(!reply.text.contains(secret))
            }
        }
    }
}
