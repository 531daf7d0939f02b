// RETURN_IF_ERROR / ASSIGN_OR_RETURN for absl::Status and absl::StatusOr
// (Debian's Abseil 20220623 ships neither).
#ifndef HIRS_COMMON_STATUS_MACROS_H_
#define HIRS_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Evaluates `expr` (an absl::Status); returns it from the enclosing function
// when it is not OK.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status hirs_status_macro_status_ = (expr); \
    if (!hirs_status_macro_status_.ok()) {             \
      return hirs_status_macro_status_;                \
    }                                                  \
  } while (false)

#define HIRS_STATUS_MACROS_CONCAT_INNER_(a, b) a##b
#define HIRS_STATUS_MACROS_CONCAT_(a, b) HIRS_STATUS_MACROS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::StatusOr<T>); returns its status when not OK,
// otherwise moves its value into `lhs` (which may be a declaration).
#define ASSIGN_OR_RETURN(lhs, expr) \
  HIRS_ASSIGN_OR_RETURN_IMPL_(HIRS_STATUS_MACROS_CONCAT_(hirs_statusor_, __LINE__), lhs, expr)

#define HIRS_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                \
  if (!statusor.ok()) {                                  \
    return std::move(statusor).status();                 \
  }                                                      \
  lhs = std::move(statusor).value()

#endif  // HIRS_COMMON_STATUS_MACROS_H_
