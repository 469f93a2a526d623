import GraphService
import GraphEngine
import NIOCore

/// A JSON value whose objects keep their keys in the order written, for documents built in
/// Swift (the OpenAPI description) and read by people: literals build it directly.
///
/// ```swift
/// let schema: OrderedJSON = ["type": "object", "required": ["detail", "code"]]
/// ```
indirect enum OrderedJSON: Sendable, Equatable {
    case object([(key: String, value: OrderedJSON)])
    case array([OrderedJSON])
    case string(String)
    case integer(Int)
    case number(Double)
    case bool(Bool)
    case null

    static func == (lhs: OrderedJSON, rhs: OrderedJSON) -> Bool {
        switch (lhs, rhs) {
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.array(let a), .array(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.integer(let a), .integer(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.null, .null): return true
        default: return false
        }
    }

    /// The value of `key` in an object (`nil` for anything else).
    subscript(key: String) -> OrderedJSON? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first { $0.key == key }?.value
    }

    /// The pairs of an object (empty for anything else).
    var pairs: [(key: String, value: OrderedJSON)] {
        if case .object(let pairs) = self { return pairs }
        return []
    }

    /// The elements of an array (empty for anything else).
    var elements: [OrderedJSON] {
        if case .array(let elements) = self { return elements }
        return []
    }

    /// The text of a string (`nil` for anything else).
    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// An object with the pairs of `self` followed by those of `other` (whose keys win).
    func merging(_ other: OrderedJSON) -> OrderedJSON {
        var result = pairs
        for (key, value) in other.pairs {
            if let index = result.firstIndex(where: { $0.key == key }) {
                result[index].value = value
            } else {
                result.append((key, value))
            }
        }
        return .object(result)
    }

    /// Writes the value as compact JSON.
    func write(into buffer: inout ByteBuffer) {
        switch self {
        case .object(let pairs):
            buffer.writeStaticString("{")
            for (index, pair) in pairs.enumerated() {
                if index > 0 { buffer.writeStaticString(",") }
                buffer.writeJSONString(pair.key)
                buffer.writeStaticString(":")
                pair.value.write(into: &buffer)
            }
            buffer.writeStaticString("}")
        case .array(let elements):
            buffer.writeStaticString("[")
            for (index, element) in elements.enumerated() {
                if index > 0 { buffer.writeStaticString(",") }
                element.write(into: &buffer)
            }
            buffer.writeStaticString("]")
        case .string(let text): buffer.writeJSONString(text)
        case .integer(let value): buffer.writeJSONNumber(value)
        case .number(let value): buffer.writeJSONNumber(value)
        case .bool(let value): buffer.writeJSONBool(value)
        case .null: buffer.writeJSONNull()
        }
    }

    /// The value as compact JSON bytes.
    var serialized: ByteBuffer {
        var buffer = ByteBuffer()
        write(into: &buffer)
        return buffer
    }
}

extension OrderedJSON: ExpressibleByDictionaryLiteral {
    init(dictionaryLiteral elements: (String, OrderedJSON)...) {
        self = .object(elements.map { (key: $0.0, value: $0.1) })
    }
}

extension OrderedJSON: ExpressibleByArrayLiteral {
    init(arrayLiteral elements: OrderedJSON...) {
        self = .array(elements)
    }
}

extension OrderedJSON: ExpressibleByStringLiteral, ExpressibleByStringInterpolation {
    init(stringLiteral value: String) {
        self = .string(value)
    }
}

extension OrderedJSON: ExpressibleByIntegerLiteral {
    init(integerLiteral value: Int) {
        self = .integer(value)
    }
}

extension OrderedJSON: ExpressibleByFloatLiteral {
    init(floatLiteral value: Double) {
        self = .number(value)
    }
}

extension OrderedJSON: ExpressibleByBooleanLiteral {
    init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}
