// gRPC adapter of hirs.v1.ReportingService over Intake (submissions),
// CentreReports (reads, and what WatchReports makes of the change feed) and
// ReportChanges (amendment, withdrawal, consent). Calls pass the
// gate (services/rpc/gate.h), hand the blocking work to a WorkerPool (a
// write waits for fsync) and finish through the gate, so no reaction blocks.
#ifndef HIRS_SERVICES_INTAKE_REPORTING_SERVICE_H_
#define HIRS_SERVICES_INTAKE_REPORTING_SERVICE_H_

#include "common/worker_pool.h"
#include "hirs/v1/reporting_service.grpc.pb.h"
#include "services/feed/change_feed.h"
#include "services/intake/centre_reports.h"
#include "services/intake/intake.h"
#include "services/intake/report_changes.h"
#include "services/rpc/gate.h"

namespace hirs::intake {

// Thread safe. Every pointer is borrowed and must outlive the service.
class ReportingServiceImpl final : public hirs::v1::ReportingService::CallbackService {
 public:
  ReportingServiceImpl(Intake* intake, const CentreReports* reports, ReportChanges* changes, feed::ChangeFeed* feed,
                       rpc::CallGate* gate, WorkerPools pools)
      : intake_(intake), reports_(reports), changes_(changes), feed_(feed), gate_(gate), pools_(pools) {}

  grpc::ServerUnaryReactor* SubmitReport(grpc::CallbackServerContext* context,
                                         const hirs::v1::SubmitReportRequest* request,
                                         hirs::v1::SubmitReportResponse* response) override;
  grpc::ServerBidiReactor<hirs::v1::SubmitReportRequest, hirs::v1::SubmitReportResponse>* SubmitReports(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* GetReport(grpc::CallbackServerContext* context, const hirs::v1::GetReportRequest* request,
                                      hirs::v1::Report* response) override;
  grpc::ServerUnaryReactor* ListReports(grpc::CallbackServerContext* context,
                                        const hirs::v1::ListReportsRequest* request,
                                        hirs::v1::ListReportsResponse* response) override;
  grpc::ServerWriteReactor<hirs::v1::ReportChange>* WatchReports(grpc::CallbackServerContext* context,
                                                                 const hirs::v1::WatchReportsRequest* request) override;
  grpc::ServerUnaryReactor* WithdrawReport(grpc::CallbackServerContext* context,
                                           const hirs::v1::WithdrawReportRequest* request,
                                           hirs::v1::Report* response) override;
  grpc::ServerUnaryReactor* UpdateConsent(grpc::CallbackServerContext* context,
                                          const hirs::v1::UpdateConsentRequest* request,
                                          hirs::v1::Report* response) override;
  grpc::ServerUnaryReactor* AmendReport(grpc::CallbackServerContext* context,
                                        const hirs::v1::AmendReportRequest* request,
                                        hirs::v1::Report* response) override;

 private:
  // The report a change answered, as GetReport reads it after the change
  // (with Report.progress), as its centre sees it.
  absl::StatusOr<hirs::v1::Report> AsRead(absl::StatusOr<hirs::v1::Report> changed) const;

  Intake* const intake_;
  const CentreReports* const reports_;
  ReportChanges* const changes_;
  feed::ChangeFeed* const feed_;
  rpc::CallGate* const gate_;
  const WorkerPools pools_;
};

}  // namespace hirs::intake

#endif  // HIRS_SERVICES_INTAKE_REPORTING_SERVICE_H_
