// gRPC adapter of hirs.v1.ExtractService over Extracts. Calls pass the
// gate (services/rpc/gate.h). The work runs on the WorkerPool;
// StreamMonthlyExtract is audited before any row leaves, then writes the
// rows one at a time as the client takes them, and stops when the client
// leaves or the deadline passes.
#ifndef HIRS_SERVICES_EXTRACTS_EXTRACT_SERVICE_H_
#define HIRS_SERVICES_EXTRACTS_EXTRACT_SERVICE_H_

#include "common/worker_pool.h"
#include "hirs/v1/extract_service.grpc.pb.h"
#include "services/extracts/extracts.h"
#include "services/rpc/gate.h"

namespace hirs::extracts {

// Thread safe. Every pointer is borrowed and must outlive the service.
class ExtractServiceImpl final : public hirs::v1::ExtractService::CallbackService {
 public:
  ExtractServiceImpl(Extracts* extracts, rpc::CallGate* gate, WorkerPool* reads)
      : extracts_(extracts), gate_(gate), pool_(reads) {}

  grpc::ServerWriteReactor<hirs::v1::ExtractRow>* StreamMonthlyExtract(
      grpc::CallbackServerContext* context, const hirs::v1::MonthlyExtractRequest* request) override;
  grpc::ServerUnaryReactor* GetMonthlySummary(grpc::CallbackServerContext* context,
                                              const hirs::v1::MonthlyExtractRequest* request,
                                              hirs::v1::MonthlySummary* response) override;

 private:
  Extracts* const extracts_;
  rpc::CallGate* const gate_;
  WorkerPool* const pool_;
};

}  // namespace hirs::extracts

#endif  // HIRS_SERVICES_EXTRACTS_EXTRACT_SERVICE_H_
