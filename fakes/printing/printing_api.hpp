#pragma once
// HTTP API of the fake card printer under /printing (see fakes/printing/README.md).
//
// Supported operations (fault operation names in brackets)
//   POST /printing/v1/orders          [place_order]
//   GET  /printing/v1/orders/{id}     [get_order]
//   outbound: POST <platform>/ext/v1/printing/events   [callback_order_event]
// Limitations: no cancellation or reprint; business days are not considered (calendar days).

#include <memory>

#include "fakes/common/fake_env.hpp"
#include "fakes/printing/printer.hpp"

namespace sim::fakes::printing {

class PrintingApi {
public:
    PrintingApi(common::FakeEnv& env, PrinterOptions options);
    void Install(core::Router& router);
    CardPrinter& model() { return *model_; }

private:
    common::FakeEnv& env_;
    std::unique_ptr<CardPrinter> model_;
};

nlohmann::json ToJson(const Order& o);

}  // namespace sim::fakes::printing
