// Loads a synthetic national-size ONS Postcode Directory (2.7 million rows,
// 1 in 40 in the Leicestershire area, ~50 columns like the real ONSPD) with
// DistrictRouter::FromOnsFile and prints the time, the rows per second and
// the process's peak RSS.
//
//   postcode_directory_bench [ROWS]     (default 2700000)
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/intake/postcode.h"

int main(int argc, char** argv) {
  const long rows = argc > 1 ? std::atol(argv[1]) : 2700000;
  char path[] = "/tmp/hirs-onspd-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return 1;
  close(fd);
  {
    std::ofstream out(path);
    out << "pcd,pcd2,pcds,dointr,doterm,oscty,ced,oslaua,osward";
    for (int c = 0; c < 40; ++c) out << ",col" << c;
    out << "\n";
    const char* codes[] = {"E07000130", "E06000016", "E07000129"};
    for (long i = 0; i < rows; ++i) {
      const bool in_area = i % 40 == 0;
      static constexpr char kInward[] = "ABDEFGHJLNPQRSTUWXYZ";  // letters valid in an inward code
      const long j = in_area ? i / 40 : i;                       // distinct postcodes for the area's rows
      const std::string pc =
          absl::StrCat(in_area ? "LE" : "ZZ", 1 + j % 19, " ", (j / 19) % 10, std::string(1, kInward[(j / 190) % 20]),
                       std::string(1, kInward[(j / 3800) % 20]));
      out << pc << ",\"" << pc << "\"," << pc << ",199801,,E10000018,E58000001,"
          << (in_area ? codes[i % 3] : "E09000033") << ",E05000001";
      for (int c = 0; c < 40; ++c) out << ",E0" << c;
      out << "\n";
    }
  }
  std::ifstream size_probe(path, std::ios::ate | std::ios::binary);
  const double megabytes = static_cast<double>(size_probe.tellg()) / (1 << 20);

  const absl::Time start = absl::Now();
  auto router = hirs::intake::DistrictRouter::FromOnsFile(path);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  unlink(path);
  if (!router.ok()) {
    std::fprintf(stderr, "%s\n", router.status().ToString().c_str());
    return 1;
  }
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  std::printf("postcode directory: %ld rows, %.0f MiB file, kept %zu postcodes + %zu sectors\n", rows, megabytes,
              (*router)->postcode_count(), (*router)->sector_count());
  std::printf("load: %.2f s, %.0f rows/s, peak RSS %.0f MiB\n", seconds, rows / seconds, usage.ru_maxrss / 1024.0);
  return 0;
}
