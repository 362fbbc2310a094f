#include "sim/store/statement.hpp"

#include <cstring>
#include <utility>

#include <sqlite3.h>

namespace sim::store {

namespace {

bool OnlyWhitespaceOrComments(const char* tail) {
    // sqlite3_prepare_v2 stops after the first statement; anything left that is not blank means the
    // caller passed several statements, which Prepare would silently ignore.
    while (*tail != '\0') {
        if (std::strchr(" \t\r\n;", *tail) != nullptr) {
            ++tail;
        } else if (tail[0] == '-' && tail[1] == '-') {
            while (*tail != '\0' && *tail != '\n') ++tail;
        } else if (tail[0] == '/' && tail[1] == '*') {
            const char* end = std::strstr(tail + 2, "*/");
            if (end == nullptr) return true;
            tail = end + 2;
        } else {
            return false;
        }
    }
    return true;
}

}  // namespace

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, &tail);
    if (rc != SQLITE_OK) {
        std::string message = sqlite3_errmsg(db);
        sqlite3_finalize(stmt_);
        stmt_ = nullptr;
        throw StoreError(rc, std::move(message), std::string(sql));
    }
    if (stmt_ == nullptr) {
        throw StoreError(SQLITE_MISUSE, "no SQL statement to prepare", std::string(sql));
    }
    std::string rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
    if (!OnlyWhitespaceOrComments(rest.c_str())) {
        sqlite3_finalize(stmt_);
        stmt_ = nullptr;
        throw StoreError(SQLITE_MISUSE, "more than one SQL statement given to Prepare (use Database::Exec)",
                         std::string(sql));
    }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(stmt_);
        db_ = std::exchange(other.db_, nullptr);
        stmt_ = std::exchange(other.stmt_, nullptr);
    }
    return *this;
}

void Statement::ThrowError(int rc) const { throw StoreError(rc, sqlite3_errmsg(db_), Sql()); }

void Statement::ThrowOutOfRange(int index) const {
    throw std::out_of_range("parameter " + std::to_string(index) +
                            " does not fit a signed 64-bit integer [sql: " + Sql() + "]");
}

Statement& Statement::BindInt64(int index, std::int64_t value) {
    int rc = sqlite3_bind_int64(stmt_, index, value);
    if (rc != SQLITE_OK) ThrowError(rc);
    return *this;
}

Statement& Statement::BindDouble(int index, double value) {
    int rc = sqlite3_bind_double(stmt_, index, value);
    if (rc != SQLITE_OK) ThrowError(rc);
    return *this;
}

Statement& Statement::BindText(int index, std::string_view value) {
    // SQLITE_TRANSIENT: SQLite copies, so the caller's buffer may die before Step.
    int rc = sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (rc != SQLITE_OK) ThrowError(rc);
    return *this;
}

Statement& Statement::BindBlob(int index, std::span<const std::byte> value) {
    // A null data pointer would bind NULL; an empty blob must stay an (empty) BLOB.
    static const std::byte kEmpty{};
    const void* data = value.empty() ? static_cast<const void*>(&kEmpty) : value.data();
    int rc = sqlite3_bind_blob64(stmt_, index, data, value.size(), SQLITE_TRANSIENT);
    if (rc != SQLITE_OK) ThrowError(rc);
    return *this;
}

Statement& Statement::BindNull(int index) {
    int rc = sqlite3_bind_null(stmt_, index);
    if (rc != SQLITE_OK) ThrowError(rc);
    return *this;
}

int Statement::ParameterIndex(std::string_view name) const {
    std::string terminated(name);
    int index = sqlite3_bind_parameter_index(stmt_, terminated.c_str());
    if (index == 0) throw StoreError(SQLITE_RANGE, "no parameter named '" + terminated + "'", Sql());
    return index;
}

Statement& Statement::ClearBindings() {
    sqlite3_clear_bindings(stmt_);
    return *this;
}

bool Statement::Step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    StoreError error(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_), Sql());
    sqlite3_reset(stmt_);
    throw error;
}

int Statement::Execute() {
    int rc = sqlite3_step(stmt_);
    while (rc == SQLITE_ROW) rc = sqlite3_step(stmt_);
    if (rc != SQLITE_DONE) {
        StoreError error(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_), Sql());
        sqlite3_reset(stmt_);
        throw error;
    }
    sqlite3_reset(stmt_);
    return sqlite3_changes(db_);
}

core::Result<int> Statement::TryExecute() {
    int rc = sqlite3_step(stmt_);
    while (rc == SQLITE_ROW) rc = sqlite3_step(stmt_);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(stmt_);
        return sqlite3_changes(db_);
    }
    int code = sqlite3_extended_errcode(db_);
    std::string message = sqlite3_errmsg(db_);
    sqlite3_reset(stmt_);
    switch (code) {
        case SQLITE_CONSTRAINT_UNIQUE:
        case SQLITE_CONSTRAINT_PRIMARYKEY:
            return core::Fail(core::Error{core::ErrorKind::kAlreadyExists, std::move(message)});
        case SQLITE_CONSTRAINT_FOREIGNKEY: return core::Fail(core::Error::FailedPrecondition(std::move(message)));
        default:
            if ((code & 0xff) == SQLITE_CONSTRAINT) return core::Fail(core::Error::Conflict(std::move(message)));
            throw StoreError(code, std::move(message), Sql());
    }
}

Statement& Statement::Reset() {
    // sqlite3_reset repeats the last step's error code; that error was already reported by Step.
    sqlite3_reset(stmt_);
    return *this;
}

int Statement::ColumnCount() const { return sqlite3_column_count(stmt_); }

void Statement::CheckColumn(int i) const {
    if (i < 0 || i >= sqlite3_column_count(stmt_)) {
        throw std::out_of_range("column " + std::to_string(i) + " out of range [sql: " + Sql() + "]");
    }
}

std::string Statement::ColumnName(int i) const {
    CheckColumn(i);
    const char* name = sqlite3_column_name(stmt_, i);
    return name == nullptr ? std::string() : std::string(name);
}

bool Statement::IsNull(int i) const {
    CheckColumn(i);
    return sqlite3_column_type(stmt_, i) == SQLITE_NULL;
}

std::int64_t Statement::Int64(int i) const {
    CheckColumn(i);
    return sqlite3_column_int64(stmt_, i);
}

double Statement::Double(int i) const {
    CheckColumn(i);
    return sqlite3_column_double(stmt_, i);
}

std::string Statement::Text(int i) const {
    CheckColumn(i);
    // Per the SQLite docs: call the accessor first, then column_bytes.
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
    auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i));
    return text == nullptr ? std::string() : std::string(text, size);
}

std::vector<std::byte> Statement::Blob(int i) const {
    CheckColumn(i);
    const auto* data = static_cast<const std::byte*>(sqlite3_column_blob(stmt_, i));
    auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i));
    return data == nullptr ? std::vector<std::byte>() : std::vector<std::byte>(data, data + size);
}

std::string Statement::Sql() const {
    const char* sql = stmt_ == nullptr ? nullptr : sqlite3_sql(stmt_);
    return sql == nullptr ? std::string() : std::string(sql);
}

}  // namespace sim::store
