#include "fakes/screening/screening_api.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sim::fakes::screening {

using common::JsonReader;
using common::ToResponse;
using core::Request;
using core::Response;

namespace {

constexpr const char* kSystem = "screening";

WatchList LoadList(const std::string& file) {
    if (file.empty()) return DefaultWatchList();
    std::ifstream in(file);
    if (!in) throw std::runtime_error("--screening-list: cannot read " + file);
    std::stringstream ss;
    ss << in.rdbuf();
    auto j = nlohmann::json::parse(ss.str(), nullptr, false);
    if (j.is_discarded()) throw std::runtime_error("--screening-list: " + file + " is not valid JSON");
    auto l = ParseWatchList(j);
    if (!l) throw std::runtime_error("--screening-list: " + file + ": " + l.error().field + ": " + l.error().reason);
    return std::move(l).value();
}

nlohmann::json ToJson(const CheckResult& c) {
    nlohmann::json j = {{"check_id", c.id},
                        {"result", c.result},
                        {"score", c.score},
                        {"list_version", c.list_version},
                        {"checked_at", core::FormatIso8601(c.at)},
                        {"subject",
                         {{"name", c.input.name},
                          {"name_kana", c.input.name_kana},
                          {"name_roman", c.input.name_roman},
                          {"birth_date", c.input.birth_date}}}};
    j["matched_entry"] = c.matched && c.result != "NO_HIT" ? screening::ToJson(*c.matched) : nlohmann::json(nullptr);
    return j;
}

}  // namespace

ScreeningApi::ScreeningApi(common::FakeEnv& env, const std::string& list_file)
    : env_(env), initial_(LoadList(list_file)), model_(env.clock(), initial_) {}

void ScreeningApi::Install(core::Router& router) {
    Screening& m = model_;
    env_.Route(router, "POST", "/screening/v1/checks", kSystem, "check", [&m](const Request& r) {
        JsonReader in(r);
        CheckInput c;
        c.name = in.String("name", false, 200);
        c.name_kana = in.String("name_kana", false, 200);
        c.name_roman = in.String("name_roman", false, 200);
        c.birth_date = in.Date("birth_date", false);
        if (in.failed()) return in.problem();
        auto res = m.Check(c);
        return res ? Response::Json(200, ToJson(*res)) : ToResponse(res.error());
    });
    env_.Route(router, "GET", "/screening/v1/checks/{id}", kSystem, "get_check", [&m](const Request& r) {
        auto res = m.Get(r.path_params.at("id"));
        return res ? Response::Json(200, ToJson(*res)) : ToResponse(res.error());
    });
    env_.Route(router, "GET", "/screening/v1/watchlist", kSystem, "get_watchlist",
               [&m](const Request&) { return Response::Json(200, screening::ToJson(m.list())); });
    env_.Route(router, "PUT", "/screening/v1/watchlist", kSystem, "put_watchlist", [&m](const Request& r) {
        JsonReader in(r);
        if (in.failed()) return in.problem();
        auto l = ParseWatchList(in.json());
        if (!l) return ToResponse(l.error());
        m.Load(std::move(l).value());
        return Response::Json(200, {{"version", m.list().version}, {"entries", m.list().entries.size()}});
    });
}

}  // namespace sim::fakes::screening
