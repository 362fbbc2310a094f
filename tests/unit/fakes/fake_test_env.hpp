#pragma once
// A virtual-time world for the fakes' unit tests: manual loop, virtual clock at
// 2027-01-01T00:00:00Z (09:00 JST, a Friday), a transport whose "platform" and "aws" services
// are recorded in-process handlers.

#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fakes/common/fake_env.hpp"
#include "sim/clock/virtual_clock.hpp"
#include "sim/core/manual_loop.hpp"
#include "sim/core/router.hpp"
#include "sim/core/transport.hpp"

namespace sim::fakes::testing {

inline core::TimePoint Start() { return core::ParseIso8601("2027-01-01T00:00:00Z").value(); }

struct World {
    core::ManualLoop loop;
    clock::VirtualClock clock{loop, Start()};
    core::Transport transport{loop, nullptr};
    std::vector<core::Request> platform_calls, aws_calls;
    /// Answers of the platform, by call index (default 200).
    std::function<int(const core::Request&, std::size_t index)> platform_status;
    common::FakeEnv env;

    explicit World(common::FakeOptions options = {}) : env(clock, transport, options) {
        transport.RegisterInProcess("platform", [this](core::Request r, core::Respond d) {
            std::size_t i = platform_calls.size();
            platform_calls.push_back(r);
            d(core::Response::Json(platform_status ? platform_status(r, i) : 200, nlohmann::json::object()));
        });
        transport.RegisterInProcess("aws", [this](core::Request r, core::Respond d) {
            aws_calls.push_back(r);
            d(core::Response::Text(200, ""));
        });
    }
    void Advance(core::Duration d) { clock.Advance(d); }
    void Settle() { clock.RunToQuiescence(); }
    /// Calls a handler synchronously through the loop (answers in-process requests).
    core::Response Call(const core::Router& router, std::string method, std::string target, std::string body = "",
                        std::vector<std::pair<std::string, std::string>> headers = {}) {
        core::Request r;
        r.method = std::move(method);
        r.target = std::move(target);
        r.body = std::move(body);
        for (auto& [k, v] : headers) r.headers.Set(k, v);
        core::Response out;
        bool done = false;
        router.Handle(std::move(r), [&](core::Response resp) {
            out = std::move(resp);
            done = true;
        });
        clock.RunToQuiescence();
        EXPECT_TRUE(done) << "no answer";
        return out;
    }
    const core::Request* AwsObject(const std::string& key_suffix) const {
        for (const auto& r : aws_calls)
            if (r.target.size() >= key_suffix.size() &&
                r.target.compare(r.target.size() - key_suffix.size(), key_suffix.size(), key_suffix) == 0)
                return &r;
        return nullptr;
    }
};

/// A World with one fake's API (default options) installed on `router`:
/// `ApiWorld<EkycApi> w; w.Call("POST", "/ekyc/v1/verifications", body); w.api.model()`.
template <class Api>
struct ApiWorld : World {
    Api api{env, {}};
    core::Router router;
    ApiWorld() { api.Install(router); }
    using World::Call;
    /// Calls the installed API (World::Call on `router`).
    core::Response Call(std::string method, std::string target, std::string body = "",
                        std::vector<std::pair<std::string, std::string>> headers = {}) {
        return World::Call(router, std::move(method), std::move(target), std::move(body), std::move(headers));
    }
};

inline nlohmann::json Body(const core::Response& r) { return nlohmann::json::parse(r.body); }
inline nlohmann::json Body(const core::Request& r) { return nlohmann::json::parse(r.body); }

}  // namespace sim::fakes::testing
