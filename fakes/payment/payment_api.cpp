#include "fakes/payment/payment_api.hpp"

#include "fakes/common/support.hpp"
#include "sim/core/trace.hpp"

namespace sim::fakes::payment {

using common::FieldProblem;
using common::JsonReader;
using common::ToResponse;
using core::Request;
using core::Response;

namespace {
constexpr const char* kSystem = "payment";

/// The card of a simulation request: `card` (the PAN, as a merchant terminal sends it) or, as a
/// sandbox convenience for callers that never see the number (scenarios driving the platform,
/// which keeps the PAN in its vault), `card_account_id` of a card on file. Exactly one of the two;
/// an unknown account is NotFound (404). Field errors are left in `in`.
ModelResult<std::string> ReadCard(JsonReader& in, const PaymentProcessor& m) {
    if (!in.Has("card_account_id")) return in.String("card", true, 19);
    if (in.Has("card")) in.Reject("card_account_id", "give either card or card_account_id, not both");
    std::string id = in.String("card_account_id", true, 32);
    if (in.failed()) return std::string();
    auto account = m.GetAccount(id);
    if (!account) return core::Fail(account.error());
    return account->pan;
}
}  // namespace

nlohmann::json ToJson(const Account& a, bool with_pan) {
    nlohmann::json j = {{"card_account_id", a.id},
                        {"external_ref", a.external_ref},
                        {"card_token", a.card_token},
                        {"network", ToString(a.network)},
                        {"bin", a.pan.substr(0, 6)},
                        {"last4", a.last4()},
                        {"expiry", a.expiry},
                        {"credit_limit", a.credit_limit},
                        {"posted_unpaid", a.posted_unpaid},
                        {"holds", a.holds},
                        {"available", a.available()},
                        {"status", ToString(a.status)},
                        {"created_at", core::FormatIso8601(a.created_at)}};
    // The full number is handed over once, at registration, for the platform's vault.
    if (with_pan) j["card_number"] = a.pan;
    return j;
}

nlohmann::json ToJson(const Authorization& a) {
    nlohmann::json j = {{"authorization_id", a.id},
                        {"card_account_id", a.account_id},
                        {"card_token", a.card_token},
                        {"last4", a.last4},
                        {"network", ToString(a.network)},
                        {"amount", a.amount},
                        {"currency", "JPY"},
                        {"held", a.hold},
                        {"reversed", a.reversed},
                        {"cleared", a.cleared},
                        {"approved", a.approved},
                        {"response_code", a.response_code},
                        {"stand_in", a.stand_in},
                        {"auth_code", a.auth_code},
                        {"rrn", a.rrn},
                        {"merchant_id", a.merchant_id},
                        {"merchant_name", a.merchant_name},
                        {"merchant_city", a.merchant_city},
                        {"merchant_country", a.merchant_country},
                        {"mcc", a.mcc},
                        {"status", ToString(a.status)},
                        {"authorized_at", common::FormatJst(a.at)}};
    if (a.orig_amount_minor) {
        j["orig_amount_minor"] = *a.orig_amount_minor;
        j["orig_currency"] = a.orig_currency;
    }
    return j;
}

nlohmann::json ToJson(const Posting& p) {
    nlohmann::json j = {{"txn_id", p.txn_id},
                        {"authorization_id", p.auth_id},
                        {"card_account_id", p.account_id},
                        {"card_token", p.card_token},
                        {"last4", p.last4},
                        {"txn_type", p.txn_type},
                        {"dc", std::string(1, p.dc)},
                        {"amount", p.amount},
                        {"posting_date", common::FormatDate(p.posting_date)},
                        {"merchant_name", p.merchant_name},
                        {"mcc", p.mcc}};
    if (p.orig_amount_minor) {
        j["orig_amount_minor"] = *p.orig_amount_minor;
        j["orig_currency"] = p.orig_currency;
    }
    return j;
}

PaymentApi::PaymentApi(common::FakeEnv& env, ProcessorOptions options) : env_(env) {
    model_ = std::make_unique<PaymentProcessor>(env.clock(), std::move(options),
                                                [this](const CashflowFile& f) { Deliver(f); });
}

void PaymentApi::Deliver(const CashflowFile& file) {
    std::string marker_key = file.marker_key, marker_body = file.marker_body;
    // The completion marker goes only once the file itself is stored.
    env_.PutBatchObject(kSystem, "cashflow_file", file.key, file.body, "text/csv; charset=utf-8",
                        [this, marker_key, marker_body](const Response&, int, bool stored) {
                            if (stored)
                                env_.PutBatchObject(kSystem, "cashflow_file", marker_key, marker_body,
                                                    "application/json");
                        });
}

namespace {

// Reads the merchant-side fields shared by authorizations, force posts and refunds.
void ReadMerchant(JsonReader& in, std::string* name, std::string* mcc, std::string* city, std::string* country,
                  std::string* merchant_id) {
    *name = in.String("merchant_name", true, 100);
    *mcc = in.String("mcc", true, 4);
    std::string c = in.String("merchant_city", false, 100);
    if (!c.empty()) *city = c;
    std::string k = in.String("merchant_country", false, 2);
    if (!k.empty()) {
        if (k.size() != 2) in.Reject("merchant_country", "must be an ISO 3166 alpha-2 code");
        *country = k;
    }
    *merchant_id = in.String("merchant_id", false, 15);
}

bool RejectSecurityCode(JsonReader& in) {
    for (const char* f : {"cvv", "cvc", "cav2", "cvv2", "cvc2"}) {
        if (in.Has(f)) {
            in.Reject(f, "is not accepted: the simulator never handles card security codes (PCI DSS 3.3.1)");
            return true;
        }
    }
    return false;
}

}  // namespace

void PaymentApi::Install(core::Router& router) {
    PaymentProcessor& m = *model_;
    env_.Route(router, "POST", "/payment/v1/card-accounts", kSystem, "register_account", [&m](const Request& r) {
        JsonReader in(r);
        RegisterInput input;
        input.external_ref = in.String("external_ref", true, 64);
        input.credit_limit = in.Int("credit_limit", 0, 100'000'000);
        input.network = in.Enum("network", {"VISA", "JCB"}, "VISA") == "JCB" ? Network::kJcb : Network::kVisa;
        if (in.failed()) return in.problem();
        if (auto pan = r.headers.Get("x-sim-pan")) input.requested_pan = std::string(*pan);
        auto a = m.RegisterAccount(input);
        if (!a) return ToResponse(a.error());
        return Response::Json(201, ToJson(*a, true));
    });
    env_.Route(router, "GET", "/payment/v1/card-accounts/{id}", kSystem, "get_account", [&m](const Request& r) {
        auto a = m.GetAccount(r.path_params.at("id"));
        return a ? Response::Json(200, ToJson(*a, false)) : ToResponse(a.error());
    });
    env_.Route(router, "POST", "/payment/v1/card-accounts/{id}/limit", kSystem, "set_limit", [&m](const Request& r) {
        JsonReader in(r);
        auto limit = in.Int("credit_limit", 0, 100'000'000);
        if (in.failed()) return in.problem();
        auto a = m.SetCreditLimit(r.path_params.at("id"), limit);
        return a ? Response::Json(200, ToJson(*a, false)) : ToResponse(a.error());
    });
    env_.Route(router, "POST", "/payment/v1/card-accounts/{id}/repayments", kSystem, "restore_credit",
               [&m](const Request& r) {
                   JsonReader in(r);
                   auto amount = in.Int("amount", 1, 100'000'000);
                   if (in.failed()) return in.problem();
                   auto a = m.RestoreCredit(r.path_params.at("id"), amount);
                   return a ? Response::Json(200, ToJson(*a, false)) : ToResponse(a.error());
               });
    env_.Route(router, "POST", "/payment/v1/card-accounts/{id}/status", kSystem, "set_status", [&m](const Request& r) {
        JsonReader in(r);
        auto s = in.Enum("status", {"ACTIVE", "SUSPENDED", "LOST", "STOLEN", "CLOSED"});
        if (in.failed()) return in.problem();
        auto a = m.SetStatus(r.path_params.at("id"), *ParseAccountStatus(s));
        return a ? Response::Json(200, ToJson(*a, false)) : ToResponse(a.error());
    });
    env_.Route(router, "GET", "/payment/v1/authorizations", kSystem, "poll_authorizations", [&m](const Request& r) {
        std::size_t limit = 100;
        if (auto l = r.QueryParam("limit"); l && !l->empty()) {
            if (l->find_first_not_of("0123456789") != std::string::npos || l->size() > 4 || std::stoul(*l) < 1 ||
                std::stoul(*l) > 500)
                return FieldProblem(400, "limit", "must be an integer between 1 and 500");
            limit = std::stoul(*l);
        }
        auto page = m.Feed(r.QueryParam("after").value_or(""), limit);
        if (!page) return ToResponse(page.error());
        nlohmann::json items = nlohmann::json::array();
        for (const auto& e : page->events) {
            nlohmann::json item = {{"event_id", e.id},
                                   {"type", e.type},
                                   {"occurred_at", common::FormatJst(e.at)},
                                   {"amount", e.amount}};
            if (!e.txn_id.empty()) item["txn_id"] = e.txn_id;
            if (!e.account_id.empty()) item["card_account_id"] = e.account_id;
            if (!e.trace_id.empty()) item["trace_id"] = e.trace_id;
            if (!e.auth_id.empty()) {
                auto a = m.GetAuthorization(e.auth_id);
                if (a) item["authorization"] = ToJson(*a);
            }
            items.push_back(item);
        }
        return Response::Json(200, {{"items", items}, {"next_cursor", page->next_cursor}, {"has_more", page->has_more}});
    });
    env_.Route(router, "GET", "/payment/v1/authorizations/{id}", kSystem, "get_authorization", [&m](const Request& r) {
        auto a = m.GetAuthorization(r.path_params.at("id"));
        return a ? Response::Json(200, ToJson(*a)) : ToResponse(a.error());
    });
    env_.Route(router, "POST", "/payment/simulate/authorizations", kSystem, "simulate_authorization",
               [&m](const Request& r) {
                   JsonReader in(r);
                   AuthorizeInput input;
                   RejectSecurityCode(in);
                   auto card = ReadCard(in, m);
                   if (!card) return ToResponse(card.error());
                   input.pan = *card;
                   input.amount = in.Int("amount");
                   input.expiry = in.String("expiry", false, 4);
                   ReadMerchant(in, &input.merchant_name, &input.mcc, &input.merchant_city, &input.merchant_country,
                                &input.merchant_id);
                   std::string currency = in.Enum("currency", {"JPY"}, "JPY");
                   if (in.failed()) return in.problem();
                   input.trace_id = core::TraceIdOf(r);
                   auto a = m.Authorize(input);
                   if (!a) return ToResponse(a.error());
                   return Response::Json(200, ToJson(*a));
               });
    env_.Route(router, "POST", "/payment/simulate/reversals", kSystem, "simulate_reversal", [&m](const Request& r) {
        JsonReader in(r);
        auto id = in.String("authorization_id", true, 32);
        auto amount = in.OptInt("amount", 1, 100'000'000);
        if (in.failed()) return in.problem();
        auto a = m.Reverse(id, amount);
        return a ? Response::Json(200, ToJson(*a)) : ToResponse(a.error());
    });
    env_.Route(router, "POST", "/payment/simulate/clearings", kSystem, "simulate_clearing", [&m](const Request& r) {
        JsonReader in(r);
        if (in.Has("authorization_id") || (!in.Has("card") && !in.Has("card_account_id"))) {
            auto id = in.String("authorization_id", true, 32);
            auto amount = in.OptInt("amount", 1, 100'000'000);
            if (in.failed()) return in.problem();
            auto p = m.Clear(id, amount);
            return p ? Response::Json(200, ToJson(*p)) : ToResponse(p.error());
        }
        ForcePostInput input;  // force post: a clearing without authorization
        auto card = ReadCard(in, m);
        if (!card) return ToResponse(card.error());
        input.pan = *card;
        input.amount = in.Int("amount", 1, 100'000'000);
        ReadMerchant(in, &input.merchant_name, &input.mcc, &input.merchant_city, &input.merchant_country,
                     &input.merchant_id);
        if (in.failed()) return in.problem();
        auto p = m.ForcePost(input);
        return p ? Response::Json(200, ToJson(*p)) : ToResponse(p.error());
    });
    env_.Route(router, "POST", "/payment/simulate/refunds", kSystem, "simulate_refund", [&m](const Request& r) {
        JsonReader in(r);
        ForcePostInput input;
        input.refund = true;
        auto card = ReadCard(in, m);
        if (!card) return ToResponse(card.error());
        input.pan = *card;
        input.amount = in.Int("amount", 1, 100'000'000);
        ReadMerchant(in, &input.merchant_name, &input.mcc, &input.merchant_city, &input.merchant_country,
                     &input.merchant_id);
        if (in.failed()) return in.problem();
        auto p = m.ForcePost(input);
        return p ? Response::Json(200, ToJson(*p)) : ToResponse(p.error());
    });
    env_.Route(router, "POST", "/payment/simulate/cashflow-files", kSystem, "simulate_cashflow_file",
               [this, &m](const Request& r) {
                   JsonReader in(r);
                   std::string date = in.Date("date");
                   if (in.failed()) return in.problem();
                   std::chrono::year_month_day ymd{std::chrono::year{std::stoi(date.substr(0, 4))},
                                                   std::chrono::month{static_cast<unsigned>(std::stoi(date.substr(5, 2)))},
                                                   std::chrono::day{static_cast<unsigned>(std::stoi(date.substr(8, 2)))}};
                   CashflowFile f = m.BuildCashflowFile(ymd, env_.clock().Now());
                   Deliver(f);
                   return Response::Json(202, {{"bucket", env_.options().batch_bucket},
                                               {"key", f.key},
                                               {"marker_key", f.marker_key},
                                               {"records", f.records}});
               });
}

}  // namespace sim::fakes::payment
