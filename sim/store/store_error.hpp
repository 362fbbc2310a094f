#pragma once
// The one exception type of sim/store: an unexpected SQLite failure (I/O, a constraint the caller did
// not expect, misuse). Callers let it propagate; the request boundary turns it into a 500
// (CONVENTIONS, "Principles" 2).

#include <stdexcept>
#include <string>

namespace sim::store {

/// An SQLite call failed. Carries SQLite's (extended) result code, its message and the SQL involved
/// (empty when the failure is not tied to a statement, e.g. opening).
class StoreError : public std::runtime_error {
public:
    StoreError(int code, std::string sqlite_message, std::string sql)
        : std::runtime_error(Describe(code, sqlite_message, sql)),
          code_(code),
          sqlite_message_(std::move(sqlite_message)),
          sql_(std::move(sql)) {}

    /// SQLite's extended result code (e.g. SQLITE_CONSTRAINT_UNIQUE = 2067).
    int Code() const { return code_; }
    /// The primary result code (Code() & 0xff), e.g. SQLITE_CONSTRAINT = 19.
    int PrimaryCode() const { return code_ & 0xff; }
    /// SQLite's own message, e.g. "UNIQUE constraint failed: t.k".
    const std::string& SqliteMessage() const { return sqlite_message_; }
    /// The SQL text that failed; may be empty.
    const std::string& Sql() const { return sql_; }
    /// True for any SQLITE_CONSTRAINT_* failure.
    bool IsConstraintViolation() const { return PrimaryCode() == 19; }  // SQLITE_CONSTRAINT

private:
    static std::string Describe(int code, const std::string& message, const std::string& sql) {
        std::string text = "sqlite error " + std::to_string(code) + ": " + message;
        if (!sql.empty()) text += " [sql: " + sql + "]";
        return text;
    }

    int code_;
    std::string sqlite_message_;
    std::string sql_;
};

}  // namespace sim::store
