import GraphService
import Foundation
import GraphJSON
import NIOCore

/// The `GET /docs` page: the OpenAPI document rendered as self-contained HTML on the server.
///
/// No script, font or style sheet is loaded from anywhere (the page is served with a
/// `Content-Security-Policy` that forbids it): the machines running the server may have no
/// network. Every operation is shown with its parameters, request body and responses; schemas
/// are shown as nested property lists with links between them.
enum APIDocsPage {
    /// The page of `document`.
    static func html(for document: OpenAPIJSON) -> String {
        var page = Page(document: document)
        page.render()
        return page.output
    }

    /// The page's `Content-Security-Policy`: inline styles only, nothing loaded.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    private struct Page {
        let document: OpenAPIJSON
        var output = ""

        init(document: OpenAPIJSON) {
            self.document = document
            output.reserveCapacity(128 * 1024)
        }

        mutating func render() {
            let info = document["info"] ?? [:]
            let title = info["title"]?.stringValue ?? "API"
            let version = info["version"]?.stringValue ?? ""
            output += """
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8">
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <title>\(escape(title)) \(escape(version)) — API documentation</title>
                <style>\(Self.style)</style></head><body>
                <header><h1>\(escape(title)) <span class="version">\(escape(version))</span></h1>
                <p class="summary">\(escape(info["summary"]?.stringValue ?? ""))</p>
                <p class="links">OpenAPI \(escape(document["openapi"]?.stringValue ?? "")) document: <a href="/openapi.json">/openapi.json</a></p>
                </header><main>

                """
            if let description = info["description"]?.stringValue {
                output += "<section class=\"intro\">\(markdown(description))</section>\n"
            }
            renderIndex()
            renderOperations()
            renderSecurity()
            renderSchemas()
            output += "</main></body></html>\n"
        }

        /// Operations in document order, grouped by their first tag.
        var operationsByTag: [(tag: String, operations: [(method: String, path: String, operation: OpenAPIJSON)])] {
            var groups: [(tag: String, operations: [(method: String, path: String, operation: OpenAPIJSON)])] = []
            for tag in (document["tags"]?.elements ?? []).compactMap({ $0["name"]?.stringValue }) {
                groups.append((tag, []))
            }
            for (path, item) in document["paths"]?.pairs ?? [] {
                for (method, operation) in item.pairs where method != "parameters" {
                    let tag = operation["tags"]?.elements.first?.stringValue ?? "Other"
                    if let index = groups.firstIndex(where: { $0.tag == tag }) {
                        groups[index].operations.append((method, path, operation))
                    } else {
                        groups.append((tag, [(method, path, operation)]))
                    }
                }
            }
            return groups.filter { !$0.operations.isEmpty }
        }

        mutating func renderIndex() {
            output += "<nav><h2>Routes</h2>\n"
            for group in operationsByTag {
                output += "<h3>\(escape(group.tag))</h3><ul class=\"index\">\n"
                for entry in group.operations {
                    output += "<li><a href=\"#\(anchor(entry.method, entry.path))\">\(methodBadge(entry.method)) "
                    output += "<code>\(escape(entry.path))</code></a> \(escape(entry.operation["summary"]?.stringValue ?? ""))</li>\n"
                }
                output += "</ul>\n"
            }
            output += "<p><a href=\"#security\">Authentication</a> · <a href=\"#schemas\">Schemas</a></p></nav>\n"
        }

        mutating func renderOperations() {
            for group in operationsByTag {
                output += "<section class=\"tag\"><h2>\(escape(group.tag))</h2>\n"
                for entry in group.operations {
                    renderOperation(method: entry.method, path: entry.path, operation: entry.operation)
                }
                output += "</section>\n"
            }
        }

        mutating func renderOperation(method: String, path: String, operation: OpenAPIJSON) {
            output += "<article class=\"operation\" id=\"\(anchor(method, path))\">\n"
            output += "<h3>\(methodBadge(method)) <code>\(escape(path))</code></h3>\n"
            output += "<p class=\"opsummary\">\(escape(operation["summary"]?.stringValue ?? ""))"
            if case .array(let security)? = operation["security"], security.isEmpty {
                output += " <span class=\"public\">no key needed</span>"
            } else {
                output += " <span class=\"auth\">API key</span>"
            }
            output += "</p>\n"
            if let description = operation["description"]?.stringValue {
                output += markdown(description)
            }
            let pathParameters = document["paths"]?[path]?["parameters"]?.elements ?? []
            let parameters = (pathParameters + (operation["parameters"]?.elements ?? [])).map(resolve)
            if !parameters.isEmpty {
                output += "<h4>Parameters</h4><table><tr><th>Name</th><th>In</th><th>Type</th><th>Description</th></tr>\n"
                for parameter in parameters {
                    let required = parameter["required"] == .bool(true)
                    output += "<tr><td><code>\(escape(parameter["name"]?.stringValue ?? ""))</code>"
                    output += required ? " <span class=\"required\">required</span>" : ""
                    output += "</td><td>\(escape(parameter["in"]?.stringValue ?? ""))</td>"
                    output += "<td>\(typeSummary(parameter["schema"] ?? [:]))</td>"
                    output += "<td>\(inline(parameter["description"]?.stringValue ?? ""))</td></tr>\n"
                }
                output += "</table>\n"
            }
            if let body = operation["requestBody"] {
                output += "<h4>Request body</h4>\n"
                if let description = body["description"]?.stringValue { output += "<p>\(inline(description))</p>\n" }
                renderContent(body["content"] ?? [:], expand: true)
            }
            output += "<h4>Responses</h4><dl class=\"responses\">\n"
            for (status, response) in operation["responses"]?.pairs ?? [] {
                let response = resolve(response)
                let kind = status.hasPrefix("2") ? "ok" : "error"
                output += "<dt class=\"\(kind)\">\(escape(status))</dt><dd><p>\(inline(response["description"]?.stringValue ?? ""))</p>\n"
                let headers = (response["headers"]?.pairs ?? []).map(\.key)
                if !headers.isEmpty {
                    output += "<p class=\"headers\">Headers: \(headers.map { "<code>\(escape($0))</code>" }.joined(separator: ", "))</p>\n"
                }
                renderContent(response["content"] ?? [:], expand: kind == "ok")
                output += "</dd>\n"
            }
            output += "</dl></article>\n"
        }

        /// The media types of a body; with `expand`, a referenced schema's fields are shown too.
        mutating func renderContent(_ content: OpenAPIJSON, expand: Bool) {
            for (mediaType, media) in content.pairs {
                output += "<div class=\"media\"><span class=\"mediatype\">\(escape(mediaType))</span>\n"
                guard let schema = media["schema"] else {
                    output += "</div>\n"
                    continue
                }
                output += schemaHTML(schema, depth: 0, showDescription: true)
                if expand, schema["$ref"] != nil {
                    let target = resolve(schema)
                    if target["properties"] != nil { output += schemaHTML(target, depth: 1, showType: false) }
                }
                output += "</div>\n"
            }
        }

        mutating func renderSecurity() {
            output += "<section id=\"security\"><h2>Authentication</h2><ul>\n"
            for (name, scheme) in document["components"]?["securitySchemes"]?.pairs ?? [] {
                var how = scheme["type"]?.stringValue ?? ""
                if how == "apiKey" {
                    how = "header <code>\(escape(scheme["name"]?.stringValue ?? ""))</code>"
                } else if how == "http" {
                    how = "<code>Authorization: \(escape((scheme["scheme"]?.stringValue ?? "").capitalized)) &lt;key&gt;</code>"
                }
                output += "<li><strong>\(escape(name))</strong>: \(how). \(inline(scheme["description"]?.stringValue ?? ""))</li>\n"
            }
            output += "</ul></section>\n"
        }

        mutating func renderSchemas() {
            output += "<section id=\"schemas\"><h2>Schemas</h2>\n"
            for (name, schema) in document["components"]?["schemas"]?.pairs ?? [] {
                output += "<article class=\"schema\" id=\"schema-\(escape(name))\"><h3>\(escape(name))</h3>\n"
                output += schemaHTML(schema, depth: 0, showDescription: true)
                output += "</article>\n"
            }
            output += "</section>\n"
        }

        // MARK: Schemas

        /// A reference object replaced by what it points to (parameters, responses, headers, schemas).
        func resolve(_ value: OpenAPIJSON) -> OpenAPIJSON {
            guard let reference = value["$ref"]?.stringValue, reference.hasPrefix("#/") else { return value }
            var target: OpenAPIJSON? = document
            for part in reference.dropFirst(2).split(separator: "/") {
                target = target?[String(part)]
            }
            return target ?? value
        }

        /// A one-line description of a schema's type, with links to referenced schemas.
        func typeSummary(_ schema: OpenAPIJSON) -> String {
            if let reference = schema["$ref"]?.stringValue {
                let name = String(reference.split(separator: "/").last ?? "")
                return "<a href=\"#schema-\(escape(name))\">\(escape(name))</a>"
            }
            if let options = schema["oneOf"]?.elements ?? schema["anyOf"]?.elements {
                return options.map(typeSummary).joined(separator: " or ")
            }
            if let parts = schema["allOf"]?.elements {
                return parts.map(typeSummary).joined(separator: " and ")
            }
            var text: String
            switch schema["type"] {
            case .string(let type)?: text = escape(type)
            case .array(let types)?: text = types.compactMap(\.stringValue).map(escape).joined(separator: " or ")
            default: text = "any"
            }
            if schema["type"]?.stringValue == "array", let items = schema["items"] {
                text = "array of " + typeSummary(items)
            }
            if let format = schema["format"]?.stringValue { text += " (\(escape(format)))" }
            if let values = schema["enum"]?.elements {
                text += ": " + values.map { "<code>\(escape(literal($0)))</code>" }.joined(separator: " | ")
            }
            if let constant = schema["const"] { text += " = <code>\(escape(literal(constant)))</code>" }
            var limits: [String] = []
            if let minimum = schema["minimum"] { limits.append("≥ \(escape(literal(minimum)))") }
            if let minimum = schema["exclusiveMinimum"] { limits.append("&gt; \(escape(literal(minimum)))") }
            if let maximum = schema["maximum"] { limits.append("≤ \(escape(literal(maximum)))") }
            if let pattern = schema["pattern"]?.stringValue { limits.append("matches <code>\(escape(pattern))</code>") }
            if let value = schema["default"] { limits.append("default <code>\(escape(literal(value)))</code>") }
            if !limits.isEmpty { text += ", " + limits.joined(separator: ", ") }
            return text
        }

        /// A schema as HTML: its type (unless `showType` is false), and for an object its
        /// properties (nested objects inline).
        func schemaHTML(_ schema: OpenAPIJSON, depth: Int, showDescription: Bool = false, showType: Bool = true) -> String {
            var html = ""
            if showType {
                html += "<div class=\"type\">\(typeSummary(schema))"
                if showDescription, let description = schema["description"]?.stringValue {
                    html += " — \(inline(description))"
                }
                html += "</div>\n"
            }
            if let parts = schema["allOf"]?.elements {
                for part in parts where part["$ref"] == nil { html += schemaHTML(part, depth: depth) }
            }
            var objectSchema = schema
            if schema["type"]?.stringValue == "array", let items = schema["items"], items["$ref"] == nil {
                objectSchema = items
            }
            let properties = objectSchema["properties"]?.pairs ?? []
            guard !properties.isEmpty, depth < 6 else {
                if case .object? = objectSchema["additionalProperties"], objectSchema["properties"] == nil {
                    html += "<p class=\"values\">Values: \(typeSummary(objectSchema["additionalProperties"]!))</p>\n"
                }
                return html
            }
            let required = Set((objectSchema["required"]?.elements ?? []).compactMap(\.stringValue))
            html += "<ul class=\"properties\">\n"
            for (name, property) in properties {
                html += "<li><code class=\"prop\">\(escape(name))</code>"
                html += required.contains(name) ? " <span class=\"required\">required</span>" : ""
                html += " <span class=\"ptype\">\(typeSummary(property))</span>"
                if let description = property["description"]?.stringValue { html += " — \(inline(description))" }
                let nested = property["type"]?.stringValue == "array" ? property["items"] ?? [:] : property
                if nested["properties"] != nil {
                    html += schemaHTML(nested, depth: depth + 1)
                }
                html += "</li>\n"
            }
            html += "</ul>\n"
            if objectSchema["additionalProperties"] == .bool(false) {
                html += "<p class=\"closed\">No other fields are accepted.</p>\n"
            }
            return html
        }

        func literal(_ value: OpenAPIJSON) -> String {
            switch value {
            case .string(let text): return text
            case .number(let number): return number.text
            case .bool(let flag): return flag ? "true" : "false"
            case .null: return "null"
            default: return value.jsonText
            }
        }

        func methodBadge(_ method: String) -> String {
            "<span class=\"method \(escape(method))\">\(escape(method.uppercased()))</span>"
        }

        func anchor(_ method: String, _ path: String) -> String {
            let slug = path.map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
            return escape("op-\(method)\(slug)")
        }

        // MARK: Text

        /// Paragraphs of the descriptions' small Markdown subset: blank-line paragraphs,
        /// `**bold**` and `` `code` ``.
        func markdown(_ text: String) -> String {
            text.components(separatedBy: "\n\n").map { "<p>\(inline($0))</p>" }.joined(separator: "\n") + "\n"
        }

        /// Inline Markdown: `` `code` `` and `**bold**`, everything else escaped.
        func inline(_ text: String) -> String {
            var html = ""
            var inCode = false
            var inBold = false
            var index = text.startIndex
            while index < text.endIndex {
                let character = text[index]
                if character == "`" {
                    html += inCode ? "</code>" : "<code>"
                    inCode.toggle()
                } else if !inCode, character == "*", text[index...].hasPrefix("**") {
                    html += inBold ? "</strong>" : "<strong>"
                    inBold.toggle()
                    index = text.index(after: index)
                } else {
                    html += escape(String(character))
                }
                index = text.index(after: index)
            }
            if inCode { html += "</code>" }
            if inBold { html += "</strong>" }
            return html
        }

        func escape(_ text: String) -> String {
            var escaped = ""
            escaped.reserveCapacity(text.utf8.count)
            for character in text {
                switch character {
                case "&": escaped += "&amp;"
                case "<": escaped += "&lt;"
                case ">": escaped += "&gt;"
                case "\"": escaped += "&quot;"
                case "'": escaped += "&#39;"
                default: escaped.append(character)
                }
            }
            return escaped
        }

        static let style = """
            body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
            header{background:#1d2330;color:#fff;padding:1.2em 2em}header h1{margin:0}header a{color:#9cc3ff}
            .version{font-size:.55em;background:#3b4558;border-radius:4px;padding:.1em .5em;vertical-align:middle}
            main{max-width:1100px;margin:0 auto;padding:1em 2em 4em}
            nav,section.intro,article{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:.8em 1.2em;margin:1em 0}
            ul.index{list-style:none;padding-left:0}ul.index li{margin:.2em 0}a{color:#0b5cd5;text-decoration:none}
            code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace;background:#eef0f4;border-radius:3px;padding:0 .25em}
            .method{display:inline-block;min-width:4.2em;text-align:center;font:bold 12px ui-monospace,monospace;color:#fff;border-radius:3px;padding:.15em .3em}
            .method.get{background:#2f7d32}.method.post{background:#1565c0}.method.delete{background:#c62828}
            .method.put,.method.patch{background:#ef6c00}
            .public{color:#2f7d32;font-size:.85em}.auth{color:#8a5a00;font-size:.85em}
            .required{color:#c62828;font-size:.8em}table{border-collapse:collapse;width:100%}
            td,th{border:1px solid #dde1e7;padding:.3em .5em;text-align:left;vertical-align:top}
            dl.responses dt{font-weight:bold;margin-top:.6em}dt.ok{color:#2f7d32}dt.error{color:#c62828}
            dl.responses dd{margin-left:1.5em}.mediatype{font:12px ui-monospace,monospace;color:#555}
            .media{margin:.3em 0 .6em}ul.properties{margin:.2em 0;padding-left:1.4em}.ptype{color:#555}
            .closed,.headers,.values{color:#666;font-size:.9em;margin:.2em 0}
            """
    }
}
