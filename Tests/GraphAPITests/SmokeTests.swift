import Testing
@testable import GraphAPI
@Test func placeholder() { #expect(Bool(true)) }
