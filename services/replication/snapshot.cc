#include "services/replication/snapshot.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "services/rpc/rpc.h"

namespace hirs::replication {
namespace {

namespace fs = std::filesystem;
using hirs::replication::v1::FetchSnapshotRequest;
using hirs::replication::v1::FetchSnapshotResponse;

constexpr size_t kPieceBytes = 1 << 20;

// SHA-256 over a file's pieces.
class FileDigest {
 public:
  FileDigest() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~FileDigest() { EVP_MD_CTX_free(ctx_); }
  FileDigest(const FileDigest&) = delete;
  FileDigest& operator=(const FileDigest&) = delete;
  void Update(absl::string_view bytes) { EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()); }
  std::string Final() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(ctx_, digest, &size);
    return std::string(reinterpret_cast<const char*>(digest), size);
  }

 private:
  EVP_MD_CTX* ctx_;
};

bool SameSecret(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// A plain file name: no directory part, nothing hidden.
bool PlainName(absl::string_view name) {
  return !name.empty() && name.size() <= 255 && name[0] != '.' && name.find('/') == absl::string_view::npos &&
         name.find('\0') == absl::string_view::npos;
}

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace

// Writes a checkpoint, then streams its files one piece at a time (one
// write in flight), then removes it.
class SnapshotService::Sender : public grpc::ServerWriteReactor<FetchSnapshotResponse> {
 public:
  Sender(SnapshotService* service, std::string dir, std::string replica_id)
      : service_(service), dir_(std::move(dir)), replica_id_(std::move(replica_id)) {
    // The checkpoint flushes the store first: off gRPC's threads.
    std::thread([this] { Begin(); }).detach();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) return Finish(rpc::ToGrpcStatus(absl::CancelledError("the replica stopped reading the snapshot")));
    Next();
  }

  void OnDone() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    service_->busy_ = false;
    delete this;
  }

 private:
  void Begin() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    fs::create_directories(fs::path(dir_).parent_path(), ec);
    absl::Status made = service_->store_->CreateCheckpoint(dir_);
    if (made.ok()) {
      for (const auto& entry : fs::directory_iterator(dir_, ec)) {
        if (entry.is_regular_file()) files_.push_back(entry.path().filename().string());
      }
      if (ec) made = absl::UnavailableError(absl::StrCat("listing the snapshot: ", ec.message()));
    }
    if (!made.ok()) return Finish(rpc::ToGrpcStatus(made));
    std::sort(files_.begin(), files_.end());
    LogInfo(absl::StrCat("replication: sending a snapshot (", files_.size(), " files) to replica ", replica_id_));
    Next();
  }

  void Next() {
    piece_.Clear();
    if (next_file_ == files_.size()) {
      if (ended_) {
        LogInfo(absl::StrCat("replication: sent a snapshot of ", bytes_, " bytes to replica ", replica_id_));
        return Finish(grpc::Status::OK);
      }
      ended_ = true;
      piece_.set_file_count(static_cast<uint32_t>(files_.size()));
      return StartWrite(&piece_);
    }
    const std::string& name = files_[next_file_];
    if (!in_.is_open()) {
      in_.open(fs::path(dir_) / name, std::ios::binary);
      if (!in_) return Finish(rpc::ToGrpcStatus(absl::UnavailableError(absl::StrCat("cannot read ", name))));
      digest_ = std::make_unique<FileDigest>();
    }
    std::string* data = piece_.mutable_data();
    data->resize(kPieceBytes);
    in_.read(data->data(), kPieceBytes);
    data->resize(static_cast<size_t>(in_.gcount()));
    if (in_.bad()) return Finish(rpc::ToGrpcStatus(absl::UnavailableError(absl::StrCat("cannot read ", name))));
    digest_->Update(*data);
    bytes_ += data->size();
    piece_.set_file(name);
    if (in_.eof() || in_.peek() == std::char_traits<char>::eof()) {
      piece_.set_file_sha256(digest_->Final());
      in_.close();
      in_.clear();
      ++next_file_;
    }
    StartWrite(&piece_);
  }

  SnapshotService* const service_;
  const std::string dir_;
  const std::string replica_id_;
  std::vector<std::string> files_;
  size_t next_file_ = 0;
  std::ifstream in_;
  std::unique_ptr<FileDigest> digest_;
  FetchSnapshotResponse piece_;
  uint64_t bytes_ = 0;
  bool ended_ = false;
};

SnapshotService::SnapshotService(storage::Store* store, std::string scratch_dir, std::string secret)
    : store_(store), scratch_dir_(std::move(scratch_dir)), secret_hex_(absl::BytesToHexString(secret)) {}

grpc::ServerWriteReactor<FetchSnapshotResponse>* SnapshotService::FetchSnapshot(grpc::CallbackServerContext* context,
                                                                                const FetchSnapshotRequest* request) {
  class Refusal : public grpc::ServerWriteReactor<FetchSnapshotResponse> {
   public:
    explicit Refusal(const absl::Status& why) { Finish(rpc::ToGrpcStatus(why)); }
    void OnDone() override { delete this; }
  };
  const auto& metadata = context->client_metadata();
  auto presented = metadata.find(kReplicaKeyMetadata);
  if (presented == metadata.end() ||
      !SameSecret(absl::string_view(presented->second.data(), presented->second.size()), secret_hex_)) {
    return new Refusal(
        absl::PermissionDeniedError(absl::StrCat("FetchSnapshot is for the cluster's replicas: present the ",
                                                 kReplicaKeyMetadata, " derived from the cluster's HMAC key")));
  }
  if (busy_.exchange(true)) {
    return new Refusal(absl::UnavailableError("another replica is receiving a snapshot; retry in a few seconds"));
  }
  return new Sender(this, scratch_dir_ + "/snapshot", request->replica_id());
}

namespace {

// One received file: written, digested, synced.
class FileSink {
 public:
  explicit FileSink(const std::string& path)
      : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) {}
  ~FileSink() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  bool Write(absl::string_view bytes) {
    digest_.Update(bytes);
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Syncs and closes; the digest of what was written.
  absl::StatusOr<std::string> Close(const std::string& name) {
    const bool synced = ::fsync(fd_) == 0;
    const bool closed = ::close(fd_) == 0;
    fd_ = -1;
    if (!synced || !closed) return absl::UnavailableError(absl::StrCat("cannot write ", name));
    return digest_.Final();
  }

 private:
  int fd_;
  FileDigest digest_;
};

// Takes the pieces of a snapshot in order into a directory.
class Receiver {
 public:
  explicit Receiver(std::string dir) : dir_(std::move(dir)) {}

  absl::Status Take(const FetchSnapshotResponse& piece) {
    if (piece.file().empty()) {  // the end
      if (sink_ != nullptr || piece.file_count() != files_) {
        return absl::DataLossError("the snapshot's file count does not match the files received");
      }
      ended_ = true;
      return absl::OkStatus();
    }
    if (ended_ || !PlainName(piece.file()) || (sink_ != nullptr && piece.file() != current_)) {
      return absl::DataLossError(absl::StrCat("the snapshot sent an unexpected file ", piece.file()));
    }
    if (sink_ == nullptr) {
      current_ = piece.file();
      sink_ = std::make_unique<FileSink>(absl::StrCat(dir_, "/", current_));
      if (!sink_->ok()) return absl::UnavailableError(absl::StrCat("cannot create ", current_, " in ", dir_));
    }
    if (!sink_->Write(piece.data())) return absl::UnavailableError(absl::StrCat("cannot write ", current_));
    bytes_ += piece.data().size();
    if (piece.file_sha256().empty()) return absl::OkStatus();
    absl::StatusOr<std::string> digest = sink_->Close(current_);
    sink_.reset();
    ++files_;
    if (!digest.ok()) return digest.status();
    if (*digest != piece.file_sha256()) {
      return absl::DataLossError(absl::StrCat(current_, " does not match its digest"));
    }
    return absl::OkStatus();
  }

  // Syncs the directory once every file has come: the bytes received.
  absl::StatusOr<uint64_t> Finish() {
    if (!ended_) return absl::DataLossError("the snapshot ended before its last file");
    const int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
      if (fd >= 0) ::close(fd);
      return absl::UnavailableError(absl::StrCat("cannot sync ", dir_));
    }
    ::close(fd);
    return bytes_;
  }

 private:
  const std::string dir_;
  std::unique_ptr<FileSink> sink_;
  std::string current_;
  uint64_t bytes_ = 0;
  uint32_t files_ = 0;
  bool ended_ = false;
};

}  // namespace

absl::StatusOr<uint64_t> FetchSnapshot(const FetchOptions& options, const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) return absl::FailedPreconditionError(absl::StrCat(dir, " exists already"));
  fs::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(4 << 20);
  auto stub = hirs::replication::v1::ReplicaService::NewStub(
      grpc::CreateCustomChannel(options.leader, options.credentials, args));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + options.deadline));
  context.AddMetadata(kReplicaKeyMetadata, absl::BytesToHexString(options.secret));
  FetchSnapshotRequest request;
  request.set_replica_id(options.replica_id);
  std::unique_ptr<grpc::ClientReader<FetchSnapshotResponse>> reader = stub->FetchSnapshot(&context, request);
  Receiver receiver(dir);
  FetchSnapshotResponse piece;
  absl::Status taken;
  while (taken.ok() && reader->Read(&piece)) {
    taken = options.stopping() ? absl::CancelledError("the replica is stopping") : receiver.Take(piece);
  }
  if (!taken.ok()) {
    context.TryCancel();
    (void)reader->Finish();
    return taken;
  }
  RETURN_IF_ERROR(FromGrpc(reader->Finish()));
  return receiver.Finish();
}

}  // namespace hirs::replication
