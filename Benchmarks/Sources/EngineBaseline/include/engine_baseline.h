// Engine-direct baselines: the same work as the Swift wrapper's benchmarks, written as plain C
// loops over the LadybugDB C API, so the wrapper's overhead can be measured against them.
#pragma once
#include <stdint.h>

typedef struct {
    double seconds;   // wall time of the loop
    uint64_t rows;    // rows (or iterations) processed
    int64_t checksum; // folded values, so the compiler cannot drop the work
    int ok;           // 1 on success, 0 when the engine reported an error
} baseline_result;

/// Opens `path` with explicit settings and one connection; returns NULL on failure. The result is
/// the `connection` argument of the functions below.
void* baseline_open(const char* path, uint64_t buffer_pool_size, uint64_t max_db_size, uint64_t threads, int read_only);

/// Runs one statement; returns 1 on success, 0 on failure (message to stderr).
int baseline_execute(void* connection, const char* query);

/// Closes the connection and the database.
void baseline_close(void* connection);

/// Runs `RETURN 1` `iterations` times on `connection` (an lbug_connection*), reading the value.
baseline_result baseline_return_one(void* connection, uint64_t iterations);

/// Runs the prepared `MATCH (r:R) WHERE r.id = $id RETURN r.name` for ids `(i * 7919) % table_rows`.
baseline_result baseline_point_lookup(void* connection, uint64_t iterations, uint64_t table_rows);

/// Runs `MATCH (r:R) RETURN r.id, r.name, r.score` and reads every value through flat tuples.
baseline_result baseline_scan_flat(void* connection);

/// Runs the same scan and walks every Arrow chunk's buffers (chunk_size rows per chunk).
baseline_result baseline_scan_arrow(void* connection, int64_t chunk_size);

/// Opens `path` (read-write, `threads_per_query` engine threads) and runs `RETURN 1` in a loop on
/// `callers` threads, each with its own connection, for `seconds`; `rows` is the total number of
/// queries, each read like `baseline_return_one`. With `prepared` set, each caller prepares the
/// statement once and executes it in the loop instead of sending the text every time.
baseline_result baseline_return_one_parallel(const char* path, uint64_t buffer_pool_size, uint64_t threads_per_query, int callers,
                                             double seconds, int prepared);
