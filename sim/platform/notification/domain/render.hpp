#pragma once
// Notification rendering and push-gateway outcomes (notification service domain; DOMAIN.md §9).
//
// A request on the `platform-notifications` queue names a kind and plain data; the text is made
// here. Apple's rule (no sensitive data in a payload) is kept strictly: a message carries at most
// the card's last 4 digits and an amount; any 13-19 digit card-number-like run that reaches the
// renderer anyway is masked (sim/core/pan_mask) before it leaves.
//
// Kinds: AUTHORIZATION_APPROVED {last4, amount, merchant_name}, AUTHORIZATION_DECLINED {last4,
// amount, merchant_name}, REPAYMENT_RECEIVED {amount}, STATEMENT_CLOSED {period, billed, due_date},
// INTEREST_NOTICE {period, unpaid, due_date}, CARD_STATUS {status}, GENERIC {title, body}.

#include <cstdint>
#include <string>
#include <string_view>

#include "sim/core/result.hpp"
#include <nlohmann/json.hpp>

namespace sim::platform::notification::domain {

using Yen = std::int64_t;

struct RenderedMessage {
    std::string title;
    std::string body;
    nlohmann::json data;  ///< kind and non-sensitive references (no PAN)
};

/// Renders `kind` with `data`. Errors (kInvalidArgument) name the missing or bad field.
core::Result<RenderedMessage> Render(std::string_view kind, const nlohmann::json& data);

/// "¥1,280" (negative amounts get a leading minus).
std::string FormatYen(Yen amount);

/// What to do after a push attempt for one device token.
enum class PushAction {
    kDelivered,  ///< 2xx
    kDropToken,  ///< BadDeviceToken (400), Unregistered/ExpiredToken (410), FCM UNREGISTERED (404)
    kRetry,      ///< 429, 5xx, provider-token 403s, transport failure (status 0): fail the SQS item
    kGiveUp,     ///< any other 4xx (payload too large, empty, bad topic): retrying cannot help
};
std::string_view PushActionName(PushAction action);

/// Classifies the gateway's answer: HTTP status and the APNs `reason` or FCM `errorCode`
/// (either may be empty).
PushAction ClassifyPushResult(int status, std::string_view reason);

}  // namespace sim::platform::notification::domain
