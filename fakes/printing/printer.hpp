#pragma once
// The fake card-printing vendor's model (issue 7 §5, DOMAIN.md §10): a print order (card id,
// embossed name, masked number, delivery address) is shipped with a tracking number after N days
// and delivered after M days, each event sent to the platform (through `notify`). An address
// containing 転居 ("moved") is returned undeliverable instead (cards go by 簡易書留 /
// 本人限定受取郵便 and are not forwarded). The order carries a masked number only: a full card
// number is refused.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fakes/common/problem.hpp"
#include "sim/clock/clock.hpp"

namespace sim::fakes::printing {

using common::ModelError;
using common::ModelResult;

struct PrinterOptions {
    std::uint64_t seed = 1;
    int ship_after_days = 2;
    int deliver_after_days = 4;     ///< counted from the order
    int returned_after_days = 7;    ///< undeliverable addresses
};

struct OrderInput {
    std::string card_ref, embossed_name, masked_number, postal_code, address, recipient;
};

struct OrderEvent {
    std::string type;  ///< ACCEPTED, SHIPPED, DELIVERED, RETURNED_UNDELIVERABLE
    core::TimePoint at{};
};

struct Order {
    std::string id;  ///< "PO" + 10 digits
    OrderInput input;
    std::string status = "ACCEPTED";
    std::string tracking_number;  ///< set when shipped
    std::vector<OrderEvent> events;
    std::string trace_id;  ///< of the order request; its event callbacks carry it
};

/// Embossed names: 2-26 characters of A-Z, space, '.', '-', '\'' (what card embossers take).
bool ValidEmbossedName(std::string_view name);

class CardPrinter {
public:
    CardPrinter(clock::Clock& clock, PrinterOptions options, std::function<void(const Order&, const OrderEvent&)> notify)
        : clock_(clock), options_(options), notify_(std::move(notify)) {}

    /// `trace_id`: the order request's trace, kept on the order for its event callbacks.
    ModelResult<Order> PlaceOrder(const OrderInput& input, const std::string& trace_id = "");
    ModelResult<Order> Get(const std::string& id) const;
    void Reset();

private:
    void Event(const std::string& id, const std::string& type);

    clock::Clock& clock_;
    PrinterOptions options_;
    std::function<void(const Order&, const OrderEvent&)> notify_;
    std::map<std::string, Order> orders_;
    std::uint64_t next_id_ = 1, generation_ = 0;
};

}  // namespace sim::fakes::printing
