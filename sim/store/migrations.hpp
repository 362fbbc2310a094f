#pragma once
// Per-module versioned schema migrations. Each module that owns tables keeps a list of migrations
// in code; Migrate brings the database up to the newest one at startup.
//
//   constexpr ... kSqsMigrations[] = {{1, "CREATE TABLE queues(...)"}, {2, "ALTER TABLE ..."}};
//   store::Migrate(db, "sqs", kSqsMigrations);
//
// The applied version per module is kept in `schema_versions(module TEXT PRIMARY KEY, version INTEGER)`.

#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "sim/store/database.hpp"

namespace sim::store {

/// One schema step. `sql` may hold several statements but no transaction control (BEGIN/COMMIT):
/// Migrate runs it inside its own transaction.
struct Migration {
    int version;
    std::string sql;
};

/// Migrate refused to run: bad migration list, a database newer than the code, or a failing step.
class MigrationError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Applies, in order, every migration of `module` whose version is above the one recorded in
/// `db`; each one runs in its own transaction together with the update of schema_versions, so a
/// failing step leaves the database at the previous version. Running it again is a no-op.
/// Throws MigrationError when `module` is empty, when versions are not positive and strictly
/// increasing, when the database records a version for `module` newer than the last one in
/// `migrations` (a database written by a newer build), or when a step fails (message names the
/// module, the version and SQLite's error). Must not be called while a transaction is open on `db`.
void Migrate(Database& db, std::string_view module, std::span<const Migration> migrations);

/// The schema version recorded for `module` (0 when none was ever applied).
int SchemaVersion(Database& db, std::string_view module);

}  // namespace sim::store
