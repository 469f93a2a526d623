#include "engine_baseline.h"

#include <lbug.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct {
    lbug_connection connection; // first, so a baseline_engine* is an lbug_connection*
    lbug_database database;
} baseline_engine;

void* baseline_open(const char* path, uint64_t buffer_pool_size, uint64_t max_db_size, uint64_t threads, int read_only) {
    baseline_engine* engine = calloc(1, sizeof *engine);
    lbug_system_config config = lbug_default_system_config();
    config.buffer_pool_size = buffer_pool_size;
    config.max_db_size = max_db_size;
    config.max_num_threads = threads;
    config.read_only = read_only != 0;
    if (lbug_database_init(path, config, &engine->database) != LbugSuccess) {
        free(engine);
        return NULL;
    }
    if (lbug_connection_init(&engine->database, &engine->connection) != LbugSuccess) {
        lbug_database_destroy(&engine->database);
        free(engine);
        return NULL;
    }
    return engine;
}

int baseline_execute(void* connection_ptr, const char* query) {
    lbug_query_result result;
    int ok = lbug_connection_query(connection_ptr, query, &result) == LbugSuccess && lbug_query_result_is_success(&result);
    if (!ok) {
        char* message = lbug_query_result_get_error_message(&result);
        fprintf(stderr, "baseline: %s: %s\n", query, message ? message : "failed");
        if (message) lbug_destroy_string(message);
    }
    lbug_query_result_destroy(&result);
    return ok;
}

void baseline_close(void* connection_ptr) {
    baseline_engine* engine = connection_ptr;
    lbug_connection_destroy(&engine->connection);
    lbug_database_destroy(&engine->database);
    free(engine);
}

baseline_result baseline_return_one(void* connection_ptr, uint64_t iterations) {
    lbug_connection* connection = connection_ptr;
    baseline_result out = {0, 0, 0, 1};
    double start = now_seconds();
    for (uint64_t i = 0; i < iterations; i++) {
        lbug_query_result result;
        if (lbug_connection_query(connection, "RETURN 1", &result) != LbugSuccess ||
            !lbug_query_result_is_success(&result)) {
            out.ok = 0;
            lbug_query_result_destroy(&result);
            break;
        }
        lbug_flat_tuple tuple;
        lbug_value value;
        int64_t v = 0;
        if (lbug_query_result_get_next(&result, &tuple) == LbugSuccess) {
            lbug_flat_tuple_get_value(&tuple, 0, &value);
            lbug_value_get_int64(&value, &v);
            lbug_value_destroy(&value);
            lbug_flat_tuple_destroy(&tuple);
        }
        out.checksum += v;
        out.rows++;
        lbug_query_result_destroy(&result);
    }
    out.seconds = now_seconds() - start;
    return out;
}

baseline_result baseline_point_lookup(void* connection_ptr, uint64_t iterations, uint64_t table_rows) {
    lbug_connection* connection = connection_ptr;
    baseline_result out = {0, 0, 0, 1};
    lbug_prepared_statement statement;
    if (lbug_connection_prepare(connection, "MATCH (r:R) WHERE r.id = $id RETURN r.name", &statement) != LbugSuccess ||
        !lbug_prepared_statement_is_success(&statement)) {
        out.ok = 0;
        return out;
    }
    double start = now_seconds();
    for (uint64_t i = 0; i < iterations; i++) {
        lbug_prepared_statement_bind_int64(&statement, "id", (int64_t)((i * 7919) % table_rows));
        lbug_query_result result;
        if (lbug_connection_execute(connection, &statement, &result) != LbugSuccess ||
            !lbug_query_result_is_success(&result)) {
            out.ok = 0;
            lbug_query_result_destroy(&result);
            break;
        }
        lbug_flat_tuple tuple;
        if (lbug_query_result_get_next(&result, &tuple) == LbugSuccess) {
            lbug_value value;
            char* name = NULL;
            lbug_flat_tuple_get_value(&tuple, 0, &value);
            if (lbug_value_get_string(&value, &name) == LbugSuccess) {
                out.checksum += (int64_t)strlen(name);
                lbug_destroy_string(name);
            }
            lbug_value_destroy(&value);
            lbug_flat_tuple_destroy(&tuple);
            out.rows++;
        }
        lbug_query_result_destroy(&result);
    }
    out.seconds = now_seconds() - start;
    lbug_prepared_statement_destroy(&statement);
    return out;
}

baseline_result baseline_scan_flat(void* connection_ptr) {
    lbug_connection* connection = connection_ptr;
    baseline_result out = {0, 0, 0, 1};
    double start = now_seconds();
    lbug_query_result result;
    if (lbug_connection_query(connection, "MATCH (r:R) RETURN r.id, r.name, r.score", &result) != LbugSuccess ||
        !lbug_query_result_is_success(&result)) {
        out.ok = 0;
        lbug_query_result_destroy(&result);
        return out;
    }
    lbug_flat_tuple tuple;
    while (lbug_query_result_has_next(&result) && lbug_query_result_get_next(&result, &tuple) == LbugSuccess) {
        lbug_value value;
        int64_t id = 0;
        double score = 0;
        char* name = NULL;
        lbug_flat_tuple_get_value(&tuple, 0, &value);
        lbug_value_get_int64(&value, &id);
        lbug_value_destroy(&value);
        lbug_flat_tuple_get_value(&tuple, 1, &value);
        if (lbug_value_get_string(&value, &name) == LbugSuccess) {
            out.checksum += (int64_t)strlen(name);
            lbug_destroy_string(name);
        }
        lbug_value_destroy(&value);
        lbug_flat_tuple_get_value(&tuple, 2, &value);
        lbug_value_get_double(&value, &score);
        lbug_value_destroy(&value);
        out.checksum += id + (int64_t)score;
        out.rows++;
    }
    lbug_flat_tuple_destroy(&tuple);
    lbug_query_result_destroy(&result);
    out.seconds = now_seconds() - start;
    return out;
}

baseline_result baseline_scan_arrow(void* connection_ptr, int64_t chunk_size) {
    lbug_connection* connection = connection_ptr;
    baseline_result out = {0, 0, 0, 1};
    double start = now_seconds();
    lbug_query_result result;
    if (lbug_connection_query(connection, "MATCH (r:R) RETURN r.id, r.name, r.score", &result) != LbugSuccess ||
        !lbug_query_result_is_success(&result)) {
        out.ok = 0;
        lbug_query_result_destroy(&result);
        return out;
    }
    struct ArrowSchema schema;
    memset(&schema, 0, sizeof schema);
    if (lbug_query_result_get_arrow_schema(&result, &schema) != LbugSuccess || schema.n_children != 3 ||
        strcmp(schema.children[0]->format, "l") != 0 || strcmp(schema.children[1]->format, "u") != 0 ||
        strcmp(schema.children[2]->format, "g") != 0) {
        // Not the layout this loop reads (int64, utf8 with int32 offsets, double).
        out.ok = 0;
        if (schema.release) schema.release(&schema);
        lbug_query_result_destroy(&result);
        return out;
    }
    if (schema.release) schema.release(&schema);
    while (lbug_query_result_has_next(&result)) {
        struct ArrowArray chunk;
        memset(&chunk, 0, sizeof chunk);
        if (lbug_query_result_get_next_arrow_chunk(&result, chunk_size, &chunk) != LbugSuccess) {
            out.ok = 0;
            break;
        }
        if (chunk.length == 0) {
            if (chunk.release) chunk.release(&chunk);
            break;
        }
        // Column 0: int64 values (buffer 1); column 1: utf8 offsets (buffer 1) and bytes (buffer 2);
        // column 2: double values (buffer 1).
        const int64_t* ids = chunk.children[0]->buffers[1];
        const int32_t* offsets = chunk.children[1]->buffers[1];
        const double* scores = chunk.children[2]->buffers[1];
        int64_t id_offset = chunk.children[0]->offset;
        int64_t name_offset = chunk.children[1]->offset;
        int64_t score_offset = chunk.children[2]->offset;
        for (int64_t i = 0; i < chunk.length; i++) {
            out.checksum += ids[id_offset + i] + (offsets[name_offset + i + 1] - offsets[name_offset + i]) +
                            (int64_t)scores[score_offset + i];
        }
        out.rows += (uint64_t)chunk.length;
        if (chunk.release) chunk.release(&chunk);
    }
    lbug_query_result_destroy(&result);
    out.seconds = now_seconds() - start;
    return out;
}

typedef struct {
    lbug_database* database;
    double until;
    int prepared;
    uint64_t queries;
    int64_t checksum;
    int ok;
} parallel_caller;

static void* return_one_caller(void* argument) {
    parallel_caller* caller = argument;
    lbug_connection connection;
    if (lbug_connection_init(caller->database, &connection) != LbugSuccess) {
        caller->ok = 0;
        return NULL;
    }
    lbug_prepared_statement statement;
    if (caller->prepared && (lbug_connection_prepare(&connection, "RETURN 1", &statement) != LbugSuccess ||
                             !lbug_prepared_statement_is_success(&statement))) {
        caller->ok = 0;
        lbug_connection_destroy(&connection);
        return NULL;
    }
    while (now_seconds() < caller->until) {
        for (int batch = 0; batch < 64; batch++) {
            lbug_query_result result;
            lbug_state state = caller->prepared ? lbug_connection_execute(&connection, &statement, &result)
                                                : lbug_connection_query(&connection, "RETURN 1", &result);
            if (state != LbugSuccess || !lbug_query_result_is_success(&result)) {
                caller->ok = 0;
                lbug_query_result_destroy(&result);
                goto done;
            }
            lbug_flat_tuple tuple;
            if (lbug_query_result_get_next(&result, &tuple) == LbugSuccess) {
                lbug_value value;
                int64_t v = 0;
                lbug_flat_tuple_get_value(&tuple, 0, &value);
                lbug_value_get_int64(&value, &v);
                lbug_value_destroy(&value);
                lbug_flat_tuple_destroy(&tuple);
                caller->checksum += v;
            }
            lbug_query_result_destroy(&result);
            caller->queries++;
        }
    }
done:
    if (caller->prepared) lbug_prepared_statement_destroy(&statement);
    lbug_connection_destroy(&connection);
    return NULL;
}

baseline_result baseline_return_one_parallel(const char* path, uint64_t buffer_pool_size, uint64_t threads_per_query, int callers,
                                             double seconds, int prepared) {
    baseline_result out = {0, 0, 0, 1};
    lbug_system_config config = lbug_default_system_config();
    config.buffer_pool_size = buffer_pool_size;
    config.max_db_size = 1ull << 33;
    config.max_num_threads = threads_per_query;
    lbug_database database;
    if (lbug_database_init(path, config, &database) != LbugSuccess || callers < 1 || callers > 64) {
        out.ok = 0;
        return out;
    }
    parallel_caller state[64];
    pthread_t threads[64];
    double start = now_seconds();
    for (int i = 0; i < callers; i++) {
        state[i] = (parallel_caller){&database, start + seconds, prepared, 0, 0, 1};
        pthread_create(&threads[i], NULL, return_one_caller, &state[i]);
    }
    for (int i = 0; i < callers; i++) {
        pthread_join(threads[i], NULL);
        out.rows += state[i].queries;
        out.checksum += state[i].checksum;
        if (!state[i].ok) out.ok = 0;
    }
    out.seconds = now_seconds() - start;
    lbug_database_destroy(&database);
    return out;
}
