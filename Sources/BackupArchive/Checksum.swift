import CZlib

/// CRC-32 (zlib's), for records that must be recognised whole or torn.
public enum Checksum {
    /// The CRC-32 of `bytes`, continuing from `crc` (0 to start).
    public static func crc32(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return crc }
        var value = UInt(crc)
        var offset = 0
        while offset < bytes.count {
            let chunk = min(bytes.count - offset, Int(UInt32.max))
            value = CZlib.crc32(value, base.advanced(by: offset).assumingMemoryBound(to: UInt8.self), UInt32(chunk))
            offset += chunk
        }
        return UInt32(truncatingIfNeeded: value)
    }
}
