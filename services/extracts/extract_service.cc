#include "services/extracts/extract_service.h"

#include <memory>
#include <vector>

#include "services/rpc/rpc.h"

namespace hirs::extracts {
namespace {

// Writes prepared rows in order, one outstanding write at a time; a failed
// write (client gone, deadline passed) ends the call.
class RowWriter final : public grpc::ServerWriteReactor<hirs::v1::ExtractRow> {
 public:
  // Called once, from any thread.
  void Send(std::vector<hirs::v1::ExtractRow> rows) {
    rows_ = std::move(rows);
    Next();
  }
  void Fail(const absl::Status& status) { Finish(rpc::ToGrpcStatus(status)); }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client stopped taking rows"));
      return;
    }
    Next();
  }
  void OnDone() override { delete this; }

 private:
  void Next() {
    if (next_ == rows_.size()) {
      Finish(grpc::Status::OK);
      return;
    }
    StartWrite(&rows_[next_++]);
  }

  std::vector<hirs::v1::ExtractRow> rows_;
  size_t next_ = 0;
};

}  // namespace

grpc::ServerWriteReactor<hirs::v1::ExtractRow>* ExtractServiceImpl::StreamMonthlyExtract(
    grpc::CallbackServerContext* context, const hirs::v1::MonthlyExtractRequest* request) {
  auto* writer = new RowWriter();
  rpc::AdmitAndSchedule(
      context, *gate_, "hirs.v1.ExtractService/StreamMonthlyExtract", *request, pool_,
      [writer](const grpc::Status& status) { writer->Finish(status); },
      [this, request, writer](const rpc::Call& call) {
        auto rows = extracts_->MonthlyExtract(call.principal, *request);
        // The pull is audited before any row leaves.
        const absl::Status outcome = gate_->RecordNow(call, request, nullptr, rows.status());
        if (!outcome.ok()) {
          gate_->Answer([writer, outcome] { writer->Fail(outcome); });
          return;
        }
        auto shared = std::make_shared<std::vector<hirs::v1::ExtractRow>>(*std::move(rows));
        gate_->Answer([writer, shared] { writer->Send(std::move(*shared)); });
      });
  return writer;
}

grpc::ServerUnaryReactor* ExtractServiceImpl::GetMonthlySummary(grpc::CallbackServerContext* context,
                                                                const hirs::v1::MonthlyExtractRequest* request,
                                                                hirs::v1::MonthlySummary* response) {
  return rpc::RunUnary(context, *gate_, "hirs.v1.ExtractService/GetMonthlySummary", *request, pool_, response,
                       [this, request](const auth::Principal& principal) {
                         return extracts_->MonthlySummary(principal, *request);
                       });
}

}  // namespace hirs::extracts
