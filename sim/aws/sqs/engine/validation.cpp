#include "sim/aws/sqs/engine/validation.hpp"

#include <cctype>
#include <set>

namespace sim::aws::sqs {

namespace {

bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; }

bool IsValidNumber(std::string_view s) {
    std::size_t i = 0;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    std::size_t digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
    }
    if (digits == 0) return false;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
        std::size_t exp = 0;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp;
        if (exp == 0) return false;
    }
    return i == s.size() && digits <= 38;
}

SqsStatus Invalid(std::string message) { return SqsFail(ErrorCode::kInvalidParameterValue, std::move(message)); }

SqsStatus ValidateAttributeMap(const AttributeMap& attributes, bool system, const Limits& limits) {
    const char* kind = system ? "system" : "(user)";
    if (!system && attributes.size() > limits.max_message_attributes)
        return Invalid("Number of message attributes [" + std::to_string(attributes.size()) +
                       "] exceeds the allowed maximum [" + std::to_string(limits.max_message_attributes) + "].");
    for (const auto& [name, value] : attributes) {
        if (system) {
            if (name != "AWSTraceHeader")
                return Invalid("Message system attribute name '" + name + "' is invalid.");
            if (value.data_type != "String")
                return Invalid("Message system attribute '" + name + "' must be of type String.");
        } else {
            bool ok = !name.empty() && name.size() <= 256 && name.front() != '.' && name.back() != '.' &&
                      name.find("..") == std::string::npos;
            for (char c : name) ok &= IsNameChar(c) || c == '.';
            std::string lower;
            for (char c : name) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
            if (lower.starts_with("aws.") || lower.starts_with("amazon.")) ok = false;
            if (!ok)
                return Invalid("Message (user) attribute name '" + name +
                               "' is invalid. The attribute name can contain A-Z, a-z, 0-9, underscore (_), hyphen "
                               "(-), and period (.) characters.");
        }
        std::string_view type = value.data_type;
        if (type.empty())
            return Invalid("The message " + std::string(kind) + " attribute '" + name + "' must contain a non-empty "
                           "attribute type.");
        std::string_view base = type.substr(0, type.find('.'));
        if ((base != "String" && base != "Number" && base != "Binary") || type.size() > 256 ||
            (type.size() > base.size() && type.size() == base.size() + 1))
            return Invalid("The type of message " + std::string(kind) + " attribute '" + name +
                           "' is invalid. You must use only the following supported type prefixes: Binary, Number, "
                           "String.");
        if (base == "Binary") {
            if (!value.is_binary || value.binary.empty())
                return Invalid("Message " + std::string(kind) + " attribute '" + name +
                               "' must contain a non-empty message attribute value for message attribute type '" +
                               std::string(type) + "'.");
        } else {
            if (value.is_binary || value.text.empty())
                return Invalid("Message " + std::string(kind) + " attribute '" + name +
                               "' must contain a non-empty message attribute value for message attribute type '" +
                               std::string(type) + "'.");
            if (!HasOnlyAllowedCharacters(value.text))
                return SqsFail(ErrorCode::kInvalidMessageContents,
                               "Invalid characters found in message attribute '" + name + "'.");
            if (base == "Number" && !IsValidNumber(value.text))
                return Invalid("Could not cast message attribute '" + name + "' value to number.");
        }
    }
    return SqsOk();
}

}  // namespace

SqsStatus ValidateQueueName(const std::string& name, bool fifo, bool name_rules) {
    if (name.empty()) return SqsFail(ErrorCode::kMissingParameter, "The request must contain the parameter QueueName.");
    if (!name_rules) {
        bool ok = name.size() <= 255 && (!fifo || name.ends_with(".fifo"));
        for (char c : name) ok &= c != '/' && !std::isspace(static_cast<unsigned char>(c)) && static_cast<unsigned char>(c) >= 0x20;
        if (!ok) return Invalid("Queue name " + name + " is invalid.");
        return SqsOk();
    }
    std::string_view stem = name;
    if (fifo) {
        if (!name.ends_with(".fifo"))
            return Invalid("The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
                           "underscores, must end with .fifo suffix and be 1 to 80 in length.");
        stem.remove_suffix(5);
    }
    bool ok = !stem.empty() && name.size() <= 80;
    for (char c : stem) ok &= IsNameChar(c);
    if (!ok) {
        if (fifo)
            return Invalid("The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
                           "underscores, must end with .fifo suffix and be 1 to 80 in length.");
        return Invalid("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
    }
    return SqsOk();
}

bool IsValidBatchId(std::string_view id) {
    if (id.empty() || id.size() > 80) return false;
    for (char c : id)
        if (!IsNameChar(c)) return false;
    return true;
}

bool IsValidDedupId(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    for (char c : id)
        if (!std::isalnum(static_cast<unsigned char>(c)) && !std::ispunct(static_cast<unsigned char>(c))) return false;
    return true;
}

bool HasOnlyAllowedCharacters(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        std::uint32_t cp = 0;
        std::size_t len = 0;
        if (c < 0x80) cp = c, len = 1;
        else if ((c >> 5) == 6) cp = c & 0x1f, len = 2;
        else if ((c >> 4) == 14) cp = c & 0x0f, len = 3;
        else if ((c >> 3) == 30) cp = c & 0x07, len = 4;
        else return false;
        if (i + len > s.size()) return false;
        for (std::size_t k = 1; k < len; ++k) {
            auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc >> 6) != 2) return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        // Overlong encodings are not valid UTF-8.
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;
        bool allowed = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
                       (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
        if (!allowed) return false;
        i += len;
    }
    return true;
}

std::uint64_t MessageSize(const SendRequest& r) {
    std::uint64_t n = r.body.size();
    for (const auto& [name, v] : r.message_attributes)
        n += name.size() + v.data_type.size() + (v.is_binary ? v.binary.size() : v.text.size());
    return n;
}

SqsStatus ValidateMessage(const SendRequest& r, bool fifo, std::uint64_t max_size, const Limits& limits) {
    if (r.body.empty()) return SqsFail(ErrorCode::kMissingParameter, "The request must contain the parameter MessageBody.");
    if (!HasOnlyAllowedCharacters(r.body))
        return SqsFail(ErrorCode::kInvalidMessageContents,
                       "Invalid binary character was found in the message body, the set of allowed characters is #x9 "
                       "| #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF");
    if (r.delay_seconds) {
        if (*r.delay_seconds < 0 || *r.delay_seconds > 900)
            return Invalid("Value " + std::to_string(*r.delay_seconds) +
                           " for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.");
        if (fifo && *r.delay_seconds != 0)
            return Invalid("Value " + std::to_string(*r.delay_seconds) +
                           " for parameter DelaySeconds is invalid. Reason: The request include parameter that is "
                           "not valid for this queue type.");
    }
    if (auto s = ValidateAttributeMap(r.message_attributes, false, limits); !s) return s;
    if (auto s = ValidateAttributeMap(r.system_attributes, true, limits); !s) return s;
    if (MessageSize(r) > max_size)
        return Invalid("One or more parameters are invalid. Reason: Message must be shorter than " +
                       std::to_string(max_size) + " bytes.");
    if (fifo && !r.group_id)
        return SqsFail(ErrorCode::kMissingParameter, "The request must contain the parameter MessageGroupId.");
    if (!fifo && r.deduplication_id)
        return Invalid("Value " + *r.deduplication_id +
                       " for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that "
                       "is not valid for this queue type.");
    if (r.group_id && !IsValidDedupId(*r.group_id))
        return Invalid("Value " + *r.group_id +
                       " for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include "
                       "alphanumeric and punctuation characters. 1 to 128 in length.");
    if (r.deduplication_id && !IsValidDedupId(*r.deduplication_id))
        return Invalid("Value " + *r.deduplication_id +
                       " for parameter MessageDeduplicationId is invalid. Reason: MessageDeduplicationId can only "
                       "include alphanumeric and punctuation characters. 1 to 128 in length.");
    return SqsOk();
}

SqsStatus ValidateBatchIds(const std::vector<std::string>& ids, std::string_view entry_name, const Limits& limits) {
    if (ids.empty())
        return SqsFail(ErrorCode::kEmptyBatchRequest,
                       "There should be at least one " + std::string(entry_name) + " in the request.");
    if (ids.size() > limits.max_batch_entries)
        return SqsFail(ErrorCode::kTooManyEntriesInBatchRequest,
                       "Maximum number of entries per request are " + std::to_string(limits.max_batch_entries) +
                           ". You have sent " + std::to_string(ids.size()) + ".");
    std::set<std::string_view> seen;
    for (const auto& id : ids) {
        if (!IsValidBatchId(id))
            return SqsFail(ErrorCode::kInvalidBatchEntryId,
                           "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It "
                           "can be at most 80 letters long.");
        if (!seen.insert(id).second) return SqsFail(ErrorCode::kBatchEntryIdsNotDistinct, "Id " + id + " repeated.");
    }
    return SqsOk();
}

SqsStatus ValidateTags(const std::map<std::string, std::string>& tags, std::size_t existing) {
    if (existing + tags.size() > 50)
        return Invalid("Too many tags added for queue. A queue can have at most 50 tags.");
    for (const auto& [k, v] : tags) {
        if (k.empty() || k.size() > 128) return Invalid("Tag keys must be between 1 and 128 characters in length.");
        if (v.size() > 256) return Invalid("Tag values may not be longer than 256 characters.");
    }
    return SqsOk();
}

}  // namespace sim::aws::sqs
