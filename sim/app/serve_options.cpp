#include "sim/app/serve_options.hpp"

#include "sim/core/time.hpp"

namespace sim::app {

core::FlagSet ServeFlags(ServeOptions& o) {
    core::FlagSet f("cardsim serve [FLAGS]",
                    "Runs the simulator as a server: the AWS edge (S3, SQS, Step Functions, scheduler) on the\n"
                    "AWS port, the platform's front APIs on the platform port, the fake external systems on the\n"
                    "fakes port, and the control plane (/_sim/health, /_sim/metrics, /_sim/clock, /_sim/reset)\n"
                    "on every port. Stops gracefully on SIGINT/SIGTERM (in-flight requests finish, state is\n"
                    "flushed). Every flag may also be given as a key of the --config JSON file.");
    f.String("bind", &o.bind, "address to listen on (use 0.0.0.0 in containers)");
    f.Port("aws-port", &o.aws_port, "AWS edge port (LocalStack's port, so --endpoint-url habits work)");
    f.Port("platform-port", &o.platform_port, "platform front APIs: /app/v1, /admin/v1, /ext/v1");
    f.Port("fakes-port", &o.fakes_port, "fake external systems: /payment, /ekyc, /bureau, ...");
    f.String("data-dir", &o.data_dir, "directory for durable state (SQLite databases, object bodies)");
    f.Bool("ephemeral", &o.ephemeral, "keep all state in memory; nothing is written to --data-dir");
    f.String("clock", &o.clock,
             "time source: real (wall clock) or virtual (stands still until POST /_sim/clock advances it)",
             {"real", "virtual"});
    f.String("start-time", &o.start_time,
             "virtual clock's first time, ISO 8601 (a durable data dir resumes from its saved time instead)");
    f.UInt("seed", &o.seed, "seed for every id, jitter and fault probability (same seed, same run)");
    f.String("log-level", &o.log_level, "log verbosity", {"trace", "debug", "info", "warn", "error", "off"});
    f.String("config", &o.config_file, "JSON file whose keys are these flags' names; flags given here win");
    f.UInt("max-connections", &o.max_connections, "open connections per process; more are closed at once", 1,
           1'000'000);
    f.UInt("max-header-bytes", &o.max_header_bytes, "largest request head; larger gets 431", 1024, 1024 * 1024);
    f.UInt("max-body-bytes", &o.max_body_bytes, "default largest request body per route; larger gets 413", 0,
           UINT64_MAX);
    f.Millis("header-timeout", &o.header_timeout, "time a client has to send a whole request head");
    f.Millis("idle-timeout", &o.idle_timeout, "keep-alive connection closed after this long without a request");
    f.Millis("shutdown-grace", &o.shutdown_grace, "on SIGTERM, time in-flight requests get before being cut");
    f.String("sqs-limits", &o.sqs_limits,
             "SQS limits: strict (AWS's: 1 MiB messages, 10 entries a batch, 10 attributes, name rules) or relaxed",
             {"strict", "relaxed"});
    f.StringMap("service", &o.services,
                "NAME=URL: reach service NAME over HTTP at URL instead of the built-in one");
    f.String("sfn-mock-config", &o.sfn_mock_config,
             "Step Functions Local MockConfigFile.json: executions started as <stateMachineArn>#<TestCase> get "
             "mocked Task results (default: $SFN_MOCK_CONFIG)");
    f.UInt("fakes-journal-size", &o.fakes_journal_size, "requests and callbacks the fakes' journal keeps (ring buffer)",
           1, 10'000'000);
    f.String("batch-bucket", &o.batch_bucket, "the platform's S3 batch bucket: the fakes' cashflow and ATM files go here");
    f.String("atm-hmac-secret", &o.atm_hmac_secret,
             "shared secret of the HMAC-SHA256 the platform signs ATM repayment QR tokens with");
    f.String("screening-list", &o.screening_list,
             "JSON watch list for the screening fake (fakes/screening/README.md); empty: the shipped default list");
    f.String("auth", &o.auth,
             "AWS edge access control: off (any credentials, like LocalStack) or enforce (valid SigV4 from a "
             "configured key, then the principal's IAM policies)",
             {"off", "enforce"});
    f.StringMap("aws-credential", &o.aws_credentials,
                "ACCESS_KEY=PRINCIPAL:SECRET (repeatable; replaces the defaults test=infra-team:test, "
                "app-team=app-team:app-team-secret)");
    f.String("iam-policies", &o.iam_policies,
             "JSON file {\"<principal>\": {\"<policy name>\": <IAM policy>}} replacing the built-in infra-team "
             "and app-team policies");
    f.StringMap("ext-secret", &o.ext_secrets,
                "SYSTEM=SECRET: shared secret of SYSTEM's /ext/v1 callbacks (ekyc, printing, atm; repeatable; "
                "default cardsim-<system>-callback-secret); the fakes sign with the same");
    f.StringMap("admin-token", &o.admin_tokens,
                "TOKEN=ACTOR:ROLE: an /admin/v1 bearer token (roles credit_officer, operator, auditor; repeatable; "
                "replaces the defaults officer-token, operator-token, auditor-token)");
    f.String("platform-vault-key", &o.platform_vault_key,
             "card vault AES-256-GCM key, 64 hex digits (default: a fixed development key, logged as such)");
    f.Millis("platform-poll-interval", &o.platform_poll_interval,
             "how often the payment service polls the processor's authorization feed (clock time)");
    f.UInt("platform-interest-rate-bp", &o.platform_interest_rate_bp,
           "annual interest on overdue principal in basis points (1500 = 15.0 %, Actual/365)", 0, 10'000);
    f.UInt("platform-password-iterations", &o.platform_password_iterations,
           "PBKDF2-HMAC-SHA256 rounds of member passwords (stored with each hash)", 1, 10'000'000);
    f.Millis("platform-external-timeout", &o.platform_external_timeout,
             "per-attempt timeout of the platform's calls to external systems (clock time)");
    f.String("platform-infra", &o.platform_infra,
             "infra.json to provision at start instead of the built-in platform/infra.json");
    return f;
}

core::Result<ServeOptions> ParseServeOptions(const std::vector<std::string>& args) {
    ServeOptions options;
    // --config is applied before the other flags so that the command line wins over the file.
    ServeOptions probe;
    core::FlagSet probe_flags = ServeFlags(probe);
    if (auto s = probe_flags.Parse(args); !s) return core::Fail(s.error());
    core::FlagSet flags = ServeFlags(options);
    if (!probe.config_file.empty()) {
        if (auto s = flags.ApplyJsonFile(probe.config_file); !s) return core::Fail(s.error());
    }
    if (auto s = flags.Parse(args); !s) return core::Fail(s.error());
    if (options.clock == "virtual") {
        if (auto t = core::ParseIso8601(options.start_time); !t)
            return core::Fail(core::Error::InvalidArgument("--start-time: " + t.error().message));
    }
    return options;
}

}  // namespace sim::app
