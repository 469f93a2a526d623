/* Graph API additions to the LadybugDB C API, built into liblbug_capi by scripts/setup-engines.sh
 * from graphapi_engine.cpp beside this file. */
#pragma once

#include <stdbool.h>
#ifndef GRAPHAPI_LBUG_INCLUDED
#include "lbug.h" /* the C API header (graphapi_engine.cpp includes it as c_api/lbug.h) */
#endif

#ifdef __cplusplus
#define GRAPHAPI_C_API extern "C" __attribute__((visibility("default")))
#else
#define GRAPHAPI_C_API __attribute__((visibility("default")))
#endif

/**
 * Parses `query` with the engine's own parser (no binding, no catalog, no file access) and
 * describes what it contains, one fact per line:
 *   `error <message>`          the text does not parse (nothing else follows)
 *   `top <TYPE>`               a top-level statement and its type (`QUERY`, `COPY_FROM`, ...)
 *   `statement <TYPE>`         any statement, top-level or nested (EXPLAIN's, CREATE TABLE AS's query)
 *   `transaction <ACTION>`     a transaction statement (`BEGIN_READ`, `COMMIT`, `CHECKPOINT`, ...)
 *   `load_from`                a LOAD FROM clause
 *   `call <NAME>`              a table function called (in-query or standalone), upper-cased
 *   `setting <NAME>`           a `CALL name = value` setting
 *   `table_option <NAME>`      an option of CREATE TABLE ... WITH (...), upper-cased
 *   `clause UNKNOWN`           a clause or table kind the shim does not know (refuse it)
 * Returns NULL only when out of memory; free the text with lbug_destroy_string.
 */
GRAPHAPI_C_API char* graphapi_statement_facts(const char* query);

/** Whether the connection is inside a transaction (an explicit one left open, or one running). */
GRAPHAPI_C_API bool graphapi_connection_in_transaction(lbug_connection* connection);

