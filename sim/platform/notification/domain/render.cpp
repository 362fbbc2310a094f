#include "sim/platform/notification/domain/render.hpp"

#include "sim/core/pan_mask.hpp"

namespace sim::platform::notification::domain {

namespace {

using nlohmann::json;

core::Failure<core::Error> Missing(std::string_view field, std::string_view what) {
    return core::Fail(core::Error::InvalidArgument(std::string(field) + ": " + std::string(what)));
}

bool IsLast4(const json& v) {
    if (!v.is_string()) return false;
    const std::string& s = v.get_ref<const std::string&>();
    if (s.size() != 4) return false;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

/// A short text field (merchant name, period, date): masked, at most 64 bytes.
std::string Text(const json& data, const char* field) {
    auto it = data.find(field);
    if (it == data.end() || !it->is_string()) return "";
    std::string s = core::MaskPans(it->get<std::string>());
    if (s.size() > 64) s.resize(64);
    return s;
}

}  // namespace

std::string FormatYen(Yen amount) {
    std::string digits = std::to_string(amount < 0 ? -amount : amount);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return (amount < 0 ? "-¥" : "¥") + out;
}

core::Result<RenderedMessage> Render(std::string_view kind, const json& data) {
    if (!data.is_object()) return Missing("data", "must be an object");
    auto amount_of = [&](const char* field) -> std::optional<Yen> {
        auto it = data.find(field);
        if (it == data.end() || !it->is_number_integer()) return std::nullopt;
        return it->get<Yen>();
    };
    RenderedMessage m;
    m.data = {{"kind", std::string(kind)}};
    if (kind == "AUTHORIZATION_APPROVED" || kind == "AUTHORIZATION_DECLINED") {
        if (!IsLast4(data.value("last4", json()))) return Missing("data.last4", "4 digits required");
        auto amount = amount_of("amount");
        if (!amount) return Missing("data.amount", "an integer of yen required");
        std::string last4 = data["last4"].get<std::string>();
        std::string merchant = Text(data, "merchant_name");
        std::string at = merchant.empty() ? "" : merchant + "で";
        if (kind == "AUTHORIZATION_APPROVED") {
            m.title = "カードご利用のお知らせ";
            m.body = "カード末尾" + last4 + "：" + at + FormatYen(*amount) + "のご利用がありました。";
        } else {
            m.title = "カードがご利用いただけませんでした";
            m.body = "カード末尾" + last4 + "：" + at + FormatYen(*amount) + "のお取引は承認されませんでした。";
        }
        m.data["last4"] = last4;
        m.data["amount"] = *amount;
        if (data.contains("authorization_id") && data["authorization_id"].is_string()) {
            m.data["authorization_id"] = data["authorization_id"];
        }
    } else if (kind == "REPAYMENT_RECEIVED") {
        auto amount = amount_of("amount");
        if (!amount || *amount <= 0) return Missing("data.amount", "a positive integer of yen required");
        m.title = "ご返済ありがとうございます";
        m.body = FormatYen(*amount) + "のご返済を受け付けました。";
        m.data["amount"] = *amount;
        if (data.contains("repayment_id") && data["repayment_id"].is_string()) m.data["repayment_id"] = data["repayment_id"];
    } else if (kind == "STATEMENT_CLOSED") {
        auto billed = amount_of("billed");
        std::string period = Text(data, "period"), due = Text(data, "due_date");
        if (!billed) return Missing("data.billed", "an integer of yen required");
        if (period.empty()) return Missing("data.period", "YYYY-MM required");
        m.title = period + "分のご利用明細が確定しました";
        m.body = "ご請求額" + FormatYen(*billed) + (due.empty() ? "" : "（お支払期限 " + due + "）") + "。";
        m.data["period"] = period;
        m.data["billed"] = *billed;
        if (!due.empty()) m.data["due_date"] = due;  // the app's reminder needs it without parsing text
    } else if (kind == "INTEREST_NOTICE") {
        auto unpaid = amount_of("unpaid");
        std::string period = Text(data, "period"), due = Text(data, "due_date");
        if (!unpaid) return Missing("data.unpaid", "an integer of yen required");
        if (period.empty()) return Missing("data.period", "YYYY-MM required");
        m.title = "お支払期限を過ぎています";
        m.body = period + "分のご請求のうち" + FormatYen(*unpaid) + "が未払いです" +
                 (due.empty() ? "" : "（期限 " + due + "）") + "。翌日から手数料が発生します。";
        m.data["period"] = period;
        m.data["unpaid"] = *unpaid;
        if (!due.empty()) m.data["due_date"] = due;
    } else if (kind == "CARD_STATUS") {
        std::string status = Text(data, "status");
        if (status.empty()) return Missing("data.status", "required");
        m.title = "カードの状態が変わりました";
        m.body = status == "SUSPENDED" ? "カードのご利用を一時停止しました。" : "カードがご利用いただけるようになりました。";
        m.data["status"] = status;
    } else if (kind == "GENERIC") {
        m.title = Text(data, "title");
        m.body = Text(data, "body");
        if (m.title.empty() && m.body.empty()) return Missing("data.title", "a title or a body is required");
    } else {
        return Missing("kind", "unknown notification kind '" + core::MaskPans(kind) + "'");
    }
    return m;
}

std::string_view PushActionName(PushAction action) {
    switch (action) {
        case PushAction::kDelivered: return "DELIVERED";
        case PushAction::kDropToken: return "DROP_TOKEN";
        case PushAction::kRetry: return "RETRY";
        case PushAction::kGiveUp: return "GIVE_UP";
    }
    return "GIVE_UP";
}

PushAction ClassifyPushResult(int status, std::string_view reason) {
    if (status >= 200 && status < 300) return PushAction::kDelivered;
    if (status == 0 || status == 429 || status >= 500) return PushAction::kRetry;
    if (status == 410 || reason == "Unregistered" || reason == "ExpiredToken" || reason == "UNREGISTERED") {
        return PushAction::kDropToken;
    }
    if (status == 400 && (reason == "BadDeviceToken" || reason == "DeviceTokenNotForTopic")) return PushAction::kDropToken;
    if (status == 404) return PushAction::kDropToken;  // FCM: the token is not registered
    if (status == 403 || status == 401) return PushAction::kRetry;  // provider credentials: refresh, retry
    return PushAction::kGiveUp;
}

}  // namespace sim::platform::notification::domain
