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
      Fail(absl::CancelledError("the client stopped taking rows"));
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
      [writer](const absl::Status& refused) { writer->Fail(refused); },
      [this, request, writer](const rpc::Call& call, const rpc::Answer&) {
        auto rows = extracts_->MonthlyExtract(call.principal, *request);
        const absl::Status found = rows.status();
        auto shared = std::make_shared<std::vector<hirs::v1::ExtractRow>>(
            rows.ok() ? *std::move(rows) : std::vector<hirs::v1::ExtractRow>());
        // The pull is audited before any row leaves.
        gate_->Audit(call, request, nullptr, found, [writer, shared](const absl::Status& outcome) {
          if (outcome.ok()) {
            writer->Send(std::move(*shared));
          } else {
            writer->Fail(outcome);
          }
        });
      });
  return writer;
}

grpc::ServerUnaryReactor* ExtractServiceImpl::GetMonthlySummary(grpc::CallbackServerContext* context,
                                                                const hirs::v1::MonthlyExtractRequest* request,
                                                                hirs::v1::MonthlySummary* response) {
  return rpc::RunUnary(
      context, *gate_, "hirs.v1.ExtractService/GetMonthlySummary", *request, pool_, response,
      [this, request](const auth::Principal& principal) { return extracts_->MonthlySummary(principal, *request); });
}

}  // namespace hirs::extracts
