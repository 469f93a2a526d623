import GraphService
import Foundation
import Synchronization

/// Node-wide admission of queries: refuses a query with `503` and `Retry-After` before it touches
/// a database when too many queries already wait for a connection, or when the process's
/// resident memory is above its budget.
///
/// The concurrent query limit of one database is its connection pool's capacity (a query waits
/// for a free connection up to the configured wait, then `503`); this controller bounds how many
/// queries wait across the whole node, so an overload is answered at once instead of piling up
/// suspended requests. Every admitted query holds an ``AdmissionTicket`` until it ends; the
/// counters are what `/info` and `/metrics` can report.
final class AdmissionController: Sendable {
    /// The limits.
    struct Limits: Sendable {
        /// Queries that may wait for a connection at once; one more is refused.
        var maxQueued: Int
        /// Resident memory above which new queries are refused, in bytes.
        var memoryLimitBytes: UInt64
        /// `Retry-After` seconds when the queue is full.
        var queueRetryAfterSeconds = 1
        /// `Retry-After` seconds under memory pressure.
        var memoryRetryAfterSeconds = 5
    }

    /// Counters, for reporting.
    struct Counts: Sendable, Equatable {
        /// Admitted queries waiting for a connection.
        var waiting: Int
        /// Admitted queries holding a connection.
        var running: Int
        /// Queries refused because the queue was full.
        var rejectedQueueFull: UInt64
        /// Queries refused under memory pressure.
        var rejectedMemory: UInt64
    }

    private struct State {
        var waiting = 0
        var running = 0
        var rejectedQueueFull: UInt64 = 0
        var rejectedMemory: UInt64 = 0
        var memorySample: (bytes: UInt64, at: ContinuousClock.Instant)?
    }

    let limits: Limits
    private let residentBytes: @Sendable () -> UInt64?
    private let state = Mutex(State())
    /// Resident memory is read at most this often.
    private let memorySampleInterval: Duration = .milliseconds(100)

    /// Creates a controller.
    ///
    /// - Parameter residentBytes: reads the process's resident memory (`nil` when unknown).
    init(limits: Limits, residentBytes: @escaping @Sendable () -> UInt64? = { ProcessMemory.residentBytes() }) {
        self.limits = limits
        self.residentBytes = residentBytes
    }

    /// The limits a configuration implies.
    static func limits(for configuration: ServerConfiguration) -> Limits {
        let physical = ProcessInfo.processInfo.physicalMemory
        return Limits(
            maxQueued: configuration.maxQueuedQueries,
            memoryLimitBytes: configuration.queryMemoryLimitBytes ?? (physical / 10 * 9)
        )
    }

    /// The current counters.
    var counts: Counts {
        state.withLock { Counts(waiting: $0.waiting, running: $0.running, rejectedQueueFull: $0.rejectedQueueFull, rejectedMemory: $0.rejectedMemory) }
    }

    /// Admits a query (counted as waiting until ``AdmissionTicket/markRunning()``), or refuses it.
    ///
    /// - Throws: `503` `query_queue_full` when ``Limits/maxQueued`` queries already wait, `503`
    ///   `memory_pressure` when resident memory is above ``Limits/memoryLimitBytes``; both with
    ///   `Retry-After`.
    func admit() throws(APIError) -> AdmissionTicket {
        let now = ContinuousClock.now
        let sample: UInt64? = state.withLock { state in
            if let sample = state.memorySample, now - sample.at < memorySampleInterval { return sample.bytes }
            return nil
        }
        let resident = sample ?? residentBytes()
        enum Refusal { case queue, memory }
        let refusal: Refusal? = state.withLock { state in
            if sample == nil, let resident { state.memorySample = (resident, now) }
            if let resident, resident > limits.memoryLimitBytes {
                state.rejectedMemory += 1
                return .memory
            }
            if state.waiting >= limits.maxQueued {
                state.rejectedQueueFull += 1
                return .queue
            }
            state.waiting += 1
            return nil
        }
        switch refusal {
        case nil:
            return AdmissionTicket(controller: self)
        case .queue?:
            throw APIError(.queryQueueFull, "too many queries are waiting on this node (at most \(limits.maxQueued)); retry later", retryAfterSeconds: limits.queueRetryAfterSeconds)
        case .memory?:
            // Not the figures: the node's memory is every tenant's work (operators see it in /metrics).
            throw APIError(.memoryPressure, "the server is under memory pressure; retry later", retryAfterSeconds: limits.memoryRetryAfterSeconds)
        }
    }

    fileprivate func transition(from phase: AdmissionTicket.Phase, to next: AdmissionTicket.Phase) {
        state.withLock { state in
            switch phase {
            case .waiting: state.waiting -= 1
            case .running: state.running -= 1
            case .released: break
            }
            switch next {
            case .waiting: state.waiting += 1
            case .running: state.running += 1
            case .released: break
            }
        }
    }
}

/// One admitted query's place in the ``AdmissionController``: waiting, then running, then
/// released (at the latest when the ticket goes away).
final class AdmissionTicket: Sendable {
    fileprivate enum Phase { case waiting, running, released }

    private let controller: AdmissionController
    private let phase = Mutex(Phase.waiting)

    fileprivate init(controller: AdmissionController) {
        self.controller = controller
    }

    deinit {
        release()
    }

    /// The query got its connection.
    func markRunning() {
        move(to: .running)
    }

    /// The query ended. Idempotent.
    func release() {
        move(to: .released)
    }

    private func move(to next: Phase) {
        let previous: Phase? = phase.withLock { phase in
            guard phase != .released, phase != next else { return nil }
            defer { phase = next }
            return phase
        }
        if let previous { controller.transition(from: previous, to: next) }
    }
}
