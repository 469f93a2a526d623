import Foundation
import Testing

@testable import GraphEngine

extension GraphEngineCoreTests {
    @Suite("Opening and closing")
    struct LifecycleTests {
        @Test("using a closed database, connection, statement or result throws kind closed")
        func useAfterClose() throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let database = try Database(path: directory.path("db"), configuration: testConfiguration)
            #expect(database.path == directory.path("db"))
            #expect(database.configuration == testConfiguration)
            let connection = try database.connect()
            _ = try connection.query("CREATE NODE TABLE P(id INT64 PRIMARY KEY)")
            _ = try connection.query("UNWIND range(1, 10) AS i CREATE (:P {id: i})")
            let statement = try connection.prepare("MATCH (p:P) WHERE p.id = $id RETURN p.id")
            let result = try connection.query("MATCH (p:P) RETURN p.id")
            #expect(result.rowCount == 10)
            #expect(try result.next() != nil)

            database.close()
            #expect(database.isClosed)
            #expect(connection.isClosed)
            database.close()  // idempotent

            #expect(engineError { try database.connect() }?.kind == .closed)
            #expect(engineError { try connection.query("RETURN 1") }?.kind == .closed)
            #expect(engineError { try connection.prepare("RETURN 1") }?.kind == .closed)
            #expect(engineError { try connection.execute(statement, parameters: ["id": 1]) }?.kind == .closed)
            #expect(engineError { try connection.setQueryTimeout(milliseconds: 10) }?.kind == .closed)
            #expect(engineError { try result.next() }?.kind == .closed)
            #expect(engineError { try result.nextArrowChunk(rows: 10) }?.kind == .closed)
            #expect(engineError { try result.arrowSchema() }?.kind == .closed)
            #expect(!result.hasNext)
            #expect(result.rowCount == 0)
            connection.interrupt()  // harmless
            connection.close()  // harmless
            result.close()
        }

        @Test("closing a connection leaves the database and other connections working")
        func closeConnection() throws {
            try withTestDatabase { database, _ in
                let first = try database.connect()
                let second = try database.connect()
                let result = try first.query("RETURN 1")
                first.close()
                first.close()
                #expect(engineError { try first.query("RETURN 1") }?.kind == .closed)
                #expect(engineError { try result.next() }?.kind == .closed)
                #expect(try second.scalar("RETURN 2") == .int64(2))
                #expect(try database.connect().scalar("RETURN 3") == .int64(3))
            }
        }

        @Test("closing the database stops a running query, which fails cleanly")
        func closeWhileRunning() async throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let database = try Database(path: directory.path("db"), configuration: testConfiguration)
            let connection = try database.connect()
            try createPeople(connection, count: 3000)
            let executor = EngineExecutor(threadCount: 1)
            let running = Task {
                try await executor.run(on: connection) { try $0.query(longQuery).next() }
            }
            try await Task.sleep(for: .milliseconds(150))
            let start = nowMilliseconds()
            // On another thread: close() blocks until the query has stopped.
            await withCheckedContinuation { continuation in
                Thread.detachNewThread {
                    database.close()
                    continuation.resume()
                }
            }
            let error = await engineError { try await running.value }
            #expect(error?.kind == .closed || error?.kind == .interrupted)
            #expect(nowMilliseconds() - start < 1000)
            #expect(engineError { try connection.query("RETURN 1") }?.kind == .closed)
            try await executor.shutdown()
        }

        @Test("closing the database while threads query it and drop results never crashes")
        func closeRaces() throws {
            for round in 0..<10 {
                let directory = try TemporaryDirectory()
                defer { directory.remove() }
                let database = try Database(path: directory.path("db"), configuration: testConfiguration)
                let setup = try database.connect()
                _ = try setup.query("CREATE NODE TABLE N(id INT64 PRIMARY KEY)")
                _ = try setup.query("UNWIND range(1, 2000) AS i CREATE (:N {id: i})")
                let unexpected = TestFlag()
                let group = DispatchGroup()
                for worker in 0..<4 {
                    group.enter()
                    Thread.detachNewThread {
                        defer { group.leave() }
                        guard let connection = try? database.connect() else { return }
                        var kept: [QueryResult] = []
                        for index in 0..<200 {
                            do {
                                let result = try connection.query(
                                    "MATCH (n:N) WHERE n.id > \(index) RETURN n.id LIMIT 50")
                                _ = try result.next()
                                if index % 3 == worker % 3 { kept.append(result) }
                                if kept.count > 5 { kept.removeFirst() }
                                let statement = try connection.prepare("MATCH (n:N) WHERE n.id = $x RETURN n")
                                _ = try connection.execute(statement, parameters: ["x": .int64(Int64(index))])
                            } catch let error as EngineError where error.kind == .closed || error.kind == .interrupted {
                                break
                            } catch {
                                unexpected.set()
                                break
                            }
                        }
                    }
                }
                Thread.sleep(forTimeInterval: Double(round % 5) * 0.01)
                database.close()
                group.wait()
                #expect(!unexpected.isSet)
            }
        }

        @Test("results and statements dropped without close are freed, and the file can be reopened")
        func dropWithoutClose() throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let path = directory.path("db")
            do {
                let database = try Database(path: path, configuration: testConfiguration)
                let connection = try database.connect()
                _ = try connection.query("CREATE NODE TABLE P(id INT64 PRIMARY KEY)")
                _ = try connection.query("CREATE (:P {id: 1})")
                _ = try connection.prepare("MATCH (p:P) RETURN p")
                _ = try connection.query("MATCH (p:P) RETURN p")
                // Everything goes out of scope here; the database deinitialises without close().
            }
            let database = try Database(path: path, configuration: testConfiguration)
            defer { database.close() }
            #expect(try database.connect().scalar("MATCH (p:P) RETURN count(*)") == .int64(1))
        }

        @Test("a second read-write open of one file in this process fails with kind open")
        func openTwice() throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let path = directory.path("db")
            let database = try Database(path: path, configuration: testConfiguration)
            let error = engineError { try Database(path: path, configuration: testConfiguration) }
            #expect(error?.kind == .open)
            // Also under another spelling of the same path.
            let other = directory.url.appendingPathComponent(".").appendingPathComponent("db").path
            #expect(engineError { try Database(path: other, configuration: testConfiguration) }?.kind == .open)
            var readOnly = testConfiguration
            readOnly.readOnly = true
            #expect(engineError { try Database(path: path, configuration: readOnly) }?.kind == .open)
            database.close()
            // Free again once closed.
            let reopened = try Database(path: path, configuration: testConfiguration)
            reopened.close()
        }

        @Test("bad paths and settings fail with kind open, never a crash")
        func badPaths() throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let cases = [
                directory.path("missing-directory/db"),  // parent does not exist
                directory.url.path,  // a directory
                directory.path(String(repeating: "x", count: 300)),  // name too long
                "/proc/self/nonexistent/db",
            ]
            for path in cases {
                let error = engineError { try Database(path: path, configuration: testConfiguration) }
                #expect(error?.kind == .open, "\(path): \(String(describing: error))")
            }
            let file = directory.path("file")
            try "x".write(toFile: file, atomically: true, encoding: .utf8)
            #expect(engineError { try Database(path: file + "/db", configuration: testConfiguration) }?.kind == .open)
            // Not a database file.
            #expect(engineError { try Database(path: file, configuration: testConfiguration) }?.kind == .open)

            var zeroPool = testConfiguration
            zeroPool.bufferPoolSize = 0
            #expect(engineError { try Database(path: directory.path("a"), configuration: zeroPool) }?.kind == .open)
            var zeroThreads = testConfiguration
            zeroThreads.maxThreads = 0
            #expect(engineError { try Database(path: directory.path("b"), configuration: zeroThreads) }?.kind == .open)
        }

        @Test("a connection's thread limit and timeout can be set and read")
        func connectionSettings() throws {
            try withTestDatabase { database, _ in
                let connection = try database.connect()
                #expect(try connection.maxThreads() == 2)
                try connection.setMaxThreads(1)
                #expect(try connection.maxThreads() == 1)
                #expect(engineError { try connection.setMaxThreads(0) }?.kind == .connection)
                #expect(connection.queryTimeoutMilliseconds == 0)
                try connection.setQueryTimeout(milliseconds: 250)
                #expect(connection.queryTimeoutMilliseconds == 250)
                #expect(try connection.scalar("RETURN 1") == .int64(1))
                #expect(database.connectionCount == 1)
            }
        }

        @Test("an in-memory database works")
        func inMemory() throws {
            let database = try Database(path: ":memory:", configuration: testConfiguration)
            defer { database.close() }
            let connection = try database.connect()
            _ = try connection.query("CREATE NODE TABLE P(id INT64 PRIMARY KEY)")
            _ = try connection.query("CREATE (:P {id: 1})")
            #expect(try connection.scalar("MATCH (p:P) RETURN count(*)") == .int64(1))
        }

        @Test("the default configuration is small and explicit")
        func defaults() {
            let configuration = DatabaseConfiguration()
            #expect(configuration.bufferPoolSize == 256 << 20)
            #expect(configuration.maxDatabaseSize == 64 << 30)
            #expect(configuration.maxThreads == 2)
            #expect(!configuration.readOnly)
            #expect(configuration.autoCheckpoint)
            #expect(!EngineVersion.ladybug.isEmpty)
        }
    }
}
