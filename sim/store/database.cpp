#include "sim/store/database.hpp"

#include <utility>

#include <sqlite3.h>

namespace sim::store {

namespace {

/// Runs a PRAGMA (or any statement) and returns its first column of the first row as text.
std::string QueryText(sqlite3* db, const std::string& sql) {
    Statement statement(db, sql);
    std::string value;
    if (statement.Step()) value = statement.Text(0);
    statement.Reset();
    return value;
}

}  // namespace

core::Result<std::unique_ptr<Database>> Database::Open(const std::string& path, const OpenOptions& options) {
    sqlite3* raw = nullptr;
    // NOMUTEX: a connection belongs to the event-loop thread (CONVENTIONS, "Principles" 4).
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string message = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
        sqlite3_close_v2(raw);
        return core::Fail(
            core::Error{core::ErrorKind::kUnavailable, "cannot open database '" + path + "': " + message});
    }
    sqlite3_extended_result_codes(raw, 1);
    std::unique_ptr<Database> db(new Database(raw, path));
    try {
        sqlite3_busy_timeout(raw, static_cast<int>(options.busy_timeout.count()));
        const bool in_memory = path == ":memory:" || path.empty();
        std::string mode = QueryText(raw, "PRAGMA journal_mode=WAL");
        if (!in_memory && mode != "wal") {
            return core::Fail(core::Error{core::ErrorKind::kUnavailable,
                                          "database '" + path + "' cannot use WAL (journal_mode is '" + mode + "')"});
        }
        db->Exec(options.full_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
        db->Exec("PRAGMA foreign_keys=ON");
    } catch (const StoreError& error) {
        // E.g. "file is not a database" surfaces at the first statement, not at open.
        return core::Fail(core::Error{core::ErrorKind::kUnavailable,
                                      "cannot open database '" + path + "': " + error.SqliteMessage()});
    }
    return db;
}

Database::Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {
    sqlite3_commit_hook(db_, &Database::OnCommit, this);
}

Database::~Database() {
    cache_.clear();  // statements must be finalized before the connection closes
    sqlite3_commit_hook(db_, nullptr, nullptr);
    // close_v2: if a caller still holds an uncached Statement the connection lingers until it is
    // finalized instead of failing with SQLITE_BUSY.
    sqlite3_close_v2(db_);
}

int Database::OnCommit(void* self) {
    ++static_cast<Database*>(self)->commit_count_;
    return 0;  // 0 lets the commit proceed
}

void Database::Exec(std::string_view sql) {
    std::string text(sql);
    char* message = nullptr;
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string what = message != nullptr ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        throw StoreError(rc, std::move(what), std::move(text));
    }
}

Statement& Database::Prepare(std::string_view sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
        auto statement = std::make_unique<Statement>(db_, sql);
        ++prepare_count_;
        it = cache_.emplace(std::string(sql), std::move(statement)).first;
    }
    Statement& statement = *it->second;
    statement.Reset();
    statement.ClearBindings();
    return statement;
}

Statement Database::PrepareUncached(std::string_view sql) { return Statement(db_, sql); }

std::int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

int Database::Changes() const { return sqlite3_changes(db_); }

bool Database::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

std::string Database::NextSavepointName() { return "sp" + std::to_string(next_savepoint_++); }

}  // namespace sim::store
