#include "sim/store/transaction.hpp"

#include <stdexcept>
#include <utility>

#include <spdlog/spdlog.h>

namespace sim::store {

namespace {

bool IsIdentifier(const std::string& name) {
    if (name.empty()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
        bool digit = c >= '0' && c <= '9';
        if (!letter && !(digit && i > 0)) return false;
    }
    return true;
}

}  // namespace

Transaction::Transaction(Database& db) : db_(db) { db_.Exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
    // A failed COMMIT may already have ended the transaction (SQLite rolls back on some I/O errors).
    if (!active_ || !db_.InTransaction()) return;
    try {
        db_.Exec("ROLLBACK");
    } catch (const StoreError& error) {
        spdlog::error("store: transaction rollback failed db={} error={}", db_.Path(), error.what());
    }
}

void Transaction::Commit() {
    if (!active_) throw std::logic_error("Transaction::Commit on a finished transaction");
    db_.Exec("COMMIT");
    active_ = false;
}

void Transaction::Rollback() {
    if (!active_) throw std::logic_error("Transaction::Rollback on a finished transaction");
    db_.Exec("ROLLBACK");
    active_ = false;
}

Savepoint::Savepoint(Database& db) : Savepoint(db, db.NextSavepointName()) {}

Savepoint::Savepoint(Database& db, std::string name) : db_(&db), name_(std::move(name)) {
    if (!IsIdentifier(name_)) throw std::invalid_argument("invalid savepoint name '" + name_ + "'");
    db_->Exec("SAVEPOINT " + name_);
}

Savepoint::Savepoint(Savepoint&& other) noexcept
    : db_(other.db_), name_(std::move(other.name_)), active_(std::exchange(other.active_, false)) {}

Savepoint::~Savepoint() {
    if (!active_) return;
    // If SQLite already rolled back the whole transaction (some I/O errors do), the savepoint is
    // gone with it and there is nothing left to undo.
    if (!db_->InTransaction()) return;
    try {
        Rollback();
    } catch (const StoreError& error) {
        spdlog::error("store: savepoint rollback failed db={} savepoint={} error={}", db_->Path(), name_, error.what());
    }
}

void Savepoint::Commit() {
    if (!active_) throw std::logic_error("Savepoint::Commit on a finished savepoint");
    db_->Exec("RELEASE " + name_);
    active_ = false;
}

void Savepoint::Rollback() {
    if (!active_) throw std::logic_error("Savepoint::Rollback on a finished savepoint");
    // ROLLBACK TO keeps the savepoint on the stack; RELEASE then removes it.
    db_->Exec("ROLLBACK TO " + name_ + "; RELEASE " + name_);
    active_ = false;
}

}  // namespace sim::store
