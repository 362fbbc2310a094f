#include "sim/aws/protocol/aws_request.hpp"

namespace sim::aws::protocol {

std::string_view ToString(AwsService service) {
    switch (service) {
        case AwsService::kS3: return "s3";
        case AwsService::kSqs: return "sqs";
        case AwsService::kStepFunctions: return "states";
        case AwsService::kEvents: return "events";
        case AwsService::kScheduler: return "scheduler";
        case AwsService::kLambda: return "lambda";
        case AwsService::kUnknown: return "unknown";
    }
    return "unknown";
}

namespace {

std::optional<CredentialScope> ParseScopeText(std::string_view credential) {
    // AKID/date/region/service/aws4_request
    std::string_view parts[5];
    for (int i = 0; i < 5; ++i) {
        auto slash = credential.find('/');
        if (i < 4 && slash == std::string_view::npos) return std::nullopt;
        parts[i] = credential.substr(0, slash);
        credential = slash == std::string_view::npos ? std::string_view{} : credential.substr(slash + 1);
    }
    if (parts[4] != "aws4_request") return std::nullopt;
    return CredentialScope{std::string(parts[0]), std::string(parts[1]), std::string(parts[2]), std::string(parts[3])};
}

AwsService FromScopeService(std::string_view service) {
    if (service == "sqs") return AwsService::kSqs;
    if (service == "s3") return AwsService::kS3;
    if (service == "states") return AwsService::kStepFunctions;
    if (service == "events") return AwsService::kEvents;
    if (service == "scheduler") return AwsService::kScheduler;
    if (service == "lambda") return AwsService::kLambda;
    return AwsService::kUnknown;
}

}  // namespace

std::optional<CredentialScope> ParseCredentialScope(const core::Request& request) {
    if (auto auth = request.headers.Get("Authorization")) {
        auto at = auth->find("Credential=");
        if (at == std::string_view::npos) return std::nullopt;
        std::string_view rest = auth->substr(at + 11);
        rest = rest.substr(0, rest.find_first_of(", "));
        return ParseScopeText(rest);
    }
    if (auto q = request.QueryParam("X-Amz-Credential")) return ParseScopeText(*q);
    return std::nullopt;
}

std::string RegionOf(const core::Request& request, std::string_view fallback) {
    auto scope = ParseCredentialScope(request);
    return scope && !scope->region.empty() ? scope->region : std::string(fallback);
}

AwsService DetectService(const core::Request& request) {
    if (auto target = request.headers.Get("X-Amz-Target")) {
        if (core::StartsWithIgnoreCase(*target, "AmazonSQS.")) return AwsService::kSqs;
        if (core::StartsWithIgnoreCase(*target, "AWSStepFunctions.")) return AwsService::kStepFunctions;
        if (core::StartsWithIgnoreCase(*target, "AWSEvents.")) return AwsService::kEvents;
    }
    if (auto scope = ParseCredentialScope(request)) {
        AwsService s = FromScopeService(scope->service);
        if (s != AwsService::kUnknown) return s;
    }
    if (request.method == "POST") {
        auto type = request.headers.Get("Content-Type");
        if (type && core::StartsWithIgnoreCase(*type, "application/x-www-form-urlencoded")) {
            auto form = ParseForm(request.body);
            auto action = form.find("Action");
            // SQS's query actions all name a queue or message operation; S3 has no form POST with Action.
            if (action != form.end() && (action->second.find("Queue") != std::string::npos ||
                                         action->second.find("Message") != std::string::npos))
                return AwsService::kSqs;
        }
    }
    return AwsService::kS3;
}

std::map<std::string, std::string> ParseForm(std::string_view text) {
    std::map<std::string, std::string> out;
    while (!text.empty()) {
        auto amp = text.find('&');
        std::string_view pair = text.substr(0, amp);
        if (!pair.empty()) {
            auto eq = pair.find('=');
            std::string key = core::PercentDecode(pair.substr(0, eq), true);
            out[key] = eq == std::string_view::npos ? std::string{} : core::PercentDecode(pair.substr(eq + 1), true);
        }
        if (amp == std::string_view::npos) break;
        text.remove_prefix(amp + 1);
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> ParseQueryPairs(std::string_view raw) {
    std::vector<std::pair<std::string, std::string>> out;
    std::size_t pos = 0;
    while (pos < raw.size()) {
        std::size_t amp = raw.find('&', pos);
        std::string_view item = raw.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
        if (!item.empty()) {
            std::size_t eq = item.find('=');
            if (eq == std::string_view::npos) {
                out.emplace_back(core::PercentDecode(item), "");
            } else {
                out.emplace_back(core::PercentDecode(item.substr(0, eq)), core::PercentDecode(item.substr(eq + 1)));
            }
        }
        if (amp == std::string_view::npos) break;
        pos = amp + 1;
    }
    return out;
}

}  // namespace sim::aws::protocol
