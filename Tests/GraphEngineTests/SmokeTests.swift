import Testing
@testable import GraphEngine
@Test func version() { #expect(!EngineVersion.ladybug.isEmpty) }
