// Runtime for `cardsim run`: nothing is bound; the scenario runner sends through the transport and
// runs the loop itself until each answer arrives (virtual time moves only through /_sim/clock).

#include "sim/app/runtime.hpp"

namespace sim::app {

core::Transport& Runtime::ScenarioTransport() {
    auto to_fakes = [this](core::Request r, core::Respond d) { fakes_router_.Handle(std::move(r), std::move(d)); };
    if (!transport_.Knows("fakes")) transport_.RegisterInProcess("fakes", to_fakes);
    for (const char* system : {"payment-processor", "ekyc", "bureau", "screening", "printing", "atm", "push"})
        if (!transport_.Knows(system)) transport_.RegisterInProcess(system, to_fakes);
    return transport_;
}

bool Runtime::RunLoopUntil(const std::function<bool()>& done) {
    while (!done()) {
        if (loop_.RunReady() == 0) return done();
    }
    return true;
}

}  // namespace sim::app
