// Reading Vidur's mlp.csv: the calls a row stands for, and exact messages for bad tables.
#include "kernels/cost/vidur_table.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "sim/config.hpp"

namespace kernels::cost {
namespace {

const std::string kHeader =
    "time_stats.emb.median,time_stats.attn_pre_proj.median,n_head,n_kv_head,n_embd,"
    "n_expanded_embd,vocab_size,use_gated_mlp,num_tokens,num_tensor_parallel_workers\n";

std::string messages(const std::string& text) {
  try {
    (void)parse_vidur_mlp(text, "mlp.csv");
  } catch (const sim::config::InputError& e) {
    std::string out;
    for (const auto& d : e.diagnostics()) out += d.str() + "\n";
    return out;
  }
  return "no error";
}

TEST(vidur_table, reads_rows_and_operators) {
  const VidurTable t = parse_vidur_mlp(kHeader +
                                           "0.116,0.584,32,32,4096,11008,32768,True,4096,1\n"
                                           ",0.02,64,8,8192,28672,128256,True,1,8\r\n",
                                       "mlp.csv");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.ops, (std::vector<VidurOp>{VidurOp::emb, VidurOp::attn_pre_proj}));
  EXPECT_EQ(t.rows[0].line, 2);
  EXPECT_DOUBLE_EQ(t.rows[0].median[0]->value(), 0.116e-3);
  EXPECT_FALSE(t.rows[1].median[0].has_value());  // empty: not measured
  EXPECT_EQ(t.rows[1].shape.tensor_parallel, 8);
  EXPECT_EQ(t.rows[1].shape.vocab_size, 128256);
}

TEST(vidur_table, a_row_stands_for_the_per_gpu_shard) {
  // Llama-3-70B at tensor-parallel degree 8, 512 tokens: head_dim 128.
  const VidurShape s{64, 8, 8192, 28672, 128256, true, 512, 8};
  const auto qkv = std::get<Gemm>(vidur_call(VidurOp::attn_pre_proj, s));
  EXPECT_EQ(qkv.m, 512);
  EXPECT_EQ(qkv.n, (64 + 2 * 8) * 128 / 8);
  EXPECT_EQ(qkv.k, 8192);
  EXPECT_EQ(qkv.format, NumberFormat::fp16);
  const auto o = std::get<Gemm>(vidur_call(VidurOp::attn_post_proj, s));
  EXPECT_EQ(o.n, 8192);
  EXPECT_EQ(o.k, 8192 / 8);
  const auto upg = std::get<Gemm>(vidur_call(VidurOp::mlp_up_proj, s));
  EXPECT_EQ(upg.n, 2 * 28672 / 8);
  const auto down = std::get<Gemm>(vidur_call(VidurOp::mlp_down_proj, s));
  EXPECT_EQ(down.n, 8192);
  EXPECT_EQ(down.k, 28672 / 8);
  EXPECT_EQ(kernel_class(vidur_call(VidurOp::input_layernorm, s)), KernelClass::rms_norm);
  EXPECT_EQ(kernel_class(vidur_call(VidurOp::mlp_act, s)), KernelClass::silu_mul);
  EXPECT_EQ(std::get<Elementwise>(vidur_call(VidurOp::mlp_act, s)).elements, 512 * 28672 / 8);
  EXPECT_EQ(std::get<Elementwise>(vidur_call(VidurOp::attn_rope, s)).elements, 512 * 9 * 128);
  EXPECT_EQ(std::get<Elementwise>(vidur_call(VidurOp::add, s)).launches, 1);
  // phi-2: no gated MLP, so LayerNorm, GELU and the parallel residual's two adds.
  const VidurShape phi{32, 32, 2560, 10240, 51200, false, 100, 1};
  EXPECT_EQ(std::get<Gemm>(vidur_call(VidurOp::mlp_up_proj, phi)).n, 10240);
  EXPECT_EQ(kernel_class(vidur_call(VidurOp::post_attention_layernorm, phi)),
            KernelClass::layer_norm);
  EXPECT_EQ(kernel_class(vidur_call(VidurOp::mlp_act, phi)), KernelClass::gelu);
  EXPECT_EQ(std::get<Elementwise>(vidur_call(VidurOp::add, phi)).launches, 2);
}

TEST(vidur_table, the_path_names_the_gpu_and_the_model) {
  const VidurPathInfo i =
      vidur_path_info("data/profiling/compute/h100/meta-llama/Llama-2-7b-hf/mlp.csv");
  EXPECT_EQ(i.device_dir, "h100");
  EXPECT_EQ(i.device, "h100-sxm");
  EXPECT_EQ(i.model, "meta-llama/Llama-2-7b-hf");
  EXPECT_EQ(vidur_path_info("compute/a100/x/y/mlp.csv").device, "a100-sxm-80gb");
  EXPECT_EQ(vidur_path_info("compute/a40/x/y/mlp.csv").device, "a40");
  EXPECT_FALSE(vidur_path_info("compute/v100/x/y/mlp.csv").device.has_value());
}

TEST(vidur_table, missing_columns_are_named) {
  EXPECT_EQ(
      messages(
          "time_stats.emb.median,n_head,n_kv_head,n_embd,n_expanded_embd,vocab_size,use_gated_mlp\n"
          "1,2,3,4,5,6,True\n"),
      "mlp.csv:1:1: missing column \"num_tokens\"\n"
      "mlp.csv:1:1: missing column \"num_tensor_parallel_workers\"\n");
  EXPECT_EQ(
      messages("n_head,n_kv_head,n_embd,n_expanded_embd,vocab_size,use_gated_mlp,num_tokens,"
               "num_tensor_parallel_workers\n1,1,1,1,1,True,1,1\n"),
      "mlp.csv:1:1: no operator time column (expected e.g. \"time_stats.attn_pre_proj.median\")\n");
  EXPECT_EQ(messages(""),
            "mlp.csv:1:1: empty file: expected a header line of Vidur's mlp.csv columns\n");
  EXPECT_EQ(messages(kHeader), "mlp.csv:1:1: no data rows after the header\n");
}

TEST(vidur_table, bad_values_are_reported_at_their_column) {
  EXPECT_EQ(
      messages(kHeader + "0.1,0.5,32,32,4096,11008,32768,True,4096,1\n"
                         "0.1,abc,3x,32,4096,11008,32768,Maybe,4096,1\n"
                         "0.1,0.5,32,32,4096,11008,32768,True,4096\n"
                         "0.1,-1,32,32,4096,11008,32768,True,0,3\n"),
      "mlp.csv:3:5: time_stats.attn_pre_proj.median: expected a time in ms >= 0 (got \"abc\")\n"
      "mlp.csv:3:9: n_head: expected a positive integer (got \"3x\")\n"
      "mlp.csv:3:32: use_gated_mlp: expected True or False (got \"Maybe\")\n"
      "mlp.csv:4:1: expected 10 fields like the header, got 9\n"
      "mlp.csv:5:5: time_stats.attn_pre_proj.median: expected a time in ms >= 0 (got \"-1\")\n"
      "mlp.csv:5:36: num_tokens: expected a positive integer (got \"0\")\n");
  EXPECT_EQ(
      messages(kHeader + "0.1,0.5,32,32,4096,11008,32768,True,64,3\n"),
      "mlp.csv:2:9: n_head: must be divisible by num_tensor_parallel_workers (3), got 32\n"
      "mlp.csv:2:12: n_kv_head: must be divisible by num_tensor_parallel_workers (3), got 32\n"
      "mlp.csv:2:20: n_expanded_embd: must be divisible by num_tensor_parallel_workers (3), got "
      "11008\n");
}

TEST(vidur_table, a_missing_file_is_bad_input) {
  try {
    (void)read_vidur_mlp("/nonexistent/mlp.csv");
    FAIL() << "no error";
  } catch (const sim::config::InputError& e) {
    ASSERT_EQ(e.diagnostics().size(), 1u);
    EXPECT_EQ(e.diagnostics()[0].str(), "/nonexistent/mlp.csv:1:1: cannot read file: no such file");
  }
}

}  // namespace
}  // namespace kernels::cost
