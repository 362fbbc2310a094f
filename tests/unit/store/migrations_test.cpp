#include "sim/store/migrations.hpp"

#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/store/test_support.hpp"

namespace sim::store {
namespace {

using testing::OpenMemory;
using testing::QueryInt;

const std::vector<Migration> kQueueMigrations = {
    {1, "CREATE TABLE queues(name TEXT PRIMARY KEY)"},
    {2, "ALTER TABLE queues ADD COLUMN delay_seconds INTEGER NOT NULL DEFAULT 0"},
    {3,
     "CREATE TABLE messages(id INTEGER PRIMARY KEY, queue TEXT NOT NULL REFERENCES queues(name));"
     "CREATE INDEX messages_by_queue ON messages(queue)"},
};

bool HasTable(Database& db, const std::string& name) {
    auto& query = db.Prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1");
    query.BindAll(name);
    query.Step();
    bool found = query.Int64(0) == 1;
    query.Reset();
    return found;
}

TEST(Migrations, ApplyInOrderAndRecordTheVersion) {
    auto db = OpenMemory();
    EXPECT_EQ(SchemaVersion(*db, "sqs"), 0);
    Migrate(*db, "sqs", kQueueMigrations);
    EXPECT_EQ(SchemaVersion(*db, "sqs"), 3);
    EXPECT_TRUE(HasTable(*db, "messages"));
    // Step 2 depends on step 1: the column exists only if they ran in order.
    db->Exec("INSERT INTO queues(name) VALUES('orders')");
    EXPECT_EQ(QueryInt(*db, "SELECT delay_seconds FROM queues"), 0);
    EXPECT_EQ(QueryInt(*db, "SELECT version FROM schema_versions WHERE module = 'sqs'"), 3);
}

TEST(Migrations, SecondRunIsANoOp) {
    auto db = OpenMemory();
    Migrate(*db, "sqs", kQueueMigrations);
    db->Exec("INSERT INTO queues(name) VALUES('orders')");
    // Re-running CREATE TABLE would throw; the data must stay.
    EXPECT_NO_THROW(Migrate(*db, "sqs", kQueueMigrations));
    EXPECT_EQ(SchemaVersion(*db, "sqs"), 3);
    EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM queues"), 1);
}

TEST(Migrations, NewStepsApplyOnTopOfAnOlderDatabase) {
    auto db = OpenMemory();
    Migrate(*db, "sqs", std::span(kQueueMigrations).first(1));
    EXPECT_EQ(SchemaVersion(*db, "sqs"), 1);
    db->Exec("INSERT INTO queues(name) VALUES('orders')");
    Migrate(*db, "sqs", kQueueMigrations);
    EXPECT_EQ(SchemaVersion(*db, "sqs"), 3);
    EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM queues WHERE delay_seconds = 0"), 1);
}

TEST(Migrations, DatabaseNewerThanTheCodeIsRefused) {
    auto db = OpenMemory();
    Migrate(*db, "sqs", kQueueMigrations);
    try {
        Migrate(*db, "sqs", std::span(kQueueMigrations).first(2));
        FAIL() << "expected MigrationError";
    } catch (const MigrationError& error) {
        const std::string what = error.what();
        EXPECT_NE(what.find("newer"), std::string::npos) << what;
        EXPECT_NE(what.find("'sqs'"), std::string::npos) << what;
        EXPECT_NE(what.find("version 3"), std::string::npos) << what;
    }
    EXPECT_EQ(SchemaVersion(*db, "sqs"), 3);
}

TEST(Migrations, ModuleVersionsAreIndependent) {
    auto db = OpenMemory();
    const std::vector<Migration> s3 = {{1, "CREATE TABLE buckets(name TEXT PRIMARY KEY)"}};
    Migrate(*db, "sqs", kQueueMigrations);
    Migrate(*db, "s3", s3);
    EXPECT_EQ(SchemaVersion(*db, "sqs"), 3);
    EXPECT_EQ(SchemaVersion(*db, "s3"), 1);
    EXPECT_TRUE(HasTable(*db, "buckets"));
    EXPECT_EQ(SchemaVersion(*db, "events"), 0);
}

TEST(Migrations, NonIncreasingVersionListsAreRefused) {
    auto db = OpenMemory();
    const std::vector<Migration> repeated = {{1, "CREATE TABLE a(v)"}, {1, "CREATE TABLE b(v)"}};
    const std::vector<Migration> decreasing = {{2, "CREATE TABLE a(v)"}, {1, "CREATE TABLE b(v)"}};
    const std::vector<Migration> zero = {{0, "CREATE TABLE a(v)"}};
    EXPECT_THROW(Migrate(*db, "m", repeated), MigrationError);
    EXPECT_THROW(Migrate(*db, "m", decreasing), MigrationError);
    EXPECT_THROW(Migrate(*db, "m", zero), MigrationError);
    EXPECT_THROW(Migrate(*db, "", kQueueMigrations), MigrationError);
    EXPECT_FALSE(HasTable(*db, "a"));
}

TEST(Migrations, FailingStepLeavesThePreviousVersion) {
    auto db = OpenMemory();
    const std::vector<Migration> broken = {
        {1, "CREATE TABLE a(v)"},
        {2, "CREATE TABLE b(v); CRATE TABLE c(v)"},
        {3, "CREATE TABLE d(v)"},
    };
    try {
        Migrate(*db, "m", broken);
        FAIL() << "expected MigrationError";
    } catch (const MigrationError& error) {
        const std::string what = error.what();
        EXPECT_NE(what.find("m v2"), std::string::npos) << what;
        EXPECT_NE(what.find("syntax error"), std::string::npos) << what;
    }
    EXPECT_EQ(SchemaVersion(*db, "m"), 1);
    EXPECT_TRUE(HasTable(*db, "a"));
    EXPECT_FALSE(HasTable(*db, "b"));  // the half of step 2 that ran was rolled back
    EXPECT_FALSE(HasTable(*db, "d"));
    EXPECT_FALSE(db->InTransaction());
}

}  // namespace
}  // namespace sim::store
