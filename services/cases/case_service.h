// gRPC adapter of hirs.v1.CaseService over Cases. Calls pass the gate
// (services/rpc/gate.h: POLICE, or ADMIN for reads), hand the work to a
// WorkerPool and finish through the gate, so no reaction blocks.
#ifndef HIRS_SERVICES_CASES_CASE_SERVICE_H_
#define HIRS_SERVICES_CASES_CASE_SERVICE_H_

#include "common/worker_pool.h"
#include "hirs/v1/case_service.grpc.pb.h"
#include "services/cases/cases.h"
#include "services/feed/change_feed.h"
#include "services/rpc/gate.h"

namespace hirs::cases {

// Thread safe. Every pointer is borrowed and must outlive the service.
class CaseServiceImpl final : public hirs::v1::CaseService::CallbackService {
 public:
  CaseServiceImpl(Cases* cases, feed::ChangeFeed* feed, rpc::CallGate* gate, WorkerPools pools)
      : cases_(cases), feed_(feed), gate_(gate), pools_(pools) {}

  grpc::ServerUnaryReactor* GetCase(grpc::CallbackServerContext* context, const hirs::v1::GetCaseRequest* request,
                                    hirs::v1::Case* response) override;
  grpc::ServerUnaryReactor* ListCases(grpc::CallbackServerContext* context, const hirs::v1::ListCasesRequest* request,
                                      hirs::v1::ListCasesResponse* response) override;
  grpc::ServerUnaryReactor* UpdateCase(grpc::CallbackServerContext* context, const hirs::v1::UpdateCaseRequest* request,
                                       hirs::v1::Case* response) override;
  grpc::ServerUnaryReactor* MergeCases(grpc::CallbackServerContext* context, const hirs::v1::MergeCasesRequest* request,
                                       hirs::v1::Case* response) override;
  grpc::ServerUnaryReactor* SplitReport(grpc::CallbackServerContext* context,
                                        const hirs::v1::SplitReportRequest* request,
                                        hirs::v1::SplitReportResponse* response) override;
  grpc::ServerUnaryReactor* ListCaseReports(grpc::CallbackServerContext* context,
                                            const hirs::v1::ListCaseReportsRequest* request,
                                            hirs::v1::ListCaseReportsResponse* response) override;
  grpc::ServerUnaryReactor* ListCaseEvents(grpc::CallbackServerContext* context,
                                           const hirs::v1::ListCaseEventsRequest* request,
                                           hirs::v1::ListCaseEventsResponse* response) override;
  grpc::ServerUnaryReactor* ListReviewItems(grpc::CallbackServerContext* context,
                                            const hirs::v1::ListReviewItemsRequest* request,
                                            hirs::v1::ListReviewItemsResponse* response) override;
  grpc::ServerUnaryReactor* ResolveReviewItem(grpc::CallbackServerContext* context,
                                              const hirs::v1::ResolveReviewItemRequest* request,
                                              hirs::v1::ReviewItem* response) override;
  grpc::ServerWriteReactor<hirs::v1::CaseEvent>* WatchCases(grpc::CallbackServerContext* context,
                                                            const hirs::v1::WatchCasesRequest* request) override;

 private:
  Cases* const cases_;
  feed::ChangeFeed* const feed_;
  rpc::CallGate* const gate_;
  const WorkerPools pools_;
};

}  // namespace hirs::cases

#endif  // HIRS_SERVICES_CASES_CASE_SERVICE_H_
