#include "fakes/printing/printer.hpp"

#include "fakes/common/support.hpp"
#include "sim/core/pan_mask.hpp"

namespace sim::fakes::printing {

bool ValidEmbossedName(std::string_view name) {
    if (name.size() < 2 || name.size() > 26) return false;
    return name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ .-'") == std::string_view::npos;
}

void CardPrinter::Reset() {
    ++generation_;
    orders_.clear();
    next_id_ = 1;
}

ModelResult<Order> CardPrinter::PlaceOrder(const OrderInput& in, const std::string& trace_id) {
    if (in.card_ref.empty()) return core::Fail(ModelError::Invalid("card_ref", "is required"));
    if (!ValidEmbossedName(in.embossed_name))
        return core::Fail(ModelError::Invalid("embossed_name", "must be 2-26 characters of A-Z, space, . - '"));
    // A masked number keeps at most BIN + last 4 (PCI DSS 3.4.1); a full PAN must never come here.
    std::string digits;
    for (char c : in.masked_number)
        if (c >= '0' && c <= '9') digits += c;
    if (core::MaskPans(in.masked_number) != in.masked_number || digits.size() > 10 ||
        in.masked_number.find('*') == std::string::npos)
        return core::Fail(ModelError::Invalid("masked_number",
                                              "must be masked (at most the first 6 and last 4 digits, '*' for the rest)"));
    if (in.postal_code.size() != 8 || in.postal_code[3] != '-' ||
        in.postal_code.find_first_not_of("0123456789-") != std::string::npos)
        return core::Fail(ModelError::Invalid("delivery.postal_code", "must be NNN-NNNN"));
    if (in.address.empty()) return core::Fail(ModelError::Invalid("delivery.address", "is required"));
    Order o;
    o.id = "PO" + common::ZeroPad(next_id_++, 10);
    o.input = in;
    o.trace_id = trace_id;
    o.events.push_back({"ACCEPTED", clock_.Now()});
    orders_[o.id] = o;
    std::string id = o.id;
    auto after = [this](int days, std::function<void()> fn) {
        clock_.ScheduleAfter(std::chrono::days{days}, [this, gen = generation_, fn = std::move(fn)] {
            if (gen == generation_) fn();
        });
    };
    after(options_.ship_after_days, [this, id] { Event(id, "SHIPPED"); });
    bool moved = in.address.find("転居") != std::string::npos;
    if (moved)
        after(options_.returned_after_days, [this, id] { Event(id, "RETURNED_UNDELIVERABLE"); });
    else
        after(options_.deliver_after_days, [this, id] { Event(id, "DELIVERED"); });
    return o;
}

void CardPrinter::Event(const std::string& id, const std::string& type) {
    auto it = orders_.find(id);
    if (it == orders_.end()) return;
    Order& o = it->second;
    if (type == "SHIPPED") {
        // 12-digit tracking number like Japan Post's, derived from the order.
        o.tracking_number = common::ZeroPad(common::StableHash(id + std::to_string(options_.seed)) % 1'000'000'000'000ull, 12);
    }
    o.status = type;
    o.events.push_back({type, clock_.Now()});
    if (notify_) notify_(o, o.events.back());
}

ModelResult<Order> CardPrinter::Get(const std::string& id) const {
    auto it = orders_.find(id);
    if (it == orders_.end()) return core::Fail(ModelError::NotFound("order_id", "no order " + id));
    return it->second;
}

}  // namespace sim::fakes::printing
