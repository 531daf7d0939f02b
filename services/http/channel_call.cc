#include "services/http/channel_call.h"

#include "absl/synchronization/notification.h"
#include "services/rpc/rpc.h"

namespace hirs::http {
namespace {

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string FromBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

void Prepare(const CallSetup& setup, grpc::ClientContext* context) {
  for (const auto& [key, value] : setup.metadata) context->AddMetadata(key, value);
  if (setup.deadline != absl::InfiniteFuture()) context->set_deadline(absl::ToChronoTime(setup.deadline));
}

void* AsTag(intptr_t tag) { return reinterpret_cast<void*>(tag); }

}  // namespace

grpc::Status UnaryCall(grpc::GenericStub& stub, const CallSetup& setup, const std::string& request,
                       std::string* response) {
  grpc::ClientContext context;
  Prepare(setup, &context);
  const grpc::ByteBuffer in = ToBuffer(request);
  grpc::ByteBuffer out;
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&context, setup.method, grpc::StubOptions(), &in, &out, [&](grpc::Status s) {
    status = std::move(s);
    done.Notify();
  });
  done.WaitForNotification();
  if (status.ok()) *response = FromBuffer(out);
  return status;
}

StreamCall::StreamCall(grpc::GenericStub& stub, const CallSetup& setup) {
  Prepare(setup, &context_);
  call_ = stub.PrepareCall(&context_, setup.method, &cq_);
  call_->StartCall(AsTag(kStart));
  ++in_flight_;
}

StreamCall::~StreamCall() {
  if (!finished_) {
    context_.TryCancel();
    (void)Finish();
  }
  cq_.Shutdown();
  void* tag;
  bool ok;
  while (cq_.Next(&tag, &ok)) {
  }
}

void StreamCall::Send(std::string request) {
  to_send_.push_back(std::move(request));
  KickWrites();
}

void StreamCall::CloseSend() {
  close_send_ = true;
  KickWrites();
}

void StreamCall::KickWrites() {
  if (!started_ || writing_ || closed_ || ended_) return;
  if (send_failed_) to_send_.clear();
  if (!to_send_.empty()) {
    outgoing_ = ToBuffer(to_send_.front());
    to_send_.pop_front();
    call_->Write(outgoing_, AsTag(kWrite));
  } else if (close_send_) {
    closed_ = true;
    call_->WritesDone(AsTag(kWrite));
  } else {
    return;
  }
  writing_ = true;
  ++in_flight_;
}

bool StreamCall::Pump(absl::Time deadline) {
  void* tag;
  bool ok;
  const auto got = cq_.AsyncNext(&tag, &ok, absl::ToChronoTime(deadline));
  if (got != grpc::CompletionQueue::GOT_EVENT) return false;
  --in_flight_;
  switch (reinterpret_cast<intptr_t>(tag)) {
    case kStart:
      started_ = true;
      if (!ok) {
        ended_ = true;
        break;
      }
      call_->ReadInitialMetadata(AsTag(kMetadata));
      ++in_flight_;
      break;
    case kMetadata:
      open_ = ok && context_.GetServerInitialMetadata().count(rpc::kStreamOpenKey) > 0;
      call_->Read(&incoming_, AsTag(kRead));  // after the metadata, as the API requires
      ++in_flight_;
      break;
    case kWrite:
      writing_ = false;
      send_failed_ = send_failed_ || !ok;
      break;
    case kRead:
      if (!ok) {
        ended_ = true;
        break;
      }
      answers_.push_back(FromBuffer(incoming_));
      call_->Read(&incoming_, AsTag(kRead));
      ++in_flight_;
      break;
    case kFinish:
      finished_ = true;
      break;
  }
  KickWrites();
  return true;
}

StreamCall::Event StreamCall::Next(absl::Time deadline, std::string* answer, bool report_open) {
  for (;;) {
    if (!answers_.empty()) {
      *answer = std::move(answers_.front());
      answers_.pop_front();
      open_reported_ = true;
      return Event::kAnswer;
    }
    if (ended_) return Event::kEnd;
    if (report_open && open_ && !open_reported_) {
      open_reported_ = true;
      return Event::kOpen;
    }
    if (!Pump(deadline)) return Event::kTimeout;
  }
}

grpc::Status StreamCall::Finish() {
  if (finished_) return status_;
  if (!ended_) context_.TryCancel();
  while (!ended_) Pump(absl::InfiniteFuture());
  call_->Finish(&status_, AsTag(kFinish));
  ++in_flight_;
  while (in_flight_ > 0) Pump(absl::InfiniteFuture());
  return status_;
}

}  // namespace hirs::http
