import ArgumentParser
import Foundation
import GraphAPIClient
import GraphAPIContract
import GraphJSON

/// `graph-api health`.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Check that a server answers (GET /health).",
        discussion: "Exits 0 when the server is healthy, 1 when it is unhealthy or cannot be reached, 64 for a usage error."
    )

    @OptionGroup var connection: ClientConnectionOptions

    @Flag(help: "Print the server's JSON answer.")
    var json = false

    func run() async throws {
        try await ClientCommandRunner.run {
            let client = try connection.makeClient()
            let health = try await client.health()
            if json {
                StandardStream.output.write(
                    "{\"status\":\(JSONValue.string(health.status.rawValue)),\"uptime_seconds\":\(health.uptimeSeconds),"
                        + "\"version\":\(JSONValue.string(health.version))}\n"
                )
            } else {
                StandardStream.output.write(
                    "\(health.status.rawValue) (\(client.baseURL.absoluteString), version \(health.version), up \(ClientFormatting.seconds(health.uptimeSeconds)))\n"
                )
            }
            if health.status != .healthy { throw ExitCode.failure }
        }
    }
}
