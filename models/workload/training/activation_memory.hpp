// HBM a training GPU holds: weights, gradients and optimizer state, and the activations kept
// for the backward pass.
//
// Activations per transformer layer and microbatch, in bytes (Korthikanti et al. 2022,
// "Reducing Activation Recomputation in Large Transformer Models", §4 and Table 2), with s
// the sequence per GPU (seq_len / cp), b the microbatch, h hidden, a heads, t = tp:
//   no parallelism                    s·b·h·(34 + 5·a·s/h)
//   tensor parallel                   s·b·h·(10 + 24/t + 5·a·s/(h·t))
//   tensor + sequence parallel        s·b·h/t·(34 + 5·a·s/h)
//   + selective recompute             s·b·h/t·34   (the 5·a·s²·b attention tensors recomputed)
//   full recompute                    2·s·b·h      (the layer's input; /t with sequence parallel)
// The 34 = 4 (two LayerNorm inputs) + 2 (QKV input) + 2 (MLP input) + 2 (two 1-byte dropout
// masks): the 10 that tensor parallelism leaves replicated; and 24 sharded by t: Q, K, V
// (2 each), the output projection's input (2), the FFN activation's input (8) and the second
// GEMM's input (8) at ffn_hidden = 4h. The general form used here keeps that bookkeeping for
// other shapes: K and V scale by kv_heads/heads (GQA), the FFN terms by ffn_hidden/h (and the
// activation input doubles for a gated FFN), MoE FFN terms by the active experts per token.
// FlashAttention stores no s² tensor: its 5·a·s/h term is 0 (as with selective recompute).
//
// Per pipeline stage (Korthikanti §4.3): the first stage of 1F1B keeps min(p, m) microbatches
// of its L/p layers in flight, i.e. L layers' worth; the interleaved schedule multiplies that
// by 1 + (p-1)/(p·vp). The first stage also keeps the embedding's dropout mask, s·b·h·p/t
// (with SP); the last stage (checked when p = 1) the output LayerNorm, LM head and loss,
// 4·s·b·h/t·(1 + V/h).
//
// Weights, gradients and Adam state, bytes per parameter (Megatron-LM
// docs/source/api-guide/dist_optimizer.md): bf16 weights with fp32 main gradients, fp32
// master weights and two fp32 moments: 18 without a distributed optimizer, 6 + 12/d with one
// (d = data-parallel ranks sharing the weight).
#pragma once

#include "models/workload/training/training_spec.hpp"
#include "sim/units.hpp"

namespace models::training {

struct MemoryEstimate {
  sim::Bytes weights_and_optimizer;  // weights, gradients, optimizer state
  sim::Bytes activations;            // kept for backward, worst stage
  sim::Bytes per_layer_microbatch;   // activations of one layer for one microbatch
  double params_on_gpu = 0;          // parameters held by the worst stage's GPU
  sim::Bytes total() const { return weights_and_optimizer + activations; }
};

// Bytes of activations one transformer layer keeps for one microbatch on one GPU.
sim::Bytes layer_activation_bytes(const TrainingSpec& spec);

// The stage that holds the most (the first one, with the embedding).
MemoryEstimate estimate_memory(const TrainingSpec& spec);

}  // namespace models::training
