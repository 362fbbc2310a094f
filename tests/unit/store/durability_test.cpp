// Durability of file databases: what is committed survives closing, and survives a process that
// dies without closing (WAL + synchronous=NORMAL, see database.hpp); what is not committed is gone.

#include <sys/wait.h>
#include <unistd.h>

#include <functional>

#include <gtest/gtest.h>

#include "sim/core/manual_loop.hpp"
#include "sim/store/group_commit.hpp"
#include "sim/store/transaction.hpp"
#include "tests/unit/store/test_support.hpp"

namespace sim::store {
namespace {

using testing::OpenOrDie;
using testing::QueryInt;

/// Runs `body` in a child process. `body` must end by calling Die(), which exits with _exit while
/// its objects are still alive (no destructors, no sqlite3_close: as close to a crash as a test can
/// get). Returns the child's exit status.
int RunInDyingChild(const std::function<void()>& body) {
    pid_t pid = ::fork();
    if (pid == 0) {
        try {
            body();
        } catch (...) {
            ::_exit(98);
        }
        ::_exit(97);  // body returned instead of dying
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Durability, CommittedWritesSurviveCloseAndReopen) {
    testing::TempDir dir;
    const std::string path = dir.File("ledger.db");
    {
        auto db = OpenOrDie(path);
        db->Exec("CREATE TABLE payments(id INTEGER PRIMARY KEY, yen INTEGER NOT NULL)");
        Transaction transaction(*db);
        db->Prepare("INSERT INTO payments(yen) VALUES(?1)").BindAll(1200).Execute();
        db->Prepare("INSERT INTO payments(yen) VALUES(?1)").BindAll(800).Execute();
        transaction.Commit();
        Transaction abandoned(*db);
        db->Prepare("INSERT INTO payments(yen) VALUES(?1)").BindAll(5).Execute();
    }  // `abandoned` rolls back, then the database closes
    auto db = OpenOrDie(path);
    EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM payments"), 2);
    EXPECT_EQ(QueryInt(*db, "SELECT sum(yen) FROM payments"), 2000);
}

TEST(Durability, CommittedBatchSurvivesAProcessThatDiesWithoutClosing) {
    testing::TempDir dir;
    const std::string path = dir.File("ledger.db");
    {
        auto db = OpenOrDie(path);
        db->Exec("CREATE TABLE payments(id INTEGER PRIMARY KEY, yen INTEGER NOT NULL)");
    }
    int status = RunInDyingChild([&] {
        auto db = OpenOrDie(path);
        core::ManualLoop loop;
        GroupCommit group(loop);
        group.Attach(*db);
        {
            auto scope = group.BeginWrite(*db);
            db->Prepare("INSERT INTO payments(yen) VALUES(1000)").Execute();
            scope.Commit();
        }
        loop.RunReady();  // the batch commits here: acknowledged
        {
            auto scope = group.BeginWrite(*db);
            db->Prepare("INSERT INTO payments(yen) VALUES(7)").Execute();
            scope.Commit();
        }
        // The second batch is still open (its commit task never runs): the process dies now, with
        // the connection, the GroupCommit and the open transaction still alive.
        ::_exit(group.CommittedBatches() == 1 && group.BatchOpen() ? 0 : 1);
    });
    ASSERT_EQ(status, 0);
    auto db = OpenOrDie(path);
    EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM payments"), 1);
    EXPECT_EQ(QueryInt(*db, "SELECT sum(yen) FROM payments"), 1000);
}

}  // namespace
}  // namespace sim::store
