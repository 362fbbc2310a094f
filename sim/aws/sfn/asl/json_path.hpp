#pragma once
// The ASL interpreter's JSONPath is sim/core's (shared with the scenario runner).

#include "sim/core/json_path.hpp"

namespace sim::aws::sfn::asl {

/// JSON values keep the key order of their source, as AWS does in its outputs.
using Json = nlohmann::ordered_json;
using core::JsonPath;
using core::PathRoot;
using core::PathScope;

}  // namespace sim::aws::sfn::asl
