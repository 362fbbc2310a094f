#include "sim/store/migrations.hpp"

#include "sim/store/transaction.hpp"

namespace sim::store {

namespace {

void EnsureVersionTable(Database& db) {
    db.Exec("CREATE TABLE IF NOT EXISTS schema_versions(module TEXT PRIMARY KEY, version INTEGER NOT NULL)");
}

void CheckList(std::string_view module, std::span<const Migration> migrations) {
    if (module.empty()) throw MigrationError("Migrate: empty module name");
    int previous = 0;
    for (const auto& migration : migrations) {
        if (migration.version <= previous) {
            throw MigrationError("Migrate(" + std::string(module) + "): versions must be positive and strictly " +
                                 "increasing, got " + std::to_string(migration.version) + " after " +
                                 std::to_string(previous));
        }
        previous = migration.version;
    }
}

}  // namespace

int SchemaVersion(Database& db, std::string_view module) {
    EnsureVersionTable(db);
    auto& query = db.Prepare("SELECT version FROM schema_versions WHERE module = ?1");
    query.BindAll(module);
    int version = query.Step() ? static_cast<int>(query.Int64(0)) : 0;
    query.Reset();
    return version;
}

void Migrate(Database& db, std::string_view module, std::span<const Migration> migrations) {
    CheckList(module, migrations);
    const int known = migrations.empty() ? 0 : migrations.back().version;
    const int current = SchemaVersion(db, module);
    if (current > known) {
        throw MigrationError("database '" + db.Path() + "' has schema version " + std::to_string(current) +
                             " for module '" + std::string(module) + "', newer than this build knows (" +
                             std::to_string(known) + "); refusing to use it with older code");
    }
    for (const auto& migration : migrations) {
        if (migration.version <= current) continue;
        try {
            Transaction transaction(db);
            db.Exec(migration.sql);
            db.Prepare(
                  "INSERT INTO schema_versions(module, version) VALUES(?1, ?2) "
                  "ON CONFLICT(module) DO UPDATE SET version = excluded.version")
                .BindAll(module, migration.version)
                .Execute();
            transaction.Commit();
        } catch (const StoreError& error) {
            throw MigrationError("migration " + std::string(module) + " v" + std::to_string(migration.version) +
                                 " failed: " + error.what());
        }
    }
}

}  // namespace sim::store
