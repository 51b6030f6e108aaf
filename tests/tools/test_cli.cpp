// The command line as a user meets it: exit codes, exact messages for bad scenarios,
// nothing written on bad input, describe and models.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli_runner.hpp"

namespace {

namespace fs = std::filesystem;
using test::run_cli;

struct BadCase {
  const char* file;
  const char* expected_stderr;
};

// Each fixture is tests/fixtures/scenarios/minimal.yaml with one mistake (several for
// several_errors.yaml), run from the source directory.
const BadCase kBadCases[] = {
    {"unknown_key.yaml",
     "tests/fixtures/scenarios_bad/unknown_key.yaml:9:3: plant.server: missing required key\n"
     "tests/fixtures/scenarios_bad/unknown_key.yaml:9:3: plant.sever: unknown key \"sever\" (did "
     "you mean \"server\"?)\n"},
    {"missing_key.yaml",
     "tests/fixtures/scenarios_bad/missing_key.yaml:12:3: workload.replicas: missing required "
     "key\n"},
    {"wrong_unit.yaml",
     "tests/fixtures/scenarios_bad/wrong_unit.yaml:16:11: workload.arrivals.rate: expected a "
     "frequency or rate "
     "(e.g. \"10 /s\"), got a byte rate \"5 GB/s\"\n"},
    {"bare_number.yaml",
     "tests/fixtures/scenarios_bad/bare_number.yaml:16:11: workload.arrivals.rate: expected a "
     "frequency or rate "
     "(e.g. \"10 /s\"), got a bare number \"5\"\n"},
    {"unknown_model.yaml",
     "tests/fixtures/scenarios_bad/unknown_model.yaml:13:10: workload.model: unknown model "
     "\"llama-3-8\" (did you "
     "mean \"llama-3-8b\"?)\n"},
    {"negative_capacity.yaml",
     "tests/fixtures/scenarios_bad/negative_capacity.yaml:30:19: gpus.tiny.hbm_capacity: must be > "
     "0 (got \"-80 GB\")\n"},
    {"bad_include.yaml",
     "tests/fixtures/scenarios_bad/bad_include.yaml:3:5: include[1]: cannot read included file "
     "\"../../../scenarios/catalog/gpu.yaml\": No such file or directory\n"},
    {"weights_do_not_fit.yaml",
     "tests/fixtures/scenarios_bad/weights_do_not_fit.yaml:23:20: workload.tensor_parallel: the "
     "bf16 weights of "
     "llama-3-405b need 811.7 GB per GPU with tensor_parallel 1, more than the 76.97 GB that "
     "h100-sxm has after the "
     "memory reserve\n"},
    {"several_errors.yaml",
     "tests/fixtures/scenarios_bad/several_errors.yaml:20:11: workload.slo.ttft: expected a "
     "duration (e.g. \"1.5 s\"), "
     "got a power \"1 kW\"\n"
     "tests/fixtures/scenarios_bad/several_errors.yaml:22:13: workload.replicas: must be between 1 "
     "and 1000000 (got \"0\")\n"
     "tests/fixtures/scenarios_bad/several_errors.yaml:24:21: workload.max_batch_tokens: must be an "
     "integer (got \"lots\")\n"},
    // The plant's mistakes, all at once: a rack over its limit by construction, an efficiency
    // above 100 %, an approach written in degC, a zero flow, a malformed ambient CSV.
    {"plant_errors.yaml",
     "tests/fixtures/scenarios_bad/plant_errors.yaml:13:21: plant.rack_power_limit: 4 servers of "
     "dgx-h100 have a nameplate of 40.85 kW per rack, above the limit of 30 kW: the rack is over "
     "its limit by construction\n"
     "tests/fixtures/scenarios_bad/plant_errors.yaml:20:43: "
     "plant.power.chain[0].efficiency[1][1]: efficiency: must be > 0 and <= 100 % (got "
     "\"101 %\")\n"
     "tests/fixtures/scenarios_bad/plant_errors.yaml:26:17: plant.cooling.cdu.approach: a "
     "temperature difference is written in K (e.g. \"5 K\"): \"4 degC\" is an absolute "
     "temperature (277.15 K)\n"
     "tests/fixtures/scenarios_bad/plant_errors.yaml:27:13: plant.cooling.cdu.flow: must be > 0 "
     "(got \"0 L/min\")\n"
     "tests/fixtures/scenarios_bad/plant_errors.yaml:32:32: plant.cooling.ambient.path: "
     "tests/fixtures/scenarios_bad/bad_ambient.csv:3:4: dry_bulb_degC: expected a number (got "
     "\"2x\")\n"},
    {"plant_misfits.yaml",
     "tests/fixtures/scenarios_bad/plant_misfits.yaml:9:11: plant.server: unknown server "
     "\"dgx-h10\" (did you mean \"dgx-h100\"?)\n"},
};

class BadScenario : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadScenario, ExitsWithCode2AndExactMessagesAndWritesNothing) {
  const BadCase& c = GetParam();
  const fs::path out =
      fs::temp_directory_path() / ("firstwall_bad_" + std::to_string(::getpid()) + ".h5");
  const auto r = run_cli(std::string("run tests/fixtures/scenarios_bad/") + c.file + " -o '" +
                         out.string() + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, c.expected_stderr);
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(fs::exists(out));
  // check reports the same
  const auto k = run_cli(std::string("check tests/fixtures/scenarios_bad/") + c.file);
  EXPECT_EQ(k.exit_code, 2);
  EXPECT_EQ(k.err, c.expected_stderr);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, BadScenario, ::testing::ValuesIn(kBadCases),
                         [](const ::testing::TestParamInfo<BadCase>& p) {
                           std::string n = p.param.file;
                           return n.substr(0, n.find('.'));
                         });

TEST(Cli, LoaderLevelMistakesAllExitWith2AndNameTheFile) {
  // Broken YAML, tabs, empty files, non-mappings, binary garbage: a located message, code 2.
  for (const char* f :
       {"syntax_error.yaml", "tab_indent.yaml", "empty.yaml", "not_mapping.yaml",
        "binary_garbage.bin", "duplicate_key.yaml", "include_cycle_a.yaml", "invalid_utf8.yaml"}) {
    const auto r = run_cli(std::string("check tests/fixtures/bad/") + f);
    EXPECT_EQ(r.exit_code, 2) << f;
    EXPECT_THAT(r.err, ::testing::StartsWith(std::string("tests/fixtures/bad/"))) << f;
    EXPECT_THAT(r.err, ::testing::MatchesRegex("([^\n]+:[0-9]+:[0-9]+: [^\n]+\n)+"))
        << f << ": " << r.err;
  }
  const auto missing = run_cli("check does/not/exist.yaml");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, "does/not/exist.yaml:1:1: cannot read file: No such file or directory\n");
}

TEST(Cli, OverridesAreValidatedWithTheirPosition) {
  const auto r = run_cli(
      "check tests/fixtures/scenarios/minimal.yaml --set workload.replicas=2 --set "
      "workload.replicas=-1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "--set:2:1: workload.replicas: must be between 1 and 1000000 (got \"-1\")\n");
  const auto ok = run_cli("check tests/fixtures/scenarios/minimal.yaml --set workload.replicas=2");
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_EQ(ok.out, "tests/fixtures/scenarios/minimal.yaml: OK\n");
}

TEST(Cli, UsageErrorsExitWith2AndHelpWith0) {
  EXPECT_EQ(run_cli("run").exit_code, 2);
  EXPECT_EQ(run_cli("frobnicate").exit_code, 2);
  EXPECT_EQ(run_cli("run tests/fixtures/scenarios/minimal.yaml --bogus").exit_code, 2);
  for (const char* sub : {"", "run ", "check ", "describe ", "models "}) {
    const auto h = run_cli(std::string(sub) + "--help");
    EXPECT_EQ(h.exit_code, 0) << sub;
    EXPECT_THAT(h.out, ::testing::HasSubstr("Usage:")) << sub;
  }
}

TEST(Cli, DescribeModelPrintsDerivedPropertiesAsYaml) {
  const auto r = run_cli("describe model deepseek-v3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::HasSubstr("\nkv_cache_bytes_per_token: 70272\n"));
  EXPECT_THAT(r.out, ::testing::HasSubstr("\nparams_total: 671026404352\n"));
  const auto l = run_cli("describe model llama-3-70b --dtype fp8");
  EXPECT_THAT(l.out, ::testing::HasSubstr("\nkv_cache_bytes_per_token: 163840\n"));
  const auto g = run_cli("describe gpu h100-sxm");
  EXPECT_THAT(g.out, ::testing::HasSubstr("\nhbm_bandwidth: 3350000000000  # B/s\n"));
  const auto bad = run_cli("describe model llama-3-8");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err,
              ::testing::HasSubstr("unknown model \"llama-3-8\" (did you mean \"llama-3-8b\"?)"));
}

TEST(Cli, ModelsListsTheRegisteredModels) {
  const auto r = run_cli("models");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, ::testing::HasSubstr("serving"));
  EXPECT_THAT(r.out, ::testing::HasSubstr("ring_allreduce"));
}

}  // namespace

namespace {

TEST(Cli, EveryShippedScenarioIsValid) {
  int checked = 0;
  for (const char* dir : {"scenarios", "scenarios/examples"}) {
    for (const auto& e :
         std::filesystem::directory_iterator(std::filesystem::path(FIRSTWALL_SOURCE_DIR) / dir)) {
      if (e.path().extension() != ".yaml") continue;
      const std::string rel = std::string(dir) + "/" + e.path().filename().string();
      const auto r = test::run_cli("check " + rel);
      EXPECT_EQ(r.exit_code, 0) << rel << "\n" << r.err;
      EXPECT_EQ(r.out, rel + ": OK\n");
      ++checked;
    }
  }
  EXPECT_GE(checked, 3);
}

// Where the results go is input: a folder, or a path under a file, is exit 2 before the run.
TEST(Cli, AnOutputPathThatCannotBeAFileIsBadInput) {
  const auto dir = std::filesystem::path(::testing::TempDir());
  const auto r = test::run_cli("run tests/fixtures/scenarios/single_request.yaml -o " + dir.string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "-o:1:1: \"" + dir.string() + "\" is a folder, not a file\n");
  const auto under_file = test::run_cli(
      "run tests/fixtures/scenarios/single_request.yaml -o "
      "tests/fixtures/scenarios/single_request.yaml/r.h5");
  EXPECT_EQ(under_file.exit_code, 2);
  EXPECT_THAT(under_file.err,
              ::testing::StartsWith("-o:1:1: cannot create the folder "
                                    "\"tests/fixtures/scenarios/single_request.yaml\""));
}

TEST(Cli, WorkloadsMustFitThePlant) {
  const auto r = test::run_cli(
      "check tests/fixtures/scenarios/minimal.yaml --set workload.replicas=3 --set "
      "workload.tensor_parallel=4");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "--set:1:1: workload.replicas: 3 replicas of 4 GPUs need 12 GPUs; the plant has 8\n");
  const auto domain = test::run_cli(
      "check tests/fixtures/scenarios/minimal.yaml --set workload.tensor_parallel=16");
  EXPECT_EQ(domain.exit_code, 2);
  EXPECT_EQ(domain.err,
            "--set:1:1: workload.tensor_parallel: must be <= 8, the GPUs of one scale-up domain of "
            "the plant's servers (tensor parallelism across servers is not modelled)\n");
}

// --seed is part of the run: the resolved scenario stored with the results says so.
TEST(Cli, SeedOverrideIsInTheStoredScenario) {
  const auto path = std::filesystem::path(::testing::TempDir()) / "seeded.h5";
  const auto r = test::run_cli("run tests/fixtures/scenarios/single_request.yaml --seed 1234 -o " +
                               path.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string cmd = "/usr/bin/python3 -c \"import h5py; f = h5py.File('" + path.string() +
                          "'); y = f.attrs['scenario_yaml']; y = y.decode() if isinstance(y, "
                          "bytes) else y; assert 'seed: 1234' in y and f.attrs['seed'] == 1234\"";
  if (std::system("/usr/bin/python3 -c 'import h5py' 2>/dev/null") != 0) GTEST_SKIP() << "no h5py";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

TEST(Cli, ImplausibleRequestCountsAreRefused) {
  const auto r = test::run_cli(
      "check tests/fixtures/scenarios/minimal.yaml --set \"workload.arrivals.rate=1e9 /s\"");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "--set:1:1: workload.arrivals.rate: would bring 1e+10 requests in simulation.duration; "
            "at most "
            "5e+07 are supported per run\n");
}

// Exit code 1 is for failures that are not the input's fault (tools/cli/main.cpp maps every
// std::exception other than InputError and DataDirError to it). No flag of the command line
// provokes one on a valid scenario, so the environment does: the scenario below is valid
// (`check` accepts it), but the run needs gigabytes (40 million requests in 10 s, each kept
// for the /requests table) and the address space is limited to 300 MB, so growing the table
// throws std::bad_alloc. Skipped under AddressSanitizer, which reserves terabytes of shadow
// memory at start-up and aborts on an allocation failure.
TEST(Cli, RunningOutOfMemoryIsAnInternalErrorWithExitCode1) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer cannot start under a 300 MB address-space limit";
#endif
  const std::string scenario =
      "tests/fixtures/scenarios/minimal.yaml --set 'workload.arrivals.rate=4e6 /s' --set "
      "'simulation.duration=10 s'";
  const auto valid = run_cli("check " + scenario);
  ASSERT_EQ(valid.exit_code, 0) << valid.err;

  const fs::path out =
      fs::temp_directory_path() / ("firstwall_oom_" + std::to_string(::getpid()) + ".h5");
  const auto r = test::run_command("(ulimit -v 300000; exec '" + std::string(FIRSTWALL_CLI) +
                                       "' run " + scenario + " -o '" + out.string() + "')",
                                   FIRSTWALL_SOURCE_DIR);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "firstwall: internal error: std::bad_alloc\n");
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(fs::exists(out));
}

// A results file that cannot be written (here a file-size limit of 8 KiB, as a full disk
// would do; SIGXFSZ ignored so that the write fails with EFBIG instead of killing the
// process) is an internal error too: exit code 1, HDF5's message, no file and no temporary
// left behind. (With HDF5 1.10's exit handler installed, the failed close left its ID table
// half destroyed and the process died of SIGSEGV at exit, HDFFV-11052: ResultFile no longer
// installs it.)
TEST(Cli, AResultsFileThatCannotBeWrittenIsAnInternalErrorWithExitCode1) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "sanitizer runtimes write their own files";
#endif
  const fs::path dir =
      fs::temp_directory_path() / ("firstwall_write_fail_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path out = dir / "r.h5";
  // dash counts ulimit -f in 512-byte blocks: 16 blocks = 8 KiB; the file takes about 54 kB.
  const auto r = test::run_command(
      "(trap '' XFSZ; ulimit -f 16; exec '" + std::string(FIRSTWALL_CLI) +
          "' run tests/fixtures/scenarios/single_request.yaml -o '" + out.string() + "')",
      FIRSTWALL_SOURCE_DIR);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, ::testing::StartsWith("firstwall: internal error: HDF5 file '" + out.string() +
                                           ".tmp-"));
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(fs::is_empty(dir)) << "no results file, no temporary";
  fs::remove_all(dir);
}

}  // namespace
