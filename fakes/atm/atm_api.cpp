#include "fakes/atm/atm_api.hpp"

#include "fakes/common/support.hpp"
#include "sim/core/trace.hpp"

namespace sim::fakes::atm {

using common::JsonReader;
using common::ToResponse;
using core::Request;
using core::Response;

namespace {

constexpr const char* kSystem = "atm";

nlohmann::json ToJson(const Repayment& r) {
    nlohmann::json j = {{"atm_txn_id", r.id},
                        {"member_ref", r.member_ref},
                        {"amount", r.amount},
                        {"store_code", r.store_code},
                        {"received_at", common::FormatJst(r.received_at)},
                        {"status", r.status},
                        {"attempts", r.attempts}};
    if (r.acknowledged_at) j["acknowledged_at"] = common::FormatJst(*r.acknowledged_at);
    return j;
}

}  // namespace

AtmApi::AtmApi(common::FakeEnv& env, AtmOptions options) : env_(env) {
    model_ = std::make_unique<AtmNetwork>(
        env.clock(), std::move(options), [this](const Repayment& r, const NotifyPlan& p) { Notify(r, p); },
        [this](const ReconFile& f) {
            env_.PutBatchObject(kSystem, "recon_file", f.key, f.body, "text/csv; charset=utf-8");
        });
}

void AtmApi::Notify(const Repayment& r, const NotifyPlan& plan) {
    nlohmann::json body = {{"atm_txn_id", r.id},
                           {"member_ref", r.member_ref},
                           {"amount", r.amount},
                           {"store_code", r.store_code},
                           {"received_at", common::FormatJst(r.received_at)}};
    common::RetryPolicy policy;
    policy.max_attempts = 0;  // until acknowledged
    policy.initial_backoff = std::chrono::seconds(1);
    policy.max_backoff = std::chrono::hours(1);
    policy.retry_client_errors = true;
    policy.ignore_first_answers = plan.late_answers;
    std::string id = r.id;
    // Every copy and every retry continues the cash-in's trace.
    for (int copy = 0; copy < plan.copies; ++copy) {
        env_.Callback(kSystem, "callback_repayment", "/ext/v1/atm/repayments", body, id, policy,
                      copy == 0 ? std::function<void(const Response&, int, bool)>(
                                      [this, id](const Response&, int attempts, bool ok) {
                                          model_->MarkNotified(id, attempts, ok);
                                      })
                                : nullptr,
                      r.trace_id);
    }
}

void AtmApi::Install(core::Router& router) {
    AtmNetwork& m = *model_;
    env_.Route(router, "POST", "/atm/simulate/repayments", kSystem, "simulate_repayment", [&m](const Request& r) {
        JsonReader in(r);
        RepaymentInput input;
        input.trace_id = core::TraceIdOf(r);
        input.token = in.String("repay_token", true, 4096);
        input.store_code = in.String("store_code", true, 32);
        input.amount = in.OptInt("amount", 1, 10'000'000);
        nlohmann::json notes = in.Array("notes");
        if (in.failed()) return in.problem();
        for (std::size_t i = 0; i < notes.size(); ++i) {
            if (!notes[i].is_number_integer())
                return common::FieldProblem(400, "notes[" + std::to_string(i) + "]", "must be an integer (yen)");
            input.notes.push_back(notes[i].get<Yen>());
        }
        auto rep = m.Repay(input);
        return rep ? Response::Json(201, ToJson(*rep)) : ToResponse(rep.error());
    });
    env_.Route(router, "GET", "/atm/v1/repayments/{id}", kSystem, "get_repayment", [&m](const Request& r) {
        auto rep = m.Get(r.path_params.at("id"));
        return rep ? Response::Json(200, ToJson(*rep)) : ToResponse(rep.error());
    });
    env_.Route(router, "POST", "/atm/simulate/tokens", kSystem, "simulate_token", [this, &m](const Request& r) {
        JsonReader in(r);
        TokenPayload p;
        p.member_id = in.String("member_id", true, 64);
        p.amount = in.OptInt("amount", 1000, 10'000'000);
        auto ttl = in.OptInt("ttl_seconds", 1, 300);
        p.nonce = in.String("nonce", false, 64);
        if (in.failed()) return in.problem();
        if (p.nonce.empty()) p.nonce = "N" + common::ZeroPad(common::StableHash(r.body + core::FormatIso8601(env_.clock().Now())) % 1'000'000'000'000ull, 12);
        p.exp = core::ToEpochMillis(env_.clock().Now()) / 1000 + ttl.value_or(300);
        return Response::Json(201, {{"repay_token", SignToken(p, m.options().hmac_secret)},
                                    {"nonce", p.nonce},
                                    {"exp", p.exp},
                                    {"company_number", m.options().company_number}});
    });
    env_.Route(router, "POST", "/atm/simulate/recon-files", kSystem, "simulate_recon_file", [this, &m](const Request& r) {
        JsonReader in(r);
        std::string date = in.Date("date");
        if (in.failed()) return in.problem();
        std::chrono::year_month_day ymd{std::chrono::year{std::stoi(date.substr(0, 4))},
                                        std::chrono::month{static_cast<unsigned>(std::stoi(date.substr(5, 2)))},
                                        std::chrono::day{static_cast<unsigned>(std::stoi(date.substr(8, 2)))}};
        ReconFile f = m.BuildReconFile(ymd, env_.clock().Now());
        env_.PutBatchObject(kSystem, "recon_file", f.key, f.body, "text/csv; charset=utf-8");
        return Response::Json(202, {{"bucket", env_.options().batch_bucket}, {"key", f.key}, {"records", f.records}});
    });
}

}  // namespace sim::fakes::atm
