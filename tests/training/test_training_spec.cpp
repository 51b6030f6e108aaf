// Bad training input: exact messages from the spec check, and from a CSV as
// `file:line: column: message` (exit code 2 from the CLI).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../tools/cli_runner.hpp"
#include "models/workload/training/training_csv.hpp"
#include "sim/config.hpp"
#include "training_fixture.hpp"

namespace tr = models::training;

namespace {

std::vector<std::string> messages(const tr::TrainingSpec& s) {
  std::vector<std::string> out;
  for (const auto& p : tr::check_training_spec(s)) out.push_back(p.field + ": " + p.message);
  return out;
}

const char* kHeader =
    "source,model,gpu,gpus,layers,hidden,heads,kv_heads,ffn_hidden,ffn,vocab,seq_len,tp,pp,vp,cp,"
    "dp,global_batch,micro_batch,dtype,recompute,measured_step_time_s,measured_tflops_per_gpu\n";

std::string write_csv(const std::string& name, const std::string& rows) {
  const auto path =
      std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()) + ".csv");
  std::ofstream(path) << kHeader << rows;
  return path.string();
}

}  // namespace

TEST(TrainingSpec, ValidSpecHasNoProblems) {
  EXPECT_TRUE(tr::check_training_spec(test::gpt3_175b(4)).empty());
}

TEST(TrainingSpec, GpusMustBeTheProductOfTheParallelSizes) {
  tr::TrainingSpec s = test::gpt3_175b(4);
  s.gpus = 380;
  EXPECT_EQ(messages(s),
            std::vector<std::string>{"gpus: tp·pp·dp·cp = 384 does not match gpus = 380"});
}

TEST(TrainingSpec, LayersMustDivideIntoVirtualStages) {
  tr::TrainingSpec s = test::gpt3_175b(4);
  s.parallel.vp = 5;
  EXPECT_EQ(messages(s),
            std::vector<std::string>{"layers: layers (96) must be divisible by pp·vp = 60"});
}

TEST(TrainingSpec, MicrobatchMustDivideTheBatchPerDataParallelRank) {
  tr::TrainingSpec s = test::gpt3_175b(4);
  s.micro_batch = 5;
  EXPECT_EQ(messages(s), std::vector<std::string>{"micro_batch: micro_batch (5) must divide the "
                                                  "batch per data-parallel rank (384 = 1536 / 4)"});
  s.micro_batch = 1;
  s.global_batch = 1537;
  EXPECT_EQ(messages(s), std::vector<std::string>{
                             "global_batch: global_batch (1537) must be divisible by dp (4)"});
}

TEST(TrainingSpec, ExpertParallelNeedsMoe) {
  tr::TrainingSpec s = test::gpt3_175b(4);
  s.parallel.ep = 2;
  EXPECT_EQ(messages(s), std::vector<std::string>{"ep: ep (2) needs a MoE model"});
}

TEST(TrainingCsv, BadRowsReportFileLineAndColumn) {
  const std::string path = write_csv(
      "bad_training",
      "t,a,a100-sxm-80gb,32,24,2304,24,24,9216,gelu,51200,2048,1,1,,1,16,512,,bf16,full,3.5,137\n"
      "t,b,a100-sxm-80gb,32,30,2304,24,24,9216,gelu,51200,2048,1,4,,1,8,512,,bf16,full,3.5,137\n"
      "t,c,a100-sxm-80gb,32,24,2304,24,24,9216,gelu,51200,2048,1,1,,1,32,512,3,bf16,full,3.5,137\n"
      "t,d,a100-sxm-80gb,32,24,2304,24,24,9216,gelu,51200,2048,x,1,,1,32,512,,bf16,fast,3.5,137\n");
  try {
    tr::read_training_csv(path, test::gpu_catalog().gpus);
    FAIL() << "no error";
  } catch (const sim::config::InputError& e) {
    std::vector<std::string> got;
    for (const auto& d : e.diagnostics()) got.push_back(d.str());
    const std::vector<std::string> want{
        path + ":2: gpus: tp·pp·dp·cp = 16 does not match gpus = 32",
        path + ":3: layers: layers (30) must be divisible by pp·vp = 4",
        path +
            ":4: micro_batch: micro_batch (3) must divide the batch per data-parallel rank "
            "(16 = 512 / 32)",
        path + ":5: tp: must be an integer (got \"x\")",
        path + ":5: recompute: must be none, selective or full (got \"fast\")"};
    EXPECT_EQ(got, want);
  }
  std::filesystem::remove(path);
}

TEST(TrainingCsv, CliExitsTwoOnBadInput) {
  const std::string path = write_csv(
      "bad_training_cli",
      "t,a,a100-sxm-80gb,32,24,2304,24,24,9216,gelu,51200,2048,1,1,,1,16,512,,bf16,full,3.5,137\n");
  const test::CliResult r = test::run_cli("validate training --csv '" + path + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, path + ":2: gpus: tp·pp·dp·cp = 16 does not match gpus = 32\n");
  EXPECT_TRUE(r.out.empty());
  std::filesystem::remove(path);
}

TEST(TrainingCsv, EmptyCellsTakeTheDocumentedDefaults) {
  const std::string path =
      write_csv("defaults_training",
                "t,a,a100-sxm-80gb,512,48,8192,64,,,,51200,2048,8,2,,,,1536,,,full,14.4,\n");
  const auto rows = tr::read_training_csv(path, test::gpu_catalog().gpus);
  ASSERT_EQ(rows.size(), 1u);
  const tr::TrainingSpec& s = rows[0].spec;
  EXPECT_EQ(s.parallel.vp, 2);  // 24 layers per stage: smallest divisor above 1
  EXPECT_EQ(s.parallel.dp, 32);
  EXPECT_EQ(s.parallel.cp, 1);
  EXPECT_EQ(s.micro_batch, 1);
  EXPECT_EQ(s.model.kv_heads, 64);
  EXPECT_EQ(s.model.ffn_hidden, 4 * 8192);
  EXPECT_EQ(s.attention, tr::AttentionImpl::unfused);  // an A100 row
  EXPECT_FALSE(s.parallel.sequence_parallel);          // A100 without selective recompute
  std::filesystem::remove(path);
}
