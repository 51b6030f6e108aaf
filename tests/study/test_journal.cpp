// The sweep journal: records round-trip bit for bit, a tail cut short by a kill is dropped
// and cut off, and another study's journal is refused.
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "models/study/journal.hpp"
#include "sim/config.hpp"

namespace {

namespace fs = std::filesystem;
using models::study::Journal;
using models::study::PointRecord;

PointRecord sample(std::int64_t id) {
  PointRecord r;
  r.id = id;
  r.ok = id % 2 == 0;
  r.error = r.ok ? "" : "base.yaml:3:5: workload.x: tab\there, newline\nand \\ backslash";
  r.metrics = {{"throughput", "tokens/s", 1.0 / 3.0 + static_cast<double>(id)},
               {"ttft_p99", "s", std::numeric_limits<double>::quiet_NaN()},
               {"tiny", "", -4.9e-324}};
  r.first_wall = "replica[0].compute";
  r.first_wall_kind = "compute";
  r.nearest_wall = "replica[0].compute";
  return r;
}

void expect_same(const PointRecord& a, const PointRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.ok, b.ok);
  EXPECT_EQ(a.error, b.error);
  ASSERT_EQ(a.metrics.size(), b.metrics.size());
  for (std::size_t i = 0; i < a.metrics.size(); ++i) {
    EXPECT_EQ(a.metrics[i].name, b.metrics[i].name);
    EXPECT_EQ(a.metrics[i].unit, b.metrics[i].unit);
    EXPECT_EQ(std::bit_cast<std::uint64_t>(a.metrics[i].value),
              std::bit_cast<std::uint64_t>(b.metrics[i].value));
  }
  EXPECT_EQ(a.first_wall, b.first_wall);
  EXPECT_EQ(a.first_wall_kind, b.first_wall_kind);
  EXPECT_EQ(a.nearest_wall, b.nearest_wall);
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class JournalTest : public ::testing::Test {
 protected:
  fs::path dir = fs::temp_directory_path() / ("firstwall_journal_" + std::to_string(::getpid()));
  fs::path path = dir / "sweep.h5.journal";
  void SetUp() override { fs::create_directories(dir); }
  void TearDown() override { fs::remove_all(dir); }
};

TEST_F(JournalTest, LineRoundTripsBitForBit) {
  for (std::int64_t id : {0, 1, 123456789}) {
    const std::string line = models::study::journal_line(sample(id));
    EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);  // escapes keep it one line
    PointRecord back;
    ASSERT_TRUE(models::study::parse_journal_line(line, back));
    expect_same(sample(id), back);
  }
}

TEST_F(JournalTest, DamagedLinesAreRejected) {
  const std::string line = models::study::journal_line(sample(1));
  PointRecord r;
  EXPECT_FALSE(models::study::parse_journal_line(line.substr(0, line.size() - 1), r));
  EXPECT_FALSE(models::study::parse_journal_line(line.substr(0, line.size() / 2), r));
  std::string flipped = line;
  flipped[5] = flipped[5] == 'x' ? 'y' : 'x';
  EXPECT_FALSE(models::study::parse_journal_line(flipped, r));
}

TEST_F(JournalTest, ResumeKeepsWholeRecordsAndCutsATornTail) {
  {
    Journal j(path.string(), "study-A", false);
    j.append(sample(0));
    j.append(sample(1));
  }
  const std::string whole = slurp(path);
  // A kill in the middle of the third record's write.
  const std::string third = models::study::journal_line(sample(2));
  std::ofstream(path, std::ios::app | std::ios::binary) << third.substr(0, 17);
  {
    Journal j(path.string(), "study-A", true);
    ASSERT_EQ(j.records().size(), 2u);
    expect_same(j.records().at(1), sample(1));
    EXPECT_EQ(slurp(path), whole);  // the torn tail is cut off
    j.append(sample(2));
  }
  Journal j(path.string(), "study-A", true);
  ASSERT_EQ(j.records().size(), 3u);
  expect_same(j.records().at(2), sample(2));
}

TEST_F(JournalTest, AnotherStudysJournalIsRefused) {
  { Journal j(path.string(), "study-A", false); }
  try {
    Journal j(path.string(), "study-B", true);
    FAIL() << "resumed another study's journal";
  } catch (const sim::config::InputError& e) {
    EXPECT_EQ(e.diagnostics().at(0).str(),
              path.string() +
                  ":1:1: this journal belongs to another sweep (the base scenario, the axes, the "
                  "mode, the seed or --keep-runs differ); remove it to start over");
  }
}

TEST_F(JournalTest, HeaderCutShortStartsOver) {
  std::ofstream(path, std::ios::binary) << "firstwall-sweep-jour";
  Journal j(path.string(), "study-A", true);
  EXPECT_TRUE(j.records().empty());
  j.append(sample(4));
  EXPECT_EQ(Journal(path.string(), "study-A", true).records().size(), 1u);
}

}  // namespace
