// Training's CollectiveTimes backed by flows (FlowCollectives) on one DGX-A100 against the
// α–β numbers it replaces (AlphaBetaCollectives with the catalog's ring fit, gpus.yaml):
// the flow time equals its own closed form, and differs from the old one only as far as the
// two calibrations differ (a sum a1 + b1 against a2 + b2 lies between the ratios of its parts).
#include <gtest/gtest.h>

#include <algorithm>

#include "models/network/collective_protocol.hpp"
#include "models/network/flow_collectives.hpp"
#include "models/scenario/catalog.hpp"
#include "models/workload/training/alpha_beta_collectives.hpp"
#include "sim/data_dir.hpp"

namespace models::network {
namespace {

TEST(FlowCollectives, MatchesTheAlphaBetaItReplacesWithinTheCalibrationsDifference) {
  const auto catalog = sim::config::read_file(
      sim::data_path("scenarios/catalog/networks.yaml").string(),
      [](const sim::config::Node& root, sim::config::Diagnostics& d) {
        return std::pair{read_network_catalog(root, d), read_in_network_reduction(root, d)};
      });
  const CollectiveCalibration cal =
      read_collective_calibration(default_collective_calibration_path());
  const ServerNetwork dgx = server_network(catalog.first, catalog.second, "dgx-a100", 8, {});
  const FlowCollectives flows(dgx, cal);
  const Catalog gpus = load_catalog_files({sim::data_path("scenarios/catalog/gpus.yaml").string()});
  const auto fabric = training::dgx_fabric(gpus.gpus.at("a100-sxm-80gb"));
  ASSERT_TRUE(fabric);
  const training::AlphaBetaCollectives old(*fabric);

  const CollectiveProtocol& p = cal.protocol;
  const double B = dgx.scale_up.gpu_bandwidth.value();
  const double L = 2 * dgx.scale_up.link_latency.value() + dgx.scale_up.switch_latency.value();
  for (int n : {2, 4, 8})
    for (double S : {1e5, 1e6, 1.6e7, 6.4e7, 1e9}) {
      const training::CommGroup group{n, n};
      const double t_flow = flows.all_reduce(sim::Bytes(S), group).value();
      const double t_old = old.all_reduce(sim::Bytes(S), group).value();
      // Latency and bandwidth parts of each (ring all-reduce, 2(n-1) steps).
      const double steps = 2.0 * (n - 1);
      const double a1 = p.launch_latency.value() + steps * (p.scale_up.step_latency.value() + L);
      const double b1 =
          (n - 1.0) / n * S / (p.scale_up.efficiency * B) * (1 / p.reduction_efficiency + 1);
      const double a2 = steps * fabric->scale_up.step_latency.value();
      const double b2 =
          steps / n * S / (fabric->scale_up.efficiency * fabric->scale_up.bandwidth.value());
      EXPECT_NEAR(t_flow, a1 + b1, 1.5e-9 * (1 + 3 * steps)) << n << " " << S;
      const double lo = std::min(a2 / a1, b2 / b1), hi = std::max(a2 / a1, b2 / b1);
      EXPECT_GE(t_old / t_flow, lo - 1e-9) << n << " " << S;
      EXPECT_LE(t_old / t_flow, hi + 1e-9) << n << " " << S;
      // Both are fits to the same Vidur DGX-A100 rows: large messages agree within 40 %. They
      // miss those rows in opposite directions at 2 GPUs (64 MB measured 418 us: Simple 314,
      // the gpus.yaml ring 455) and at 8 (650 us: 697 against 831), so up to 1 GB they
      // differ by up to 36 % (t_flow / t_old 0.64 at 2 GPUs, 1 GB).
      if (S >= 1.6e7) {
        EXPECT_NEAR(t_flow / t_old, 1.0, 0.4) << n << " " << S;
      }
    }
  // send/recv inside the server and across two on one rail.
  EXPECT_GT(flows.send_recv(sim::Bytes(1e6), {2, 1}).value(),
            flows.send_recv(sim::Bytes(1e6), {2, 2}).value());
}

}  // namespace
}  // namespace models::network
