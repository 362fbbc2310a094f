#pragma once
// RAII transactions. Nothing is half-applied (DESIGN, "Errors"): unless Commit() is reached, the
// destructor undoes everything done inside the scope.
//
// With GroupCommit attached to a Database, a batch transaction is usually open on it; use
// GroupCommit::BeginWrite there (a Savepoint inside the batch), not Transaction.

#include <string>

#include "sim/store/database.hpp"

namespace sim::store {

/// BEGIN IMMEDIATE ... COMMIT. IMMEDIATE takes the write lock up front, so a write transaction never
/// fails half-way with SQLITE_BUSY when upgrading from read to write.
class Transaction {
public:
    /// Begins the transaction. Throws StoreError if one is already open on `db` (nest with
    /// Savepoint instead) or the lock cannot be taken.
    explicit Transaction(Database& db);
    /// Rolls back unless Commit() or Rollback() succeeded. Never throws (failures are logged).
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    /// COMMIT. Throws StoreError on failure; the transaction is then rolled back by the destructor.
    /// Calling it twice is a bug (std::logic_error).
    void Commit();
    /// ROLLBACK now. Throws StoreError on failure.
    void Rollback();
    /// True until Commit() or Rollback() succeeded.
    bool Active() const { return active_; }

private:
    Database& db_;
    bool active_ = true;
};

/// SAVEPOINT name ... RELEASE name: a nestable transaction. Outside any transaction it opens one
/// (and Commit() then commits it); inside one, Commit() folds its changes into the enclosing
/// transaction and destruction without Commit() undoes only its own changes.
/// Savepoints must end in reverse order of creation (RAII scoping guarantees that).
class Savepoint {
public:
    /// Opens a savepoint with a name unique on `db`.
    explicit Savepoint(Database& db);
    /// Opens a savepoint named `name` ([A-Za-z_][A-Za-z0-9_]*, else std::invalid_argument).
    Savepoint(Database& db, std::string name);
    /// Rolls back to the savepoint and releases it unless Commit() or Rollback() succeeded.
    /// Never throws (failures are logged).
    ~Savepoint();
    Savepoint(Savepoint&& other) noexcept;
    Savepoint& operator=(Savepoint&&) = delete;
    Savepoint(const Savepoint&) = delete;
    Savepoint& operator=(const Savepoint&) = delete;

    /// RELEASE: keeps the changes. Throws StoreError on failure (the savepoint is then still
    /// active and the destructor rolls it back). Calling it when not Active() is std::logic_error.
    void Commit();
    /// ROLLBACK TO + RELEASE: undoes the changes now. Throws StoreError on failure.
    void Rollback();
    /// True until Commit() or Rollback() succeeded.
    bool Active() const { return active_; }
    const std::string& Name() const { return name_; }
    Database& Db() const { return *db_; }

private:
    Database* db_;
    std::string name_;
    bool active_ = true;
};

}  // namespace sim::store
