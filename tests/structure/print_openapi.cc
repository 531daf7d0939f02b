// Prints the OpenAPI document of the four API services (services/http/
// openapi.h), for check_openapi.sh to lint.
#include <cstdio>

#include "services/http/openapi.h"
#include "tests/support/domain_support.h"

int main() {
  std::fputs(hirs::http::OpenApiJson(hirs::testing::ApiServices()).c_str(), stdout);
  return 0;
}
