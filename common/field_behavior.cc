#include "common/field_behavior.h"

#include <vector>

#include "google/api/field_behavior.pb.h"

namespace hirs {

bool IsOutputOnly(const google::protobuf::FieldDescriptor& field) {
  const auto& behaviors = field.options().GetRepeatedExtension(google::api::field_behavior);
  for (int behavior : behaviors) {
    if (behavior == google::api::OUTPUT_ONLY) return true;
  }
  return false;
}

void ClearOutputOnlyFields(google::protobuf::Message* message) {
  const google::protobuf::Reflection* reflection = message->GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> set;
  reflection->ListFields(*message, &set);
  for (const google::protobuf::FieldDescriptor* field : set) {
    if (IsOutputOnly(*field)) {
      reflection->ClearField(message, field);
      continue;
    }
    if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (!field->is_repeated()) {
      ClearOutputOnlyFields(reflection->MutableMessage(message, field));
      continue;
    }
    // Map entries are messages too: their value field is walked like any.
    for (int i = 0; i < reflection->FieldSize(*message, field); ++i) {
      ClearOutputOnlyFields(reflection->MutableRepeatedMessage(message, field, i));
    }
  }
}

}  // namespace hirs
