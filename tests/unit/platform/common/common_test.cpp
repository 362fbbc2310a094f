#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <vector>

#include "sim/clock/virtual_clock.hpp"
#include "sim/core/manual_loop.hpp"
#include "sim/core/time.hpp"
#include "sim/platform/common/audit_log.hpp"
#include "sim/platform/common/card_vault.hpp"
#include "sim/platform/common/crypto.hpp"
#include "sim/platform/common/service_db.hpp"
#include "sim/platform/common/types.hpp"
#include "sim/store/store_error.hpp"

namespace sim::platform {
namespace {

TEST(PlatformCrypto, HmacSha256MatchesRfc4231TestCase2) {
    EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(PlatformCrypto, CallbackSignatureVerifiesOnlyTheSameBodyAndSecret) {
    std::string sig = CallbackSignature("s3cret", R"({"a":1})");
    EXPECT_TRUE(sig.starts_with("sha256="));
    EXPECT_TRUE(VerifyCallbackSignature("s3cret", R"({"a":1})", sig));
    EXPECT_FALSE(VerifyCallbackSignature("s3cret", R"({"a":2})", sig));
    EXPECT_FALSE(VerifyCallbackSignature("other", R"({"a":1})", sig));
    EXPECT_FALSE(VerifyCallbackSignature("s3cret", R"({"a":1})", sig.substr(7)));
    EXPECT_FALSE(VerifyCallbackSignature("s3cret", R"({"a":1})", ""));
}

TEST(PlatformCrypto, PasswordHashIsSaltedAndVerifies) {
    std::string a = HashPassword("correct horse battery", 1000);
    std::string b = HashPassword("correct horse battery", 1000);
    EXPECT_NE(a, b);  // per-password salt
    EXPECT_TRUE(a.starts_with("pbkdf2-sha256$1000$"));
    EXPECT_TRUE(VerifyPassword("correct horse battery", a));
    EXPECT_TRUE(VerifyPassword("correct horse battery", b));
    EXPECT_FALSE(VerifyPassword("correct horse batterz", a));
    EXPECT_FALSE(VerifyPassword("correct horse battery", "pbkdf2-sha256$x$y$z"));
    EXPECT_FALSE(VerifyPassword("correct horse battery", ""));
}

TEST(PlatformCrypto, BearerTokensAreRepeatableBySeedAndStoredHashed) {
    core::IdGenerator a(5), b(5), c(6);
    std::string t = NewBearerToken(a, "cst_");
    EXPECT_EQ(t, NewBearerToken(b, "cst_"));
    EXPECT_NE(t, NewBearerToken(c, "cst_"));
    EXPECT_EQ(t.size(), 4u + 43u);
    EXPECT_EQ(HashToken(t).size(), 64u);
    EXPECT_EQ(HashToken(t).find(t), std::string::npos);
}

TEST(PlatformCrypto, Base64UrlAndHexRoundTrip) {
    for (std::string s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff\x10", 3)}) {
        EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(s)).value(), s);
        EXPECT_EQ(HexDecode(HexEncode(s)).value(), s);
    }
    EXPECT_EQ(Base64UrlEncode("foobar"), "Zm9vYmFy");
    EXPECT_FALSE(Base64UrlDecode("a").has_value());
    EXPECT_FALSE(HexDecode("0g").has_value());
}

TEST(PlatformCrypto, AesGcmRoundTripsAndDetectsTampering) {
    std::string key(32, '\x42');
    std::string sealed = AesGcmSeal(key, "4111111111111111", "tok-1");
    EXPECT_EQ(sealed.size(), 12u + 16u + 16u);
    EXPECT_EQ(sealed.find("4111111111111111"), std::string::npos);
    EXPECT_EQ(AesGcmOpen(key, sealed, "tok-1").value(), "4111111111111111");
    EXPECT_NE(AesGcmSeal(key, "4111111111111111", "tok-1"), sealed);  // random IV
    EXPECT_FALSE(AesGcmOpen(key, sealed, "tok-2"));                    // other row
    std::string flipped = sealed;
    flipped[14] ^= 1;
    EXPECT_FALSE(AesGcmOpen(key, flipped, "tok-1"));
    EXPECT_FALSE(AesGcmOpen(std::string(32, '\x43'), sealed, "tok-1"));
}

TEST(CardVault, SealsOpensMasksAndRotates) {
    auto vault = CardVault::Create(CardVault::kDevelopmentKeyHex).value();
    SealedPan s = vault.Seal("4111110000000013", "pt-1");
    EXPECT_EQ(s.bin, "411111");
    EXPECT_EQ(s.last4, "0013");
    EXPECT_EQ(s.key_id, vault.ActiveKeyId());
    EXPECT_TRUE(s.key_id.starts_with("k-"));
    EXPECT_EQ(s.pan_hmac, vault.LookupHmac("4111110000000013"));
    EXPECT_NE(s.pan_hmac, Sha256Hex("4111110000000013"));  // keyed, not a plain hash
    EXPECT_EQ(vault.Open(s.ciphertext, s.key_id, "pt-1").value(), "4111110000000013");
    EXPECT_EQ(CardVault::Masked("4111110000000013"), "411111******0013");

    // A new key: old rows still open with the retired key kept.
    std::string new_key(64, 'a');
    auto rotated = CardVault::Create(new_key).value();
    EXPECT_NE(rotated.ActiveKeyId(), vault.ActiveKeyId());
    EXPECT_EQ(rotated.Open(s.ciphertext, s.key_id, "pt-1").error().kind, core::ErrorKind::kNotFound);
    ASSERT_TRUE(rotated.AddRetiredKey(CardVault::kDevelopmentKeyHex));
    EXPECT_EQ(rotated.Open(s.ciphertext, s.key_id, "pt-1").value(), "4111110000000013");

    EXPECT_FALSE(CardVault::Create("abcd"));
    EXPECT_THROW(vault.Seal("4111-1111", "pt"), std::invalid_argument);
}

struct DbWorld {
    core::ManualLoop loop;
    clock::VirtualClock clock{loop, core::ParseIso8601("2027-01-01T00:00:00Z").value()};
    store::GroupCommit group{loop};
};

TEST(AuditLog, AppendsQueriesAndRefusesUpdatesAndDeletes) {
    DbWorld w;
    ServiceDb db("audit", "", w.group, AuditLog::Migrations());
    AuditLog audit(db, w.clock);
    audit.Record({0, "officer1", "admin.decision", "", "success", "127.0.0.1:5000", "application/A-1", "approved", "t1"});
    w.clock.Advance(std::chrono::minutes(5));
    audit.Record({0, "operator1", "admin.suspend", "", "failure", "", "card/C-1", "", "t2"});
    w.group.Flush();
    EXPECT_EQ(audit.Count(), 2);
    auto all = audit.Query(std::nullopt, "", 0, 100);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].at, "2027-01-01T00:00:00Z");
    EXPECT_EQ(all[1].origin, "in-process");
    EXPECT_EQ(audit.Query(std::nullopt, "operator1", 0, 100).size(), 1u);
    EXPECT_EQ(audit.Query(core::ParseIso8601("2027-01-01T00:01:00Z").value(), "", 0, 100).size(), 1u);
    EXPECT_THROW(db.db().Exec("UPDATE audit_log SET outcome = 'success'"), store::StoreError);
    EXPECT_THROW(db.db().Exec("DELETE FROM audit_log"), store::StoreError);
    EXPECT_EQ(audit.Count(), 2);
    // Only a reset wipes it, and the guards are back afterwards.
    db.Wipe();
    w.group.Flush();
    EXPECT_EQ(audit.Count(), 0);
    audit.Record({0, "x", "y", "", "success", "", "r", "", ""});
    w.group.Flush();
    EXPECT_THROW(db.db().Exec("DELETE FROM audit_log"), store::StoreError);
}

TEST(ServiceDb, FileDatabaseCountsBootsAndKeepsData) {
    DbWorld w;
    auto dir = std::filesystem::temp_directory_path() / ("cardsim-platform-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    const store::Migration m[] = {{1, "CREATE TABLE t (x INTEGER)"}};
    {
        ServiceDb db("demo", dir.string(), w.group, m);
        EXPECT_EQ(db.Boots(), 1u);
        auto scope = db.Write();
        db.db().Exec("INSERT INTO t VALUES (7)");
        scope.Commit();
        w.group.Flush();
    }
    EXPECT_TRUE(std::filesystem::exists(dir / "platform-demo.db"));
    {
        ServiceDb db("demo", dir.string(), w.group, m);
        EXPECT_EQ(db.Boots(), 2u);
        auto& st = db.db().Prepare("SELECT x FROM t");
        ASSERT_TRUE(st.Step());
        EXPECT_EQ(st.Int64(0), 7);
        st.Reset();
    }
    std::filesystem::remove_all(dir);
}

TEST(InvariantRegistry, ReportsViolationsAndCheckersThatThrow) {
    InvariantRegistry reg;
    reg.Add("ok", [](InvariantReport& r) { r.checked["cards"] += 3; });
    reg.Add("bad", [](InvariantReport& r) { r.violations.push_back({"credit_limit", "C-1", "100 != 90 + 5"}); });
    reg.Add("boom", [](InvariantReport&) { throw std::runtime_error("db gone"); });
    Json j = reg.Run().ToJson();
    EXPECT_FALSE(j["ok"].get<bool>());
    EXPECT_EQ(j["checked"]["cards"], 3);
    ASSERT_EQ(j["violations"].size(), 2u);
    EXPECT_EQ(j["violations"][0]["card_id"], "C-1");
    EXPECT_EQ(j["violations"][1]["invariant"], "checker_failed");
}

}  // namespace
}  // namespace sim::platform
