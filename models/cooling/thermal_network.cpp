#include "models/cooling/thermal_network.hpp"

#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace models::cooling {

namespace {

void check_positive_finite(double v, const char* what) {
  if (!(v > 0) || !std::isfinite(v))
    throw std::invalid_argument(std::string("RcTopology: ") + what + " must be > 0 and finite");
}

}  // namespace

NodeId RcTopology::add_node(sim::JoulesPerKelvin capacity, sim::Kelvin initial) {
  check_positive_finite(capacity.value(), "heat capacity");
  check_positive_finite(initial.value(), "initial temperature");
  capacity_.push_back(capacity.value());
  initial_.push_back(initial.value());
  return NodeId{static_cast<std::uint32_t>(capacity_.size() - 1)};
}

BoundaryId RcTopology::add_boundary(sim::Kelvin temperature) {
  check_positive_finite(temperature.value(), "boundary temperature");
  boundary_.push_back(temperature.value());
  return BoundaryId{static_cast<std::uint32_t>(boundary_.size() - 1)};
}

void RcTopology::connect(NodeId a, NodeId b, sim::KelvinPerWatt resistance) {
  check_positive_finite(resistance.value(), "thermal resistance");
  if (a.index >= nodes() || b.index >= nodes() || a.index == b.index)
    throw std::invalid_argument("RcTopology: connect needs two distinct existing nodes");
  node_links_.push_back({a.index, b.index, 1.0 / resistance.value()});
}

void RcTopology::connect(NodeId a, BoundaryId b, sim::KelvinPerWatt resistance) {
  check_positive_finite(resistance.value(), "thermal resistance");
  if (a.index >= nodes() || b.index >= boundaries())
    throw std::invalid_argument("RcTopology: connect needs an existing node and boundary");
  boundary_links_.push_back({a.index, b.index, 1.0 / resistance.value()});
}

ThermalNetwork::ThermalNetwork(const RcTopology& topology, sim::SimTime start) : time_(start) {
  const auto n = static_cast<Eigen::Index>(topology.nodes());
  if (n == 0) throw std::invalid_argument("ThermalNetwork: no nodes");
  const auto un = static_cast<std::size_t>(n);

  // Every node must reach a boundary, or G is singular (no steady state): flood from the
  // nodes that touch a boundary along node-to-node links.
  {
    std::vector<std::vector<std::uint32_t>> adjacent(un);
    for (const auto& l : topology.node_links_) {
      adjacent[l.a].push_back(l.b);
      adjacent[l.b].push_back(l.a);
    }
    std::vector<char> reached(un, 0);
    std::vector<std::uint32_t> todo;
    for (const auto& l : topology.boundary_links_) {
      if (!reached[l.a]) {
        reached[l.a] = 1;
        todo.push_back(l.a);
      }
    }
    while (!todo.empty()) {
      const std::uint32_t i = todo.back();
      todo.pop_back();
      for (std::uint32_t j : adjacent[i]) {
        if (!reached[j]) {
          reached[j] = 1;
          todo.push_back(j);
        }
      }
    }
    for (std::size_t i = 0; i < un; ++i) {
      if (!reached[i])
        throw std::invalid_argument("ThermalNetwork: node " + std::to_string(i) +
                                    " has no path to a boundary temperature");
    }
  }

  Eigen::MatrixXd g = Eigen::MatrixXd::Zero(n, n);
  for (const auto& l : topology.node_links_) {
    const auto a = static_cast<Eigen::Index>(l.a);
    const auto b = static_cast<Eigen::Index>(l.b);
    g(a, a) += l.conductance;
    g(b, b) += l.conductance;
    g(a, b) -= l.conductance;
    g(b, a) -= l.conductance;
  }
  boundary_ = topology.boundary_;
  boundary_links_.assign(boundary_.size(), {});
  for (const auto& l : topology.boundary_links_) {
    const auto a = static_cast<Eigen::Index>(l.a);
    g(a, a) += l.conductance;
    boundary_links_[l.b].push_back({l.a, l.conductance});
  }

  Eigen::VectorXd s(n);
  for (Eigen::Index i = 0; i < n; ++i)
    s(i) = 1.0 / std::sqrt(topology.capacity_[static_cast<std::size_t>(i)]);
  const Eigen::MatrixXd a = s.asDiagonal() * g * s.asDiagonal();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(a);
  if (eigen.info() != Eigen::Success)
    throw std::runtime_error("ThermalNetwork: eigen decomposition failed");
  const Eigen::VectorXd& lambda = eigen.eigenvalues();
  if (!(lambda(0) > 0))
    throw std::invalid_argument("ThermalNetwork: network has no positive decay rate");
  const Eigen::MatrixXd m = s.asDiagonal() * eigen.eigenvectors();

  // Temperatures are held as deviations from a reference (the first boundary, or the first
  // node): modal sums of ~300 K values would lose digits that deviations of a few K keep.
  reference_ = boundary_.empty() ? topology.initial_[0] : boundary_[0];
  heat_.assign(un, 0.0);
  Eigen::VectorXd b = Eigen::VectorXd::Zero(n);
  for (std::size_t k = 0; k < boundary_.size(); ++k) {
    for (const auto& l : boundary_links_[k])
      b(static_cast<Eigen::Index>(l.node)) += l.conductance * (boundary_[k] - reference_);
  }
  // z = V^T C^1/2 (T - T_ref) = M^T C (T - T_ref)
  Eigen::VectorXd ct(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    ct(i) = topology.capacity_[ui] * (topology.initial_[ui] - reference_);
  }
  const Eigen::VectorXd f = m.transpose() * b;
  const Eigen::VectorXd z = m.transpose() * ct;
  lambda_.resize(un);
  inv_lambda_.resize(un);
  f_.resize(un);
  zss_.resize(un);
  z_.resize(un);
  m_.resize(un * un);
  for (std::size_t k = 0; k < un; ++k) {
    const auto ek = static_cast<Eigen::Index>(k);
    lambda_[k] = lambda(ek);
    inv_lambda_[k] = 1.0 / lambda(ek);
    f_[k] = f(ek);
    zss_[k] = f_[k] * inv_lambda_[k];
    z_[k] = z(ek);
    for (std::size_t i = 0; i < un; ++i) m_[i * un + k] = m(static_cast<Eigen::Index>(i), ek);
  }
}

double ThermalNetwork::dot_row(std::uint32_t node, const std::vector<double>& v) const {
  const double* r = row(node);
  double sum = 0;
  for (std::size_t k = 0; k < v.size(); ++k) sum += r[k] * v[k];
  return sum;
}

void ThermalNetwork::advance(sim::SimTime now) {
  if (now < time_) throw std::logic_error("ThermalNetwork::advance: time went backwards");
  if (now == time_) return;
  const double dt = (now - time_).seconds().value();
  for (std::size_t k = 0; k < z_.size(); ++k) {
    z_[k] = zss_[k] + std::exp(-lambda_[k] * dt) * (z_[k] - zss_[k]);
  }
  time_ = now;
}

void ThermalNetwork::add_forcing(std::uint32_t node, double delta_b) {
  const double* r = row(node);
  for (std::size_t k = 0; k < f_.size(); ++k) {
    f_[k] += r[k] * delta_b;
    zss_[k] = f_[k] * inv_lambda_[k];
  }
}

void ThermalNetwork::set_heat(NodeId node, sim::Watts heat, sim::SimTime now) {
  advance(now);
  const double delta = heat.value() - heat_[node.index];
  if (delta == 0) return;
  heat_[node.index] = heat.value();
  add_forcing(node.index, delta);
  ++epoch_;
}

void ThermalNetwork::set_boundary(BoundaryId boundary, sim::Kelvin temperature, sim::SimTime now) {
  advance(now);
  const double delta = temperature.value() - boundary_[boundary.index];
  if (delta == 0) return;
  boundary_[boundary.index] = temperature.value();
  for (const auto& l : boundary_links_[boundary.index]) add_forcing(l.node, l.conductance * delta);
  ++epoch_;
}

void ThermalNetwork::settle() {
  z_ = zss_;
  ++epoch_;
}

sim::Kelvin ThermalNetwork::temperature(NodeId node) const {
  return sim::Kelvin(reference_ + dot_row(node.index, z_));
}

sim::Kelvin ThermalNetwork::steady_state(NodeId node) const {
  return sim::Kelvin(reference_ + dot_row(node.index, zss_));
}

sim::Watts ThermalNetwork::heat_to_boundary(NodeId node, BoundaryId boundary) const {
  double q = 0;
  const double t = temperature(node).value();
  for (const auto& l : boundary_links_[boundary.index]) {
    if (l.node == node.index) q += l.conductance * (t - boundary_[boundary.index]);
  }
  return sim::Watts(q);
}

std::vector<sim::Seconds> ThermalNetwork::time_constants() const {
  std::vector<sim::Seconds> out;
  for (std::size_t k = inv_lambda_.size(); k-- > 0;) out.emplace_back(inv_lambda_[k]);
  return out;
}

std::optional<sim::Duration> ThermalNetwork::time_to_reach(NodeId node, sim::Kelvin threshold,
                                                           sim::Duration horizon,
                                                           Crossing direction) const {
  // g(t) = sigma (T_i(t) - threshold) = a0 + sum_k c_k exp(-lambda_k t); we look for the
  // first t >= 0 with g(t) >= 0.
  const double sigma = direction == Crossing::rising ? 1.0 : -1.0;
  const double* weights = row(node.index);
  struct Term {
    double c;
    double lambda;
  };
  std::vector<Term> exact;
  exact.reserve(lambda_.size());
  const double a0 = sigma * (dot_row(node.index, zss_) + (reference_ - threshold.value()));
  double g0 = a0;
  for (std::size_t k = 0; k < lambda_.size(); ++k) {
    const double c = sigma * weights[k] * (z_[k] - zss_[k]);
    if (c == 0) continue;
    exact.push_back({c, lambda_[k]});
    g0 += c;
  }
  if (g0 >= 0) return sim::Duration::ns(0);
  // Identical GPU groups give degenerate modes (equal lambda up to rounding) whose
  // coefficients are arbitrary and cancel: summed per distinct lambda they make the bounds
  // below tight instead of loose by the cancelled amounts. Lambdas are ascending; merging
  // within 1e-9 relative moves g by < 1e-9 |c| / e, and the whole nanosecond returned is
  // decided on the exact terms.
  std::vector<Term> terms;
  terms.reserve(exact.size());
  for (const Term& e : exact) {
    if (!terms.empty() && e.lambda - terms.back().lambda <= 1e-9 * e.lambda) {
      terms.back().c += e.c;
    } else {
      terms.push_back(e);
    }
  }
  double positive = a0;  // sup of g over [0, inf): positive terms at t = 0, negative at inf
  for (const Term& term : terms) positive += std::max(term.c, 0.0);
  if (positive < 0 || horizon <= sim::Duration::ns(0)) return std::nullopt;

  const auto exact_g_at = [&](double t) {
    double s = a0;
    for (const Term& term : exact) s += term.c * std::exp(-term.lambda * t);
    return s;
  };
  const auto g_at = [&](double t) {
    double s = a0;
    for (const Term& term : terms) s += term.c * std::exp(-term.lambda * t);
    return s;
  };
  // g and g' together (one exponential per term).
  const auto g_dg_at = [&](double t) {
    std::pair<double, double> r{a0, 0.0};
    for (const Term& term : terms) {
      const double v = term.c * std::exp(-term.lambda * t);
      r.first += v;
      r.second -= term.lambda * v;
    }
    return r;
  };
  // Over [a, b] each term c e^{-lambda t} is monotone, so it lies between its end values;
  // so does its derivative. Sums of the ends give bounds of g and g' over the interval.
  struct IntervalBounds {
    double g_max;
    double g_b;
    double dg_min;
    double dg_max;
  };
  const auto bounds = [&](double a, double b) {
    IntervalBounds r{a0, a0, 0, 0};
    for (const Term& term : terms) {
      const double va = term.c * std::exp(-term.lambda * a);
      const double vb = term.c * std::exp(-term.lambda * b);
      r.g_max += std::max(va, vb);
      r.g_b += vb;
      r.dg_min += std::min(-term.lambda * va, -term.lambda * vb);
      r.dg_max += std::max(-term.lambda * va, -term.lambda * vb);
    }
    return r;
  };

  const std::int64_t horizon_ns = horizon.count_ns();
  // The first whole nanosecond at or after t_star at which g >= 0, given g < 0 before
  // t_star and g increasing around it; -1 when no whole nanosecond near t_star qualifies
  // (a touch shorter than a nanosecond, which is not a crossing).
  const auto first_ns = [&](double t_star) -> double {
    double n = std::ceil(t_star * 1e9);
    for (int i = 0; i < 4 && n > 0 && exact_g_at((n - 1) * 1e-9) >= 0; ++i) n -= 1;
    for (int i = 0; i < 4 && exact_g_at(n * 1e-9) < 0; ++i) n += 1;
    return exact_g_at(n * 1e-9) >= 0 ? n : -1;
  };
  // g increasing on [lo, hi], g(lo) < 0 <= g(hi): safeguarded Newton (bisection whenever
  // a Newton step leaves the bracket) until the step or the bracket is below a nanosecond.
  const auto refine = [&](double lo, double hi) {
    double x = hi;
    for (int iter = 0; iter < 100; ++iter) {
      const auto [gx, dgx] = g_dg_at(x);
      if (gx >= 0) {
        hi = x;
      } else {
        lo = x;
      }
      if (hi - lo <= 0.25e-9) break;
      double next = dgx > 0 ? x - gx / dgx : 0.5 * (lo + hi);
      if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
      const bool converged = std::fabs(next - x) < 0.1e-9;
      x = next;
      if (converged) break;
    }
    return first_ns(x);
  };
  // Exponential features live on a logarithmic time scale: split geometrically when the
  // interval spans orders of magnitude, at the midpoint otherwise.
  const auto split = [](double a, double b) {
    if (a == 0) return b > 8e-9 ? b / 8 : 0.5 * b;
    if (b > 4 * a) return std::sqrt(a * b);
    return 0.5 * (a + b);
  };

  // Depth-first over [from, to], left to right, given g(from) < 0: every time left of the
  // interval on top of the stack is already proven below the threshold, so the first
  // interval that holds a crossing holds the first crossing. Returns the crossing in whole
  // nanoseconds, or -1 if there is none in [from, to].
  const auto search = [&](double from, double to) -> double {
    std::vector<std::pair<double, double>> stack{{from, to}};
    for (int visited = 0; !stack.empty() && visited < 100000; ++visited) {
      const auto [a, b] = stack.back();
      stack.pop_back();
      const IntervalBounds r = bounds(a, b);
      if (r.g_max < 0) continue;            // below throughout
      if (r.dg_max < 0) continue;           // decreasing from g(a) < 0
      if (r.dg_min > 0 || b - a <= 1e-9) {  // increasing (or a nanosecond): one crossing at most
        if (r.g_b < 0) continue;
        const double n = refine(a, b);
        if (n < 0) continue;
        return n;
      }
      const double m = split(a, b);
      stack.emplace_back(m, b);
      stack.emplace_back(a, m);
    }
    return -1;
  };
  const auto result = [&](double n) -> std::optional<sim::Duration> {
    if (n < 0 || n > static_cast<double>(horizon_ns)) return std::nullopt;
    return sim::Duration::ns(static_cast<std::int64_t>(n));
  };

  // March from t = 0 in safe steps: over [t, inf) the slope is at most the sum L of the
  // positive derivative terms at t (they only decay; the negative ones only help), so g
  // stays below 0 until t - g(t) / L. Each step also tries Newton; once a Newton point is
  // at or above the threshold, the first crossing lies in [t, Newton point] and the search
  // above settles it. Typical trajectories (a die heading to a steady state above the
  // threshold) finish in a few steps; slow cases fall back to the search over the rest.
  const double horizon_s = horizon.seconds().value();
  double t = 0;
  for (int step = 0; step < 32; ++step) {
    double g = a0, dg = 0, lipschitz = 0, sup = a0;
    for (const Term& term : terms) {
      const double v = term.c * std::exp(-term.lambda * t);
      const double d = -term.lambda * v;
      g += v;
      dg += d;
      if (d > 0) lipschitz += d;
      if (v > 0) sup += v;
    }
    if (g >= 0) {
      const double n = first_ns(t);
      if (n >= 0) return result(n);
      t += 1e-9;  // at the threshold within the merging error: look a nanosecond on
      continue;
    }
    if (sup < 0 || lipschitz <= 0) return std::nullopt;  // below from t on
    if (dg > 0) {
      const double newton = std::min(t - g / dg, horizon_s);
      // Within a nanosecond of the crossing: the first whole nanosecond settles it.
      if (newton - t <= 1e-9) {
        const double n = first_ns(t);
        if (n >= 0) return result(n);
      } else if (g_at(newton) >= 0) {
        const double n = search(t, newton);
        // A bracket whose far end is at the threshold within rounding may hold no whole
        // nanosecond at or above it: march on.
        if (n >= 0) return result(n);
      }
    }
    const double next = t - g / lipschitz;
    if (next >= horizon_s) return std::nullopt;
    t = next;
  }
  return result(search(t, horizon_s));
}

}  // namespace models::cooling
