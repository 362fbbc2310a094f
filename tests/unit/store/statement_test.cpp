#include "sim/store/statement.hpp"

#include <fstream>
#include <optional>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "sim/store/database.hpp"
#include "tests/unit/store/test_support.hpp"

namespace sim::store {
namespace {

using testing::OpenMemory;
using testing::QueryInt;

std::vector<std::byte> Bytes(std::initializer_list<int> values) {
    std::vector<std::byte> bytes;
    for (int v : values) bytes.push_back(static_cast<std::byte>(v));
    return bytes;
}

TEST(Database, OpensInMemoryWithForeignKeysOn) {
    auto db = OpenMemory();
    EXPECT_EQ(QueryInt(*db, "PRAGMA foreign_keys"), 1);
    EXPECT_FALSE(db->InTransaction());
}

TEST(Database, FileDatabaseUsesWalAndSynchronousNormal) {
    testing::TempDir dir;
    auto db = testing::OpenOrDie(dir.File("a.db"));
    auto& mode = db->Prepare("PRAGMA journal_mode");
    ASSERT_TRUE(mode.Step());
    EXPECT_EQ(mode.Text(0), "wal");
    mode.Reset();
    EXPECT_EQ(QueryInt(*db, "PRAGMA synchronous"), 1);  // NORMAL
    EXPECT_EQ(QueryInt(*db, "PRAGMA foreign_keys"), 1);
}

TEST(Database, FullSyncOptionSelectsSynchronousFull) {
    testing::TempDir dir;
    auto opened = Database::Open(dir.File("a.db"), OpenOptions{.full_sync = true});
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(QueryInt(**opened, "PRAGMA synchronous"), 2);  // FULL
}

TEST(Database, OpenInAMissingDirectoryIsUnavailable) {
    auto opened = Database::Open("/nonexistent-cardsim-dir/x/y.db");
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().kind, core::ErrorKind::kUnavailable);
    EXPECT_NE(opened.error().message.find("/nonexistent-cardsim-dir/x/y.db"), std::string::npos);
}

TEST(Database, OpenRefusesAFileThatIsNotADatabase) {
    testing::TempDir dir;
    {
        std::ofstream out(dir.File("junk.db"));
        out << std::string(4096, 'x');
    }
    auto opened = Database::Open(dir.File("junk.db"));
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().kind, core::ErrorKind::kUnavailable);
    EXPECT_NE(opened.error().message.find("not a database"), std::string::npos) << opened.error().message;
}

TEST(Database, PrepareReusesTheCachedStatement) {
    auto db = OpenMemory();
    db->Exec("CREATE TABLE t(v)");
    const std::uint64_t before = db->PrepareCount();
    Statement& first = db->Prepare("INSERT INTO t(v) VALUES(?1)");
    first.BindAll(7).Execute();
    Statement& second = db->Prepare("INSERT INTO t(v) VALUES(?1)");
    EXPECT_EQ(&first, &second);
    EXPECT_EQ(db->PrepareCount(), before + 1);
    // Handed out with parameters cleared: the stale 7 must not leak into this use.
    second.Execute();
    EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM t WHERE v IS NULL"), 1);
    EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM t WHERE v = 7"), 1);
    db->Prepare("SELECT v FROM t");
    EXPECT_EQ(db->PrepareCount(), before + 4);  // the two QueryInt texts and this one
}

TEST(Database, PrepareResetsAStatementLeftInTheMiddleOfItsRows) {
    auto db = OpenMemory();
    db->Exec("CREATE TABLE t(v); INSERT INTO t VALUES(1),(2),(3)");
    auto& query = db->Prepare("SELECT v FROM t ORDER BY v");
    ASSERT_TRUE(query.Step());
    ASSERT_TRUE(query.Step());
    EXPECT_EQ(query.Int64(0), 2);
    auto& again = db->Prepare("SELECT v FROM t ORDER BY v");
    ASSERT_TRUE(again.Step());
    EXPECT_EQ(again.Int64(0), 1);
}

TEST(Database, PrepareRefusesSeveralStatements) {
    auto db = OpenMemory();
    db->Exec("CREATE TABLE t(v)");
    EXPECT_THROW(db->Prepare("INSERT INTO t VALUES(1); INSERT INTO t VALUES(2)"), StoreError);
    EXPECT_NO_THROW(db->Prepare("INSERT INTO t VALUES(1); -- trailing comment\n"));
    EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM t"), 0);
}

TEST(Statement, BindsEveryTypeAndReadsItBack) {
    auto db = OpenMemory();
    db->Exec("CREATE TABLE t(i, b, d, s1, s2, s3, blob1, blob2, n, opt_empty, opt_full)");
    const std::string with_nul("a\0b", 3);
    const auto raw = Bytes({0x00, 0xff, 0x00, 0x41});
    const std::int64_t big = std::int64_t{1} << 40;
    std::string text = "std::string";
    db->Prepare("INSERT INTO t VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")
        .BindAll(big, true, 2.5, std::string_view("view"), text, "literal", raw, AsBlob(with_nul), nullptr,
                 std::optional<int>(), std::optional<std::string>("present"))
        .Execute();

    auto& row = db->Prepare(
        "SELECT i, b, d, s1, s2, s3, blob1, blob2, n, opt_empty, opt_full, typeof(s1), typeof(blob1), "
        "typeof(blob2), typeof(i), typeof(d) FROM t");
    ASSERT_TRUE(row.Step());
    EXPECT_EQ(row.Int64(0), big);
    EXPECT_EQ(row.Int64(1), 1);
    EXPECT_DOUBLE_EQ(row.Double(2), 2.5);
    EXPECT_EQ(row.Text(3), "view");
    EXPECT_EQ(row.Text(4), "std::string");
    EXPECT_EQ(row.Text(5), "literal");
    EXPECT_EQ(row.Blob(6), raw);
    const auto blob2 = row.Blob(7);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(blob2.data()), blob2.size()), with_nul);
    EXPECT_TRUE(row.IsNull(8));
    EXPECT_TRUE(row.IsNull(9));
    EXPECT_EQ(row.Text(10), "present");
    EXPECT_EQ(row.Text(11), "text");
    EXPECT_EQ(row.Text(12), "blob");
    EXPECT_EQ(row.Text(13), "blob");
    EXPECT_EQ(row.Text(14), "integer");
    EXPECT_EQ(row.Text(15), "real");
    EXPECT_FALSE(row.IsNull(0));
    EXPECT_FALSE(row.Step());
}

TEST(Statement, TextWithEmbeddedNulBytesRoundTrips) {
    auto db = OpenMemory();
    const std::string value("x\0y\0z", 5);
    auto& select = db->Prepare("SELECT ?1, length(CAST(?1 AS BLOB))");
    select.Bind(1, value);
    ASSERT_TRUE(select.Step());
    EXPECT_EQ(select.Text(0), value);
    EXPECT_EQ(select.Int64(1), 5);
}

TEST(Statement, EmptyBlobStaysABlobNotNull) {
    auto db = OpenMemory();
    auto& select = db->Prepare("SELECT typeof(?1), length(?1)");
    select.Bind(1, std::vector<std::byte>());
    ASSERT_TRUE(select.Step());
    EXPECT_EQ(select.Text(0), "blob");
    EXPECT_EQ(select.Int64(1), 0);
}

TEST(Statement, NamedParametersBindByName) {
    auto db = OpenMemory();
    auto& select = db->Prepare("SELECT :a || '-' || @b, $c + 1");
    select.Bind(":a", "left").Bind("@b", std::string("right")).Bind("$c", 41);
    ASSERT_TRUE(select.Step());
    EXPECT_EQ(select.Text(0), "left-right");
    EXPECT_EQ(select.Int64(1), 42);
    EXPECT_EQ(select.ColumnCount(), 2);
}

TEST(Statement, UnknownParameterNameThrows) {
    auto db = OpenMemory();
    auto& select = db->Prepare("SELECT :a");
    EXPECT_THROW(select.Bind(":missing", 1), StoreError);
    EXPECT_THROW(select.Bind(2, 1), StoreError);  // index out of range (SQLITE_RANGE)
}

TEST(Statement, UnsignedAboveInt64MaxIsRejected) {
    auto db = OpenMemory();
    auto& select = db->Prepare("SELECT ?1");
    EXPECT_THROW(select.Bind(1, std::uint64_t{1} << 63), std::out_of_range);
    EXPECT_NO_THROW(select.Bind(1, (std::uint64_t{1} << 63) - 1));
}

TEST(Statement, ExecuteReturnsTheNumberOfChangedRows) {
    auto db = OpenMemory();
    db->Exec("CREATE TABLE t(v); INSERT INTO t VALUES(1),(2),(3)");
    EXPECT_EQ(db->Prepare("UPDATE t SET v = v + 10 WHERE v >= ?1").BindAll(2).Execute(), 2);
    EXPECT_EQ(db->Prepare("DELETE FROM t WHERE v = ?1").BindAll(99).Execute(), 0);
    db->Prepare("INSERT INTO t VALUES(5)").Execute();
    EXPECT_EQ(db->LastInsertRowId(), 4);
}

TEST(Statement, ColumnOutOfRangeThrows) {
    auto db = OpenMemory();
    auto& select = db->Prepare("SELECT 1");
    ASSERT_TRUE(select.Step());
    EXPECT_THROW(select.Int64(1), std::out_of_range);
    EXPECT_EQ(select.ColumnName(0), "1");
}

TEST(Statement, TryExecuteReturnsConstraintViolationsAsErrors) {
    auto db = OpenMemory();
    db->Exec(
        "CREATE TABLE parent(id INTEGER PRIMARY KEY);"
        "CREATE TABLE child(id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent(id), "
        "  amount INTEGER CHECK (amount >= 0), name TEXT UNIQUE);"
        "INSERT INTO parent VALUES(1); INSERT INTO child VALUES(1, 1, 0, 'a')");
    auto insert = [&](int id, int parent, int amount, const char* name) {
        return db->Prepare("INSERT INTO child VALUES(?1, ?2, ?3, ?4)").BindAll(id, parent, amount, name).TryExecute();
    };
    auto duplicate = insert(2, 1, 0, "a");
    ASSERT_FALSE(duplicate.ok());
    EXPECT_EQ(duplicate.error().kind, core::ErrorKind::kAlreadyExists);
    EXPECT_NE(duplicate.error().message.find("UNIQUE"), std::string::npos);
    auto same_key = insert(1, 1, 0, "b");
    ASSERT_FALSE(same_key.ok());
    EXPECT_EQ(same_key.error().kind, core::ErrorKind::kAlreadyExists);
    auto orphan = insert(3, 99, 0, "c");
    ASSERT_FALSE(orphan.ok());
    EXPECT_EQ(orphan.error().kind, core::ErrorKind::kFailedPrecondition);
    auto negative = insert(4, 1, -5, "d");
    ASSERT_FALSE(negative.ok());
    EXPECT_EQ(negative.error().kind, core::ErrorKind::kConflict);
    auto fine = insert(5, 1, 5, "e");
    ASSERT_TRUE(fine.ok());
    EXPECT_EQ(*fine, 1);
    EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM child"), 2);
}

TEST(StoreError, CarriesTheSqliteMessageAndTheSql) {
    auto db = OpenMemory();
    db->Exec("CREATE TABLE t(k TEXT PRIMARY KEY)");
    const std::string sql = "INSERT INTO t(k) VALUES(?1)";
    db->Prepare(sql).BindAll("dup").Execute();
    try {
        db->Prepare(sql).BindAll("dup").Execute();
        FAIL() << "expected StoreError";
    } catch (const StoreError& error) {
        EXPECT_EQ(error.Code(), SQLITE_CONSTRAINT_PRIMARYKEY);
        EXPECT_TRUE(error.IsConstraintViolation());
        EXPECT_EQ(error.SqliteMessage(), "UNIQUE constraint failed: t.k");
        EXPECT_EQ(error.Sql(), sql);
        EXPECT_NE(std::string(error.what()).find("UNIQUE constraint failed: t.k"), std::string::npos);
        EXPECT_NE(std::string(error.what()).find(sql), std::string::npos);
    }
}

TEST(StoreError, ExecReportsSyntaxErrorsWithTheSql) {
    auto db = OpenMemory();
    try {
        db->Exec("CREATE TABLE ok(v); CRATE TABLE broken(v)");
        FAIL() << "expected StoreError";
    } catch (const StoreError& error) {
        EXPECT_EQ(error.PrimaryCode(), SQLITE_ERROR);
        EXPECT_NE(error.SqliteMessage().find("syntax error"), std::string::npos) << error.SqliteMessage();
        EXPECT_EQ(error.Sql(), "CREATE TABLE ok(v); CRATE TABLE broken(v)");
        EXPECT_FALSE(error.IsConstraintViolation());
    }
    EXPECT_THROW(db->Prepare("SELECT nope FROM nowhere"), StoreError);
}

}  // namespace
}  // namespace sim::store
