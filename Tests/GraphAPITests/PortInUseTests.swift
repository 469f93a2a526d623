import Foundation
import GraphAPITesting
import Testing

/// Issue 14: `serve` on a port already in use says so plainly, at once, and touches nothing.
/// Before: the raw NIO error, after the data folder's subfolders had been made.
@Suite(.slow) struct PortInUseTests {
    @Test func aPortInUseIsSaidPlainlyAndTheDataFolderIsNotTouched() async throws {
        // Another server holds a port.
        let holderDirectory = TestServer.temporaryPath("graph-api-port-holder")
        defer { try? FileManager.default.removeItem(atPath: holderDirectory) }
        let holder = try ServerProcess(dataDirectory: holderDirectory)
        defer { _ = try? holder.stop(signal: SIGTERM) }
        let dataDirectory = TestServer.temporaryPath("graph-api-port-second")
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }

        let process = Process()
        process.executableURL = ServerProcess.executable
        process.arguments = ["serve", "--port", String(holder.port), "--data-dir", dataDirectory]
        var environment = ProcessInfo.processInfo.environment
        for key in environment.keys where key.hasPrefix("GRAPH_API_") { environment[key] = nil }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()

        #expect(process.terminationStatus == 1, "\(text)")
        #expect(text.contains("cannot listen on 127.0.0.1:\(holder.port): the port is already in use"), "\(text)")
        #expect(text.contains("Nothing was created or changed in the data folder"), "\(text)")
        #expect(!FileManager.default.fileExists(atPath: dataDirectory), "the data folder was made: \(text)")
    }
}
