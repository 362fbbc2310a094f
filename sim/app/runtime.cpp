#include "sim/app/runtime.hpp"

#include <stdlib.h>

#include <csignal>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <iostream>

#include <spdlog/spdlog.h>

#include "sim/clock/system_clock.hpp"
#include "sim/core/trace.hpp"
#include "sim/store/migrations.hpp"
#include "sim/store/store_error.hpp"

#ifndef CARDSIM_VERSION
#define CARDSIM_VERSION "0.0.0"
#endif

namespace sim::app {

namespace {

// The runtime's own state: the virtual clock's time, so a durable data directory resumes where it
// stopped (time never goes back, and stored deadlines stay meaningful).
const store::Migration kRuntimeMigrations[] = {
    {1, "CREATE TABLE clock_state (id INTEGER PRIMARY KEY CHECK (id = 1), now_ns INTEGER NOT NULL)"},
    // How many times the data directory was started (see Runtime::restarts_).
    {2, "CREATE TABLE starts (id INTEGER PRIMARY KEY CHECK (id = 1), count INTEGER NOT NULL)"},
};

/// The span name of a request on `listener`: "aws AmazonSQS.SendMessage" for an AWS JSON call,
/// else "<listener> <METHOD> <route pattern>" ("platform GET /app/v1/statements/{month}"); "" for
/// the control plane, which is not a hop of any path.
std::string HopOf(std::string_view listener, const core::Router& router, const core::Request& request) {
    std::string_view path = request.Path();
    if (path.starts_with("/_sim/") || path.starts_with("/_localstack/")) return {};
    std::string hop(listener);
    if (auto target = request.headers.Get("X-Amz-Target"); target && !target->empty()) return hop + " " + std::string(*target);
    std::string route = router.RouteFor(request);
    return hop + " " + request.method + " " + (route.empty() ? std::string("unmatched") : route);
}

}  // namespace

Runtime::Runtime(const ServeOptions& options)
    : options_(options),
      ids_(options.seed),
      client_(loop_),
      transport_(loop_, &client_),
      aws_router_(options.max_body_bytes),
      platform_router_(options.max_body_bytes),
      fakes_router_(options.max_body_bytes) {}

Runtime::~Runtime() {
    // The body pool's threads write into the S3 root (removed below when ephemeral): they finish first.
    body_pool_.reset();
    if (group_commit_) {
        group_commit_->Flush();
        if (s3_db_) group_commit_->Detach(*s3_db_);
        if (sqs_db_) group_commit_->Detach(*sqs_db_);
        if (sfn_db_) group_commit_->Detach(*sfn_db_);
        if (events_db_) group_commit_->Detach(*events_db_);
    }
    if (!s3_temp_root_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(s3_temp_root_, ec);
    }
}

core::Result<std::unique_ptr<Runtime>> Runtime::Create(const ServeOptions& options) {
    std::unique_ptr<Runtime> rt(new Runtime(options));
    if (options.clock == "virtual") {
        auto vc = std::make_unique<clock::VirtualClock>(rt->loop_, core::ParseIso8601(options.start_time).value());
        rt->virtual_clock_ = vc.get();
        rt->clock_ = std::move(vc);
    } else {
        rt->clock_ = std::make_unique<clock::SystemClock>(rt->loop_);
    }
    if (auto s = rt->OpenStore(); !s) return core::Fail(s.error());
    rt->LoadOrSaveClock();
    try {
        rt->BuildRouters();
    } catch (const std::exception& e) {  // an emulator could not open its state (data dir, database)
        return core::Fail(core::Error::FailedPrecondition(e.what()));
    }
    return rt;
}

core::Status<> Runtime::OpenStore() {
    std::string path = ":memory:";
    if (!options_.ephemeral) {
        std::error_code ec;
        std::filesystem::create_directories(options_.data_dir, ec);
        if (ec)
            return core::Fail(core::Error::FailedPrecondition("cannot create data directory " + options_.data_dir +
                                                              ": " + ec.message()));
        path = (std::filesystem::path(options_.data_dir) / "runtime.db").string();
    }
    try {
        auto db = store::Database::Open(path);
        if (!db) return core::Fail(core::Error::FailedPrecondition("cannot open " + path + ": " + db.error().message));
        runtime_db_ = std::move(db).value();
        store::Migrate(*runtime_db_, "runtime", kRuntimeMigrations);
        auto& select = runtime_db_->Prepare("SELECT count FROM starts WHERE id = 1");
        if (select.Step()) restarts_ = static_cast<std::uint64_t>(select.Int64(0));
        select.Reset();
        runtime_db_->Prepare("INSERT INTO starts (id, count) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET count = count + 1")
            .Execute();
    } catch (const store::StoreError& e) {
        return core::Fail(core::Error::FailedPrecondition("cannot open " + path + ": " + e.what()));
    }
    group_commit_ = std::make_unique<store::GroupCommit>(loop_);
    group_commit_->Attach(*runtime_db_);
    return core::Ok();
}

void Runtime::LoadOrSaveClock() {
    if (!virtual_clock_) return;
    auto& select = runtime_db_->Prepare("SELECT now_ns FROM clock_state WHERE id = 1");
    if (select.Step()) {
        core::TimePoint saved{std::chrono::duration_cast<core::TimePoint::duration>(
            std::chrono::nanoseconds{select.Int64(0)})};
        select.Reset();
        if (saved > virtual_clock_->Now()) {
            spdlog::info("[clock] resuming virtual time at {} from {}", core::FormatIso8601(saved), options_.data_dir);
            virtual_clock_->AdvanceTo(saved);
        }
        return;
    }
    select.Reset();
    SaveClock();
}

void Runtime::SaveClock() {
    if (!virtual_clock_) return;
    auto scope = group_commit_->BeginWrite(*runtime_db_);
    auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(virtual_clock_->Now().time_since_epoch()).count();
    runtime_db_->Prepare("INSERT INTO clock_state (id, now_ns) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET now_ns = ?1")
        .BindAll(now_ns)
        .Execute();
    scope.Commit();
}

void Runtime::BuildRouters() {
    control_ = std::make_unique<ControlPlane>(
        CARDSIM_VERSION, *clock_, virtual_clock_, metrics_,
        [this] {
            nlohmann::json services = nlohmann::json::object();
            for (const auto& [name, port] : bound_ports_) services[name] = shutting_down_ ? "stopping" : "running";
            services["store"] = options_.ephemeral ? "running (in memory)" : "running";
            if (sqs_engine_) services["sqs"] = shutting_down_ ? "stopping" : "running";
            if (s3_engine_) services["s3"] = shutting_down_ ? "stopping" : "running";
            if (sfn_engine_) services["stepfunctions"] = shutting_down_ ? "stopping" : "running";
            if (events_engine_) services["events"] = shutting_down_ ? "stopping" : "running";
            if (scheduler_engine_) services["scheduler"] = shutting_down_ ? "stopping" : "running";
            if (lambda_mappings_) services["lambda"] = shutting_down_ ? "stopping" : "running";
            return services;
        },
        [this] { SaveClock(); });
    control_->AddResetHook({"metrics", [this] { metrics_.Reset(); }});

    const std::pair<const char*, core::Router*> listeners[] = {
        {"aws", &aws_router_}, {"platform", &platform_router_}, {"fakes", &fakes_router_}};
    for (const auto& [listener, router] : listeners) {
        // Every request gets a trace id (echoed on the reply), and replies wait for the group
        // commit of the writes made while handling them: nothing is acknowledged before it is durable.
        // Each request is a span of its listener and route (from the request to the committed
        // reply), and a reply that waits for a commit also a "store.commit_wait" span (DESIGN
        // "Observability"; docs/load.md, "Server-side hops").
        router->Use([this, name = listener, r = router](core::Request& request, core::Respond& respond) {
            std::string trace = core::EnsureTraceId(request, ids_);
            std::string hop = HopOf(name, *r, request);
            respond = [this, trace, hop = std::move(hop), start = clock_->Now(),
                       inner = std::move(respond)](core::Response response) {
                response.headers.Set(core::kTraceHeader, trace);
                const bool waits = group_commit_->BatchOpen();
                const core::TimePoint answered = clock_->Now();
                group_commit_->AfterCommit(
                    [this, inner, trace, hop, start, waits, answered, response = std::move(response)](bool committed) mutable {
                        if (!hop.empty()) {
                            auto now = clock_->Now();
                            metrics_.Spans().Record(trace, hop, start, now);
                            if (waits) metrics_.Spans().Record(trace, "store.commit_wait", answered, now);
                        }
                        if (!committed)
                            response = core::Response::Problem(500, "Internal Server Error",
                                                               "the state change could not be made durable");
                        inner(std::move(response));
                    });
            };
        });
        control_->AddRoutesTo(*router);
    }
    InstallFakes();  // before the AWS services: S3's catch-all route would shadow /_sim/journal on 4566
    // The platform's control routes on 4566, ahead of S3's catch-all (the platform comes later).
    for (const char* path : {"/_sim/invariants", "/_sim/platform"})
        aws_router_.Add("GET", path, [this](core::Request r, core::Respond d) { platform_router_.Handle(std::move(r), std::move(d)); });
    InstallAwsServices();
    InstallPlatform();
}

void Runtime::InstallAwsServices() {
    // Port 4566 routes by X-Amz-Target, then SigV4 credential scope, else S3 (DESIGN, "Processes
    // and ports"). Services with header- or content-type-predicated routes are installed first; S3's
    // routes catch everything else, so S3 is installed last.
    // Emulators that call other AWS services (Step Functions' integrations) reach them as clients
    // through the transport's "aws" service: this router, in-process.
    if (!transport_.Knows("aws"))
        transport_.RegisterInProcess("aws", [this](core::Request r, core::Respond d) { aws_router_.Handle(std::move(r), std::move(d)); });
    InstallAwsAuth();
    InstallSqs();
    InstallSfn();
    InstallEventsAndFunctions();
    InstallS3();
}

void Runtime::InstallAwsAuth() {
    AwsAuthOptions ao;
    ao.mode = options_.auth == "enforce" ? AuthMode::kEnforce : AuthMode::kOff;
    if (!options_.aws_credentials.empty()) {
        auto credentials = ParseCredentials(options_.aws_credentials);
        if (!credentials) throw std::runtime_error(credentials.error().message);
        ao.credentials = std::move(credentials).value();
    }
    if (!options_.iam_policies.empty()) {
        std::ifstream in(options_.iam_policies);
        if (!in) throw std::runtime_error("--iam-policies: cannot read " + options_.iam_policies);
        auto document = nlohmann::json::parse(in, nullptr, false);
        if (document.is_discarded()) throw std::runtime_error("--iam-policies " + options_.iam_policies + ": not JSON");
        auto policies = ParsePolicies(document);
        if (!policies) throw std::runtime_error("--iam-policies " + options_.iam_policies + ": " + policies.error().message);
        ao.policies = std::move(policies).value();
    }
    aws_auth_ = std::make_unique<AwsAuth>(*clock_, std::move(ao));
    aws_router_.UseGuard([this](core::Request& request) { return aws_auth_->Check(request); });
    spdlog::info("[auth] {} ({} access keys)", options_.auth, aws_auth_->options().credentials.size());
}

void Runtime::InstallSfn() {
    std::string path = options_.ephemeral ? ":memory:" : (std::filesystem::path(options_.data_dir) / "sfn.db").string();
    auto db = store::Database::Open(path);
    if (!db) throw std::runtime_error("cannot open " + path + ": " + db.error().message);
    sfn_db_ = std::move(db).value();
    group_commit_->Attach(*sfn_db_);
    aws::sfn::engine::EngineOptions eo;
    eo.seed = options_.seed ^ 0x53464e5f454e47ull;  // "SFN_ENG"
    std::string mock_file = options_.sfn_mock_config;
    if (mock_file.empty()) {
        if (const char* env = ::getenv("SFN_MOCK_CONFIG")) mock_file = env;
    }
    if (!mock_file.empty()) {
        std::ifstream in(mock_file);
        if (!in) throw std::runtime_error("--sfn-mock-config: cannot read " + mock_file);
        std::stringstream text;
        text << in.rdbuf();
        auto mocks = aws::sfn::engine::MockConfig::Parse(text.str());
        if (!mocks) throw std::runtime_error("--sfn-mock-config " + mock_file + ": " + mocks.error().message);
        eo.mocks = std::make_shared<aws::sfn::engine::MockConfig>(std::move(mocks).value());
    }
    sfn_integrations_ = std::make_unique<aws::sfn::engine::TransportIntegrations>(
        loop_, transport_, &client_, sfn_functions_, sfn_batch_tasks_, eo.account_id, options_.seed ^ 0x53464e5f494e54ull);
    sfn_engine_ = std::make_unique<aws::sfn::engine::SfnEngine>(loop_, *clock_, *sfn_db_, *group_commit_,
                                                                 sfn_integrations_.get(), eo);
    // Each state an execution passes through is a span "sfn.state <machine>.<state>" from its
    // StateEntered to its StateExited event, in the execution's trace. Entries of one state name
    // pair first-in first-out (Map iterations running the same state at once); an execution's
    // unfinished entries are dropped when it ends.
    auto entered = std::make_shared<std::map<std::pair<std::string, std::string>, std::deque<core::TimePoint>>>();
    sfn_engine_->SetHistoryListener([this, entered](const aws::sfn::engine::SfnEngine::HistoryNote& note) {
        if (note.type.ends_with("StateEntered")) {
            (*entered)[{note.execution_arn, note.state}].push_back(note.at);
        } else if (note.type.ends_with("StateExited")) {
            auto it = entered->find({note.execution_arn, note.state});
            if (it == entered->end()) return;
            // arn:aws:states:<region>:<account>:execution:<machine>:<name>
            std::string_view arn = note.execution_arn;
            for (int i = 0; i < 6 && arn.find(':') != std::string_view::npos; ++i) arn.remove_prefix(arn.find(':') + 1);
            metrics_.Spans().Record(note.trace_header, "sfn.state " + std::string(arn.substr(0, arn.find(':'))) + "." + note.state,
                                    it->second.front(), note.at);
            it->second.pop_front();
            if (it->second.empty()) entered->erase(it);
        } else if (note.type.starts_with("Execution") && note.type != "ExecutionStarted") {
            entered->erase(entered->lower_bound({note.execution_arn, ""}),
                           entered->lower_bound({note.execution_arn + '\0', ""}));
        }
    });
    sfn_api_ = std::make_unique<aws::sfn::api::SfnApi>(*sfn_engine_, options_.seed ^ 0x53464e5f415049ull);
    sfn_api_->Install(aws_router_);
    control_->AddResetHook({"stepfunctions", [this, entered] {
                                sfn_engine_->Reset();
                                entered->clear();
                            }});
}

void Runtime::InstallSqs() {
    std::string path = options_.ephemeral ? ":memory:" : (std::filesystem::path(options_.data_dir) / "sqs.db").string();
    auto db = store::Database::Open(path);
    if (!db) throw std::runtime_error("cannot open " + path + ": " + db.error().message);
    sqs_db_ = std::move(db).value();
    group_commit_->Attach(*sqs_db_);
    aws::sqs::EngineOptions eo;
    eo.limits = options_.sqs_limits == "relaxed" ? aws::sqs::Limits::Relaxed() : aws::sqs::Limits::Strict();
    eo.seed = options_.seed ^ 0x5351535f454e47ull;  // "SQS_ENG": ids independent of other components
    sqs_engine_ = std::make_unique<aws::sqs::SqsEngine>(*clock_, *sqs_db_, *group_commit_, eo);
    std::uint64_t max_body = options_.sqs_limits == "relaxed" ? std::max<std::uint64_t>(options_.max_body_bytes, 80ull << 20)
                                                             : options_.max_body_bytes;
    // Queue dwell (send -> first receive) is a hop of the paths that go through a queue.
    sqs_engine_->SetReceiveListener([this](const std::string& queue, std::string_view trace, core::TimePoint sent,
                                           core::TimePoint received) {
        metrics_.Spans().Record(trace, "sqs.dwell " + queue, sent, received);
    });
    sqs_api_ = std::make_unique<aws::sqs::SqsApi>(*sqs_engine_, options_.seed ^ 0x5351535f415049ull, max_body);
    sqs_api_->Install(aws_router_);
    control_->AddResetHook({"sqs", [this] { sqs_engine_->Reset(); }});
}

void Runtime::InstallS3() {
    std::filesystem::path root;
    std::string db_path = ":memory:";
    if (options_.ephemeral) {
        std::string pattern = (std::filesystem::temp_directory_path() / "cardsim-s3-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary S3 directory");
        s3_temp_root_ = pattern;
        root = pattern;
    } else {
        root = std::filesystem::path(options_.data_dir) / "s3";
        std::filesystem::create_directories(root);
        db_path = (std::filesystem::path(options_.data_dir) / "s3.db").string();
    }
    auto db = store::Database::Open(db_path);
    if (!db) throw std::runtime_error("cannot open " + db_path + ": " + db.error().message);
    s3_db_ = std::move(db).value();
    aws::s3::engine::EngineOptions eo;
    eo.root = root;
    eo.seed = options_.seed;
    s3_engine_ = std::make_unique<aws::s3::engine::S3Engine>(*s3_db_, *group_commit_, *clock_, eo);
    group_commit_->Attach(*s3_db_);
    // Notifications first: their ?notification routes must precede S3's catch-all ones.
    s3_notifications_ = std::make_unique<aws::s3::notifications::S3Notifications>(
        *s3_engine_, *clock_, transport_, *s3_db_, *group_commit_, eo.default_region, "000000000000",
        options_.seed ^ 0x53335f4e4f54ull);
    s3_notifications_->Install(aws_router_);
    aws::s3::api::S3ApiOptions ao;
    ao.seed = options_.seed;
    // --auth enforce checks every request at the edge; otherwise S3 verifies the signatures it gets.
    if (aws_auth_->options().mode == AuthMode::kOff) {
        ao.authenticate = [this](const core::Request& request, std::string_view virtual_bucket)
            -> std::optional<aws::s3::api::AuthDenial> {
            if (auto failure = aws_auth_->S3Authenticate(request, virtual_bucket))
                return aws::s3::api::AuthDenial{failure->status, failure->code, failure->message};
            return std::nullopt;
        };
    }
    ao.chunk_signing = [this](const core::Request& request) { return aws_auth_->ChunkSigning(request); };
    // Large bodies are read and hashed off the loop; on the virtual clock inline (0 threads), so a
    // run stays deterministic and the clock's quiescence covers the completions it posts.
    body_pool_ = std::make_unique<core::WorkPool>(loop_, virtual_clock_ ? 0 : kBodyIoThreads);
    ao.body_pool = body_pool_.get();
    s3_api_ = std::make_unique<aws::s3::api::S3Api>(*s3_engine_, *clock_, ao);
    s3_api_->Install(aws_router_);
    control_->AddResetHook({"s3", [this] {
                                s3_engine_->Reset();
                                s3_notifications_->Reset();
                            }});
}

void Runtime::InstallFakes() {
    // The fakes reach S3 and the platform only through the transport (DESIGN, "Architecture").
    if (!transport_.Knows("aws"))
        transport_.RegisterInProcess("aws", [this](core::Request r, core::Respond d) { aws_router_.Handle(std::move(r), std::move(d)); });
    if (!transport_.Knows("platform")) {
        if (auto it = options_.services.find("platform"); it != options_.services.end())
            transport_.RegisterRemote("platform", it->second);
        else
            transport_.RegisterInProcess("platform", [this](core::Request r, core::Respond d) {
                platform_router_.Handle(std::move(r), std::move(d));
            });
    }
    fakes::FakesOptions fo;
    fo.env.seed = options_.seed;
    fo.env.journal_size = options_.fakes_journal_size;
    fo.env.batch_bucket = options_.batch_bucket;
    fo.atm_hmac_secret = options_.atm_hmac_secret;
    fo.screening_list = options_.screening_list;
    fo.env.callback_secrets = options_.ext_secrets;
    fo.env.on_latency = [this](const std::string& trace, const std::string& hop, core::TimePoint start, core::TimePoint end) {
        metrics_.Spans().Record(trace, hop, start, end);
    };
    fakes_ = std::make_unique<fakes::Fakes>(*clock_, transport_, fo);
    fakes_->Install(fakes_router_);
    for (core::Router* router : {&aws_router_, &platform_router_, &fakes_router_}) fakes_->AddControlRoutes(*router);
    control_->AddResetHook({"fakes", [this] { fakes_->Reset(); }});
}

core::Status<> Runtime::Listen() {
    http::ServerOptions so;
    so.max_header_bytes = static_cast<std::uint32_t>(options_.max_header_bytes);
    so.header_timeout = options_.header_timeout;
    so.idle_timeout = options_.idle_timeout;
    so.max_connections = options_.max_connections;
    so.spool_dir = options_.ephemeral ? std::filesystem::temp_directory_path().string()
                                      : (std::filesystem::path(options_.data_dir) / "tmp").string();
    std::filesystem::create_directories(so.spool_dir);
    // A peer that goes away mid-write must cost one connection, not the process: Asio's socket
    // writes pass MSG_NOSIGNAL, but any other write to a closed pipe or socket would raise SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    server_ = std::make_unique<http::Server>(loop_, so);
    // Signals are caught before the first "listening" line: whoever reacts to it may signal at once.
    loop_.OnTerminationSignal([this](int signo) { BeginShutdown(signo); });
    server_->OnRequest([this](const http::RequestRecord& r) { RecordRequest(r); });
    const std::pair<const char*, std::pair<std::uint16_t, const core::Router*>> listeners[] = {
        {"aws", {options_.aws_port, &aws_router_}},
        {"platform", {options_.platform_port, &platform_router_}},
        {"fakes", {options_.fakes_port, &fakes_router_}},
    };
    for (const auto& [name, spec] : listeners) {
        auto port = server_->Listen(name, options_.bind, spec.first, *spec.second);
        if (!port) return core::Fail(port.error());
        bound_ports_[name] = *port;
        std::cout << "listening " << name << " " << options_.bind << ":" << *port << std::endl;
    }
    spdlog::info("[serve] ready clock={} now={} data={}", clock::ToString(clock_->Mode()),
                 core::FormatIso8601(clock_->Now()), options_.ephemeral ? ":memory:" : options_.data_dir);
    return core::Ok();
}

void Runtime::RecordRequest(const http::RequestRecord& r) {
    std::string route = r.route.empty() ? "unmatched" : r.route;
    metrics_
        .GetCounter("cardsim_http_requests_total",
                    {{"listener", r.listener}, {"route", route}, {"method", r.method}, {"status", std::to_string(r.status)}},
                    "HTTP requests answered, by listener, route, method and status")
        .Add(1);
    metrics_
        .GetHistogram("cardsim_http_request_duration_seconds", {{"listener", r.listener}, {"route", route}},
                      "Time from a request's head being read to its response being written")
        .Record(r.latency);
}

void Runtime::BeginShutdown(int signal_number) {
    if (shutting_down_) {
        spdlog::warn("[serve] second signal {}: stopping now", signal_number);
        loop_.Stop();
        return;
    }
    shutting_down_ = true;
    spdlog::info("[serve] signal {}: stopping (no new connections; in-flight requests finish)", signal_number);
    server_->Shutdown(options_.shutdown_grace, [this] {
        group_commit_->Flush();
        spdlog::info("[serve] state flushed; bye");
        loop_.Stop();
    });
}

int Runtime::Run() {
    try {
        loop_.Run();
    } catch (const std::exception& e) {
        spdlog::critical("[serve] event loop failed: {}", e.what());
        return kExitFailure;
    }
    group_commit_->Flush();
    return kExitOk;
}

}  // namespace sim::app
