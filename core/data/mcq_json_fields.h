// Internal to core/data: reading the fields of one JSON record for the readers of JSON layouts
// (mcq_json.cpp, mcq_benchmarks.cpp). Problems are RecordErrors naming the field's path.
#pragma once

#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/data/mcq_record.h"

namespace prunescope::detail {

// "string", "number 42", "array", ... for messages.
std::string describe(const nlohmann::json& value);
// The member `key` of `object`; "missing field" (at `path`) when absent.
const nlohmann::json& member(const nlohmann::json& object, const char* key, const std::string& path);
std::string stringMember(const nlohmann::json& object, const char* key, const std::string& path);
const nlohmann::json& arrayMember(const nlohmann::json& object, const char* key, const std::string& path);
// "id" as a string (integers written as they are); empty when absent or null.
std::string optionalId(const nlohmann::json& record);
// Scalar members not in `used` go to `extra`: strings as they are, numbers and booleans as JSON.
void copyScalars(const nlohmann::json& object, std::initializer_list<const char*> used,
                 std::map<std::string, std::string>& extra);
nlohmann::json parseLine(std::string_view text);
// Each non-blank line of `text` parsed as a JSON object and built into a record by `build`.
void forEachJsonLine(std::string_view text, McqCollector& out,
                     const std::function<RawQuestion(const nlohmann::json&)>& build);

}  // namespace prunescope::detail
