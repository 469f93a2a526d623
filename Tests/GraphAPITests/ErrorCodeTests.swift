import Foundation
import HTTPTypes
import GraphAPITesting
import Testing

@testable import GraphAPI
@testable import GraphService

/// Every error code is declared once (the service's in ``ServiceError/Code``, the HTTP layer's in
/// ``APIError/Code``) and the OpenAPI document lists exactly these codes in its answers.
struct ErrorCodeTests {
    @Test func everyCodeIsDeclaredOnceAndListed() throws {
        #expect(ServiceError.Code.allIsComplete, "ServiceError.Code.all must list every code once")
        let all = APIError.allCodes
        #expect(Set(all).count == all.count, "a code is declared twice: \(all.sorted())")
    }

    @Test func theDocumentListsExactlyTheDeclaredCodes() async throws {
        try await TestServer.withServer { server in
            let document = try await OpenAPITestSupport.document(server.client)
            var listed = Set<String>()
            Self.collectCodes(in: document, into: &listed)
            let declared = Set(APIError.allCodes)
            #expect(listed.subtracting(declared).isEmpty, "documented but never answered: \(listed.subtracting(declared).sorted())")
            #expect(declared.subtracting(listed).isEmpty, "answered but not documented: \(declared.subtracting(listed).sorted())")
        }
    }

    @Test func everyCategoryHasItsStatus() {
        let statuses = ServiceError.Category.allCases.map { APIError.status(of: $0).code }
        #expect(statuses == [400, 422, 403, 404, 409, 408, 503, 507, 500])
        for code in ServiceError.Code.all {
            let answer = APIError(ServiceError(code, "m", retryAfterSeconds: code.category == .unavailable ? 1 : nil))
            #expect(answer.code == code.rawValue)
            #expect((answer.headers[.retryAfter] != nil) == (code.category == .unavailable))
        }
    }

    /// The codes named in response descriptions ("Codes: `a`, `b`.").
    static func collectCodes(in value: Any, into codes: inout Set<String>) {
        switch value {
        case let object as [String: Any]:
            if let description = object["description"] as? String, let range = description.range(of: "Codes: ") {
                let tail = description[range.upperBound...].prefix { $0 != "." }
                for part in tail.split(separator: ",") {
                    codes.insert(part.trimmingCharacters(in: CharacterSet(charactersIn: " `")))
                }
            }
            for child in object.values { collectCodes(in: child, into: &codes) }
        case let array as [Any]:
            for child in array { collectCodes(in: child, into: &codes) }
        default:
            break
        }
    }
}
