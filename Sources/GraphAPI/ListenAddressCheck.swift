import NIOCore
import NIOPosix

/// The server could not listen where it was told to; nothing was created or changed.
public struct ListenAddressUnavailable: Error, CustomStringConvertible {
    /// The host and port asked for.
    public var host: String
    public var port: Int
    /// Why, in words.
    public var reason: String

    public var description: String {
        "cannot listen on \(host):\(port): \(reason). Nothing was created or changed in the data folder; "
            + "choose another address with --host/--port (GRAPH_API_HOST/GRAPH_API_PORT)."
    }
}

/// Tries the listening address before anything else happens, so that a port already in use is
/// said plainly, at once, and leaves the data folder untouched (the HTTP server itself binds only
/// after the node's services started, which create folders).
enum ListenAddressCheck {
    /// Binds `host:port` the way the server will (address reuse on) and lets it go again. Port 0
    /// (any free port) is not checked.
    static func ensureAvailable(host: String, port: Int) async throws(ListenAddressUnavailable) {
        guard port != 0 else { return }
        do {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port).get()
            try? await channel.close()
        } catch let error as IOError {
            let reason =
                switch error.errnoCode {
                case EADDRINUSE: "the port is already in use (another graph-api, or another program, listens there)"
                case EACCES: "not permitted (ports below 1024 need privileges)"
                case EADDRNOTAVAIL: "this machine has no such address"
                default: "\(error)"
                }
            throw ListenAddressUnavailable(host: host, port: port, reason: reason)
        } catch {
            throw ListenAddressUnavailable(host: host, port: port, reason: "\(error)")
        }
    }
}
