// Graph API additions to the LadybugDB C API: statement facts from the engine's own parser, and
// the transaction state of a connection. Compiled into liblbug_capi by scripts/setup-engines.sh;
// every symbol used here is either defined in a header or exported by the wheel's engine (the
// script checks).
#include "c_api/lbug.h"
#define GRAPHAPI_LBUG_INCLUDED
#include "graphapi_engine.h"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "common/enums/statement_type.h"
#include "main/client_context.h"
#include "main/connection.h"
#include "parser/ddl/create_table.h"
#include "parser/explain_statement.h"
#include "parser/expression/parsed_function_expression.h"
#include "parser/parser.h"
#include "parser/query/reading_clause/in_query_call_clause.h"
#include "parser/query/regular_query.h"
#include "parser/scan_source.h"
#include "parser/standalone_call.h"
#include "parser/standalone_call_function.h"
#include "parser/transaction_statement.h"
#include "transaction/transaction_context.h"

using namespace lbug;
using lbug::common::StatementType;

namespace {

const char* typeName(StatementType type) {
    switch (type) {
    case StatementType::QUERY: return "QUERY";
    case StatementType::CREATE_TABLE: return "CREATE_TABLE";
    case StatementType::DROP: return "DROP";
    case StatementType::ALTER: return "ALTER";
    case StatementType::ANALYZE: return "ANALYZE";
    case StatementType::COPY_TO: return "COPY_TO";
    case StatementType::COPY_FROM: return "COPY_FROM";
    case StatementType::STANDALONE_CALL: return "STANDALONE_CALL";
    case StatementType::STANDALONE_CALL_FUNCTION: return "STANDALONE_CALL_FUNCTION";
    case StatementType::EXPLAIN: return "EXPLAIN";
    case StatementType::CREATE_MACRO: return "CREATE_MACRO";
    case StatementType::TRANSACTION: return "TRANSACTION";
    case StatementType::EXTENSION: return "EXTENSION";
    case StatementType::EXPORT_DATABASE: return "EXPORT_DATABASE";
    case StatementType::IMPORT_DATABASE: return "IMPORT_DATABASE";
    case StatementType::ATTACH_DATABASE: return "ATTACH_DATABASE";
    case StatementType::DETACH_DATABASE: return "DETACH_DATABASE";
    case StatementType::USE_DATABASE: return "USE_DATABASE";
    case StatementType::CREATE_SEQUENCE: return "CREATE_SEQUENCE";
    case StatementType::CREATE_INDEX: return "CREATE_INDEX";
    case StatementType::CREATE_TYPE: return "CREATE_TYPE";
    case StatementType::EXTENSION_CLAUSE: return "EXTENSION_CLAUSE";
    case StatementType::CREATE_GRAPH: return "CREATE_GRAPH";
    case StatementType::USE_GRAPH: return "USE_GRAPH";
    }
    return "UNKNOWN";
}

const char* actionName(transaction::TransactionAction action) {
    switch (action) {
    case transaction::TransactionAction::BEGIN_READ: return "BEGIN_READ";
    case transaction::TransactionAction::BEGIN_WRITE: return "BEGIN_WRITE";
    case transaction::TransactionAction::COMMIT: return "COMMIT";
    case transaction::TransactionAction::ROLLBACK: return "ROLLBACK";
    case transaction::TransactionAction::CHECKPOINT: return "CHECKPOINT";
    }
    return "UNKNOWN";
}

std::string upper(std::string text) {
    for (auto& c : text) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return text;
}

void line(std::string& out, const char* key, const std::string& value) {
    out += key;
    if (!value.empty()) {
        out += ' ';
        for (char c : value) out += (c == '\n' || c == '\r') ? ' ' : c;
    }
    out += '\n';
}

void describeFunction(std::string& out, const parser::ParsedExpression* expression) {
    if (expression == nullptr || expression->getExpressionType() != common::ExpressionType::FUNCTION) {
        line(out, "call", "?");
        return;
    }
    auto function = static_cast<const parser::ParsedFunctionExpression*>(expression);
    line(out, "call", upper(function->getFunctionName()));
}

// The reading clauses of a query part or a single query (both name their accessors alike).
template<typename Owner>
void describeReadingClauses(std::string& out, const Owner& owner) {
    for (uint32_t i = 0; i < owner.getNumReadingClauses(); i++) {
        auto clause = owner.getReadingClause(i);
        switch (clause->getClauseType()) {
        case common::ClauseType::MATCH:
        case common::ClauseType::UNWIND:
            break;
        case common::ClauseType::LOAD_FROM:
            line(out, "load_from", "");
            break;
        case common::ClauseType::IN_QUERY_CALL:
            describeFunction(out, static_cast<parser::InQueryCallClause*>(clause)->getFunctionExpression());
            break;
        default:
            // A clause this shim does not know: the caller refuses it (fail closed).
            line(out, "clause", "UNKNOWN");
            break;
        }
    }
}

void describeQuery(std::string& out, const parser::RegularQuery& query) {
    for (common::idx_t s = 0; s < query.getNumSingleQueries(); s++) {
        auto single = query.getSingleQuery(s);
        for (uint32_t p = 0; p < single->getNumQueryParts(); p++) {
            describeReadingClauses(out, *single->getQueryPart(p));
        }
        describeReadingClauses(out, *single);
    }
}

void describeStatement(std::string& out, const parser::Statement& statement) {
    auto type = statement.getStatementType();
    line(out, "statement", typeName(type));
    switch (type) {
    case StatementType::QUERY:
        describeQuery(out, static_cast<const parser::RegularQuery&>(statement));
        break;
    case StatementType::EXPLAIN:
    {
        auto& explain = static_cast<const parser::ExplainStatement&>(statement);
        if (explain.getStatementToExplain() != nullptr) {
            describeStatement(out, *explain.getStatementToExplain());
        }
        break;
    }
    case StatementType::TRANSACTION:
        line(out, "transaction",
            actionName(static_cast<const parser::TransactionStatement&>(statement).getTransactionAction()));
        break;
    case StatementType::CREATE_TABLE:
    {
        auto& create = static_cast<const parser::CreateTable&>(statement);
        auto info = create.getInfo();
        const parser::options_t* options = nullptr;
        if (info->extraInfo != nullptr) {
            switch (info->type) {
            case common::TableType::NODE:
                options = &static_cast<const parser::ExtraCreateNodeTableInfo*>(info->extraInfo.get())->options;
                break;
            case common::TableType::REL:
                options =
                    &static_cast<const parser::ExtraCreateRelTableGroupInfo*>(info->extraInfo.get())->options;
                break;
            default:
                line(out, "clause", "UNKNOWN");
                break;
            }
        } else if (info->type != common::TableType::NODE && info->type != common::TableType::REL) {
            line(out, "clause", "UNKNOWN");
        }
        if (options != nullptr) {
            for (auto& [name, value] : *options) line(out, "table_option", upper(name));
        }
        if (auto source = create.getSource(); source != nullptr && source->statement != nullptr) {
            describeStatement(out, *source->statement);
        }
        break;
    }
    case StatementType::STANDALONE_CALL:
        line(out, "setting", static_cast<const parser::StandaloneCall&>(statement).getOptionName());
        break;
    case StatementType::STANDALONE_CALL_FUNCTION:
        describeFunction(
            out, static_cast<const parser::StandaloneCallFunction&>(statement).getFunctionExpression());
        break;
    default:
        break;
    }
}

char* copyOut(const std::string& text) {
    auto result = static_cast<char*>(std::malloc(text.size() + 1));
    if (result == nullptr) return nullptr;
    std::memcpy(result, text.data(), text.size());
    result[text.size()] = '\0';
    return result;
}

} // namespace

char* graphapi_statement_facts(const char* query) {
    std::string out;
    try {
        auto statements = parser::Parser::parseQuery(std::string_view(query));
        for (auto& statement : statements) {
            line(out, "top", typeName(statement->getStatementType()));
        }
        for (auto& statement : statements) {
            describeStatement(out, *statement);
        }
    } catch (std::exception& error) {
        out.clear();
        line(out, "error", error.what());
    } catch (...) {
        out.clear();
        line(out, "error", "the statement could not be parsed");
    }
    return copyOut(out);
}

bool graphapi_connection_in_transaction(lbug_connection* connection) {
    if (connection == nullptr || connection->_connection == nullptr) return false;
    auto conn = static_cast<main::Connection*>(connection->_connection);
    auto context = transaction::TransactionContext::Get(*conn->getClientContext());
    return context != nullptr && context->hasActiveTransaction();
}
