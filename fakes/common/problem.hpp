#pragma once
// Expected failures of the fakes' models and the one table that turns them into HTTP problems
// (issue 7, "Bad input": a 4xx with a JSON problem body naming the field and the reason). The
// reader and the problem body are sim/core/json_fields.hpp, shared with the platform.

#include "sim/core/json_fields.hpp"

namespace sim::fakes::common {

/// A model's expected failure: what kind, which input field (may be empty) and why.
using ModelError = core::FieldError;

template <typename T>
using ModelResult = core::Result<T, ModelError>;

using JsonReader = core::JsonFields;
using core::FieldProblem;
using core::IsDate;
using core::StatusOf;
using core::ToResponse;

}  // namespace sim::fakes::common
