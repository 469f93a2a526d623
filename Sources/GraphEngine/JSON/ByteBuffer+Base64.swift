import NIOCore

extension ByteBuffer {
    /// Writes `bytes` in standard base64 (RFC 4648 §4: alphabet `A–Z a–z 0–9 + /`, `=` padding,
    /// no line breaks), without quotes.
    public mutating func writeBase64(_ bytes: UnsafeRawBufferPointer) {
        let encodedCount = (bytes.count + 2) / 3 * 4
        guard encodedCount > 0, let source = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let count = bytes.count
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: encodedCount) { destination in
            let output = destination.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let alphabetText: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
            let alphabet = alphabetText.utf8Start
            var input = 0
            var position = 0
            while input + 3 <= count {
                let triple = UInt32(source[input]) << 16 | UInt32(source[input + 1]) << 8 | UInt32(source[input + 2])
                output[position] = alphabet[Int(triple >> 18)]
                output[position + 1] = alphabet[Int(triple >> 12 & 0x3F)]
                output[position + 2] = alphabet[Int(triple >> 6 & 0x3F)]
                output[position + 3] = alphabet[Int(triple & 0x3F)]
                input += 3
                position += 4
            }
            switch count - input {
            case 1:
                let triple = UInt32(source[input]) << 16
                output[position] = alphabet[Int(triple >> 18)]
                output[position + 1] = alphabet[Int(triple >> 12 & 0x3F)]
                output[position + 2] = UInt8(ascii: "=")
                output[position + 3] = UInt8(ascii: "=")
                position += 4
            case 2:
                let triple = UInt32(source[input]) << 16 | UInt32(source[input + 1]) << 8
                output[position] = alphabet[Int(triple >> 18)]
                output[position + 1] = alphabet[Int(triple >> 12 & 0x3F)]
                output[position + 2] = alphabet[Int(triple >> 6 & 0x3F)]
                output[position + 3] = UInt8(ascii: "=")
                position += 4
            default:
                break
            }
            return position
        }
    }

    /// Writes `bytes` as a JSON string holding their standard base64 form (see ``writeBase64(_:)``),
    /// quotes included. Empty input gives `""`.
    public mutating func writeJSONBase64String(_ bytes: UnsafeRawBufferPointer) {
        self.reserveCapacity(minimumWritableBytes: (bytes.count + 2) / 3 * 4 + 2)
        self.writeInteger(UInt8(ascii: "\""))
        self.writeBase64(bytes)
        self.writeInteger(UInt8(ascii: "\""))
    }
}
