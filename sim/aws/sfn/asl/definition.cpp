#include "sim/aws/sfn/asl/definition.hpp"

#include <cmath>
#include <set>

#include "sim/core/time.hpp"

namespace sim::aws::sfn::asl {

using core::Fail;
using core::Result;

std::string_view StateTypeName(StateType type) {
    switch (type) {
        case StateType::kPass: return "Pass";
        case StateType::kTask: return "Task";
        case StateType::kChoice: return "Choice";
        case StateType::kWait: return "Wait";
        case StateType::kSucceed: return "Succeed";
        case StateType::kFail: return "Fail";
        case StateType::kParallel: return "Parallel";
        case StateType::kMap: return "Map";
    }
    return "Pass";
}

const State* StateMachine::Find(std::string_view name) const {
    auto it = index_.find(std::string(name));
    return it == index_.end() ? nullptr : &states[it->second];
}

namespace {

constexpr std::size_t kMaxStateNameLength = 80;
const char* const kSchema = "SCHEMA_VALIDATION_FAILED";

std::string Pointer(const std::string& base, const std::string& key) {
    std::string out = base + "/";
    for (char c : key) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out.push_back(c);
    }
    return out;
}

const std::set<std::string>& AllowedFields(StateType type) {
    static const std::set<std::string> kPass = {"Type", "Comment", "QueryLanguage", "Next", "End", "InputPath",
                                                "OutputPath", "ResultPath", "Parameters", "Result", "Assign"};
    static const std::set<std::string> kTask = {
        "Type",      "Comment", "QueryLanguage",   "Next",   "End",      "InputPath",          "OutputPath",
        "ResultPath", "Parameters", "ResultSelector", "Retry", "Catch",  "Resource",           "TimeoutSeconds",
        "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials", "Assign"};
    static const std::set<std::string> kChoice = {"Type",    "Comment", "QueryLanguage", "InputPath",
                                                  "OutputPath", "Choices", "Default",       "Assign"};
    static const std::set<std::string> kWait = {"Type",    "Comment",   "QueryLanguage", "Next",          "End",
                                                "InputPath", "OutputPath", "Seconds",       "Timestamp",     "SecondsPath",
                                                "TimestampPath", "Assign"};
    static const std::set<std::string> kSucceed = {"Type", "Comment", "QueryLanguage", "InputPath", "OutputPath"};
    static const std::set<std::string> kFail = {"Type", "Comment", "QueryLanguage", "Error", "Cause", "ErrorPath",
                                                "CausePath"};
    static const std::set<std::string> kParallel = {"Type",       "Comment",    "QueryLanguage", "Next",
                                                    "End",        "InputPath",  "OutputPath",    "ResultPath",
                                                    "Parameters", "ResultSelector", "Retry",     "Catch",
                                                    "Branches",   "Assign"};
    static const std::set<std::string> kMap = {
        "Type", "Comment", "QueryLanguage", "Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters",
        "ResultSelector", "Retry", "Catch", "ItemProcessor", "Iterator", "ItemsPath", "ItemSelector", "ItemReader",
        "ItemBatcher", "ResultWriter", "MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailureCount",
        "ToleratedFailureCountPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "Label",
        "Assign"};
    switch (type) {
        case StateType::kPass: return kPass;
        case StateType::kTask: return kTask;
        case StateType::kChoice: return kChoice;
        case StateType::kWait: return kWait;
        case StateType::kSucceed: return kSucceed;
        case StateType::kFail: return kFail;
        case StateType::kParallel: return kParallel;
        case StateType::kMap: return kMap;
    }
    return kPass;
}

std::optional<StateType> ParseType(const std::string& s) {
    if (s == "Pass") return StateType::kPass;
    if (s == "Task") return StateType::kTask;
    if (s == "Choice") return StateType::kChoice;
    if (s == "Wait") return StateType::kWait;
    if (s == "Succeed") return StateType::kSucceed;
    if (s == "Fail") return StateType::kFail;
    if (s == "Parallel") return StateType::kParallel;
    if (s == "Map") return StateType::kMap;
    return std::nullopt;
}

bool IsPositiveInteger(const Json& j) { return j.is_number_integer() && j.get<std::int64_t>() > 0; }
bool IsNonNegativeInteger(const Json& j) { return j.is_number_integer() && j.get<std::int64_t>() >= 0; }

class DefinitionParser {
public:
    std::vector<ValidationError> problems;

    void Add(std::string code, std::string message, std::string location) {
        problems.push_back({std::move(code), std::move(message), std::move(location)});
    }
    void Schema(std::string message, std::string location) { Add(kSchema, std::move(message), std::move(location)); }

    /// Parses a (sub) machine at `base` ("" for the top level).
    std::shared_ptr<StateMachine> ParseMachine(const Json& j, const std::string& base, bool top) {
        auto machine = std::make_shared<StateMachine>();
        if (!j.is_object()) {
            Schema("The state machine must be a JSON object", base.empty() ? "/" : base);
            return machine;
        }
        static const std::set<std::string> kTop = {"Comment", "StartAt", "States", "TimeoutSeconds", "Version",
                                                   "QueryLanguage"};
        static const std::set<std::string> kNested = {"Comment", "StartAt", "States", "ProcessorConfig",
                                                      "QueryLanguage"};
        const auto& allowed = top ? kTop : kNested;
        for (auto it = j.begin(); it != j.end(); ++it) {
            if (!allowed.count(it.key())) Schema("Field '" + it.key() + "' is not supported", base.empty() ? "/" : base);
        }
        CheckQueryLanguage(j, base);
        if (auto it = j.find("Comment"); it != j.end()) {
            if (it->is_string()) machine->comment = it->get<std::string>();
            else Schema("The value of 'Comment' must be a string", Pointer(base, "Comment"));
        }
        if (top) {
            if (auto it = j.find("TimeoutSeconds"); it != j.end()) {
                if (IsPositiveInteger(*it)) machine->timeout_seconds = it->get<std::int64_t>();
                else Schema("The value of 'TimeoutSeconds' must be a positive integer", Pointer(base, "TimeoutSeconds"));
            }
            if (auto it = j.find("Version"); it != j.end() && !it->is_string()) {
                Schema("The value of 'Version' must be a string", Pointer(base, "Version"));
            }
        }
        auto start = j.find("StartAt");
        auto states = j.find("States");
        std::vector<std::string> missing;
        if (start == j.end()) missing.push_back("StartAt");
        if (states == j.end()) missing.push_back("States");
        if (!missing.empty()) {
            std::string list;
            for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
            Schema("These fields are required: [" + list + "]", base.empty() ? "/" : base);
        }
        if (start != j.end()) {
            if (start->is_string()) machine->start_at = start->get<std::string>();
            else Schema("The value of 'StartAt' must be a string", Pointer(base, "StartAt"));
        }
        if (states != j.end()) {
            if (!states->is_object()) {
                Schema("The value of 'States' must be an object", Pointer(base, "States"));
            } else if (states->empty()) {
                Schema("'States' must contain at least one state", Pointer(base, "States"));
            } else {
                for (auto it = states->begin(); it != states->end(); ++it) {
                    std::string where = Pointer(Pointer(base, "States"), it.key());
                    if (it.key().empty() || it.key().size() > kMaxStateNameLength) {
                        Schema("State names must be 1 to 80 characters long", where);
                    }
                    machine->index_[it.key()] = machine->states.size();
                    machine->states.push_back(ParseState(it.key(), it.value(), where));
                }
            }
        }
        CheckTransitions(*machine, base);
        return machine;
    }

private:
    void CheckQueryLanguage(const Json& j, const std::string& base) {
        auto it = j.find("QueryLanguage");
        if (it == j.end()) return;
        if (*it == "JSONata") {
            Schema("The QueryLanguage 'JSONata' is not supported by this emulator yet; use 'JSONPath'",
                   Pointer(base, "QueryLanguage"));
        } else if (*it != "JSONPath") {
            Schema("The value of 'QueryLanguage' must be 'JSONPath' or 'JSONata'", Pointer(base, "QueryLanguage"));
        }
    }

    std::optional<JsonPath> PathField(const Json& s, const std::string& field, const std::string& where,
                                      bool reference, bool nullable = true) {
        auto it = s.find(field);
        if (it == s.end()) return JsonPath::Parse("$").value();
        if (it->is_null()) {
            if (!nullable) Schema("The value of '" + field + "' may not be null", Pointer(where, field));
            return std::nullopt;
        }
        if (!it->is_string()) {
            Schema("The value of '" + field + "' must be a string containing a JSONPath", Pointer(where, field));
            return std::nullopt;
        }
        auto path = reference ? JsonPath::ParseReference(it->get<std::string>()) : JsonPath::Parse(it->get<std::string>());
        if (!path) {
            Schema(std::string("The value for the field '") + field + "' must be a valid " +
                       (reference ? "ReferencePath" : "JSONPath") + ": " + path.error().message,
                   Pointer(where, field));
            return std::nullopt;
        }
        return std::move(*path);
    }

    std::optional<JsonPath> OptionalPath(const Json& s, const std::string& field, const std::string& where,
                                         bool reference) {
        if (!s.contains(field)) return std::nullopt;
        return PathField(s, field, where, reference, false);
    }

    std::optional<PayloadTemplate> Template(const Json& s, const std::string& field, const std::string& where) {
        auto it = s.find(field);
        if (it == s.end()) return std::nullopt;
        if (!it->is_object()) {
            if (field != "Parameters" || it->is_null()) {
                Schema("The value of '" + field + "' must be an object", Pointer(where, field));
                return std::nullopt;
            }
        }
        return PayloadTemplate::Compile(*it, Pointer(where, field), problems);
    }

    std::optional<std::int64_t> PositiveInt(const Json& s, const std::string& field, const std::string& where) {
        auto it = s.find(field);
        if (it == s.end()) return std::nullopt;
        if (!IsPositiveInteger(*it)) {
            Schema("The value of '" + field + "' must be a positive integer", Pointer(where, field));
            return std::nullopt;
        }
        return it->get<std::int64_t>();
    }

    std::string StringField(const Json& s, const std::string& field, const std::string& where) {
        auto it = s.find(field);
        if (it == s.end()) return {};
        if (!it->is_string()) {
            Schema("The value of '" + field + "' must be a string", Pointer(where, field));
            return {};
        }
        return it->get<std::string>();
    }

    std::vector<std::string> ErrorEquals(const Json& j, const std::string& where) {
        std::vector<std::string> out;
        auto it = j.find("ErrorEquals");
        if (it == j.end()) {
            Schema("These fields are required: [ErrorEquals]", where);
            return out;
        }
        if (!it->is_array() || it->empty()) {
            Schema("'ErrorEquals' must be a non-empty array of strings", Pointer(where, "ErrorEquals"));
            return out;
        }
        for (const auto& e : *it) {
            if (!e.is_string()) {
                Schema("'ErrorEquals' must be a non-empty array of strings", Pointer(where, "ErrorEquals"));
                return out;
            }
            out.push_back(e.get<std::string>());
        }
        bool has_all = false;
        for (const auto& e : out) has_all = has_all || e == errors::kAll;
        if (has_all && out.size() > 1) {
            Schema("'States.ALL' must appear alone in 'ErrorEquals'", Pointer(where, "ErrorEquals"));
        }
        return out;
    }

    void ParseRetry(const Json& s, const std::string& where, State& st) {
        auto it = s.find("Retry");
        if (it == s.end()) return;
        std::string base = Pointer(where, "Retry");
        if (!it->is_array()) {
            Schema("The value of 'Retry' must be an array", base);
            return;
        }
        static const std::set<std::string> kFields = {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate",
                                                      "MaxDelaySeconds", "JitterStrategy", "Comment"};
        for (std::size_t i = 0; i < it->size(); ++i) {
            const Json& r = (*it)[i];
            std::string rw = base + "/" + std::to_string(i);
            if (!r.is_object()) {
                Schema("A retrier must be an object", rw);
                continue;
            }
            for (auto f = r.begin(); f != r.end(); ++f) {
                if (!kFields.count(f.key())) Schema("Field '" + f.key() + "' is not supported", rw);
            }
            Retrier retrier;
            retrier.error_equals = ErrorEquals(r, rw);
            if (auto v = PositiveInt(r, "IntervalSeconds", rw)) retrier.interval_seconds = static_cast<double>(*v);
            if (auto f = r.find("MaxAttempts"); f != r.end()) {
                if (IsNonNegativeInteger(*f)) retrier.max_attempts = f->get<std::int64_t>();
                else Schema("The value of 'MaxAttempts' must be a non-negative integer", Pointer(rw, "MaxAttempts"));
            }
            if (auto f = r.find("BackoffRate"); f != r.end()) {
                if (f->is_number() && f->get<double>() >= 1.0) retrier.backoff_rate = f->get<double>();
                else Schema("The value of 'BackoffRate' must be a number >= 1.0", Pointer(rw, "BackoffRate"));
            }
            if (auto v = PositiveInt(r, "MaxDelaySeconds", rw)) retrier.max_delay_seconds = static_cast<double>(*v);
            if (auto f = r.find("JitterStrategy"); f != r.end()) {
                if (*f == "FULL") retrier.jitter = JitterStrategy::kFull;
                else if (*f != "NONE") Schema("The value of 'JitterStrategy' must be FULL or NONE", Pointer(rw, "JitterStrategy"));
            }
            if (i + 1 < it->size()) {
                for (const auto& e : retrier.error_equals) {
                    if (e == errors::kAll) Schema("'States.ALL' must appear in the last retrier", Pointer(rw, "ErrorEquals"));
                }
            }
            st.retry.push_back(std::move(retrier));
        }
    }

    void ParseCatch(const Json& s, const std::string& where, State& st) {
        auto it = s.find("Catch");
        if (it == s.end()) return;
        std::string base = Pointer(where, "Catch");
        if (!it->is_array()) {
            Schema("The value of 'Catch' must be an array", base);
            return;
        }
        static const std::set<std::string> kFields = {"ErrorEquals", "Next", "ResultPath", "Assign", "Comment"};
        for (std::size_t i = 0; i < it->size(); ++i) {
            const Json& c = (*it)[i];
            std::string cw = base + "/" + std::to_string(i);
            if (!c.is_object()) {
                Schema("A catcher must be an object", cw);
                continue;
            }
            for (auto f = c.begin(); f != c.end(); ++f) {
                if (!kFields.count(f.key())) Schema("Field '" + f.key() + "' is not supported", cw);
            }
            Catcher catcher;
            catcher.error_equals = ErrorEquals(c, cw);
            if (!c.contains("Next")) Schema("These fields are required: [Next]", cw);
            catcher.next = StringField(c, "Next", cw);
            catcher.result_path = PathField(c, "ResultPath", cw, true);
            catcher.assign = Template(c, "Assign", cw);
            if (i + 1 < it->size()) {
                for (const auto& e : catcher.error_equals) {
                    if (e == errors::kAll) Schema("'States.ALL' must appear in the last catcher", Pointer(cw, "ErrorEquals"));
                }
            }
            st.catchers.push_back(std::move(catcher));
        }
    }

    std::optional<ValueExpr> ValueField(const Json& s, const std::string& field, const std::string& where) {
        auto it = s.find(field);
        if (it == s.end()) return std::nullopt;
        if (!it->is_string()) {
            Schema("The value of '" + field + "' must be a string", Pointer(where, field));
            return std::nullopt;
        }
        ValueExpr out;
        const auto& text = it->get_ref<const std::string&>();
        if (Intrinsic::LooksLikeCall(text)) {
            auto call = Intrinsic::Parse(text);
            if (!call) {
                Schema("The value for the field '" + field + "' must be a valid intrinsic function call: " +
                           call.error().message,
                       Pointer(where, field));
                return std::nullopt;
            }
            out.intrinsic = std::move(*call);
        } else {
            auto path = JsonPath::Parse(text);
            if (!path) {
                Schema("The value for the field '" + field + "' must be a valid JSONPath: " + path.error().message,
                       Pointer(where, field));
                return std::nullopt;
            }
            out.path = std::move(*path);
        }
        return out;
    }

    ChoiceRule ParseRule(const Json& r, const std::string& where, bool top) {
        ChoiceRule rule;
        if (!r.is_object()) {
            Schema("A choice rule must be an object", where);
            return rule;
        }
        if (top) {
            if (!r.contains("Next")) Schema("These fields are required: [Next]", where);
            rule.next = StringField(r, "Next", where);
            rule.assign = Template(r, "Assign", where);
        } else if (r.contains("Next")) {
            Schema("Field 'Next' is only allowed in a top-level choice rule", Pointer(where, "Next"));
        }
        for (const char* combinator : {"And", "Or"}) {
            if (auto it = r.find(combinator); it != r.end()) {
                rule.kind = std::string(combinator) == "And" ? ChoiceRule::Kind::kAnd : ChoiceRule::Kind::kOr;
                if (!it->is_array() || it->empty()) {
                    Schema(std::string("'") + combinator + "' must be a non-empty array of rules", Pointer(where, combinator));
                    return rule;
                }
                for (std::size_t i = 0; i < it->size(); ++i) {
                    rule.children.push_back(ParseRule((*it)[i], Pointer(where, combinator) + "/" + std::to_string(i), false));
                }
                return rule;
            }
        }
        if (auto it = r.find("Not"); it != r.end()) {
            rule.kind = ChoiceRule::Kind::kNot;
            rule.children.push_back(ParseRule(*it, Pointer(where, "Not"), false));
            return rule;
        }
        rule.kind = ChoiceRule::Kind::kComparison;
        if (!r.contains("Variable")) {
            Schema("These fields are required: [Variable]", where);
        } else {
            rule.variable = OptionalPath(r, "Variable", where, false);
        }
        static const std::set<std::string> kMeta = {"Variable", "Next", "Assign", "Comment"};
        int operators = 0;
        for (auto it = r.begin(); it != r.end(); ++it) {
            if (kMeta.count(it.key())) continue;
            ++operators;
            if (!ParseOperator(it.key(), it.value(), Pointer(where, it.key()), rule)) {
                Schema("Field '" + it.key() + "' is not supported", where);
            }
        }
        if (operators != 1) Schema("A choice rule must have exactly one comparison operator", where);
        return rule;
    }

    bool ParseOperator(const std::string& name, const Json& value, const std::string& where, ChoiceRule& rule) {
        rule.operator_name = name;
        static const std::pair<const char*, TypeTest> kTests[] = {
            {"IsNull", TypeTest::kIsNull},       {"IsPresent", TypeTest::kIsPresent}, {"IsNumeric", TypeTest::kIsNumeric},
            {"IsString", TypeTest::kIsString},   {"IsBoolean", TypeTest::kIsBoolean},
            {"IsTimestamp", TypeTest::kIsTimestamp}};
        for (const auto& [test_name, test] : kTests) {
            if (name == test_name) {
                rule.test = test;
                if (!value.is_boolean()) Schema("The value of '" + name + "' must be a boolean", where);
                rule.operand = value;
                return true;
            }
        }
        static const std::pair<const char*, CompareType> kTypes[] = {{"String", CompareType::kString},
                                                                     {"Numeric", CompareType::kNumeric},
                                                                     {"Boolean", CompareType::kBoolean},
                                                                     {"Timestamp", CompareType::kTimestamp}};
        static const std::pair<const char*, CompareRelation> kRelations[] = {
            {"Equals", CompareRelation::kEquals},
            {"LessThanEquals", CompareRelation::kLessThanEquals},
            {"GreaterThanEquals", CompareRelation::kGreaterThanEquals},
            {"LessThan", CompareRelation::kLessThan},
            {"GreaterThan", CompareRelation::kGreaterThan},
            {"Matches", CompareRelation::kMatches}};
        for (const auto& [type_name, type] : kTypes) {
            std::string_view rest(name);
            if (!rest.starts_with(type_name)) continue;
            rest.remove_prefix(std::string_view(type_name).size());
            bool is_path = rest.ends_with("Path");
            if (is_path) rest.remove_suffix(4);
            for (const auto& [rel_name, rel] : kRelations) {
                if (rest != rel_name) continue;
                if (rel == CompareRelation::kMatches && (type != CompareType::kString || is_path)) return false;
                if (type == CompareType::kBoolean && rel != CompareRelation::kEquals) return false;
                rule.type = type;
                rule.relation = rel;
                if (is_path) {
                    if (!value.is_string()) {
                        Schema("The value of '" + name + "' must be a JSONPath string", where);
                    } else if (auto p = JsonPath::Parse(value.get<std::string>()); p) {
                        rule.operand_path = std::move(*p);
                    } else {
                        Schema("The value for the field '" + name + "' must be a valid JSONPath: " + p.error().message, where);
                    }
                    return true;
                }
                rule.operand = value;
                bool ok = true;
                switch (type) {
                    case CompareType::kString: ok = value.is_string(); break;
                    case CompareType::kNumeric: ok = value.is_number(); break;
                    case CompareType::kBoolean: ok = value.is_boolean(); break;
                    case CompareType::kTimestamp:
                        ok = value.is_string() && core::ParseIso8601(value.get<std::string>()).ok();
                        break;
                }
                if (!ok) Schema("The value of '" + name + "' has the wrong type", where);
                return true;
            }
        }
        return false;
    }

    void ParseItemReader(const Json& s, const std::string& where, State& st) {
        auto it = s.find("ItemReader");
        if (it == s.end()) return;
        std::string base = Pointer(where, "ItemReader");
        if (!it->is_object()) {
            Schema("The value of 'ItemReader' must be an object", base);
            return;
        }
        ItemReaderSpec spec;
        if (!it->contains("Resource")) Schema("These fields are required: [Resource]", base);
        spec.resource = StringField(*it, "Resource", base);
        spec.parameters = Template(*it, "Parameters", base);
        if (auto rc = it->find("ReaderConfig"); rc != it->end()) {
            std::string rw = Pointer(base, "ReaderConfig");
            if (!rc->is_object()) {
                Schema("The value of 'ReaderConfig' must be an object", rw);
            } else {
                if (rc->contains("InputType")) spec.input_type = StringField(*rc, "InputType", rw);
                if (rc->contains("CSVHeaderLocation")) spec.csv_header_location = StringField(*rc, "CSVHeaderLocation", rw);
                if (rc->contains("CSVDelimiter")) spec.csv_delimiter = StringField(*rc, "CSVDelimiter", rw);
                if (auto h = rc->find("CSVHeaders"); h != rc->end()) {
                    if (!h->is_array()) Schema("'CSVHeaders' must be an array of strings", Pointer(rw, "CSVHeaders"));
                    else
                        for (const auto& name : *h) spec.csv_headers.push_back(name.is_string() ? name.get<std::string>() : name.dump());
                }
                spec.max_items = PositiveInt(*rc, "MaxItems", rw);
                spec.max_items_path = OptionalPath(*rc, "MaxItemsPath", rw, true);
                static const std::set<std::string> kTypes = {"JSON", "JSONL", "CSV", "MANIFEST"};
                if (!kTypes.count(spec.input_type)) Schema("'InputType' must be JSON, JSONL, CSV or MANIFEST", Pointer(rw, "InputType"));
                if (spec.csv_header_location != "FIRST_ROW" && spec.csv_header_location != "GIVEN") {
                    Schema("'CSVHeaderLocation' must be FIRST_ROW or GIVEN", Pointer(rw, "CSVHeaderLocation"));
                }
                if (spec.csv_header_location == "GIVEN" && spec.csv_headers.empty()) {
                    Schema("'CSVHeaders' is required when 'CSVHeaderLocation' is GIVEN", rw);
                }
            }
        }
        st.item_reader = std::move(spec);
    }

    State ParseState(const std::string& name, const Json& s, const std::string& where) {
        State st;
        st.name = name;
        if (!s.is_object()) {
            Schema("A state must be a JSON object", where);
            return st;
        }
        auto type_it = s.find("Type");
        if (type_it == s.end()) {
            Schema("These fields are required: [Type]", where);
            return st;
        }
        auto type = type_it->is_string() ? ParseType(type_it->get<std::string>()) : std::nullopt;
        if (!type) {
            Schema("The value of 'Type' must be one of Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map",
                   Pointer(where, "Type"));
            return st;
        }
        st.type = *type;
        const auto& allowed = AllowedFields(st.type);
        for (auto it = s.begin(); it != s.end(); ++it) {
            if (!allowed.count(it.key())) Schema("Field '" + it.key() + "' is not supported", where);
        }
        CheckQueryLanguage(s, where);
        st.comment = StringField(s, "Comment", where);

        // Transitions
        bool terminal = st.type == StateType::kChoice || st.type == StateType::kSucceed || st.type == StateType::kFail;
        if (!terminal) {
            bool has_next = s.contains("Next");
            bool has_end = s.contains("End");
            if (has_next) st.next = StringField(s, "Next", where);
            if (has_end) {
                if (!s["End"].is_boolean()) Schema("The value of 'End' must be a boolean", Pointer(where, "End"));
                else st.end = s["End"].get<bool>();
                if (!st.end && !has_next) Schema("'End' must be true when 'Next' is absent", Pointer(where, "End"));
            }
            if (has_next && st.end) Schema("Only one of 'Next' or 'End' can be present", where);
            if (!has_next && !has_end) {
                Add("MISSING_TRANSITION_TARGET", "State '" + name + "' is not an end state and has no 'Next' field", where);
            }
        }

        // Input/output processing common to most states
        if (st.type != StateType::kFail) {
            st.input_path = PathField(s, "InputPath", where, false);
            st.output_path = PathField(s, "OutputPath", where, false);
        }
        st.result_path = PathField(s, "ResultPath", where, true);
        if (st.type == StateType::kPass || st.type == StateType::kTask || st.type == StateType::kParallel) {
            st.parameters = Template(s, "Parameters", where);
        }
        st.result_selector = Template(s, "ResultSelector", where);
        st.assign = Template(s, "Assign", where);
        if (auto it = s.find("Result"); it != s.end()) st.result = *it;
        ParseRetry(s, where, st);
        ParseCatch(s, where, st);

        switch (st.type) {
            case StateType::kTask: {
                if (!s.contains("Resource")) Schema("These fields are required: [Resource]", where);
                st.resource = StringField(s, "Resource", where);
                st.timeout_seconds = PositiveInt(s, "TimeoutSeconds", where);
                st.heartbeat_seconds = PositiveInt(s, "HeartbeatSeconds", where);
                st.timeout_seconds_path = OptionalPath(s, "TimeoutSecondsPath", where, true);
                st.heartbeat_seconds_path = OptionalPath(s, "HeartbeatSecondsPath", where, true);
                if (s.contains("TimeoutSeconds") && s.contains("TimeoutSecondsPath")) {
                    Schema("Only one of 'TimeoutSeconds' or 'TimeoutSecondsPath' can be present", where);
                }
                if (s.contains("HeartbeatSeconds") && s.contains("HeartbeatSecondsPath")) {
                    Schema("Only one of 'HeartbeatSeconds' or 'HeartbeatSecondsPath' can be present", where);
                }
                if (st.timeout_seconds && st.heartbeat_seconds && *st.heartbeat_seconds >= *st.timeout_seconds) {
                    Schema("'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'", Pointer(where, "HeartbeatSeconds"));
                }
                if (auto it = s.find("Credentials"); it != s.end()) st.credentials = *it;
                break;
            }
            case StateType::kChoice: {
                auto it = s.find("Choices");
                if (it == s.end()) {
                    Schema("These fields are required: [Choices]", where);
                } else if (!it->is_array() || it->empty()) {
                    Schema("'Choices' must be a non-empty array", Pointer(where, "Choices"));
                } else {
                    for (std::size_t i = 0; i < it->size(); ++i) {
                        st.choices.push_back(ParseRule((*it)[i], Pointer(where, "Choices") + "/" + std::to_string(i), true));
                    }
                }
                st.default_next = StringField(s, "Default", where);
                break;
            }
            case StateType::kWait: {
                int count = 0;
                for (const char* f : {"Seconds", "Timestamp", "SecondsPath", "TimestampPath"}) count += s.contains(f) ? 1 : 0;
                if (count != 1) {
                    Schema("Exactly one of 'Seconds', 'Timestamp', 'SecondsPath' or 'TimestampPath' is required", where);
                }
                if (auto it = s.find("Seconds"); it != s.end()) {
                    if (IsNonNegativeInteger(*it)) st.seconds = it->get<std::int64_t>();
                    else Schema("The value of 'Seconds' must be a non-negative integer", Pointer(where, "Seconds"));
                }
                if (auto it = s.find("Timestamp"); it != s.end()) {
                    if (it->is_string() && core::ParseIso8601(it->get<std::string>()).ok()) {
                        st.timestamp = it->get<std::string>();
                    } else {
                        Schema("The value of 'Timestamp' must be an ISO-8601 timestamp", Pointer(where, "Timestamp"));
                    }
                }
                st.seconds_path = OptionalPath(s, "SecondsPath", where, true);
                st.timestamp_path = OptionalPath(s, "TimestampPath", where, true);
                break;
            }
            case StateType::kFail: {
                if (s.contains("Error")) st.error = StringField(s, "Error", where);
                if (s.contains("Cause")) st.cause = StringField(s, "Cause", where);
                st.error_path = ValueField(s, "ErrorPath", where);
                st.cause_path = ValueField(s, "CausePath", where);
                if (s.contains("Error") && s.contains("ErrorPath")) Schema("Only one of 'Error' or 'ErrorPath' can be present", where);
                if (s.contains("Cause") && s.contains("CausePath")) Schema("Only one of 'Cause' or 'CausePath' can be present", where);
                break;
            }
            case StateType::kParallel: {
                auto it = s.find("Branches");
                if (it == s.end()) {
                    Schema("These fields are required: [Branches]", where);
                } else if (!it->is_array() || it->empty()) {
                    Schema("'Branches' must be a non-empty array", Pointer(where, "Branches"));
                } else {
                    for (std::size_t i = 0; i < it->size(); ++i) {
                        st.branches.push_back(ParseMachine((*it)[i], Pointer(where, "Branches") + "/" + std::to_string(i), false));
                    }
                }
                break;
            }
            case StateType::kMap:
                ParseMap(s, where, st);
                break;
            default:
                break;
        }
        return st;
    }

    void ParseMap(const Json& s, const std::string& where, State& st) {
        bool has_processor = s.contains("ItemProcessor");
        bool has_iterator = s.contains("Iterator");
        if (has_processor == has_iterator) {
            Schema("Exactly one of 'ItemProcessor' or 'Iterator' is required", where);
        } else {
            const char* field = has_processor ? "ItemProcessor" : "Iterator";
            const Json& p = s[field];
            if (p.is_object()) {
                if (auto pc = p.find("ProcessorConfig"); pc != p.end()) {
                    if (!pc->is_object()) {
                        Schema("The value of 'ProcessorConfig' must be an object", Pointer(Pointer(where, field), "ProcessorConfig"));
                    } else if (auto mode = pc->find("Mode"); mode != pc->end()) {
                        if (*mode == "DISTRIBUTED") st.distributed = true;
                        else if (*mode != "INLINE") {
                            Schema("'Mode' must be INLINE or DISTRIBUTED", Pointer(Pointer(Pointer(where, field), "ProcessorConfig"), "Mode"));
                        }
                    }
                }
            }
            st.processor = ParseMachine(p, Pointer(where, field), false);
        }
        if (s.contains("ItemSelector") && s.contains("Parameters")) {
            Schema("Only one of 'ItemSelector' or 'Parameters' can be present", where);
        }
        st.item_selector = s.contains("ItemSelector") ? Template(s, "ItemSelector", where) : Template(s, "Parameters", where);
        st.items_path = PathField(s, "ItemsPath", where, true, false);
        if (auto it = s.find("MaxConcurrency"); it != s.end()) {
            if (IsNonNegativeInteger(*it)) st.max_concurrency = it->get<std::int64_t>();
            else Schema("The value of 'MaxConcurrency' must be a non-negative integer", Pointer(where, "MaxConcurrency"));
        }
        st.max_concurrency_path = OptionalPath(s, "MaxConcurrencyPath", where, true);
        if (auto it = s.find("ToleratedFailureCount"); it != s.end()) {
            if (IsNonNegativeInteger(*it)) st.tolerated_failure_count = it->get<std::int64_t>();
            else Schema("The value of 'ToleratedFailureCount' must be a non-negative integer", Pointer(where, "ToleratedFailureCount"));
        }
        if (auto it = s.find("ToleratedFailurePercentage"); it != s.end()) {
            if (it->is_number() && it->get<double>() >= 0 && it->get<double>() <= 100) {
                st.tolerated_failure_percentage = it->get<double>();
            } else {
                Schema("The value of 'ToleratedFailurePercentage' must be a number between 0 and 100",
                       Pointer(where, "ToleratedFailurePercentage"));
            }
        }
        st.tolerated_failure_count_path = OptionalPath(s, "ToleratedFailureCountPath", where, true);
        st.tolerated_failure_percentage_path = OptionalPath(s, "ToleratedFailurePercentagePath", where, true);
        st.label = StringField(s, "Label", where);
        ParseItemReader(s, where, st);
        if (st.item_reader && !st.distributed) {
            Schema("'ItemReader' is only supported in DISTRIBUTED mode", Pointer(where, "ItemReader"));
        }
    }

    void CheckTarget(const StateMachine& m, const std::string& target, const std::string& field,
                     const std::string& where) {
        if (target.empty()) return;
        if (!m.Find(target)) {
            Add("MISSING_TRANSITION_TARGET", "Missing '" + field + "' target: " + target, where);
        }
    }

    static void CollectRuleTargets(const ChoiceRule& r, std::vector<std::string>& out) {
        if (!r.next.empty()) out.push_back(r.next);
    }

    void CheckTransitions(const StateMachine& m, const std::string& base) {
        if (m.states.empty()) return;
        if (!m.start_at.empty() && !m.Find(m.start_at)) {
            Add("MISSING_TRANSITION_TARGET", "Missing 'StartAt' target: " + m.start_at, Pointer(base, "StartAt"));
        }
        for (const auto& st : m.states) {
            std::string where = Pointer(Pointer(base, "States"), st.name);
            CheckTarget(m, st.next, "Next", Pointer(where, "Next"));
            CheckTarget(m, st.default_next, "Default", Pointer(where, "Default"));
            for (std::size_t i = 0; i < st.choices.size(); ++i) {
                CheckTarget(m, st.choices[i].next, "Next", Pointer(where, "Choices") + "/" + std::to_string(i) + "/Next");
            }
            for (std::size_t i = 0; i < st.catchers.size(); ++i) {
                CheckTarget(m, st.catchers[i].next, "Next", Pointer(where, "Catch") + "/" + std::to_string(i) + "/Next");
            }
        }
        // Reachability from StartAt.
        std::set<std::string> seen;
        std::vector<std::string> stack;
        if (m.Find(m.start_at)) stack.push_back(m.start_at);
        while (!stack.empty()) {
            std::string name = stack.back();
            stack.pop_back();
            if (!seen.insert(name).second) continue;
            const State* st = m.Find(name);
            if (!st) continue;
            std::vector<std::string> targets = {st->next, st->default_next};
            for (const auto& r : st->choices) CollectRuleTargets(r, targets);
            for (const auto& c : st->catchers) targets.push_back(c.next);
            for (auto& t : targets) {
                if (!t.empty() && m.Find(t)) stack.push_back(std::move(t));
            }
        }
        if (!m.Find(m.start_at)) return;  // already reported; every state would look unreachable
        for (const auto& st : m.states) {
            if (!seen.count(st.name)) {
                Add("UNREACHABLE_STATE", "State '" + st.name + "' is not reachable",
                    Pointer(Pointer(base, "States"), st.name));
            }
        }
    }
};

}  // namespace

Result<std::shared_ptr<const StateMachine>, ValidationErrors> ParseDefinition(const Json& definition) {
    DefinitionParser parser;
    auto machine = parser.ParseMachine(definition, "", true);
    if (!parser.problems.empty()) return Fail(ValidationErrors{std::move(parser.problems)});
    return std::shared_ptr<const StateMachine>(std::move(machine));
}

Result<std::shared_ptr<const StateMachine>, ValidationErrors> ParseDefinition(std::string_view text) {
    auto json = Json::parse(text, nullptr, false);
    if (json.is_discarded()) {
        return Fail(ValidationErrors{{{"INVALID_JSON_DESCRIPTION", "The definition is not valid JSON", ""}}});
    }
    return ParseDefinition(json);
}

}  // namespace sim::aws::sfn::asl
