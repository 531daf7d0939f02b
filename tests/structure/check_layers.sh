#!/usr/bin/env bash
# The shape of the tree, checked: run by ctest (layering_check) and CI.
#  1. The domain areas (intake, cases, extracts, retention) sit side by side
#     over services/records/ and include none of each other.
#  2. Only services/records/ writes the kCases family: every case write
#     carries its indexes, extract history and change event
#     (services/records/case_records.h).
#  3. Domain code links no gRPC: only an area's *_service.* files include
#     grpc or services/rpc/ (the watch reactors live in services/feed/).
#  4. A grpc::Status is built only in services/rpc/ (from an absl::Status,
#     with its error details: rpc::ToGrpcStatus).
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$root"
areas=(intake cases extracts retention)
fail=0

for a in "${areas[@]}"; do
  for b in "${areas[@]}"; do
    [[ "$a" == "$b" ]] && continue
    if hits=$(grep -n "#include \"services/$b/" services/"$a"/*.h services/"$a"/*.cc); then
      echo "services/$a includes services/$b (sibling areas share services/records/ instead):"
      echo "$hits"
      fail=1
    fi
  done
done

if hits=$(grep -rnE '(Put|Delete)\((storage::)?Family::kCases' services storage --include=*.cc --include=*.h |
          grep -v '^services/records/'); then
  echo "cases written outside services/records/ (use records::PutCase / DeleteCase):"
  echo "$hits"
  fail=1
fi

for a in "${areas[@]}"; do
  for f in services/"$a"/*.h services/"$a"/*.cc; do
    case "$(basename "$f")" in *_service.*) continue ;; esac
    if hits=$(grep -nE '#include [<"](grpc|services/rpc/)' "$f"); then
      echo "$f is domain code but includes gRPC:"
      echo "$hits"
      fail=1
    fi
  done
done

if hits=$(grep -rn 'grpc::Status(' services clients --include=*.cc --include=*.h | grep -v '^services/rpc/'); then
  echo "grpc::Status built outside services/rpc/ (return an absl::Status; rpc::ToGrpcStatus converts it):"
  echo "$hits"
  fail=1
fi

if [[ $fail -ne 0 ]]; then exit 1; fi
echo "layers: sibling areas independent; cases written only by services/records; domain code gRPC-free; grpc::Status only in services/rpc"
