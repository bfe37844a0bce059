import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import LienThongCore

/// Counts open connections per remote address and refuses one beyond ``PublisherConnectionLimits/perAddress``,
/// so that one address cannot take every slot of the listener's overall cap.
final class ConnectionLimiter: Sendable {
    let perAddress: Int
    private let open = Locked<[String: Int]>([:])

    init(perAddress: Int) {
        self.perAddress = perAddress
    }

    /// Takes a slot for `address`; false when it already holds `perAddress` connections.
    func open(_ address: String) -> Bool {
        open.withLock { open in
            let count = open[address, default: 0]
            guard count < perAddress else { return false }
            open[address] = count + 1
            return true
        }
    }

    func close(_ address: String) {
        open.withLock { open in
            let count = open[address, default: 0]
            open[address] = count > 1 ? count - 1 : nil
        }
    }

    /// Open connections from `address`, for tests.
    func count(_ address: String) -> Int { open.withLock { $0[address, default: 0] } }
}

/// HTTP/1.1 as Hummingbird serves it, behind ``ConnectionLimiter``: a connection from an address that holds
/// its share already is closed before a byte of it is read.
struct AddressLimitedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let http1: HTTP1Channel
    let limiter: ConnectionLimiter

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        // A channel without an IP address (a Unix socket) is one local client: it shares one slot key.
        let address = channel.remoteAddress?.ipAddress ?? "local"
        guard limiter.open(address) else {
            // Closed as soon as it is active, before a byte of it is read: the setup runs before the
            // channel is registered, when it cannot be closed yet.
            do {
                try channel.pipeline.syncOperations.addHandler(RefusedConnectionHandler())
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
            return http1.setup(channel: channel, logger: logger)
        }
        channel.closeFuture.whenComplete { [limiter] _ in limiter.close(address) }
        return http1.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}

/// First in the pipeline of a connection over its address's share: closes it when it becomes active and
/// passes nothing it reads on.
final class RefusedConnectionHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    // The channel may be active already when the handler is added, or become so later: close it either way.
    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { context.close(promise: nil) }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
