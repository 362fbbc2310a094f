#pragma once
// Everything `cardsim serve` can be told, from flags or the --config JSON file (same names).

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/core/config.hpp"
#include "sim/core/result.hpp"

namespace sim::app {

struct ServeOptions {
    std::string bind = "127.0.0.1";
    std::uint16_t aws_port = 4566;
    std::uint16_t platform_port = 8080;
    std::uint16_t fakes_port = 8090;
    std::string data_dir = "./cardsim-data";
    bool ephemeral = false;
    std::string clock = "real";
    std::string start_time = "2027-01-01T00:00:00Z";
    std::uint64_t seed = 1;
    std::string log_level = "info";
    std::string config_file;
    std::uint64_t max_connections = 10'000;
    std::uint64_t max_header_bytes = 16 * 1024;
    std::uint64_t max_body_bytes = 8 * 1024 * 1024;
    std::chrono::milliseconds header_timeout{10'000};
    std::chrono::milliseconds idle_timeout{60'000};
    std::chrono::milliseconds shutdown_grace{1'500};
    /// SQS limits: "strict" (AWS's) or "relaxed" (larger messages and batches for experiments).
    std::string sqs_limits = "strict";
    /// Service name -> base URL, for services replaced by a real one over TCP.
    std::map<std::string, std::string> services;
    /// Step Functions Local MockConfigFile.json (also $SFN_MOCK_CONFIG); empty: no mocks.
    std::string sfn_mock_config;
    // Fake external systems (fakes/README.md). The platform they call back is the "platform"
    // service: in-process unless --service platform=URL.
    std::uint64_t fakes_journal_size = 10'000;
    std::string batch_bucket = "cardsim-batch";
    std::string atm_hmac_secret = "cardsim-atm-qr-secret";
    std::string screening_list;
    // Access control at the AWS edge (sim/app/aws_auth.hpp).
    std::string auth = "off";
    /// Access key -> "PRINCIPAL:SECRET"; empty: test/test (infra-team), app-team/app-team-secret (app-team).
    std::map<std::string, std::string> aws_credentials;
    /// IAM policies file {"<principal>": {"<policy name>": <policy>}}; empty: the built-in ones.
    std::string iam_policies;
    // The platform (docs/platform.md).
    /// System -> shared secret of its /ext/v1 callbacks (the fakes sign with the same ones).
    std::map<std::string, std::string> ext_secrets;
    /// Admin bearer token -> "ACTOR:ROLE"; empty: the development tokens.
    std::map<std::string, std::string> admin_tokens;
    /// Card vault AES-256 key, 64 hex digits; empty: the fixed development key.
    std::string platform_vault_key;
    std::chrono::milliseconds platform_poll_interval{60'000};
    std::uint64_t platform_interest_rate_bp = 1500;
    std::uint64_t platform_password_iterations = 20'000;
    std::chrono::milliseconds platform_external_timeout{10'000};
    /// infra.json to provision instead of the built-in platform/infra.json.
    std::string platform_infra;
};

/// The flag definitions bound to `options` (also used for --help).
core::FlagSet ServeFlags(ServeOptions& options);

/// Parses `cardsim serve` arguments: defaults, then --config FILE if given, then the flags.
core::Result<ServeOptions> ParseServeOptions(const std::vector<std::string>& args);

}  // namespace sim::app
