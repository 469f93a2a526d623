import CZlib
import CZstd

/// How an archive's segments are compressed.
public enum BackupCompression: String, Codable, Sendable, CaseIterable {
    /// zstd at level 1: ~290 MB/s on one core here for about the ratio of gzip -6, which the
    /// engine's already-compressed columns leave little room to beat.
    case zstd
    /// gzip (deflate with a gzip wrapper) at level 1, for tools that know only gzip.
    case gzip
    /// Stored as it is.
    case none
}

/// Compresses and decompresses one segment. Not thread-safe: one codec per thread (it keeps a
/// zstd context for reuse).
final class SegmentCodec {
    let compression: BackupCompression
    private var compressContext: OpaquePointer?
    private var decompressContext: OpaquePointer?

    static let zstdLevel: Int32 = 1
    static let gzipLevel: Int32 = 1

    init(_ compression: BackupCompression) {
        self.compression = compression
    }

    deinit {
        if let compressContext { ZSTD_freeCCtx(compressContext) }
        if let decompressContext { ZSTD_freeDCtx(decompressContext) }
    }

    /// The largest output `compress` can produce for `count` input bytes.
    func bound(_ count: Int) -> Int {
        switch compression {
        case .zstd: return ZSTD_compressBound(count)
        case .gzip: return Int(compressBound(uLong(count))) + 32
        case .none: return count
        }
    }

    /// Compresses `input` into `output` (at least `bound(input.count)` bytes); returns the bytes
    /// written.
    func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Int {
        switch compression {
        case .none:
            if input.count > 0 { output.baseAddress!.copyMemory(from: input.baseAddress!, byteCount: input.count) }
            return input.count
        case .zstd:
            if compressContext == nil { compressContext = ZSTD_createCCtx() }
            let written = ZSTD_compressCCtx(compressContext, output.baseAddress, output.count, input.baseAddress, input.count, Self.zstdLevel)
            if ZSTD_isError(written) != 0 {
                throw BackupArchiveError(.io, "zstd compression failed: \(String(cString: ZSTD_getErrorName(written)))")
            }
            return written
        case .gzip:
            var stream = z_stream()
            var status = deflateInit2_(
                &stream, Self.gzipLevel, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)
            )
            guard status == Z_OK else { throw BackupArchiveError(.io, "gzip compression could not start (zlib \(status))") }
            defer { deflateEnd(&stream) }
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(input.count)
            stream.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(output.count)
            status = deflate(&stream, Z_FINISH)
            guard status == Z_STREAM_END else { throw BackupArchiveError(.io, "gzip compression failed (zlib \(status))") }
            return Int(stream.total_out)
        }
    }

    /// Decompresses `input` into `output`, which must be exactly the segment's plain size.
    func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
        switch compression {
        case .none:
            guard input.count == output.count else { throw BackupArchiveError(.corrupt, "a stored segment has the wrong length") }
            if input.count > 0 { output.baseAddress!.copyMemory(from: input.baseAddress!, byteCount: input.count) }
        case .zstd:
            if decompressContext == nil { decompressContext = ZSTD_createDCtx() }
            let written = ZSTD_decompressDCtx(decompressContext, output.baseAddress, output.count, input.baseAddress, input.count)
            if ZSTD_isError(written) != 0 {
                throw BackupArchiveError(.corrupt, "a segment does not decompress (zstd: \(String(cString: ZSTD_getErrorName(written))))")
            }
            guard written == output.count else { throw BackupArchiveError(.corrupt, "a segment decompressed to the wrong length") }
        case .gzip:
            var stream = z_stream()
            var status = inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
            guard status == Z_OK else { throw BackupArchiveError(.io, "gzip decompression could not start (zlib \(status))") }
            defer { inflateEnd(&stream) }
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(input.count)
            stream.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(output.count)
            status = inflate(&stream, Z_FINISH)
            guard status == Z_STREAM_END, Int(stream.total_out) == output.count else {
                throw BackupArchiveError(.corrupt, "a segment does not decompress (gzip, zlib status \(status))")
            }
        }
    }
}
