// hirsd's settings: one definition (config.proto) gives the defaults, the
// flags, the config file and --help, and ServerOptions agrees with it.
#include "services/server/settings.h"

#include <fstream>

#include "gtest/gtest.h"
#include "tests/support/domain_support.h"

namespace hirs::server {
namespace {

using google::protobuf::FieldDescriptor;
using hirs::config::v1::ServerConfig;

TEST(Settings, DefaultsAreThoseOfServerOptions) {
  const ServerOptions from_settings = ToServerOptions(DefaultSettings());
  const ServerOptions plain;
  EXPECT_EQ(from_settings.listen, plain.listen);
  EXPECT_EQ(from_settings.sync_writes, plain.sync_writes);
  EXPECT_EQ(from_settings.min_free_disk_bytes, plain.min_free_disk_bytes);
  EXPECT_EQ(from_settings.block_cache_bytes, plain.block_cache_bytes);
  EXPECT_EQ(from_settings.force_area, plain.force_area);
  EXPECT_EQ(from_settings.worker_threads, plain.worker_threads);
  EXPECT_EQ(from_settings.read_threads, plain.read_threads);
  EXPECT_EQ(from_settings.collation.attach_threshold, plain.collation.attach_threshold);
  EXPECT_EQ(from_settings.collation.review_threshold, plain.collation.review_threshold);
  EXPECT_EQ(from_settings.collation.attach_threshold_without_identity,
            plain.collation.attach_threshold_without_identity);
  EXPECT_EQ(from_settings.learn_from_reviews, plain.learn_from_reviews);
  EXPECT_EQ(from_settings.extract_suppression_max, plain.extract_suppression_max);
  EXPECT_EQ(from_settings.summary_releases, plain.summary_releases);
  EXPECT_EQ(from_settings.tls_require_client_cert, plain.tls_require_client_cert);
  EXPECT_EQ(from_settings.rate_limit_per_second, plain.rate_limit_per_second);
  EXPECT_EQ(from_settings.rate_limit_burst, plain.rate_limit_burst);
  EXPECT_EQ(from_settings.nchi_review_period, plain.nchi_review_period);
  EXPECT_EQ(from_settings.retention_interval, plain.retention_interval);
  EXPECT_EQ(from_settings.watch.stall_limit, plain.watch.stall_limit);
  EXPECT_EQ(from_settings.watch.max_per_principal, plain.watch.max_per_principal);
  EXPECT_EQ(from_settings.max_queued_calls, plain.max_queued_calls);
  EXPECT_EQ(from_settings.max_message_bytes, plain.max_message_bytes);
  EXPECT_EQ(from_settings.tls_reload_seconds, plain.tls_reload_seconds);
  EXPECT_EQ(from_settings.http_listen, plain.http_listen);
  EXPECT_EQ(from_settings.http_threads, plain.http_threads);
}

// A value of `field`'s type other than its default, as text.
std::string OtherValue(const FieldDescriptor* field) {
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return "other";
    case FieldDescriptor::CPPTYPE_BOOL:
      return DefaultSettings().GetReflection()->GetBool(DefaultSettings(), field) ? "false" : "true";
    default:
      return "7";
  }
}

TEST(Settings, EverySettingCanBeGivenByFlagOrInTheConfigFile) {
  hirs::testing::TempDir dir;
  const google::protobuf::Descriptor* d = ServerConfig::descriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const std::string flag = f->options().GetExtension(hirs::config::v1::setting).flag();
    const std::string value = OtherValue(f);
    auto by_flag = ParseCommandLine({absl::StrCat("--", flag.empty() ? f->name() : flag, "=", value)});
    ASSERT_TRUE(by_flag.ok()) << f->name() << ": " << by_flag.status();
    EXPECT_NE(by_flag->settings.SerializeAsString(), DefaultSettings().SerializeAsString()) << f->name();
    ASSERT_TRUE(f->options().GetExtension(hirs::config::v1::setting).help().size() > 10) << f->name() << " has no help";

    const std::string file = dir.path() + "/config.json";
    std::ofstream(file) << "{\"" << f->json_name()
                        << "\": " << (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING ? "\"" + value + "\"" : value)
                        << "}";
    auto by_file = ParseCommandLine({"--config=" + file});
    ASSERT_TRUE(by_file.ok()) << f->name() << ": " << by_file.status();
    EXPECT_EQ(by_file->settings.SerializeAsString(), by_flag->settings.SerializeAsString()) << f->name();
  }
}

TEST(Settings, AFlagGivenOverridesTheConfigFileWhichOverridesTheDefault) {
  hirs::testing::TempDir dir;
  const std::string file = dir.path() + "/config.json";
  std::ofstream(file) << R"({"workerThreads": 4, "readThreads": 3, "syncWrites": false})";
  auto parsed =
      ParseCommandLine({"--read_threads", "2", "--config=" + file, "--principals=/p.json", "--nosync_writes"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->settings.worker_threads(), 4);
  EXPECT_EQ(parsed->settings.read_threads(), 2);
  EXPECT_EQ(parsed->settings.principals_file(), "/p.json");
  EXPECT_FALSE(parsed->settings.sync_writes());
  EXPECT_EQ(parsed->settings.block_cache_mb(), 256);
  auto back_on = ParseCommandLine({"--config=" + file, "--sync_writes"});
  ASSERT_TRUE(back_on.ok());
  EXPECT_TRUE(back_on->settings.sync_writes());
}

TEST(Settings, ReplicatedModeRunsMoreWriteThreadsUnlessToldHowMany) {
  auto single = ParseCommandLine({});
  ASSERT_TRUE(single.ok()) << single.status();
  EXPECT_EQ(ToServerOptions(single->settings).worker_threads, ServerOptions().worker_threads);
  auto replicated = ParseCommandLine({"--replication=etcd"});
  ASSERT_TRUE(replicated.ok()) << replicated.status();
  EXPECT_EQ(ToServerOptions(replicated->settings).worker_threads, kReplicatedWorkerThreads);
  auto told = ParseCommandLine({"--replication=etcd", "--worker_threads=16"});
  ASSERT_TRUE(told.ok()) << told.status();
  EXPECT_EQ(ToServerOptions(told->settings).worker_threads, 16);
}

TEST(Settings, BadFlagsAndFilesNameWhatIsWrong) {
  auto unknown = ParseCommandLine({"--worker_thread=4"});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("--worker_thread"), std::string::npos);
  auto not_a_number = ParseCommandLine({"--read_threads=many"});
  EXPECT_NE(not_a_number.status().message().find("--read_threads"), std::string::npos) << not_a_number.status();
  hirs::testing::TempDir dir;
  const std::string file = dir.path() + "/config.json";
  std::ofstream(file) << R"({"workerThreds": 4})";
  auto misspelt = ParseCommandLine({"--config=" + file});
  EXPECT_EQ(misspelt.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(misspelt.status().message().find(file), std::string::npos);
}

TEST(Settings, ValidationNamesEveryProblemAtOnce) {
  ServerOptions o = ToServerOptions(DefaultSettings());
  o.data_dir = "/d";
  o.principals_file = "/p";
  EXPECT_TRUE(ValidateOptions(o).ok()) << ValidateOptions(o);
  o.read_threads = 0;
  o.summary_releases = "weekly";
  o.tls_require_client_cert = true;
  const absl::Status s = ValidateOptions(o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  for (const char* flag : {"--read_threads", "--summary_releases", "--tls_require_client_cert"}) {
    EXPECT_NE(s.message().find(flag), std::string::npos) << flag << " in " << s;
  }
  ServerOptions open = ToServerOptions(DefaultSettings());
  open.data_dir = "/d";
  open.principals_file = "/p";
  open.listen = "0.0.0.0:50051";
  EXPECT_EQ(ValidateOptions(open).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Settings, UsageListsEverySettingWithItsDefault) {
  const std::string usage = Usage();
  EXPECT_NE(usage.find("--principals=STRING"), std::string::npos) << usage;
  EXPECT_NE(usage.find("--block_cache_mb=INT64"), std::string::npos);
  EXPECT_NE(usage.find("(default 16)"), std::string::npos);
  const google::protobuf::Descriptor* d = ServerConfig::descriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    EXPECT_NE(usage.find(d->field(i)->options().GetExtension(hirs::config::v1::setting).help()), std::string::npos)
        << d->field(i)->name();
  }
}

}  // namespace
}  // namespace hirs::server
