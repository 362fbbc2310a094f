#pragma once
// Runs scenarios against a system it treats as a black box (docs/scenarios.md): every request goes
// to a transport service name (`aws`, `platform`, `fakes`, `push`, ...); time moves only through
// the control plane (`POST /_sim/clock` advance / set / step), so the same runner drives the
// in-process system of `cardsim run` and a `cardsim serve --clock virtual` at a URL identically.
// After every step the money invariants (`GET /_sim/invariants` on `platform`) are checked; while
// that route answers 404 there are none.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sim/core/message.hpp"
#include "sim/core/transport.hpp"
#include "sim/scenario/scenario.hpp"

namespace sim::scenario {

/// What the runner talks to. sim/app implements it (a fresh in-process Runtime per scenario, or
/// remote targets over HTTP); tests implement it with a few handlers.
class System {
public:
    virtual ~System() = default;
    /// Prepares a fresh system for one scenario (in-process: a new runtime at `start` with `seed`;
    /// remote: POST /_sim/reset). An error fails the scenario.
    virtual core::Status<> Begin(const Scenario& scenario, std::uint64_t seed) = 0;
    virtual void End() = 0;
    /// Sends `request` to `service` and waits for the answer: a 502/504 problem when there is none.
    virtual core::Response Call(const std::string& service, core::Request request) = 0;
    /// True when the system runs in this process (snapshots and exact start times apply).
    virtual bool InProcess() const = 0;
};

/// Sends through `transport` and runs the loop with `run_until` until the answer arrives; when
/// `run_until` returns false first (in-process: quiescent, the request waits on virtual time;
/// remote: wall-time limit), answers 504 naming the service and path.
core::Response CallThrough(core::Transport& transport, const std::function<bool(const std::function<bool()>&)>& run_until,
                           const std::string& service, core::Request request);

struct RunOptions {
    std::optional<std::uint64_t> seed;   ///< overrides every scenario's seed
    bool verbose = false;                ///< a line per step
    std::ostream* log = nullptr;         ///< progress and verbose lines (null: quiet)
    std::string snapshot_dir;            ///< empty: snapshots neither compared nor written
    bool update_snapshots = false;       ///< write the observed values instead of comparing
    std::string control_service = "aws";         ///< where /_sim/clock, /_sim/faults, /_sim/reset go
    std::string invariants_service = "platform"; ///< where GET /_sim/invariants goes
    std::size_t trace_length = 12;       ///< requests kept for a failure's trace
};

/// One request the runner made, for a failure's trace.
struct RequestRecord {
    std::string service, method, target;
    int status = 0;
    std::string trace_id;
    std::string virtual_time;
};

/// One hop of a critical path: the time from the previous mark of the same path instance.
struct HopSample {
    std::string path, hop;
    double virtual_seconds = 0;
    double wall_seconds = 0;
};

struct ScenarioResult {
    std::string name, file;
    bool passed = false;
    std::size_t steps_run = 0;    ///< step executions, foreach bodies included
    std::string failed_step;      ///< "steps[3].foreach.steps[1] \"authorize\" (member 2)"
    std::string message;          ///< expected vs actual
    std::vector<RequestRecord> trace;  ///< the last requests before the failure
    std::string virtual_start, virtual_end;
    double virtual_seconds = 0;
    double wall_seconds = 0;
    std::vector<HopSample> hops;
    std::string snapshot_status;  ///< "", "matched", "updated", "mismatch", "missing"
};

class Runner {
public:
    Runner(System& system, RunOptions options);
    ScenarioResult Run(const Scenario& scenario);

private:
    struct Mark {
        std::string hop;
        double virtual_at = 0, wall_at = 0;
        double first_virtual = 0, first_wall = 0;
        std::size_t hops = 0;
    };
    struct Reply {
        core::Response response;
        Json body;  ///< parsed JSON, the text as a string when not JSON, null when empty
    };

    bool RunSteps(const std::vector<Step>& steps, const std::string& iteration, int depth);
    bool RunStep(const Step& step, const std::string& iteration, int depth);
    bool DoCall(const Step& step, const Json& spec, Reply& reply);
    bool DoAwait(const Step& step, const Json& spec, Reply& reply);
    bool DoAdvance(const Step& step, const Json& spec);
    bool DoForeach(const Step& step, const std::string& iteration, int depth);
    bool AfterResponse(const Step& step, const Reply& reply);
    bool TakeSnapshot(const Step& step, const Reply* reply);
    void MarkSpan(const Step& step, const std::string& iteration);
    bool CheckInvariants(const Step* step);
    std::optional<std::string> Mismatch(const Json& expect, const Reply& reply);
    core::Result<Json> Extract(const Json& extractor, const Reply* reply);

    Reply Send(const std::string& service, core::Request request, bool record = true);
    core::Request BuildRequest(const Json& spec, std::string& service);
    /// Moves the clock (body of POST /_sim/clock); false with a failure on error.
    bool MoveClock(const Json& body, const Step& step, bool* fired = nullptr);
    bool Fail(const Step* step, const std::string& message);
    core::Result<Json> RenderValue(const Json& value);
    void SetNow(core::TimePoint t);
    double WallNow() const;
    void Log(const std::string& line);

    System& system_;
    RunOptions options_;
    // Per scenario:
    const Scenario* scenario_ = nullptr;
    ScenarioResult result_;
    Json vars_;
    core::TimePoint now_{};
    core::TimePoint start_{};
    bool invariants_available_ = true;
    std::vector<RequestRecord> trace_;
    std::map<std::string, Mark> marks_;  ///< "path\x1fkey" -> last mark
    Json snapshot_;
    std::string current_iteration_;
    double wall_origin_ = 0;
};

}  // namespace sim::scenario
