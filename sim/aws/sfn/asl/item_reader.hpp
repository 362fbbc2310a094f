#pragma once
// Parsing of the objects a distributed Map's ItemReader reads (the host fetches the text).

#include <string>
#include <string_view>

#include "sim/aws/sfn/asl/definition.hpp"
#include "sim/aws/sfn/asl/json_path.hpp"
#include "sim/core/result.hpp"

namespace sim::aws::sfn::asl {

/// Turns the fetched text into the item array, following `spec`'s ReaderConfig:
///  - JSON: the text must be a JSON array;
///  - JSONL: one JSON value per non-empty line;
///  - CSV: RFC 4180 (quoted fields, doubled quotes, CRLF or LF), each row an object keyed by the
///    header row (CSVHeaderLocation FIRST_ROW) or by CSVHeaders (GIVEN); values stay strings;
///    CSVDelimiter COMMA, PIPE, SEMICOLON, SPACE or TAB;
///  - MANIFEST: an S3 inventory CSV without header: {"Bucket","Key"} per row.
/// For s3:listObjectsV2 the host answers a JSON array of {"Key","Size",...} and the type is JSON.
/// An error message explains malformed text (the caller raises States.ItemReaderFailed).
core::Result<Json> ParseItems(std::string_view text, const ItemReaderSpec& spec);

}  // namespace sim::aws::sfn::asl
