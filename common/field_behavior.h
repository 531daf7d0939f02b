// What the google.api.field_behavior annotations of the API say about a
// message, read from its descriptors so that a field annotated later is
// covered without code naming it.
#ifndef HIRS_COMMON_FIELD_BEHAVIOR_H_
#define HIRS_COMMON_FIELD_BEHAVIOR_H_

#include "google/protobuf/message.h"

namespace hirs {

// Clears every field of `message` annotated OUTPUT_ONLY, and those of every
// message within it (singular, repeated and map values), at any depth: what
// a caller set there is ignored, as AIP-203 asks. Fields not so annotated
// are left as they are.
void ClearOutputOnlyFields(google::protobuf::Message* message);

// Whether `field` is annotated OUTPUT_ONLY.
bool IsOutputOnly(const google::protobuf::FieldDescriptor& field);

}  // namespace hirs

#endif  // HIRS_COMMON_FIELD_BEHAVIOR_H_
