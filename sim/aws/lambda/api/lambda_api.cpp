#include "sim/aws/lambda/api/lambda_api.hpp"

#include <spdlog/spdlog.h>

#include "sim/aws/protocol/aws_request.hpp"
#include "sim/aws/protocol/errors.hpp"
#include "sim/aws/protocol/page_token.hpp"
#include "sim/core/random.hpp"

namespace sim::aws::lambda {

namespace {


std::vector<std::string> Segments(std::string_view path) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= path.size()) {
        auto slash = path.find('/', start);
        std::string_view seg = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (!seg.empty()) out.push_back(core::PercentDecode(seg));
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return out;
}

const char* WireCode(EsmErrorCode c) {
    switch (c) {
        case EsmErrorCode::kInvalidParameterValue: return "InvalidParameterValueException";
        case EsmErrorCode::kResourceNotFound: return "ResourceNotFoundException";
        case EsmErrorCode::kResourceConflict: return "ResourceConflictException";
    }
    return "InvalidParameterValueException";
}
int WireStatus(EsmErrorCode c) {
    return c == EsmErrorCode::kResourceNotFound ? 404 : c == EsmErrorCode::kResourceConflict ? 409 : 400;
}

Json MappingJson(const MappingInfo& m) {
    Json out = {{"UUID", m.uuid},
                {"BatchSize", m.batch_size},
                {"MaximumBatchingWindowInSeconds", m.maximum_batching_window_seconds},
                {"EventSourceArn", m.event_source_arn},
                {"FunctionArn", m.function_arn},
                {"LastModified", core::ToEpochSeconds(m.last_modified)},
                {"LastProcessingResult", m.last_processing_result},
                {"State", m.state},
                {"StateTransitionReason", "USER_INITIATED"},
                {"FunctionResponseTypes", m.report_batch_item_failures ? Json::array({"ReportBatchItemFailures"}) : Json::array()}};
    if (m.maximum_concurrency) out["ScalingConfig"] = {{"MaximumConcurrency", m.maximum_concurrency}};
    return out;
}

struct BadInput : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Marker and MaxItems (1-10000) of the List operations' query string; `default_limit` when
/// MaxItems is absent (AWS: 50 functions, 100 mappings).
struct Paging {
    std::string after;
    std::size_t limit = 100;
};
Paging PagingFrom(const core::Request& req, std::size_t default_limit) {
    Paging p;
    p.limit = default_limit;
    if (auto max = req.QueryParam("MaxItems")) {
        std::size_t used = 0;
        long long v = 0;
        try {
            v = std::stoll(*max, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != max->size() || v < 1 || v > 10000)
            throw BadInput("1 validation error detected: Value '" + *max +
                           "' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000");
        p.limit = static_cast<std::size_t>(v);
    }
    if (auto marker = req.QueryParam("Marker")) {
        auto key = protocol::DecodePageToken(*marker);
        if (!key) throw BadInput("Invalid Marker: " + *marker);
        p.after = std::move(*key);
    }
    return p;
}

template <typename T>
Json WithNextMarker(Json out, const core::Page<T>& page) {
    if (page.next) out["NextMarker"] = protocol::EncodePageToken(*page.next);
    return out;
}

MappingConfig ConfigFrom(const Json& in) {
    MappingConfig c;
    auto integer = [&](const char* name) -> std::optional<int> {
        if (!in.contains(name) || in[name].is_null()) return std::nullopt;
        if (!in[name].is_number_integer()) throw BadInput(std::string(name) + " must be an integer");
        return in[name].get<int>();
    };
    if (in.contains("FunctionName")) c.function_name = in["FunctionName"].get<std::string>();
    c.batch_size = integer("BatchSize");
    c.maximum_batching_window_seconds = integer("MaximumBatchingWindowInSeconds");
    if (in.contains("Enabled")) c.enabled = in["Enabled"].get<bool>();
    if (in.contains("FunctionResponseTypes")) {
        bool report = false;
        for (const auto& t : in["FunctionResponseTypes"]) {
            if (t != "ReportBatchItemFailures") throw BadInput("FunctionResponseTypes may only contain ReportBatchItemFailures");
            report = true;
        }
        c.report_batch_item_failures = report;
    }
    if (in.contains("ScalingConfig") && in["ScalingConfig"].is_object()) {
        const Json& s = in["ScalingConfig"];
        c.maximum_concurrency = s.contains("MaximumConcurrency") ? s["MaximumConcurrency"].get<int>() : 0;
    }
    return c;
}

}  // namespace

struct LambdaApi::Impl {
    core::EventLoop& loop;
    FunctionRegistry& functions;
    EventSourceMappings& mappings;
    std::string region;
    std::string account_id;
    core::IdGenerator ids;

    core::Response Error(int status, const std::string& code, const std::string& message, const std::string& rid) {
        auto r = protocol::JsonError(status, code, message, rid, {}, "application/json");
        r.headers.Set("x-amzn-ErrorType", code);
        return r;
    }
    core::Response Ok(int status, const Json& body, const std::string& rid) {
        core::Response r = core::Response::Json(status, body);
        r.headers.Set("x-amzn-RequestId", rid);
        return r;
    }
    Json FunctionConfig(const std::string& name) {
        return {{"FunctionName", name},
                {"FunctionArn", "arn:aws:lambda:" + region + ":" + account_id + ":function:" + name},
                {"Runtime", "provided.al2023"},
                {"Handler", "cardsim.in-process"},
                {"Role", "arn:aws:iam::" + account_id + ":role/cardsim"},
                {"CodeSize", 0},
                {"Description", "in-process function registered in cardsim"},
                {"Timeout", 900},
                {"MemorySize", 128},
                {"Version", "$LATEST"},
                {"State", "Active"},
                {"PackageType", "Zip"}};
    }

    void Handle(core::Request req, core::Respond respond) {
        std::string rid = ids.Uuid();
        try {
            Dispatch(req, respond, rid);
        } catch (const BadInput& e) {
            respond(Error(400, "InvalidParameterValueException", e.what(), rid));
        } catch (const nlohmann::json::exception& e) {
            respond(Error(400, "InvalidParameterValueException", std::string("Malformed request: ") + e.what(), rid));
        } catch (const std::exception& e) {
            spdlog::error("[lambda] {} {} {} failed: {}", rid, req.method, req.target, e.what());
            respond(Error(500, "ServiceException", "Internal failure", rid));
        }
    }

    void Dispatch(const core::Request& req, core::Respond& respond, const std::string& rid) {
        auto seg = Segments(req.Path());
        // seg[0] == "2015-03-31"
        if (seg.size() >= 2 && seg[1] == "functions") {
            if (seg.size() == 2 && req.method == "GET") {
                Paging p = PagingFrom(req, 50);
                std::map<std::string, std::string> names;  // sorted, as PageOf pages
                for (auto& n : functions.Names()) names.emplace(n, n);
                auto page = core::PageOf<Json>(
                    names, p.after, p.limit, [](const std::string&) { return true; },
                    [this](const std::string& n) { return FunctionConfig(n); });
                return respond(Ok(200, WithNextMarker(Json{{"Functions", page.items}}, page), rid));
            }
            if (seg.size() >= 3) {
                std::string name = functions.NameOf(seg[2]);
                if (name.empty())
                    return respond(Error(404, "ResourceNotFoundException",
                                         "Function not found: arn:aws:lambda:" + region + ":" + account_id + ":function:" + seg[2], rid));
                if (seg.size() == 3 && req.method == "GET")
                    return respond(Ok(200, Json{{"Configuration", FunctionConfig(name)}}, rid));
                if (seg.size() == 4 && seg[3] == "invocations" && req.method == "POST") return Invoke(req, name, respond, rid);
            }
        }
        if (seg.size() >= 2 && seg[1] == "event-source-mappings") {
            Json in = req.body.empty() ? Json::object() : Json::parse(req.body, nullptr, false);
            if (in.is_discarded() || !in.is_object()) throw BadInput("The request body is not a JSON object.");
            auto reply = [&](int status, const EsmResult<MappingInfo>& r) {
                if (!r) return respond(Error(WireStatus(r.error().code), WireCode(r.error().code), r.error().message, rid));
                respond(Ok(status, MappingJson(*r), rid));
            };
            if (seg.size() == 2 && req.method == "POST") {
                if (!in.contains("EventSourceArn") || !in["EventSourceArn"].is_string()) throw BadInput("EventSourceArn is required");
                if (!in.contains("FunctionName") || !in["FunctionName"].is_string()) throw BadInput("FunctionName is required");
                return reply(202, mappings.Create(in["EventSourceArn"].get<std::string>(), ConfigFrom(in)));
            }
            if (seg.size() == 2 && req.method == "GET") {
                Paging p = PagingFrom(req, 100);
                auto page = mappings.List(req.QueryParam("EventSourceArn").value_or(""),
                                          req.QueryParam("FunctionName").value_or(""), p.after, p.limit);
                Json list = Json::array();
                for (const auto& m : page.items) list.push_back(MappingJson(m));
                return respond(Ok(200, WithNextMarker(Json{{"EventSourceMappings", list}}, page), rid));
            }
            if (seg.size() == 3 && req.method == "GET") return reply(200, mappings.Get(seg[2]));
            if (seg.size() == 3 && req.method == "PUT") return reply(202, mappings.Update(seg[2], ConfigFrom(in)));
            if (seg.size() == 3 && req.method == "DELETE") return reply(202, mappings.Delete(seg[2]));
        }
        respond(Error(404, "UnknownOperationException", "Unsupported Lambda operation: " + req.method + " " + std::string(req.Path()), rid));
    }

    void Invoke(const core::Request& req, const std::string& name, core::Respond& respond, const std::string& rid) {
        std::string type(req.headers.Get("X-Amz-Invocation-Type").value_or("RequestResponse"));
        Json payload = req.body.empty() ? Json::object() : Json::parse(req.body, nullptr, false);
        if (payload.is_discarded())
            return respond(Error(400, "InvalidRequestContentException", "Could not parse request body into json", rid));
        if (type == "DryRun") {
            core::Response r;
            r.status = 204;
            return respond(r);
        }
        if (type == "Event") {
            loop.Post([this, name, payload] { functions.Invoke(name, payload, [](FunctionOutcome) {}); });
            core::Response r;
            r.status = 202;
            r.headers.Set("x-amzn-RequestId", rid);
            return respond(r);
        }
        if (type != "RequestResponse")
            return respond(Error(400, "InvalidParameterValueException", "Unsupported invocation type " + type, rid));
        loop.Post([this, name, payload, respond, rid] {
            functions.Invoke(name, payload, [respond, rid](FunctionOutcome outcome) {
                core::Response r;
                r.status = 200;
                r.headers.Set("Content-Type", "application/json");
                r.headers.Set("X-Amz-Executed-Version", "$LATEST");
                r.headers.Set("x-amzn-RequestId", rid);
                if (outcome) {
                    r.body = outcome.value().dump();
                } else {
                    r.headers.Set("X-Amz-Function-Error", "Unhandled");
                    r.body = Json{{"errorMessage", outcome.error().cause}, {"errorType", outcome.error().error}}.dump();
                }
                respond(std::move(r));
            });
        });
    }
};

LambdaApi::LambdaApi(core::EventLoop& loop, FunctionRegistry& functions, EventSourceMappings& mappings, std::string region,
                     std::string account_id, std::uint64_t seed)
    : impl_(new Impl{loop, functions, mappings, std::move(region), std::move(account_id), core::IdGenerator(seed)}) {}
LambdaApi::~LambdaApi() = default;

void LambdaApi::Install(core::Router& router) {
    router.Add("GET", "/_sim/functions/{name}/invocations", [this](core::Request r, core::Respond respond) {
        Json list = Json::array();
        for (auto& e : impl_->functions.Invocations(r.path_params["name"])) list.push_back(std::move(e));
        respond(core::Response::Json(200, Json{{"invocations", list}}));
    });
    router.AddWhen("*", "/2015-03-31/{rest...}",
                   [](const core::Request& r) { return protocol::DetectService(r) == protocol::AwsService::kLambda; },
                   [this](core::Request r, core::Respond respond) { impl_->Handle(std::move(r), std::move(respond)); });
}

}  // namespace sim::aws::lambda
