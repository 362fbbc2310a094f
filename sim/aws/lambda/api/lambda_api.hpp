#pragma once
// Lambda wire protocol (REST-JSON, SigV4 credential scope `lambda`, path prefix /2015-03-31/) over
// the FunctionRegistry and EventSourceMappings.
//
// Supported operations:
//  - Invoke (POST /2015-03-31/functions/{name}/invocations) for registered in-process functions:
//    X-Amz-Invocation-Type RequestResponse (200 with the result; a failed function answers 200
//    with X-Amz-Function-Error: Unhandled and {"errorMessage","errorType"}), Event (202, runs on a
//    later loop turn) and DryRun (204). Names, partial ARNs and qualifiers are accepted.
//  - GetFunction, ListFunctions (the registered functions, Runtime "provided.al2023").
//  - CreateEventSourceMapping, GetEventSourceMapping, ListEventSourceMappings,
//    UpdateEventSourceMapping, DeleteEventSourceMapping for SQS sources. Mappings are durable
//    (events.db): after a restart they resume consuming their queues. Creating a mapping that
//    exists already (same queue and function) is a ResourceConflictException, as in AWS, so
//    provisioning at every start should look the mapping up first.
//  - ListFunctions and ListEventSourceMappings page with Marker / NextMarker and MaxItems (1-10000;
//    defaults 50 and 100 as AWS); a marker this server did not issue is an
//    InvalidParameterValueException.
//  - Control plane: GET /_sim/functions/{name}/invocations -> {"invocations":[events...]} (the
//    last 1000 events each function received, from any caller).
// Built-in diagnostic functions: cardsim-echo, cardsim-fail, cardsim-record, cardsim-partial
// (see RegisterDiagnosticFunctions).
//
// Limitations: functions are C++ callables registered by the composition root: CreateFunction,
// UpdateFunctionCode, aliases, versions, layers, permissions and concurrency settings are not
// supported (functions are code, not stored: whatever the composition root registers at start);
// event source mappings are SQS only; LastProcessingResult restarts at "No records processed"
// after a restart; LogType Tail returns no log.

#include <memory>

#include "sim/aws/lambda/engine/event_source_mappings.hpp"
#include "sim/aws/lambda/engine/function_registry.hpp"
#include "sim/core/event_loop.hpp"
#include "sim/core/router.hpp"

namespace sim::aws::lambda {

class LambdaApi {
public:
    LambdaApi(core::EventLoop& loop, FunctionRegistry& functions, EventSourceMappings& mappings, std::string region,
              std::string account_id, std::uint64_t seed);
    ~LambdaApi();
    /// Adds the credential-scope `lambda` routes and the /_sim/functions control route.
    void Install(core::Router& router);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sim::aws::lambda
