import Hummingbird

extension Publisher {
    /// Serves this publisher on a free port of 127.0.0.1 for as long as `body` runs, and stops it when `body`
    /// returns or throws. `body` is given the bound port once the listener accepts connections; the feed's
    /// base URL is `http://127.0.0.1:<port>`. For tests, benchmarks and the demo; the daemon runs
    /// ``application(host:port:connectionLimits:onServerRunning:)`` in its service group instead.
    public func serving<Result: Sendable>(
        connectionLimits: PublisherConnectionLimits = .default, _ body: (_ port: Int) async throws -> Result
    ) async throws -> Result {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = self.application(host: "127.0.0.1", port: 0, connectionLimits: connectionLimits) { continuation.yield($0) }
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                defer { continuation.finish() }
                try await server.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                // The server ended before it listened: its own error says why.
                _ = try await group.next()
                throw PublisherDidNotStart()
            }
            let result = try await body(port)
            group.cancelAll()
            return result
        }
    }

    /// ``serving(connectionLimits:_:)`` for several publishers at once: `body` is given their ports, in the
    /// order of `publishers`.
    public static func serving<Result: Sendable>(
        _ publishers: [Publisher], _ body: (_ ports: [Int]) async throws -> Result
    ) async throws -> Result {
        guard let first = publishers.first else { return try await body([]) }
        return try await first.serving { port in
            try await Self.serving(Array(publishers.dropFirst())) { ports in try await body([port] + ports) }
        }
    }
}

/// A publisher's listener stopped before it accepted connections.
public struct PublisherDidNotStart: Error, CustomStringConvertible {
    public var description: String { "the publisher stopped before it listened" }
}
