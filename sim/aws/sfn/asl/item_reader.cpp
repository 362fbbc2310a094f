#include "sim/aws/sfn/asl/item_reader.hpp"

#include <vector>

namespace sim::aws::sfn::asl {

using core::Error;
using core::Fail;
using core::Result;

namespace {

char Delimiter(const std::string& name) {
    if (name == "PIPE") return '|';
    if (name == "SEMICOLON") return ';';
    if (name == "SPACE") return ' ';
    if (name == "TAB") return '\t';
    return ',';
}

Result<std::vector<std::vector<std::string>>> ParseCsv(std::string_view text, char delim) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false;
    bool field_started = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < text.size() && text[i + 1] == '"') {
                    field.push_back('"');
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                field.push_back(c);
            }
            continue;
        }
        if (c == '"' && field.empty()) {
            quoted = true;
            field_started = true;
        } else if (c == delim) {
            row.push_back(std::move(field));
            field.clear();
            field_started = true;
        } else if (c == '\r' || c == '\n') {
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
            if (field_started || !field.empty() || !row.empty()) {
                row.push_back(std::move(field));
                rows.push_back(std::move(row));
            }
            row.clear();
            field.clear();
            field_started = false;
        } else {
            field.push_back(c);
            field_started = true;
        }
    }
    if (quoted) return Fail(Error::InvalidArgument("unterminated quoted CSV field"));
    if (field_started || !field.empty() || !row.empty()) {
        row.push_back(std::move(field));
        rows.push_back(std::move(row));
    }
    return rows;
}

}  // namespace

Result<Json> ParseItems(std::string_view text, const ItemReaderSpec& spec) {
    if (spec.input_type == "JSON") {
        auto j = Json::parse(text, nullptr, false);
        if (j.is_discarded()) return Fail(Error::InvalidArgument("the object is not valid JSON"));
        if (!j.is_array()) return Fail(Error::InvalidArgument("the JSON object must contain an array"));
        return j;
    }
    if (spec.input_type == "JSONL") {
        Json out = Json::array();
        std::size_t start = 0;
        std::size_t line_no = 0;
        while (start <= text.size()) {
            std::size_t end = text.find('\n', start);
            if (end == std::string_view::npos) end = text.size();
            std::string_view line = text.substr(start, end - start);
            ++line_no;
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            if (!line.empty()) {
                auto j = Json::parse(line, nullptr, false);
                if (j.is_discarded()) {
                    return Fail(Error::InvalidArgument("line " + std::to_string(line_no) + " is not valid JSON"));
                }
                out.push_back(std::move(j));
            }
            start = end + 1;
        }
        return out;
    }
    char delim = spec.input_type == "MANIFEST" ? ',' : Delimiter(spec.csv_delimiter);
    auto rows = ParseCsv(text, delim);
    if (!rows) return Fail(rows.error());
    Json out = Json::array();
    if (spec.input_type == "MANIFEST") {
        for (const auto& row : *rows) {
            if (row.size() < 2) return Fail(Error::InvalidArgument("a manifest row needs bucket and key"));
            out.push_back(Json{{"Bucket", row[0]}, {"Key", row[1]}});
        }
        return out;
    }
    std::vector<std::string> headers = spec.csv_headers;
    std::size_t first = 0;
    if (spec.csv_header_location == "FIRST_ROW") {
        if (rows->empty()) return out;
        headers = (*rows)[0];
        first = 1;
    }
    for (std::size_t r = first; r < rows->size(); ++r) {
        const auto& row = (*rows)[r];
        if (row.size() > headers.size()) {
            return Fail(Error::InvalidArgument("CSV row " + std::to_string(r + 1) + " has more fields than headers"));
        }
        Json item = Json::object();
        for (std::size_t c = 0; c < headers.size(); ++c) item[headers[c]] = c < row.size() ? row[c] : std::string();
        out.push_back(std::move(item));
    }
    return out;
}

}  // namespace sim::aws::sfn::asl
