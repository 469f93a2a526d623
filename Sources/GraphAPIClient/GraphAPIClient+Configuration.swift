import Foundation

extension GraphAPIClient {
    /// Where the server is and how to authenticate.
    public struct Configuration: Sendable, Hashable {
        /// The server used when neither a flag nor `GRAPH_API_URL` names one.
        public static let defaultURL = "http://127.0.0.1:8001"
        /// The environment variable naming the server.
        public static let urlVariable = "GRAPH_API_URL"
        /// The environment variable holding the API key (the one the server reads its key from).
        public static let apiKeyVariable = "GRAPH_API_KEY"

        /// The server's base URL (`http` or `https`, possibly with a path prefix, no trailing slash).
        public var baseURL: URL
        /// The API key sent as `X-Graph-API-Key`, if any.
        public var apiKey: String?
        /// Seconds a request may wait for the next byte from the server (not a limit on a whole
        /// streamed response). Query requests wait at least their query timeout plus
        /// ``queryTimeoutMarginSeconds``.
        public var requestTimeoutSeconds: Double
        /// What a query request waits beyond its query timeout, so the server's own `408` arrives
        /// before the client gives up.
        public var queryTimeoutMarginSeconds: Double
        /// The query timeout assumed for a query that names none (the server's largest default).
        public var defaultQueryTimeoutSeconds: Double

        /// Creates a configuration.
        ///
        /// - Throws: ``GraphAPIClientError`` (``GraphAPIClientError/Kind/invalidInput``) for a URL
        ///   that is not `http(s)://host[:port][/path]` or a key with control characters.
        public init(
            url: String, apiKey: String? = nil, requestTimeoutSeconds: Double = 60, queryTimeoutMarginSeconds: Double = 30,
            defaultQueryTimeoutSeconds: Double = 300
        ) throws(GraphAPIClientError) {
            self.baseURL = try Configuration.validatedBaseURL(url)
            if let apiKey, !apiKey.isEmpty {
                self.apiKey = try Configuration.validatedKey(apiKey)
            } else {
                self.apiKey = nil
            }
            self.requestTimeoutSeconds = requestTimeoutSeconds
            self.queryTimeoutMarginSeconds = queryTimeoutMarginSeconds
            self.defaultQueryTimeoutSeconds = defaultQueryTimeoutSeconds
        }

        /// Resolves the command line's `--url` and `--api-key`: a flag wins over its environment
        /// variable (`GRAPH_API_URL`, `GRAPH_API_KEY`), which wins over the default
        /// (`http://127.0.0.1:8001`, no key). Empty values count as unset.
        ///
        /// - Throws: ``GraphAPIClientError`` (``GraphAPIClientError/Kind/invalidInput``).
        public static func resolve(url: String?, apiKey: String?, environment: [String: String]) throws(GraphAPIClientError)
            -> Configuration
        {
            func nonEmpty(_ value: String?) -> String? {
                guard let value, !value.isEmpty else { return nil }
                return value
            }
            let resolvedURL = nonEmpty(url) ?? nonEmpty(environment[urlVariable]) ?? defaultURL
            let resolvedKey = nonEmpty(apiKey) ?? nonEmpty(environment[apiKeyVariable])
            return try Configuration(url: resolvedURL, apiKey: resolvedKey)
        }

        static func validatedBaseURL(_ text: String) throws(GraphAPIClientError) -> URL {
            func invalid(_ why: String) -> GraphAPIClientError {
                GraphAPIClientError(
                    kind: .invalidInput, detail: "invalid server URL '\(text.prefix(200))': \(why) (expected http://host:port)"
                )
            }
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased() else {
                throw invalid("not a URL")
            }
            guard scheme == "http" || scheme == "https" else { throw invalid("the scheme must be http or https") }
            guard let host = components.host, !host.isEmpty else { throw invalid("it names no host") }
            guard components.user == nil, components.password == nil else {
                throw invalid("credentials belong in --api-key or GRAPH_API_KEY, not in the URL")
            }
            guard components.query == nil, components.fragment == nil else { throw invalid("it must not have a query or fragment") }
            var path = components.percentEncodedPath
            while path.hasSuffix("/") { path.removeLast() }
            var normalized = URLComponents()
            normalized.scheme = scheme
            normalized.percentEncodedHost = components.percentEncodedHost ?? host
            normalized.port = components.port
            normalized.percentEncodedPath = path
            guard let url = normalized.url else { throw invalid("not a URL") }
            return url
        }

        static func validatedKey(_ key: String) throws(GraphAPIClientError) -> String {
            guard !key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw GraphAPIClientError(kind: .invalidInput, detail: "the API key contains a control character (a stray newline?)")
            }
            return key
        }
    }
}
