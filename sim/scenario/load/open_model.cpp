#include "sim/scenario/load/open_model.hpp"

#include <stdexcept>

namespace sim::scenario::load {

using std::chrono::nanoseconds;

struct OpenModelDriver::FlowRun {
    std::string name;
    LoadFlow* flow = nullptr;
    std::vector<nanoseconds> arrivals;  // offsets from the start, warm-up included
    std::size_t next = 0;               // the next arrival to start
    std::vector<bool> settled;          // per arrival: completed or timed out
    std::map<std::size_t, clock::TimerId> timeouts;  // arrivals in flight -> their timeout timer
};

OpenModelDriver::OpenModelDriver(clock::Clock& clock, const LoadProfile& profile, std::map<std::string, LoadFlow*> flows,
                                 DriverOptions options)
    : clock_(clock),
      profile_(profile),
      options_(options),
      report_(profile.name, profile.duration, profile.interval) {
    report_.Shards().push_back(std::to_string(options.shard_index + 1) + "/" + std::to_string(options.shard_count));
    for (const auto& t : profile.thresholds) report_.ThresholdTexts().push_back(t.text);
    for (const auto& spec : profile.flows) {
        auto it = flows.find(spec.name);
        if (it == flows.end() || !it->second) throw std::invalid_argument("no implementation for flow " + spec.name);
        auto run = std::make_unique<FlowRun>();
        run->name = spec.name;
        run->flow = it->second;
        run->arrivals = spec.rate.Arrivals(profile.warmup + profile.duration, options.rate_scale, options.shard_index,
                                           options.shard_count);
        run->settled.assign(run->arrivals.size(), false);
        scheduled_ += run->arrivals.size();
        runs_.push_back(std::move(run));
    }
}

OpenModelDriver::~OpenModelDriver() { *alive_ = false; }

nanoseconds OpenModelDriver::Elapsed() const { return clock_.Now() - start_; }

void OpenModelDriver::Run(std::function<void()> finished) {
    finished_ = std::move(finished);
    start_ = clock_.Now();
    for (auto& run : runs_) ArmNext(*run);
    MaybeFinish();
}

void OpenModelDriver::ArmNext(FlowRun& run) {
    if (run.next >= run.arrivals.size()) return;
    std::weak_ptr<bool> alive = alive_;
    clock_.Schedule(start_ + run.arrivals[run.next], [this, alive, &run] {
        if (alive.expired()) return;
        FireDue(run);
    });
}

void OpenModelDriver::FireDue(FlowRun& run) {
    // A late timer (the loop was busy) starts every arrival that is due by now: none is skipped,
    // and each one's latency still counts from its own due time.
    nanoseconds now = clock_.Now() - start_;
    while (run.next < run.arrivals.size() && run.arrivals[run.next] <= now) StartArrival(run, run.next++);
    ArmNext(run);
}

void OpenModelDriver::StartArrival(FlowRun& run, std::size_t index) {
    clock::TimePoint due = start_ + run.arrivals[index];
    ++started_;
    if (started_ - finished_count_ > options_.max_in_flight) {
        Complete(run, index, due, ArrivalOutcome::Error("overload_dropped"));
        return;
    }
    std::weak_ptr<bool> alive = alive_;
    // The timeout timer and the flow race; whichever comes first settles the arrival.
    run.timeouts[index] = clock_.Schedule(due + options_.arrival_timeout, [this, alive, &run, index, due] {
        if (alive.expired() || run.settled[index]) return;
        run.timeouts.erase(index);
        Complete(run, index, due, ArrivalOutcome::Error("timeout"));
    });
    run.flow->Start(index, TraceOf(run, index), [this, alive, &run, index, due](ArrivalOutcome outcome) {
        if (alive.expired() || run.settled[index]) return;
        Complete(run, index, due, std::move(outcome));
    });
}

void OpenModelDriver::Complete(FlowRun& run, std::size_t index, clock::TimePoint due, ArrivalOutcome outcome) {
    run.settled[index] = true;
    if (auto t = run.timeouts.find(index); t != run.timeouts.end()) {
        clock_.Cancel(t->second);
        run.timeouts.erase(t);
    }
    ++finished_count_;
    nanoseconds offset = run.arrivals[index] - profile_.warmup;
    if (offset >= nanoseconds::zero()) {  // warm-up arrivals run but are not measured
        if (outcome.ok) {
            report_.RecordSuccess(run.name, offset, clock_.Now() - due, outcome.hops);
            if (!options_.trace_prefix.empty()) traced_.push_back({run.name, TraceOf(run, index), clock_.Now()});
        } else
            report_.RecordError(run.name, offset, outcome.error_kind);
    }
    MaybeFinish();
}

std::string OpenModelDriver::TraceOf(const FlowRun& run, std::size_t index) const {
    if (options_.trace_prefix.empty()) return {};
    return options_.trace_prefix + run.name + "-" + std::to_string(index);
}

std::vector<TracedArrival> OpenModelDriver::TakeTraced(clock::TimePoint before) {
    std::vector<TracedArrival> out;
    while (!traced_.empty() && traced_.front().completed < before) {
        out.push_back(std::move(traced_.front()));
        traced_.pop_front();
    }
    return out;
}

void OpenModelDriver::MaybeFinish() {
    if (done_ || finished_count_ < scheduled_) return;
    done_ = true;
    if (finished_) finished_();
}

}  // namespace sim::scenario::load
