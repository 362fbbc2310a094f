#include "sim/platform/common/service_db.hpp"

#include <filesystem>
#include <stdexcept>
#include <utility>
#include <vector>

namespace sim::platform {

namespace {
const store::Migration kBootMigrations[] = {
    {1, "CREATE TABLE service_boots (id INTEGER PRIMARY KEY CHECK (id = 1), boots INTEGER NOT NULL)"},
};
}  // namespace

ServiceDb::ServiceDb(std::string_view service, const std::string& data_dir, store::GroupCommit& group,
                     std::span<const store::Migration> migrations)
    : service_(service), group_(group) {
    std::string path = ":memory:";
    if (!data_dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(data_dir, ec);
        path = (std::filesystem::path(data_dir) / ("platform-" + service_ + ".db")).string();
    }
    auto db = store::Database::Open(path);
    if (!db) throw std::runtime_error("cannot open " + path + ": " + db.error().message);
    db_ = std::move(db).value();
    try {
        store::Migrate(*db_, "platform-boots", kBootMigrations);
        store::Migrate(*db_, "platform-" + service_, migrations);
        db_->Exec("INSERT INTO service_boots (id, boots) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET boots = boots + 1");
        auto& select = db_->Prepare("SELECT boots FROM service_boots WHERE id = 1");
        if (select.Step()) boots_ = static_cast<std::uint64_t>(select.Int64(0));
        select.Reset();
    } catch (const std::exception& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
    group_.Attach(*db_);
}

ServiceDb::~ServiceDb() {
    try {
        group_.Detach(*db_);
    } catch (const std::exception&) {
        // A live write scope at shutdown is a bug elsewhere; the database closes (rolling back) anyway.
    }
}

void ServiceDb::Wipe() {
    std::vector<std::string> tables;
    std::vector<std::pair<std::string, std::string>> triggers;  // append-only guards, put back after
    {
        auto st = db_->PrepareUncached("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'");
        while (st.Step()) triggers.emplace_back(st.Text(0), st.Text(1));
    }
    {
        auto st = db_->PrepareUncached(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT IN ('schema_versions', 'service_boots')");
        while (st.Step()) tables.push_back(st.Text(0));
    }
    auto scope = Write();
    db_->Exec("PRAGMA defer_foreign_keys = ON");
    for (const auto& [name, sql] : triggers) db_->Exec("DROP TRIGGER \"" + name + "\"");
    for (const auto& t : tables) db_->Exec("DELETE FROM \"" + t + "\"");
    for (const auto& [name, sql] : triggers) db_->Exec(sql);
    scope.Commit();
}

}  // namespace sim::platform
