import Foundation

extension GraphAPIClient {
    /// Where the server is, how to authenticate, and how long and how often to try.
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
        /// Seconds to wait for a connection to open.
        public var connectTimeoutSeconds: Double
        /// When failed requests are sent again (see ``RetryPolicy``).
        public var retry: RetryPolicy
        /// When the client stops trying an unreachable server (see ``CircuitBreakerPolicy``).
        public var circuitBreaker: CircuitBreakerPolicy

        /// Creates a configuration.
        ///
        /// - Throws: ``GraphAPIClientError`` (``GraphAPIClientError/Kind/invalidInput``) for a URL
        ///   that is not `http(s)://host[:port][/path]` or a key with control characters.
        public init(
            url: String, apiKey: String? = nil, requestTimeoutSeconds: Double = 60, queryTimeoutMarginSeconds: Double = 30,
            defaultQueryTimeoutSeconds: Double = 300, connectTimeoutSeconds: Double = 5, retry: RetryPolicy = RetryPolicy(),
            circuitBreaker: CircuitBreakerPolicy = CircuitBreakerPolicy()
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
            self.connectTimeoutSeconds = connectTimeoutSeconds
            self.retry = retry
            self.circuitBreaker = circuitBreaker
        }

        /// The environment variables of the settings ``Options`` holds, in the order of its fields.
        public static let optionVariables = [
            "GRAPH_API_TIMEOUT_SECONDS", "GRAPH_API_CONNECT_TIMEOUT_SECONDS", "GRAPH_API_RETRIES", "GRAPH_API_RETRY_DELAY_MS",
            "GRAPH_API_RETRY_MAX_DELAY_MS", "GRAPH_API_RETRY_AFTER_MAX_SECONDS", "GRAPH_API_BREAKER_FAILURES",
            "GRAPH_API_BREAKER_COOLDOWN_SECONDS",
        ]

        /// The timeout, retry and circuit breaker settings of a command line: `nil` takes the
        /// environment variable (``optionVariables``), then the default.
        public struct Options: Sendable, Hashable {
            /// Seconds a request waits for the next byte (`GRAPH_API_TIMEOUT_SECONDS`, default 60).
            public var timeoutSeconds: Double?
            /// Seconds to wait for a connection (`GRAPH_API_CONNECT_TIMEOUT_SECONDS`, default 5).
            public var connectTimeoutSeconds: Double?
            /// Retries after the first attempt (`GRAPH_API_RETRIES`, default 2; 0 turns them off).
            public var retries: Int?
            /// The first backoff's bound in milliseconds (`GRAPH_API_RETRY_DELAY_MS`, default 250).
            public var retryDelayMilliseconds: Int?
            /// The longest backoff in milliseconds (`GRAPH_API_RETRY_MAX_DELAY_MS`, default 8000).
            public var retryMaxDelayMilliseconds: Int?
            /// The longest `Retry-After` honoured (`GRAPH_API_RETRY_AFTER_MAX_SECONDS`, default 30).
            public var retryAfterMaxSeconds: Double?
            /// Consecutive transport failures that open the breaker (`GRAPH_API_BREAKER_FAILURES`,
            /// default 5; 0 turns it off).
            public var breakerFailures: Int?
            /// Seconds the breaker stays open (`GRAPH_API_BREAKER_COOLDOWN_SECONDS`, default 10).
            public var breakerCooldownSeconds: Double?

            /// Creates options (all unset).
            public init(
                timeoutSeconds: Double? = nil, connectTimeoutSeconds: Double? = nil, retries: Int? = nil,
                retryDelayMilliseconds: Int? = nil, retryMaxDelayMilliseconds: Int? = nil, retryAfterMaxSeconds: Double? = nil,
                breakerFailures: Int? = nil, breakerCooldownSeconds: Double? = nil
            ) {
                self.timeoutSeconds = timeoutSeconds
                self.connectTimeoutSeconds = connectTimeoutSeconds
                self.retries = retries
                self.retryDelayMilliseconds = retryDelayMilliseconds
                self.retryMaxDelayMilliseconds = retryMaxDelayMilliseconds
                self.retryAfterMaxSeconds = retryAfterMaxSeconds
                self.breakerFailures = breakerFailures
                self.breakerCooldownSeconds = breakerCooldownSeconds
            }
        }

        /// Applies `options`, each unset one from its environment variable.
        ///
        /// - Throws: ``GraphAPIClientError`` (``GraphAPIClientError/Kind/invalidInput``) for an
        ///   environment value that is not a non-negative number.
        public mutating func apply(_ options: Options, environment: [String: String]) throws(GraphAPIClientError) {
            func number(_ value: Double?, _ variable: String) throws(GraphAPIClientError) -> Double? {
                if let value {
                    guard value >= 0, value.isFinite else {
                        throw GraphAPIClientError(kind: .invalidInput, detail: "\(variable) must be a number of at least 0")
                    }
                    return value
                }
                guard let text = environment[variable]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
                guard let value = Double(text), value >= 0, value.isFinite else {
                    throw GraphAPIClientError(kind: .invalidInput, detail: "\(variable)='\(text.prefix(40))' is not a number of at least 0")
                }
                return value
            }
            let names = Self.optionVariables
            if let value = try number(options.timeoutSeconds, names[0]) { requestTimeoutSeconds = value }
            if let value = try number(options.connectTimeoutSeconds, names[1]) { connectTimeoutSeconds = value }
            if let value = try number(options.retries.map(Double.init), names[2]) { retry.maxAttempts = Int(value) + 1 }
            if let value = try number(options.retryDelayMilliseconds.map(Double.init), names[3]) { retry.baseDelaySeconds = value / 1000 }
            if let value = try number(options.retryMaxDelayMilliseconds.map(Double.init), names[4]) { retry.maxDelaySeconds = value / 1000 }
            if let value = try number(options.retryAfterMaxSeconds, names[5]) { retry.maxRetryAfterSeconds = value }
            if let value = try number(options.breakerFailures.map(Double.init), names[6]) { circuitBreaker.failureThreshold = Int(value) }
            if let value = try number(options.breakerCooldownSeconds, names[7]) { circuitBreaker.cooldownSeconds = value }
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
