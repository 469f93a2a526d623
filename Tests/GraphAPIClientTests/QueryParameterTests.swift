import GraphJSON
import Testing

@testable import GraphAPIClient

@Suite struct QueryParameterTests {
    @Test(arguments: [
        ("n=42", "n", JSONValue.number(JSONNumber(42))),
        ("x=-1.5e3", "x", .number(JSONNumber("-1.5e3")!)),
        ("big=170141183460469231731687303715884105727", "big", .number(JSONNumber("170141183460469231731687303715884105727")!)),
        ("flag=true", "flag", .bool(true)),
        ("off=false", "off", .bool(false)),
        ("nothing=null", "nothing", .null),
        ("ids=[1, 2,3]", "ids", JSONValue.array([1, 2, 3])),
        (#"props={"a":1,"b":[true]}"#, "props", JSONValue.object(["a": 1, "b": [true]])),
        (#"zip="02139""#, "zip", "02139"),
        ("name=Alice", "name", "Alice"),
        ("day=2024-01-02", "day", "2024-01-02"),
        ("code=007", "code", "007"),
        ("empty=", "empty", ""),
        ("eq=a=b", "eq", "a=b"),
        ("nan=NaN", "nan", "NaN"),
        ("$limit=5", "limit", 5),
        ("_x1=y", "_x1", "y"),
        ("spaced= 42 ", "spaced", 42),
        ("text=hello world", "text", "hello world"),
    ])
    func parsesNameAndValue(_ argument: String, _ name: String, _ value: JSONValue) throws {
        let parameter = try QueryParameter(parsing: argument)
        #expect(parameter.name == name)
        #expect(parameter.value == value)
    }

    @Test(arguments: ["novalue", "=5", "1abc=2", "a-b=1", "a b=1", "é=1", "$=1"])
    func refusesMalformedParameters(_ argument: String) {
        #expect {
            try QueryParameter(parsing: argument)
        } throws: { error in
            (error as? GraphAPIClientError)?.kind == .invalidInput
        }
    }

    @Test func buildsTheParameterObjectAndRefusesDuplicates() throws {
        let parameters = try QueryParameter.dictionary(parsing: ["a=1", "b=x", "$c=[]"])
        #expect(parameters == ["a": 1, "b": "x", "c": []])
        #expect {
            try QueryParameter.dictionary(parsing: ["a=1", "$a=2"])
        } throws: { error in
            let error = error as? GraphAPIClientError
            return error?.kind == .invalidInput && error?.detail.contains("more than once") == true
        }
    }

    @Test func queryBodyKeepsDigitsAndSortsParameters() {
        let request = QueryRequest(
            cypher: "RETURN $b, $a", parameters: ["b": .number(JSONNumber("12345678901234567890123")!), "a": "x"],
            timeoutSeconds: 30
        )
        #expect(request.jsonBody.jsonText == #"{"cypher":"RETURN $b, $a","parameters":{"a":"x","b":12345678901234567890123},"timeout":30}"#)
        #expect(QueryRequest(cypher: "RETURN 1", timeoutSeconds: 0.25).jsonBody.jsonText == #"{"cypher":"RETURN 1","timeout":0.25}"#)
        #expect(QueryRequest(cypher: "RETURN 1").jsonBody.jsonText == #"{"cypher":"RETURN 1"}"#)
    }
}
