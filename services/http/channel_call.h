// Calls of the API by method name with serialized messages through a
// channel (hirsd's in-process one), driven by the calling thread: the HTTP
// side's one way into the services, so that every HTTP request passes
// through the same authentication, access table, rate limits, validation
// and audit as a gRPC call.
#ifndef HIRS_SERVICES_HTTP_CHANNEL_CALL_H_
#define HIRS_SERVICES_HTTP_CHANNEL_CALL_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace hirs::http {

struct CallSetup {
  std::string method;  // "/hirs.v1.CaseService/GetCase"
  std::vector<std::pair<std::string, std::string>> metadata;
  absl::Time deadline = absl::InfiniteFuture();
};

// A unary call: the answer's bytes into `response`, or the failure (with
// its details in error_details()).
grpc::Status UnaryCall(grpc::GenericStub& stub, const CallSetup& setup, const std::string& request,
                       std::string* response);

// A streaming call (any kind: a generic call speaks them all on the wire).
// Not thread safe. Destroying it cancels the call if it has not ended.
class StreamCall {
 public:
  StreamCall(grpc::GenericStub& stub, const CallSetup& setup);
  ~StreamCall();

  // Queues a request message; sent in order, one write in flight.
  void Send(std::string request);
  // No more requests after the queued ones.
  void CloseSend();

  enum class Event { kAnswer, kOpen, kEnd, kTimeout };
  // Waits until an answer is there (kAnswer: taken into `*answer`), the
  // answers have ended (kEnd: call Finish), or `deadline`. With
  // `report_open`, also returns kOpen (once) when the server announced the
  // call admitted (rpc::AnnounceOpen).
  Event Next(absl::Time deadline, std::string* answer, bool report_open = false);
  // The call's status, after kEnd (or cancelling it first).
  grpc::Status Finish();
  void Cancel() { context_.TryCancel(); }

 private:
  enum Tag : intptr_t { kStart = 1, kWrite, kRead, kMetadata, kFinish };
  // Handles one completion by `deadline`; false on timeout.
  bool Pump(absl::Time deadline);
  void KickWrites();

  grpc::ClientContext context_;
  grpc::CompletionQueue cq_;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call_;
  grpc::ByteBuffer incoming_;
  grpc::ByteBuffer outgoing_;
  std::deque<std::string> to_send_;
  std::deque<std::string> answers_;
  int in_flight_ = 0;  // operations started and not completed
  bool started_ = false, writing_ = false, close_send_ = false, closed_ = false, send_failed_ = false;
  bool ended_ = false, finished_ = false, open_ = false, open_reported_ = false;
  grpc::Status status_;
};

}  // namespace hirs::http

#endif  // HIRS_SERVICES_HTTP_CHANNEL_CALL_H_
