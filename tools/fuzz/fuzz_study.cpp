// libFuzzer target: the study reader (`firstwall sweep`) on arbitrary study YAML. The text is
// written to <tmp>/study.yaml beside a copy of tests/fixtures/scenarios/minimal.yaml (so
// `base: minimal.yaml` resolves), and leading lines "#axis PATH=VALUES" (YAML comments) are
// also passed as --axis flags. read_study must return a study or throw
// sim::config::InputError, never crash, hang or read out of bounds.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "models/study/study.hpp"
#include "sim/config.hpp"

namespace {

namespace fs = std::filesystem;

const fs::path& work_dir() {
  static const fs::path dir = [] {
    const fs::path d =
        fs::temp_directory_path() / ("firstwall_fuzz_study_" + std::to_string(::getpid()));
    fs::create_directories(d);
    fs::copy_file(fs::path(FIRSTWALL_FIXTURES_DIR) / "scenarios" / "minimal.yaml",
                  d / "minimal.yaml", fs::copy_options::overwrite_existing);
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  models::study::StudyArgs args;
  args.file = (work_dir() / "study.yaml").string();
  {
    std::ofstream out(args.file, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  constexpr std::string_view kAxis = "#axis ";
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t eol = std::min(text.find('\n', start), text.size());
    const std::string_view line = text.substr(start, eol - start);
    if (line.substr(0, kAxis.size()) != kAxis) break;
    args.axes.emplace_back(line.substr(kAxis.size()));
    start = eol + 1;
  }
  try {
    const models::study::Study study = models::study::read_study(args);
    (void)study.study_yaml.size();
  } catch (const sim::config::InputError& e) {
    for (const auto& d : e.diagnostics()) (void)d.str();
  }
  return 0;
}
