#pragma once
// HTTP API of the fake screening service under /screening (see fakes/screening/README.md).
//
// Supported operations (fault operation names in brackets)
//   POST /screening/v1/checks          [check]
//   GET  /screening/v1/checks/{id}     [get_check]
//   GET  /screening/v1/watchlist       [get_watchlist]
//   PUT  /screening/v1/watchlist       [put_watchlist]
// The list is loaded at start from --screening-list FILE (same JSON as PUT), else the default.
// Limitations: no address matching; no romaji transliteration of kana (romaji compares with romaji).

#include <memory>

#include "fakes/common/fake_env.hpp"
#include "fakes/screening/screening.hpp"

namespace sim::fakes::screening {

class ScreeningApi {
public:
    /// `list_file` empty: the default list. A file that cannot be read or parsed throws
    /// std::runtime_error (a startup error).
    ScreeningApi(common::FakeEnv& env, const std::string& list_file);
    void Install(core::Router& router);
    Screening& model() { return model_; }
    /// Back to the start-up list, no checks.
    void Reset() { model_.Reset(initial_); }

private:
    common::FakeEnv& env_;
    WatchList initial_;
    Screening model_;
};

}  // namespace sim::fakes::screening
