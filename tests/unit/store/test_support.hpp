#pragma once
// Helpers shared by the store tests.

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "sim/store/database.hpp"

namespace sim::store::testing {

/// Opens `path` and fails the test (fatal, via the thrown exception) when that is impossible.
inline std::unique_ptr<Database> OpenOrDie(const std::string& path) {
    auto opened = Database::Open(path);
    if (!opened.ok()) throw std::runtime_error("open failed: " + opened.error().message);
    return std::move(opened).value();
}

inline std::unique_ptr<Database> OpenMemory() { return OpenOrDie(":memory:"); }

/// The single integer produced by `sql`.
inline std::int64_t QueryInt(Database& db, const std::string& sql) {
    auto& statement = db.Prepare(sql);
    if (!statement.Step()) throw std::runtime_error("no row: " + sql);
    auto value = statement.Int64(0);
    statement.Reset();
    return value;
}

/// A fresh directory under the system temp dir, removed with its contents on destruction.
class TempDir {
public:
    TempDir() {
        static std::atomic<int> counter{0};
        path_ = std::filesystem::temp_directory_path() /
                ("cardsim-store-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ignored;  // best effort: a leftover temp dir must not fail a test
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::string File(const std::string& name) const { return (path_ / name).string(); }
    const std::filesystem::path& Path() const { return path_; }

private:
    std::filesystem::path path_;
};

}  // namespace sim::store::testing
