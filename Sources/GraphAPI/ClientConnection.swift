import GraphService
import HummingbirdCore
import Logging
import NIOCore
import Synchronization

/// The client end of one HTTP connection, as the request handlers see it: it tells them when the
/// client has gone away, so work done only for that client can stop.
///
/// A handler that is still computing its answer (a query before its first byte) never reads from
/// the connection, so it would not notice a client that hung up until it wrote. A channel handler
/// (``ClientCloseHandler``) watches the socket instead: end of input (the client closed its side,
/// which the server allows as a half-close) or the connection closing. As in Go's `net/http`, a
/// client that ends its input after the request counts as gone.
final class ClientConnection: Sendable {
    /// The connection of the request being handled, set for the whole of each connection's task.
    @TaskLocal static var current: ClientConnection?

    private struct State {
        var closed = false
        var nextID: UInt64 = 0
        var actions: [UInt64: @Sendable () -> Void] = [:]
    }

    private let state = Mutex(State())

    /// Whether the client has gone away.
    var isClosed: Bool { state.withLock { $0.closed } }

    /// Runs `action` once when the client goes away (at once if it already has) until the
    /// returned registration is cancelled.
    func onClose(_ action: @escaping @Sendable () -> Void) -> Registration {
        let id: UInt64? = state.withLock { state in
            guard !state.closed else { return nil }
            defer { state.nextID += 1 }
            state.actions[state.nextID] = action
            return state.nextID
        }
        guard let id else {
            action()
            return Registration(connection: nil, id: 0)
        }
        return Registration(connection: self, id: id)
    }

    /// Marks the client gone and runs the registered actions. Idempotent.
    func close() {
        let actions: [@Sendable () -> Void] = state.withLock { state in
            guard !state.closed else { return [] }
            state.closed = true
            defer { state.actions = [:] }
            return Array(state.actions.values)
        }
        for action in actions { action() }
    }

    fileprivate func remove(_ id: UInt64) {
        _ = state.withLock { $0.actions.removeValue(forKey: id) }
    }

    /// An action registered with ``onClose(_:)``.
    struct Registration: Sendable {
        fileprivate let connection: ClientConnection?
        fileprivate let id: UInt64

        /// Forgets the action if it has not run.
        func cancel() {
            connection?.remove(id)
        }
    }
}

/// First in every HTTP connection's pipeline: tells the connection's ``ClientConnection`` when
/// the input ends or the channel closes, and passes everything on unchanged.
final class ClientCloseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let client: ClientConnection

    init(client: ClientConnection) {
        self.client = client
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            client.close()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        client.close()
        context.fireChannelInactive()
    }
}

/// Hummingbird's HTTP/1.1 connection with a ``ClientCloseHandler`` in front, the connection's
/// ``ClientConnection`` bound as ``ClientConnection/current`` while its requests are handled, and,
/// when `requestHeadTimeout` is set, a ``RequestHeadTimeoutHandler`` (with its
/// ``RequestProgressHandler`` behind the decoder) that closes a connection whose client does not
/// send a whole request head in time. The idle timeout of kept-alive connections is the `base`
/// channel's own (`HTTP1Channel.Configuration.idleTimeout`).
struct ClientTrackingHTTP1Channel: ServerChildChannel {
    struct Value: ServerChildChannelValue {
        let base: HTTP1Channel.Value
        let client: ClientConnection
        var channel: any Channel { base.channel }
    }

    let base: HTTP1Channel
    var requestHeadTimeout: TimeAmount?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let client = ClientConnection()
        var http = base
        do {
            if let requestHeadTimeout {
                let headTimeout = RequestHeadTimeoutHandler(timeout: requestHeadTimeout, logger: logger)
                try channel.pipeline.syncOperations.addHandler(headTimeout, position: .first)
                // Handlers behind the decoder are made by the channel's configuration; this one must
                // know this connection's head timeout, and is handed over bound to its event loop.
                let progress = NIOLoopBound(RequestProgressHandler(headTimeout: headTimeout), eventLoop: channel.eventLoop)
                var configuration = base.configuration
                let others = configuration.additionalChannelHandlers
                configuration.additionalChannelHandlers = { [progress.value] + others() }
                http = HTTP1Channel(responder: base.responder, configuration: configuration)
            }
            try channel.pipeline.syncOperations.addHandler(ClientCloseHandler(client: client), position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return http.setup(channel: channel, logger: logger).map { Value(base: $0, client: client) }
    }

    func handle(value: Value, logger: Logger) async {
        await ClientConnection.$current.withValue(value.client) {
            await base.handle(value: value.base, logger: logger)
        }
    }
}
