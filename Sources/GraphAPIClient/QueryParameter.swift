import GraphJSON

/// A `name=value` query parameter from the command line (`--param`).
///
/// The value is read as JSON when it is valid JSON — numbers (`42`, `-1.5`, `1e3`), `true`,
/// `false`, `null`, lists (`[1,2]`), objects (`{"a":1}`) and quoted strings (`"42"`) — and is
/// taken as a plain string otherwise (`Alice`, `2024-01-02`, `007`, an empty value). To pass a
/// string that would read as JSON, quote it as JSON: `zip='"02139"'`. A leading `$` on the name is
/// dropped (`$limit=5` is `limit=5`).
public struct QueryParameter: Sendable, Hashable {
    /// The name, without `$`.
    public var name: String
    /// The value.
    public var value: JSONValue

    /// Creates a parameter.
    public init(name: String, value: JSONValue) {
        self.name = name
        self.value = value
    }

    /// Parses `name=value` (split at the first `=`).
    ///
    /// - Throws: ``GraphAPIClientError`` (``GraphAPIClientError/Kind/invalidInput``) without `=`,
    ///   or for a name that is not an identifier (`[A-Za-z_][A-Za-z0-9_]*`).
    public init(parsing argument: String) throws(GraphAPIClientError) {
        guard let equals = argument.firstIndex(of: "=") else {
            throw GraphAPIClientError(
                kind: .invalidInput, detail: "invalid --param '\(argument.prefix(100))': expected name=value"
            )
        }
        var name = Substring(argument[..<equals])
        if name.hasPrefix("$") { name = name.dropFirst() }
        guard QueryParameter.isIdentifier(name) else {
            throw GraphAPIClientError(
                kind: .invalidInput,
                detail: "invalid --param name '\(name.prefix(100))': expected letters, digits and '_', not starting with a digit"
            )
        }
        self.name = String(name)
        self.value = QueryParameter.value(parsing: String(argument[argument.index(after: equals)...]))
    }

    /// A value read as JSON when it is valid JSON, else as the string itself.
    public static func value(parsing text: String) -> JSONValue {
        (try? JSONValue(parsing: text)) ?? .string(text)
    }

    /// Parses every `--param`; a name given twice is an error.
    ///
    /// - Throws: ``GraphAPIClientError`` (``GraphAPIClientError/Kind/invalidInput``).
    public static func dictionary(parsing arguments: [String]) throws(GraphAPIClientError) -> [String: JSONValue] {
        var parameters: [String: JSONValue] = [:]
        for argument in arguments {
            let parameter = try QueryParameter(parsing: argument)
            guard parameters[parameter.name] == nil else {
                throw GraphAPIClientError(kind: .invalidInput, detail: "--param '\(parameter.name)' is given more than once")
            }
            parameters[parameter.name] = parameter.value
        }
        return parameters
    }

    static func isIdentifier(_ name: Substring) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
            return false
        }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }
}
