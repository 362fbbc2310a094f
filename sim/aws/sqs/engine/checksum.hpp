#pragma once
// Digests SQS computes: MD5 of a body, MD5 of message attributes (AWS's length-prefixed encoding),
// SHA-256 for content-based deduplication.

#include <string>
#include <string_view>

#include "sim/aws/sqs/engine/types.hpp"

namespace sim::aws::sqs {

/// Lower-case hex MD5 of `data`.
std::string Md5Hex(std::string_view data);
/// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
/// MD5OfMessageAttributes as AWS computes it: for each attribute in name order, the 4-byte
/// big-endian length and bytes of the name, of the data type, a transport byte (1 string, 2 binary)
/// and the length-prefixed value (AWS SQS developer guide, "Calculating the MD5 message digest for
/// message attributes"). Empty string for an empty map.
std::string AttributesMd5Hex(const AttributeMap& attributes);

}  // namespace sim::aws::sqs
