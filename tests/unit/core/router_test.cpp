#include "sim/core/router.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace sim::core {
namespace {

Request Make(std::string method, std::string target) {
    Request r;
    r.method = std::move(method);
    r.target = std::move(target);
    return r;
}

Response Call(const Router& router, Request r) {
    Response out;
    out.status = -1;
    router.Handle(std::move(r), [&](Response resp) { out = std::move(resp); });
    return out;
}

Handler Echo(std::string name) {
    return FromSync([name](const Request& r) {
        nlohmann::json j{{"handler", name}, {"route", r.route}};
        for (const auto& [k, v] : r.path_params) j["params"][k] = v;
        return Response::Json(200, j);
    });
}

nlohmann::json Body(const Response& r) { return nlohmann::json::parse(r.body); }

TEST(Router, MatchesLiteralAndParameterSegments) {
    Router router;
    router.Add("GET", "/app/v1/members/{id}", Echo("member"));
    router.Add("GET", "/app/v1/members/{id}/cards/{card}", Echo("card"));
    auto r = Call(router, Make("GET", "/app/v1/members/m%2D1/cards/c9?x=1"));
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(Body(r)["handler"], "card");
    EXPECT_EQ(Body(r)["params"]["id"], "m-1");
    EXPECT_EQ(Body(r)["params"]["card"], "c9");
    EXPECT_EQ(Body(r)["route"], "/app/v1/members/{id}/cards/{card}");
}

TEST(Router, RestParameterTakesTheRemainingPath) {
    Router router;
    router.Add("*", "/payment/{rest...}", Echo("payment"));
    auto r = Call(router, Make("POST", "/payment/v1/authorizations/a1"));
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(Body(r)["params"]["rest"], "v1/authorizations/a1");
    auto empty = Call(router, Make("GET", "/payment/"));
    EXPECT_EQ(Body(empty)["params"]["rest"], "");
}

TEST(Router, FirstMatchingRouteWinsInInsertionOrder) {
    Router router;
    router.Add("GET", "/_sim/health", Echo("health"));
    router.Add("*", "/{rest...}", Echo("catch-all"));
    EXPECT_EQ(Body(Call(router, Make("GET", "/_sim/health")))["handler"], "health");
    EXPECT_EQ(Body(Call(router, Make("GET", "/bucket/key")))["handler"], "catch-all");
}

TEST(Router, HeaderPredicateSelectsTheRoute) {
    Router router;
    router.AddWhen("POST", "/", HeaderPrefix("X-Amz-Target", "AmazonSQS."), Echo("sqs"));
    router.AddWhen("POST", "/", HeaderPrefix("X-Amz-Target", "AWSStepFunctions."), Echo("sfn"));
    router.Add("*", "/{rest...}", Echo("s3"));
    Request sqs = Make("POST", "/");
    sqs.headers.Set("x-amz-target", "AmazonSQS.SendMessage");
    Request sfn = Make("POST", "/");
    sfn.headers.Set("X-Amz-Target", "AWSStepFunctions.StartExecution");
    EXPECT_EQ(Body(Call(router, sqs))["handler"], "sqs");
    EXPECT_EQ(Body(Call(router, sfn))["handler"], "sfn");
    EXPECT_EQ(Body(Call(router, Make("POST", "/")))["handler"], "s3");
}

TEST(Router, UnknownPathIs404ProblemNamingThePath) {
    Router router;
    router.Add("GET", "/a", Echo("a"));
    auto r = Call(router, Make("GET", "/nowhere/x?y=1"));
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(*r.headers.Get("Content-Type"), "application/problem+json");
    EXPECT_NE(Body(r)["detail"].get<std::string>().find("/nowhere/x"), std::string::npos);
}

TEST(Router, WrongMethodIs405WithAllow) {
    Router router;
    router.Add("GET", "/_sim/clock", Echo("get"));
    router.Add("POST", "/_sim/clock", Echo("post"));
    auto r = Call(router, Make("DELETE", "/_sim/clock"));
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(*r.headers.Get("Allow"), "GET, POST");
}

TEST(Router, HeadIsServedByGetRoutes) {
    Router router;
    router.Add("GET", "/_sim/health", Echo("health"));
    EXPECT_EQ(Call(router, Make("HEAD", "/_sim/health")).status, 200);
}

TEST(Router, SegmentCountMustMatchWithoutRest) {
    Router router;
    router.Add("GET", "/a/{b}", Echo("ab"));
    EXPECT_EQ(Call(router, Make("GET", "/a/x/y")).status, 404);
    EXPECT_EQ(Call(router, Make("GET", "/a")).status, 404);
    EXPECT_EQ(Call(router, Make("GET", "/a/")).status, 404);  // empty segment is not a parameter
}

TEST(Router, OptionsForGivesRouteLimitsOrDefaults) {
    Router router(1000);
    RouteOptions big;
    big.max_body_bytes = 5'000'000;
    big.spool_body_to_file = true;
    router.Add("PUT", "/{bucket}/{key...}", Echo("put"), big);
    router.Add("POST", "/small", Echo("small"));
    EXPECT_EQ(*router.OptionsFor(Make("PUT", "/b/k/x")).max_body_bytes, 5'000'000u);
    EXPECT_TRUE(router.OptionsFor(Make("PUT", "/b/k")).spool_body_to_file);
    EXPECT_EQ(*router.OptionsFor(Make("POST", "/small")).max_body_bytes, 1000u);
    EXPECT_EQ(*router.OptionsFor(Make("GET", "/unknown")).max_body_bytes, 1000u);
}

TEST(Router, RejectsMalformedPatterns) {
    Router router;
    EXPECT_THROW(router.Add("GET", "no-slash", Echo("x")), std::invalid_argument);
    EXPECT_THROW(router.Add("GET", "/{rest...}/more", Echo("x")), std::invalid_argument);
}

TEST(Request, ParsesPathAndQueryParameters) {
    Request r = Make("GET", "/q?QueueUrl=http%3A%2F%2Fh%2Fq&flag&name=a+b");
    EXPECT_EQ(r.Path(), "/q");
    EXPECT_EQ(r.QueryParam("QueueUrl").value(), "http://h/q");
    EXPECT_EQ(r.QueryParam("flag").value(), "");
    EXPECT_EQ(r.QueryParam("name").value(), "a b");
    EXPECT_FALSE(r.QueryParam("missing").has_value());
}

TEST(Headers, LookupIsCaseInsensitiveAndSetReplaces) {
    Headers h;
    h.Add("Content-Type", "a");
    h.Add("content-type", "b");
    EXPECT_EQ(*h.Get("CONTENT-TYPE"), "a");
    h.Set("Content-Type", "c");
    EXPECT_EQ(h.fields().size(), 1u);
    EXPECT_EQ(*h.Get("content-type"), "c");
}

TEST(PercentEncoding, RoundTripsReservedCharacters) {
    std::string raw = "a b/c?d=é&~";
    EXPECT_EQ(PercentDecode(PercentEncode(raw)), raw);
    EXPECT_EQ(PercentEncode("a/b c", true), "a/b%20c");
    EXPECT_EQ(PercentDecode("100%"), "100%");  // a stray % stays as it is
}

}  // namespace
}  // namespace sim::core

namespace sim::core {
namespace {

TEST(Router, MiddlewareSeesEveryRequestAndCanWrapTheReply) {
    Router router;
    router.Add("GET", "/a", FromSync([](const Request& r) {
                   return Response::Text(200, std::string(*r.headers.Get("X-Seen")));
               }));
    std::vector<std::string> log;
    router.Use([&](Request& r, Respond& respond) {
        r.headers.Set("X-Seen", "yes");
        respond = [&log, inner = std::move(respond)](Response resp) {
            log.push_back(std::to_string(resp.status));
            resp.headers.Set("X-Wrapped", "1");
            inner(std::move(resp));
        };
    });
    Response ok;
    router.Handle(Make("GET", "/a"), [&](Response r) { ok = std::move(r); });
    Response missing;
    router.Handle(Make("GET", "/b"), [&](Response r) { missing = std::move(r); });
    EXPECT_EQ(ok.body, "yes");
    EXPECT_EQ(*ok.headers.Get("X-Wrapped"), "1");
    EXPECT_EQ(*missing.headers.Get("X-Wrapped"), "1");
    EXPECT_EQ(log, (std::vector<std::string>{"200", "404"}));
}

TEST(Router, GuardAnswersBeforeDispatchThroughTheWrappedReply) {
    Router router;
    int handled = 0;
    router.Add("GET", "/a", FromSync([&](const Request&) {
                   ++handled;
                   return Response::Text(200, "ok");
               }));
    router.Use([](Request& r, Respond& respond) {
        r.headers.Set("X-Seen", "yes");
        respond = [inner = std::move(respond)](Response resp) {
            resp.headers.Set("X-Wrapped", "1");
            inner(std::move(resp));
        };
    });
    std::vector<std::string> seen;
    router.UseGuard([&](Request& r) -> std::optional<Response> {
        seen.push_back(std::string(r.headers.Get("X-Seen").value_or("")));  // after the middlewares
        if (r.headers.Has("X-Deny")) return Response::Text(403, "no");
        return std::nullopt;
    });
    router.UseGuard([&](Request&) -> std::optional<Response> {
        seen.push_back("second");
        return std::nullopt;
    });
    Request denied = Make("GET", "/a");
    denied.headers.Set("X-Deny", "1");
    Response d = Call(router, std::move(denied));
    EXPECT_EQ(d.status, 403);
    EXPECT_EQ(*d.headers.Get("X-Wrapped"), "1");
    EXPECT_EQ(handled, 0);
    Response ok = Call(router, Make("GET", "/a"));
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(handled, 1);
    EXPECT_EQ(seen, (std::vector<std::string>{"yes", "yes", "second"}));
}

}  // namespace
}  // namespace sim::core
