#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file descriptor with the few blocking calls archives need, and errors that name the file.
/// Callers run it on their own threads, never on the cooperative pool.
final class RawFile {
    let path: String
    private(set) var descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { if descriptor >= 0 { _ = Glibc.close(descriptor) } }

    static func openForReading(_ path: String) throws -> RawFile {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BackupArchiveError(.io, "cannot open '\(path)': \(errnoText())") }
        return RawFile(path: path, descriptor: fd)
    }

    /// Creates a new file; fails when it exists.
    static func create(_ path: String) throws -> RawFile {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BackupArchiveError(.io, "cannot create '\(path)': \(errnoText())") }
        return RawFile(path: path, descriptor: fd)
    }

    var size: Int64 {
        get throws {
            var info = stat()
            guard fstat(descriptor, &info) == 0 else { throw BackupArchiveError(.io, "cannot stat '\(path)': \(Self.errnoText())") }
            return Int64(info.st_size)
        }
    }

    /// Reads up to `buffer.count` bytes; fewer only at the end of the file.
    func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = Glibc.read(descriptor, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw BackupArchiveError(.io, "cannot read '\(path)': \(Self.errnoText())")
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    func write(_ buffer: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < buffer.count {
            let n = Glibc.write(descriptor, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                throw BackupArchiveError(.io, code == ENOSPC ? "the disk is full writing '\(path)'" : "cannot write '\(path)': \(Self.errnoText())")
            }
            done += n
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    func sync() throws {
        guard fsync(descriptor) == 0 else { throw BackupArchiveError(.io, "cannot sync '\(path)': \(Self.errnoText())") }
    }

    func close() throws {
        let fd = descriptor
        descriptor = -1
        guard Glibc.close(fd) == 0 else { throw BackupArchiveError(.io, "cannot close '\(path)': \(Self.errnoText())") }
    }

    /// Makes a rename or a new file in `folder` durable.
    static func syncDirectory(_ folder: String) {
        let fd = Glibc.open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        _ = Glibc.close(fd)
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// Copies a file through an 8 MiB buffer (the page cache makes this about as fast as the disk):
/// a backup's snapshot of the engine files, taken while writers wait.
public enum FileCopy {
    /// Copies `source` to a new file `destination` (which must not exist).
    public static func copy(from source: String, to destination: String) throws {
        let input = try RawFile.openForReading(source)
        let output = try RawFile.create(destination)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8 << 20, alignment: 4096)
        defer { buffer.deallocate() }
        while true {
            let n = try input.readFully(into: buffer)
            if n == 0 { break }
            try output.write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        try output.close()
    }
}
