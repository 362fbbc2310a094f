#pragma once
// One SQLite connection (DESIGN, "Storage"). Used from the event-loop thread only.
//
// Durability. Every file database is opened in WAL mode with synchronous=NORMAL (the default
// OpenOptions). With WAL + NORMAL a committed transaction survives a crash of this *process*: the
// commit is in the WAL file, which the next Open replays. What NORMAL does not promise is survival
// of an operating-system crash or power loss: the WAL is fsync'ed only at checkpoints, so the last
// commits before such a crash may be lost (the database stays consistent, it just rolls back to an
// earlier commit). That is the trade: NORMAL saves one fsync per commit. A deployment that must
// keep acknowledged writes across power loss sets OpenOptions::full_sync (synchronous=FULL: one
// fsync per commit, which group commit amortises over a loop turn).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "sim/core/result.hpp"
#include "sim/store/statement.hpp"
#include "sim/store/store_error.hpp"

struct sqlite3;

namespace sim::store {

/// Connection settings; the defaults are what the simulator uses.
struct OpenOptions {
    /// synchronous=FULL instead of NORMAL: acknowledged commits also survive OS crash / power loss,
    /// at one fsync per commit.
    bool full_sync = false;
    /// How long a statement waits for a lock held by another connection before failing with
    /// SQLITE_BUSY. Each database file has one owner process, so this only matters for tools that
    /// open the file alongside the simulator.
    std::chrono::milliseconds busy_timeout{5000};
};

class Database {
public:
    /// Opens (creating if needed) the database at `path`; ":memory:" gives a private in-memory
    /// database. Sets journal_mode=WAL (file databases), synchronous, foreign_keys=ON and the busy
    /// timeout. Returns kUnavailable when the file cannot be opened or configured (missing
    /// directory, not a database, no WAL support).
    static core::Result<std::unique_ptr<Database>> Open(const std::string& path, const OpenOptions& options = {});

    /// Finalizes cached statements and closes the connection; an open transaction is rolled back.
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    /// Runs one or more SQL statements that return no rows of interest (DDL, BEGIN/COMMIT, PRAGMA).
    /// Throws StoreError with SQLite's message and `sql` on failure.
    void Exec(std::string_view sql);

    /// Returns the cached statement for `sql` (compiled on first use), reset and with all parameters
    /// NULL. The reference stays valid until the Database dies. The same SQL text always yields the
    /// same object, so do not Prepare a query again while still stepping through its rows — use
    /// PrepareUncached for that. Throws StoreError if `sql` does not compile or holds several
    /// statements.
    Statement& Prepare(std::string_view sql);
    /// Compiles `sql` into a statement owned by the caller (not cached). It must not outlive this
    /// Database.
    Statement PrepareUncached(std::string_view sql);

    /// Rowid of the last successful INSERT on this connection.
    std::int64_t LastInsertRowId() const;
    /// Rows changed by the most recent INSERT/UPDATE/DELETE.
    int Changes() const;
    /// True while a transaction (explicit BEGIN or SAVEPOINT) is open on this connection.
    bool InTransaction() const;

    /// Number of transactions committed on this connection since Open, autocommit statements
    /// included (counted by SQLite's commit hook).
    std::uint64_t CommitCount() const { return commit_count_; }
    /// Number of statements compiled by Prepare (cache misses) since Open.
    std::uint64_t PrepareCount() const { return prepare_count_; }
    /// Number of statements in the Prepare cache.
    std::size_t CachedStatementCount() const { return cache_.size(); }

    /// A fresh savepoint name, unique on this connection ("sp1", "sp2", ...).
    std::string NextSavepointName();

    /// The path given to Open.
    const std::string& Path() const { return path_; }
    /// The native connection, for tests and SQLite features not wrapped here. Do not install a
    /// commit hook on it: CommitCount uses that hook.
    sqlite3* Handle() const { return db_; }

private:
    Database(sqlite3* db, std::string path);
    static int OnCommit(void* self);

    struct StringHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };

    sqlite3* db_;
    std::string path_;
    std::unordered_map<std::string, std::unique_ptr<Statement>, StringHash, std::equal_to<>> cache_;
    std::uint64_t commit_count_ = 0;
    std::uint64_t prepare_count_ = 0;
    std::uint64_t next_savepoint_ = 1;
};

}  // namespace sim::store
