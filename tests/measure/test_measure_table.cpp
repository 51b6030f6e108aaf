// The measuring run and its HDF5 table, through the library: the grid is complete and
// consistent, the file has the documented columns, rates are work / median.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <hdf5.h>

#include "kernels/measure/kernel_grid.hpp"
#include "kernels/measure/measure_run.hpp"
#include "kernels/measure/measure_table.hpp"

namespace km = kernels::measure;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> member_names(const fs::path& file, const char* dataset) {
  std::vector<std::string> names;
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return names;
  const hid_t d = H5Dopen2(f, dataset, H5P_DEFAULT);
  const hid_t t = H5Dget_type(d);
  for (int i = 0; i < H5Tget_nmembers(t); ++i) {
    char* name = H5Tget_member_name(t, static_cast<unsigned>(i));
    names.emplace_back(name);
    H5free_memory(name);
  }
  H5Tclose(t);
  H5Dclose(d);
  H5Fclose(f);
  return names;
}

std::vector<double> double_column(const fs::path& file, const char* column) {
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t d = H5Dopen2(f, "/kernels", H5P_DEFAULT);
  const hid_t s = H5Dget_space(d);
  std::vector<double> v(static_cast<std::size_t>(H5Sget_simple_extent_npoints(s)));
  const hid_t mem = H5Tcreate(H5T_COMPOUND, sizeof(double));
  H5Tinsert(mem, column, 0, H5T_NATIVE_DOUBLE);
  H5Dread(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
  H5Tclose(mem);
  H5Sclose(s);
  H5Dclose(d);
  H5Fclose(f);
  return v;
}

bool has_root_attribute(const fs::path& file, const std::string& name) {
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const bool yes = H5Aexists(f, name.c_str()) > 0;
  H5Fclose(f);
  return yes;
}

km::measure_options tiny_options() {
  km::measure_options o = km::default_measure_options(true);
  o.threads = {1};
  o.kernels = {"rms_norm", "gemm", "attention_decode"};
  o.timing.budget = sim::Seconds(0.002);
  o.timing.min_repeats = 3;
  o.timing.max_repeats = 3;
  o.probes.stream_array_bytes = std::int64_t{8} << 20;
  o.probes.stream_arrays_from_llc = false;
  o.probes.sweep.max_bytes = std::int64_t{8} << 20;
  o.probes.sweep.seconds_per_point = 0.0;
  o.probes.stream_trials = 2;
  o.probes.fma_iterations = std::int64_t{1} << 16;
  o.probes.fma_trials = 1;
  return o;
}

}  // namespace

TEST(KernelGrid, CoversEveryKernelOfThePipeline) {
  const std::vector<std::string> names = km::kernel_names();
  for (const char* k : {"embedding", "positional_encoding", "rope", "rms_norm", "layer_norm",
                        "softmax", "gemm", "attention_prefill", "attention_decode", "mla_decode",
                        "mla_prefill", "gelu_ffn", "swiglu_ffn", "moe", "lm_head"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), k), names.end()) << k;
  }
  // Both grids have the same kernels, dtypes and variants (quick is the full grid, smaller).
  auto kinds = [](bool quick) {
    std::set<std::string> s;
    for (const auto& g : km::kernel_grid(km::grid_options{.quick = quick})) {
      for (const auto& c : g.cases) s.insert(c.kernel + "/" + c.variant + "/" + c.dtype);
    }
    return s;
  };
  EXPECT_EQ(kinds(true), kinds(false));
  const std::set<std::string> quick = kinds(true);
  for (const char* k :
       {"gemm/eigen_tiled/fp32", "gemm/fp32_convert/bf16", "attention_decode/split_k/fp8_e4m3",
        "attention_decode/split_k/bf16", "mla_decode/naive/fp32", "mla_decode/absorbed/fp32"}) {
    EXPECT_TRUE(quick.count(k)) << k;
  }
}

TEST(KernelGrid, PreparedCasesMatchTheirDescriptionAndDoWork) {
  for (const km::case_group& g : km::kernel_grid(km::grid_options{.quick = true})) {
    const std::vector<km::prepared_case> prepared = g.prepare();
    ASSERT_EQ(prepared.size(), g.cases.size());
    for (std::size_t i = 0; i < prepared.size(); ++i) {
      km::kernel_shape described = g.cases[i].shape;
      described.experts_touched = prepared[i].shape.experts_touched;  // known after routing
      EXPECT_EQ(described, prepared[i].shape)
          << g.cases[i].kernel << " " << km::shape_string(prepared[i].shape);
      EXPECT_GT(prepared[i].work.bytes, 0) << g.cases[i].kernel;
      if (g.cases[i].kernel != "embedding") {
        EXPECT_GT(prepared[i].work.flops, 0) << g.cases[i].kernel;
      }
      if (g.cases[i].kernel == "moe") {
        EXPECT_GT(prepared[i].shape.experts_touched, 0);
      }
    }
  }
}

TEST(KernelGrid, ShapeStringListsTheNonZeroColumns) {
  EXPECT_EQ(km::shape_string(km::kernel_shape{.tokens = 8, .m = 8, .n = 16, .k = 32}),
            "tokens=8 m=8 n=16 k=32");
  EXPECT_EQ(km::shape_string(km::kernel_shape{}), "");
}

class MeasureFile : public ::testing::Test {
 protected:
  fs::path dir = fs::temp_directory_path() / ("firstwall_measure_" + std::to_string(::getpid()));
  void SetUp() override { fs::create_directories(dir); }
  void TearDown() override { fs::remove_all(dir); }
};

TEST_F(MeasureFile, TinyRunWritesTheDocumentedTableAndReadsBack) {
  const km::measure_result result = km::measure_kernels(tiny_options(), {});
  ASSERT_FALSE(result.rows.empty());
  const fs::path file = dir / "m.h5";
  km::write_measure_file(file.string(), result,
                         km::file_metadata{"test", "firstwall kernels measure (test)"});

  EXPECT_EQ(member_names(file, "/kernels"), km::kernel_table_columns());
  const std::vector<std::string> documented{"kernel",
                                            "variant",
                                            "dtype",
                                            "shape",
                                            "tokens",
                                            "context",
                                            "m",
                                            "n",
                                            "k",
                                            "d_model",
                                            "ffn_dim",
                                            "heads",
                                            "kv_heads",
                                            "head_dim_qk",
                                            "head_dim_v",
                                            "kv_lora_rank",
                                            "rope_dim",
                                            "experts",
                                            "top_k",
                                            "shared_experts",
                                            "experts_touched",
                                            "vocab",
                                            "threads",
                                            "repeats",
                                            "calls_per_repeat",
                                            "median_s",
                                            "min_s",
                                            "max_s",
                                            "flops",
                                            "bytes",
                                            "flops_per_s",
                                            "bytes_per_s",
                                            "arithmetic_intensity"};
  EXPECT_EQ(member_names(file, "/kernels"), documented);
  EXPECT_EQ(member_names(file, "/host"),
            (std::vector<std::string>{"threads", "peak_flops_fma", "stream_triad_bw"}));
  EXPECT_EQ(member_names(file, "/cache_sweep"), (std::vector<std::string>{"bytes", "read_bw"}));
  for (const char* a :
       {"firstwall_version", "command", "created_utc", "host_id", "cpu_model", "microarchitecture",
        "l1d_bytes", "l2_bytes", "llc_bytes", "llc_effective_bytes", "cache_read_bw",
        "memory_read_bw", "core_clock_hz", "logical_cores", "fma_isa", "stream_bytes_per_iteration",
        "peak_flops_fma_threads_1", "stream_triad_bw_threads_1"}) {
    EXPECT_TRUE(has_root_attribute(file, a)) << a;
  }

  // Rates are exactly work / median in the stored doubles.
  const auto flops = double_column(file, "flops");
  const auto bytes = double_column(file, "bytes");
  const auto median = double_column(file, "median_s");
  const auto flops_per_s = double_column(file, "flops_per_s");
  const auto bytes_per_s = double_column(file, "bytes_per_s");
  ASSERT_EQ(flops.size(), result.rows.size());
  for (std::size_t i = 0; i < flops.size(); ++i) {
    ASSERT_GT(median[i], 0.0);
    EXPECT_NEAR(flops_per_s[i], flops[i] / median[i], 1e-12 * flops_per_s[i]);
    EXPECT_NEAR(bytes_per_s[i], bytes[i] / median[i], 1e-12 * bytes_per_s[i]);
  }

  const km::measure_file back = km::read_measure_file(file.string());
  ASSERT_EQ(back.rows.size(), result.rows.size());
  for (std::size_t i = 0; i < back.rows.size(); ++i) {
    EXPECT_EQ(back.rows[i].kernel, result.rows[i].kernel);
    EXPECT_EQ(back.rows[i].variant, result.rows[i].variant);
    EXPECT_EQ(back.rows[i].dtype, result.rows[i].dtype);
    EXPECT_EQ(back.rows[i].shape, result.rows[i].shape);
    EXPECT_EQ(back.rows[i].work, result.rows[i].work);
    EXPECT_EQ(back.rows[i].timing.median, result.rows[i].timing.median);
    EXPECT_LE(back.rows[i].timing.min, back.rows[i].timing.median);
    EXPECT_LE(back.rows[i].timing.median, back.rows[i].timing.max);
  }
  ASSERT_EQ(back.rates.size(), 1u);
  EXPECT_EQ(back.rates[0].threads, 1);
  EXPECT_GT(back.rates[0].peak_flops_fma.value(), 0.0);
  EXPECT_EQ(back.cpu_model, result.host.host.cpu_model);
  // Only the selected kernels ran.
  for (const auto& r : back.rows) {
    EXPECT_TRUE(r.kernel == "rms_norm" || r.kernel == "gemm" || r.kernel == "attention_decode")
        << r.kernel;
  }
  for (const auto& e : fs::directory_iterator(dir)) EXPECT_EQ(e.path().filename(), "m.h5");
}

TEST(MeasureRun, RejectsBadThreadCountsAndUnknownKernels) {
  km::measure_options o = tiny_options();
  o.threads = {0};
  EXPECT_THROW(km::measure_kernels(o, {}), std::invalid_argument);
  o = tiny_options();
  o.kernels = {"warp_drive"};
  EXPECT_THROW(km::measure_kernels(o, {}), std::invalid_argument);
}
