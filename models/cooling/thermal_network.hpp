// A linear RC thermal network integrated exactly between events.
//
// Nodes carry heat capacities C_i > 0 and heat inputs q_i; thermal resistances join nodes
// to nodes and nodes to boundary temperatures (coolant supply, supply air). With
// conductances g = 1/R:
//
//   C dT/dt = -G T + b,   G_ii = sum of g at node i,  G_ij = -g_ij,
//                         b_i  = q_i + sum_boundaries g_ib T_b
//
// Between events q and T_b are constant, so the solution has a closed form:
//   T(t) = T_ss + exp(-C^-1 G t) (T0 - T_ss),   T_ss = G^-1 b.
// G is symmetric, C diagonal: with S = C^-1/2 the matrix A = S G S is symmetric positive
// definite (every node must reach a boundary) and A = V diag(lambda) V^T is computed once,
// when the network is built (Eigen SelfAdjointEigenSolver; topology, R and C never change
// during a run). The state is kept in modal coordinates z = V^T C^1/2 T, which decouple:
//   z_k(t) = zss_k + exp(-lambda_k t) (z_k(0) - zss_k),   zss_k = f_k / lambda_k,
//   f = V^T S b,   T_i = S_ii sum_k V_ik z_k.
// So advancing is O(n) (n exponentials), one node's temperature O(n), and a change of one
// heat input or of a boundary touching d nodes O(n d): cheaper than the O(n^2) of a full
// matrix exponential, and exact up to rounding whatever the step.
//
// Time constants are 1/lambda_k. Valid for any positive R and C; stiffness (die ~0.1-1 s
// next to a secondary loop of minutes) costs nothing, since each mode is exact on its own.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "models/cooling/coolant.hpp"
#include "sim/time.hpp"
#include "sim/units.hpp"

namespace models::cooling {

struct NodeId {
  std::uint32_t index = 0;
};
struct BoundaryId {
  std::uint32_t index = 0;
};

// Which way a threshold is crossed: from below (heating) or from above (cooling).
enum class Crossing { rising, falling };

// The parameters of a network: nodes, boundaries and the resistances between them. Fixed
// once a ThermalNetwork is built from it. Invalid values throw std::invalid_argument (the
// scenario readers report user errors with their locations before anything is built).
class RcTopology {
 public:
  NodeId add_node(sim::JoulesPerKelvin capacity, sim::Kelvin initial);
  BoundaryId add_boundary(sim::Kelvin temperature);
  void connect(NodeId a, NodeId b, sim::KelvinPerWatt resistance);
  void connect(NodeId a, BoundaryId b, sim::KelvinPerWatt resistance);

  std::size_t nodes() const { return capacity_.size(); }
  std::size_t boundaries() const { return boundary_.size(); }

 private:
  friend class ThermalNetwork;
  struct Link {
    std::uint32_t a = 0;
    std::uint32_t b = 0;     // a node, or a boundary for boundary links
    double conductance = 0;  // W/K
  };
  std::vector<double> capacity_;  // J/K
  std::vector<double> initial_;   // K
  std::vector<double> boundary_;  // K
  std::vector<Link> node_links_;
  std::vector<Link> boundary_links_;
};

class ThermalNetwork {
 public:
  // Decomposes the network (O(n^3), once). Throws std::invalid_argument if a node has no
  // path to any boundary (its temperature would have no steady state).
  ThermalNetwork(const RcTopology& topology, sim::SimTime start);

  std::size_t size() const { return lambda_.size(); }
  sim::SimTime time() const { return time_; }

  // Moves the state to `now` exactly (closed form). `now` before time() is a programming
  // error (std::logic_error).
  void advance(sim::SimTime now);
  // Changes a heat input / a boundary temperature from `now` on (advances first).
  void set_heat(NodeId node, sim::Watts heat, sim::SimTime now);
  void set_boundary(BoundaryId boundary, sim::Kelvin temperature, sim::SimTime now);
  // Jumps to the steady state of the current inputs (warm start at time()).
  void settle();

  sim::Watts heat(NodeId node) const { return sim::Watts(heat_[node.index]); }
  sim::Kelvin boundary(BoundaryId b) const { return sim::Kelvin(boundary_[b.index]); }
  // At time().
  sim::Kelvin temperature(NodeId node) const;
  // The temperature the node tends to under the current inputs.
  sim::Kelvin steady_state(NodeId node) const;
  // Heat flowing from `node` into `boundary` through their resistance at time() (0 if they
  // are not connected).
  sim::Watts heat_to_boundary(NodeId node, BoundaryId boundary) const;
  // Time constants 1/lambda_k, ascending.
  std::vector<sim::Seconds> time_constants() const;

  // The first time after time(), within `horizon`, at which the node reaches `threshold`
  // from below (rising) or from above (falling), under the current inputs; Duration 0 if it
  // is already there (at or above for rising), nullopt if it does not get there within the
  // horizon. The result is the first whole nanosecond at which the closed form is at or
  // beyond the threshold (whole nanoseconds are exact in double up to ~100 days ahead).
  // T_i(t) = T_ss,i + sum_k c_k exp(-lambda_k t) is a sum of exponentials:
  //  - a bound (positive terms at t = 0, negative ones at infinity) rejects in O(n);
  //  - terms of equal lambda (degenerate modes of identical GPU groups) are summed, so their
  //    cancelling coefficients do not loosen the bounds;
  //  - a march from t = 0 by steps that cannot overshoot (g / the largest possible slope),
  //    with a Newton trial at each step, brackets the first crossing;
  //  - a depth-first search of the bracket with interval bounds of g and g' isolates it,
  //    and safeguarded Newton refines it to 1 ns.
  // Touches shorter than 1 ns are not reported. Typical cost on a 33-node network: ~0.2 us
  // when rejected by the bound, ~2 us when a crossing is found.
  std::optional<sim::Duration> time_to_reach(NodeId node, sim::Kelvin threshold,
                                             sim::Duration horizon,
                                             Crossing direction = Crossing::rising) const;

  // Incremented whenever an input changes the trajectory (heat, boundary, settle): a
  // crossing computed before is stale once this has moved.
  std::uint64_t epoch() const { return epoch_; }

 private:
  struct BoundaryLink {
    std::uint32_t node = 0;
    double conductance = 0;
  };
  void add_forcing(std::uint32_t node, double delta_b);

  const double* row(std::uint32_t node) const { return m_.data() + node * lambda_.size(); }
  double dot_row(std::uint32_t node, const std::vector<double>& v) const;

  // Plain vectors, not Eigen types: the header stays free of Eigen, whose object layout and
  // allocation depend on the including translation unit's SIMD flags.
  // M = S V, row-major (row i: the weights of the modes in node i's temperature; also how a
  // unit forcing at node i excites each mode).
  std::vector<double> m_;
  std::vector<double> lambda_;      // 1/s, ascending
  std::vector<double> inv_lambda_;  // s
  std::vector<double> z_;           // modal state at time_
  std::vector<double> zss_;         // modal steady state
  std::vector<double> f_;           // modal forcing V^T S b
  double reference_ = 0;            // K: temperatures are held as deviations from it
  std::vector<double> heat_;        // W per node
  std::vector<double> boundary_;
  std::vector<std::vector<BoundaryLink>> boundary_links_;  // per boundary
  sim::SimTime time_;
  std::uint64_t epoch_ = 0;
};

}  // namespace models::cooling
