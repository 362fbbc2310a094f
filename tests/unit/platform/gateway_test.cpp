#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "sim/clock/virtual_clock.hpp"
#include "sim/core/manual_loop.hpp"
#include "sim/core/router.hpp"
#include "sim/core/time.hpp"
#include "sim/platform/common/audit_log.hpp"
#include "sim/platform/common/service_db.hpp"
#include "sim/platform/gateway.hpp"

namespace sim::platform {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

/// A gateway with two admin tokens in front of one officer route, on a virtual clock.
struct AdminWorld {
    core::ManualLoop loop;
    clock::VirtualClock clock{loop, core::ParseIso8601("2027-01-01T00:00:00Z").value()};
    store::GroupCommit group{loop};
    ServiceDb db{"audit", "", group, AuditLog::Migrations()};
    AuditLog audit{db, clock};
    Gateway gateway{clock, audit, Options()};
    core::Router router;

    static GatewayOptions Options() {
        GatewayOptions o;
        o.admin_tokens = {{"officer-token", {"officer1", "credit_officer"}}, {"auditor-token", {"auditor1", "auditor"}}};
        return o;
    }

    AdminWorld() {
        gateway.AdminSessions(router);
        gateway.Admin(router, "GET", "/admin/v1/review-list", {"credit_officer"},
                      core::FromSync([](const core::Request& r) {
                          return core::Response::Json(200, Json{{"actor", r.headers.Get(kActorHeader).value_or("")}});
                      }));
    }

    core::Response Call(const std::string& method, const std::string& target, const std::string& token) {
        core::Request r;
        r.method = method;
        r.target = target;
        if (!token.empty()) r.headers.Set("Authorization", "Bearer " + token);
        std::optional<core::Response> out;
        router.Handle(std::move(r), [&out](core::Response response) { out = std::move(response); });
        loop.RunReady();
        EXPECT_TRUE(out.has_value());
        return out.value_or(core::Response{});
    }
    core::Response ReviewList(const std::string& token) { return Call("GET", "/admin/v1/review-list", token); }
    core::Response SignIn(const std::string& token) { return Call("POST", "/admin/v1/sessions", token); }
};

TEST(GatewayAdminIdleExpiry, CallsWithinFifteenMinutesOfTheLastOneKeepTheSessionAlive) {
    AdminWorld w;
    EXPECT_EQ(w.ReviewList("officer-token").status, 200);  // the first call starts the session
    for (int i = 0; i < 8; ++i) {  // two hours, a call every 15 minutes exactly
        w.clock.Advance(minutes(15));
        EXPECT_EQ(w.ReviewList("officer-token").status, 200) << i;
    }
}

TEST(GatewayAdminIdleExpiry, IdleForMoreThanFifteenMinutesIsRefusedUntilSignedInAgain) {
    AdminWorld w;
    ASSERT_EQ(w.ReviewList("officer-token").status, 200);
    w.clock.Advance(minutes(15) + seconds(1));
    core::Response idle = w.ReviewList("officer-token");
    EXPECT_EQ(idle.status, 401);
    EXPECT_EQ(idle.headers.Get("WWW-Authenticate").value_or(""), "Bearer realm=\"cardsim\"");
    Json problem = Json::parse(idle.body);
    EXPECT_EQ(problem["field"], "Authorization");
    EXPECT_NE(problem["reason"].get<std::string>().find("idle for more than 15 minutes"), std::string::npos);
    EXPECT_NE(problem["reason"].get<std::string>().find("POST /admin/v1/sessions"), std::string::npos);
    // A refused call does not revive the session.
    EXPECT_EQ(w.ReviewList("officer-token").status, 401);

    core::Response signed_in = w.SignIn("officer-token");
    ASSERT_EQ(signed_in.status, 201);
    Json session = Json::parse(signed_in.body);
    EXPECT_EQ(session["actor"], "officer1");
    EXPECT_EQ(session["role"], "credit_officer");
    EXPECT_EQ(session["idle_timeout_seconds"], 900);
    EXPECT_EQ(session["idle_expires_at"], "2027-01-01T00:30:01Z");
    EXPECT_EQ(w.ReviewList("officer-token").status, 200);
}

TEST(GatewayAdminIdleExpiry, EachTokenHasItsOwnSession) {
    AdminWorld w;
    ASSERT_EQ(w.ReviewList("officer-token").status, 200);
    w.clock.Advance(minutes(10));
    EXPECT_EQ(w.ReviewList("auditor-token").status, 403);  // authenticated (its session starts), not allowed
    w.clock.Advance(minutes(10));
    EXPECT_EQ(w.ReviewList("officer-token").status, 401);  // 20 minutes since its last call
    // 10 minutes since the auditor's last call: still alive (403 is past the idle check; sign-in
    // would succeed either way, so it cannot show this).
    EXPECT_EQ(w.ReviewList("auditor-token").status, 403);
    EXPECT_EQ(w.SignIn("auditor-token").status, 201);
}

TEST(GatewayAdminIdleExpiry, SignInNeedsAConfiguredTokenAndEverythingIsAudited) {
    AdminWorld w;
    EXPECT_EQ(w.SignIn("").status, 401);
    EXPECT_EQ(w.SignIn("forged-token").status, 401);
    ASSERT_EQ(w.SignIn("officer-token").status, 201);
    w.clock.Advance(minutes(16));
    EXPECT_EQ(w.ReviewList("officer-token").status, 401);
    w.group.Flush();
    auto entries = w.audit.Query(std::nullopt, "", 0, 100);
    ASSERT_EQ(entries.size(), 4u);
    EXPECT_EQ(entries[0].actor, "anonymous");
    EXPECT_EQ(entries[0].outcome, "failure");
    EXPECT_EQ(entries[2].actor, "officer1");
    EXPECT_EQ(entries[2].event_type, "admin.POST /admin/v1/sessions");
    EXPECT_EQ(entries[2].outcome, "success");
    EXPECT_EQ(entries[3].event_type, "admin.GET /admin/v1/review-list");
    EXPECT_EQ(entries[3].outcome, "failure");
    EXPECT_EQ(entries[3].reason, "session idle too long");
}

}  // namespace
}  // namespace sim::platform
