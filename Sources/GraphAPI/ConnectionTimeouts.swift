import GraphService
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client does not send a whole request head in time
/// (``ServerConfiguration/requestHeadTimeoutSeconds``), so that connections which open and send
/// nothing, or trickle a head byte by byte, cannot pile up.
///
/// The clock starts when the connection opens and, on a kept-alive connection, when the first
/// byte of the next request arrives (until then the connection is idle, and the idle timeout of
/// Hummingbird's `HTTP1Channel` applies); it stops as soon as the head is decoded. A request
/// whose head has arrived is never affected, however long its body, its handler or its answer
/// (a streamed result, a task monitor) takes.
///
/// It sits in front of the HTTP decoder to see bytes arrive; ``RequestProgressHandler``, behind
/// the decoder, tells it where each request is. At most one timer is scheduled at a time and a
/// timer is not cancelled when a head arrives (it finds nothing to do when it fires), so a busy
/// connection does not schedule one per request.
final class RequestHeadTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let timeout: TimeAmount
    private let logger: Logger
    /// When the head now awaited started to be awaited; `nil` while none is.
    private var headStartedAt: NIODeadline?
    /// Requests whose head has been decoded and whose end has not.
    private var requestsBeingRead = 0
    /// Requests whose head has been decoded and whose answer has not ended.
    private var answersPending = 0
    private var started = false
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount, logger: Logger) {
        self.timeout = timeout
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { connectionOpened(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        connectionOpened(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if headStartedAt == nil, requestsBeingRead == 0, answersPending == 0 {
            // The first byte of the next request of a kept-alive connection.
            awaitHead(context: context)
        }
        context.fireChannelRead(data)
    }

    /// A request head was decoded.
    func headReceived() {
        headStartedAt = nil
        requestsBeingRead += 1
        answersPending += 1
    }

    /// A request ended (its whole body was decoded).
    func requestEnded() {
        requestsBeingRead = max(0, requestsBeingRead - 1)
    }

    /// An answer ended (its last part was written).
    func answerEnded() {
        answersPending = max(0, answersPending - 1)
    }

    private func connectionOpened(context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        awaitHead(context: context)
    }

    private func awaitHead(context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        headStartedAt = now
        if timer == nil { schedule(at: now + timeout, context: context) }
    }

    private func schedule(at deadline: NIODeadline, context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            guard let startedAt = headStartedAt else { return }
            let deadline = startedAt + timeout
            if NIODeadline.now() >= deadline {
                logger.debug(
                    "closing a connection that sent no whole request head in time",
                    metadata: ["client": "\(context.channel.remoteAddress?.ipAddress ?? "unknown")", "timeout_s": "\(timeout.nanoseconds / 1_000_000_000)"]
                )
                context.close(promise: nil)
            } else {
                schedule(at: deadline, context: context)
            }
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }
}

/// Behind the HTTP decoder: tells a ``RequestHeadTimeoutHandler`` when a request's head and end
/// are decoded and when its answer has been written, and passes everything on unchanged.
final class RequestProgressHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let headTimeout: RequestHeadTimeoutHandler

    init(headTimeout: RequestHeadTimeoutHandler) {
        self.headTimeout = headTimeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: headTimeout.headReceived()
        case .end: headTimeout.requestEnded()
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { headTimeout.answerEnded() }
        context.write(data, promise: promise)
    }
}
