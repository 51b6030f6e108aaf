#include "models/scenario/run.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>

#include <fmt/format.h>

#include "sim/engine.hpp"
#include "sim/h5_writer.hpp"
#include "sim/quantity.hpp"

namespace models {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Nearest-rank percentile (Hyndman & Fan type 1 on sorted data); NaN when empty.
double percentile(std::vector<double> v, double q) {
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const double rank = std::ceil(q * static_cast<double>(v.size()));
  const auto i = static_cast<std::size_t>(std::clamp(rank, 1.0, static_cast<double>(v.size()))) - 1;
  return v[i];
}

const char* status_name(RequestStatus s) {
  switch (s) {
    case RequestStatus::completed:
      return "completed";
    case RequestStatus::unfinished:
      return "unfinished";
    case RequestStatus::rejected:
      return "rejected";
  }
  return "?";
}

// The dimension of a wall's unit, for printing it with prefixes.
sim::Dim dim_of_unit(const std::string& unit) {
  if (unit == "FLOP/s") return sim::dims::flop_rate;
  if (unit == "B/s") return sim::dims::byte_rate;
  if (unit == "B") return sim::dims::bytes;
  if (unit == "s") return sim::dims::time;
  if (unit == "W") return sim::dims::power;
  return sim::dims::none;
}

// What reaching a wall did to the service, in the user's terms.
std::string wall_effect(const sim::WallResult& w, const ScenarioSpec& spec, const RunResult& r) {
  const double pct = spec.slo.percentile * 100;
  if (w.name == "slo.ttft") {
    return fmt::format("p{:g} time to first token {:.1f} ms against a target of {:.1f} ms", pct,
                       r.metric("ttft_at_slo_percentile") * 1e3, spec.slo.ttft.value() * 1e3);
  }
  if (w.name == "slo.tpot") {
    return fmt::format("p{:g} time per output token {:.1f} ms against a target of {:.1f} ms", pct,
                       r.metric("tpot_at_slo_percentile") * 1e3, spec.slo.tpot.value() * 1e3);
  }
  if (w.kind == "hbm_capacity") {
    return fmt::format(
        "the KV cache was full: new requests waited for space {} times (p99 TTFT {:.1f} ms)",
        static_cast<std::int64_t>(r.metric("kv_blocked_admissions")), r.metric("ttft_p99") * 1e3);
  }
  return fmt::format(
      "iterations ran back to back at the {} limit; queues grow if the load rises (p99 TTFT {:.1f} "
      "ms)",
      w.kind, r.metric("ttft_p99") * 1e3);
}

}  // namespace

const sim::WallResult* RunResult::first_wall() const {
  if (walls.empty() || !walls.front().first_hit) return nullptr;
  return &walls.front();
}

double RunResult::metric(const std::string& name) const {
  for (const Metric& m : summary) {
    if (m.name == name) return m.value;
  }
  return kNaN;
}

RunResult run_scenario(const ScenarioSpec& spec, const std::function<void(double)>& progress) {
  sim::Engine engine(spec.seed, spec.name);
  sim::WallMonitor walls(spec.walls);
  std::shared_ptr<const kernels::cost::KernelCostModel> kernel_costs;
  if (spec.serving.cost.kind == CostModelKind::calibrated)
    kernel_costs = load_kernel_cost_model(spec.serving.cost.calibration);
  auto cost = make_iteration_cost(spec.llm, spec.gpu, spec.serving.precision,
                                  spec.serving.tensor_parallel, spec.serving.cost, kernel_costs);
  ServingModel serving(engine, walls, spec.llm, spec.gpu, spec.serving, spec.slo, std::move(cost));
  const sim::SimTime horizon = sim::SimTime::zero() + spec.duration;
  RequestSource source(spec.arrivals, engine.rng("workload.arrivals"),
                       engine.rng("workload.lengths"), horizon);
  serving.start(source);

  // Arrivals, then the drain (in-flight work may finish up to the drain time), in steps of
  // 1 % of the total so that a long run can show its progress.
  const sim::SimTime limit = horizon + spec.drain;
  const sim::Duration step = std::max(
      sim::Duration::ns(1), sim::Duration::ns((limit - sim::SimTime::zero()).count_ns() / 100));
  for (sim::SimTime t = sim::SimTime::zero() + step; engine.pending() > 0; t = t + step) {
    if (t > limit) t = limit;
    engine.run_until(t);
    if (progress) progress(t.seconds() / limit.seconds());
    if (t == limit) break;
  }
  if (engine.now() < horizon) engine.run_until(horizon);
  // The run ends when the last event ran (or at the drain limit), never before the horizon.
  sim::SimTime end = std::max(engine.now(), horizon);
  if (engine.pending() == 0) {
    sim::SimTime last = horizon;
    for (const RequestRecord& r : serving.requests()) {
      if (r.completion && *r.completion > last) last = *r.completion;
    }
    end = last;
  }
  serving.finish(end);
  walls.finish(end);

  RunResult out;
  out.end = end;
  out.events = engine.events_processed();
  out.walls = walls.results();
  out.requests = serving.requests();

  std::vector<double> ttft, tpot, e2e;
  std::int64_t completed = 0, rejected = 0, unfinished = 0, output_tokens = 0;
  for (const RequestRecord& r : out.requests) {
    output_tokens += r.generated_tokens;
    if (r.first_token) ttft.push_back((*r.first_token - r.arrival).seconds().value());
    switch (r.status) {
      case RequestStatus::completed:
        ++completed;
        e2e.push_back((*r.completion - r.arrival).seconds().value());
        if (r.output_tokens > 1) {
          tpot.push_back((*r.completion - *r.first_token).seconds().value() /
                         static_cast<double>(r.output_tokens - 1));
        }
        break;
      case RequestStatus::rejected:
        ++rejected;
        break;
      case RequestStatus::unfinished:
        ++unfinished;
        break;
    }
  }
  const double span = (end - sim::SimTime::zero()).seconds().value();
  const ServingStats& st = serving.stats();
  auto add = [&](std::string name, double v, std::string unit) {
    out.summary.push_back(Metric{std::move(name), v, std::move(unit)});
  };
  add("simulated_time", span, "s");
  add("gpus", static_cast<double>(spec.serving.replicas * spec.serving.tensor_parallel), "");
  add("requests_arrived", static_cast<double>(out.requests.size()), "");
  add("requests_completed", static_cast<double>(completed), "");
  add("requests_unfinished", static_cast<double>(unfinished), "");
  add("requests_rejected", static_cast<double>(rejected), "");
  add("output_tokens", static_cast<double>(output_tokens), "tokens");
  add("throughput_output_tokens", span > 0 ? static_cast<double>(output_tokens) / span : 0,
      "tokens/s");
  add("throughput_requests", span > 0 ? static_cast<double>(completed) / span : 0, "1/s");
  add("ttft_p50", percentile(ttft, 0.50), "s");
  add("ttft_p90", percentile(ttft, 0.90), "s");
  add("ttft_p99", percentile(ttft, 0.99), "s");
  add("tpot_p50", percentile(tpot, 0.50), "s");
  add("tpot_p90", percentile(tpot, 0.90), "s");
  add("tpot_p99", percentile(tpot, 0.99), "s");
  add("ttft_at_slo_percentile", percentile(ttft, spec.slo.percentile), "s");
  add("tpot_at_slo_percentile", percentile(tpot, spec.slo.percentile), "s");
  add("e2e_p50", percentile(e2e, 0.50), "s");
  add("e2e_p99", percentile(e2e, 0.99), "s");
  add("iterations", static_cast<double>(st.iterations), "");
  add("mean_batch_tokens",
      st.iterations > 0 ? st.batch_tokens_sum / static_cast<double>(st.iterations) : 0, "tokens");
  add("kv_blocked_admissions", static_cast<double>(st.kv_blocked_admissions), "");
  add("weights_per_gpu", serving.weight_bytes_per_gpu().value(), "B");
  add("kv_bytes_per_token_per_gpu", serving.kv_bytes_per_token_per_gpu().value(), "B");
  add("kv_capacity_tokens_per_replica", static_cast<double>(serving.kv_capacity_tokens()),
      "tokens");
  const sim::WallResult* first = out.first_wall();
  add("first_wall_time", first ? first->first_hit->seconds() : kNaN, "s");
  add("nearest_wall_peak_utilization",
      out.walls.empty() ? kNaN : out.walls.front().peak_utilization, "");
  add("events", static_cast<double>(out.events), "");
  return out;
}

void write_results(const std::string& path, const ScenarioSpec& spec, const RunResult& result) {
  sim::h5::ResultFile f(path);
  f.set_attribute("firstwall_version", std::string(FIRSTWALL_VERSION_STRING));
  f.set_attribute("scenario_yaml", spec.resolved_yaml);
  f.set_attribute("scenario_file", spec.file);
  f.set_attribute("scenario_name", spec.name);
  f.set_attribute("seed", static_cast<std::int64_t>(spec.seed));
  {
    // created_utc is the one field that differs between identical runs.
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    f.set_attribute("created_utc", std::string(buf));
  }

  sim::h5::Table summary;
  summary.add("scenario", std::vector<std::string>{spec.name});
  for (const Metric& m : result.summary) summary.add(m.name, m.unit, std::vector<double>{m.value});
  const sim::WallResult* first = result.first_wall();
  summary.add("first_wall", std::vector<std::string>{first ? first->name : std::string()});
  summary.add("first_wall_kind", std::vector<std::string>{first ? first->kind : std::string()});
  summary.add(
      "nearest_wall",
      std::vector<std::string>{result.walls.empty() ? std::string() : result.walls.front().name});
  f.write_table("/summary", summary);

  sim::h5::Table walls;
  std::vector<std::string> name, kind, unit, aggregation;
  std::vector<double> limit, peak, mean, hit;
  std::vector<std::int64_t> rank;
  for (const sim::WallResult& w : result.walls) {
    name.push_back(w.name);
    kind.push_back(w.kind);
    unit.push_back(w.unit);
    aggregation.push_back(sim::to_string(w.aggregation));
    limit.push_back(w.limit);
    peak.push_back(w.peak_utilization);
    mean.push_back(w.mean_utilization);
    hit.push_back(w.first_hit ? w.first_hit->seconds() : kNaN);
    rank.push_back(w.rank);
  }
  walls.add("name", name)
      .add("kind", kind)
      .add("limit", "", limit)
      .add("unit", unit)
      .add("aggregation", aggregation)
      .add("peak_utilization", "", peak)
      .add("mean_utilization", "", mean)
      .add("first_hit_time", "s", hit)
      .add("rank", "", rank);
  f.write_table("/walls", walls,
                {{"threshold", fmt::format("{}", spec.walls.threshold)},
                 {"window_s", fmt::format("{}", spec.walls.window.seconds().value())}});

  for (const sim::WallResult& w : result.walls) {
    f.write_series("/timeseries/" + w.name + ".utilization", w.series_time_s, w.series_utilization,
                   "");
  }

  sim::h5::Table req;
  std::vector<std::int64_t> id, replica, prompt, output, generated;
  std::vector<double> arrival, first_token, completion;
  std::vector<std::string> status;
  for (const RequestRecord& r : result.requests) {
    id.push_back(r.id);
    replica.push_back(r.replica);
    arrival.push_back(r.arrival.seconds());
    first_token.push_back(r.first_token ? r.first_token->seconds() : kNaN);
    completion.push_back(r.completion ? r.completion->seconds() : kNaN);
    prompt.push_back(r.prompt_tokens);
    output.push_back(r.output_tokens);
    generated.push_back(r.generated_tokens);
    status.push_back(status_name(r.status));
  }
  req.add("id", "", id)
      .add("replica", "", replica)
      .add("arrival", "s", arrival)
      .add("first_token", "s", first_token)
      .add("completion", "s", completion)
      .add("prompt_tokens", "tokens", prompt)
      .add("output_tokens", "tokens", output)
      .add("generated_tokens", "tokens", generated)
      .add("status", status);
  f.write_table("/requests", req);
  f.commit();
}

void print_report(std::ostream& out, const ScenarioSpec& spec, const RunResult& r) {
  out << fmt::format("firstwall: {} — {} on {} replica(s) x {} {} (tensor parallel {})\n",
                     spec.name, spec.llm.name, spec.serving.replicas, spec.serving.tensor_parallel,
                     spec.gpu.name, spec.serving.tensor_parallel);
  out << fmt::format(
      "simulated {:.1f} s, {} requests arrived, {} completed, {} unfinished, {} rejected\n\n",
      r.metric("simulated_time"), static_cast<std::int64_t>(r.metric("requests_arrived")),
      static_cast<std::int64_t>(r.metric("requests_completed")),
      static_cast<std::int64_t>(r.metric("requests_unfinished")),
      static_cast<std::int64_t>(r.metric("requests_rejected")));
  if (const sim::WallResult* first = r.first_wall()) {
    out << fmt::format("FIRST WALL: {} ({}) reached {:.0f} % at t = {:.3f} s\n", first->name,
                       first->kind, spec.walls.threshold * 100, first->first_hit->seconds());
    out << "  effect: " << wall_effect(*first, spec, r) << "\n";
  } else if (!r.walls.empty()) {
    const sim::WallResult& n = r.walls.front();
    out << fmt::format(
        "NO WALL HIT (threshold {:.0f} %): nearest is {} ({}) at {:.1f} % peak, {:.1f} % "
        "headroom\n",
        spec.walls.threshold * 100, n.name, n.kind, n.peak_utilization * 100,
        (1 - n.peak_utilization) * 100);
  }
  out << "\n";
  out << fmt::format("{:>4}  {:<28} {:<14} {:>14} {:>8} {:>8} {:>12} {:>9}\n", "rank", "resource",
                     "kind", "limit", "peak", "mean", "first hit", "headroom");
  for (const sim::WallResult& w : r.walls) {
    const std::string hit = w.first_hit ? fmt::format("{:.3f} s", w.first_hit->seconds()) : "-";
    out << fmt::format("{:>4}  {:<28} {:<14} {:>14} {:>7.1f}% {:>7.1f}% {:>12} {:>8.1f}%\n", w.rank,
                       w.name, w.kind, sim::format_quantity(w.limit, dim_of_unit(w.unit), 4),
                       w.peak_utilization * 100, w.mean_utilization * 100, hit,
                       std::max(0.0, 1 - w.peak_utilization) * 100);
  }
  out << "\n";
  auto ms = [](double s) {
    return std::isnan(s) ? std::string("-") : fmt::format("{:.1f} ms", s * 1e3);
  };
  out << fmt::format("throughput  {:.1f} output tokens/s, {:.2f} requests/s\n",
                     r.metric("throughput_output_tokens"), r.metric("throughput_requests"));
  const double pct = spec.slo.percentile * 100;
  out << fmt::format("TTFT        p50 {}  p90 {}  p99 {}   (SLO p{:g} <= {})\n",
                     ms(r.metric("ttft_p50")), ms(r.metric("ttft_p90")), ms(r.metric("ttft_p99")),
                     pct, ms(spec.slo.ttft.value()));
  out << fmt::format("TPOT        p50 {}  p90 {}  p99 {}   (SLO p{:g} <= {})\n",
                     ms(r.metric("tpot_p50")), ms(r.metric("tpot_p90")), ms(r.metric("tpot_p99")),
                     pct, ms(spec.slo.tpot.value()));
  out << fmt::format(
      "KV cache    {} tokens per replica ({} per token per GPU), weights {} per GPU\n",
      static_cast<std::int64_t>(r.metric("kv_capacity_tokens_per_replica")),
      sim::format_quantity(r.metric("kv_bytes_per_token_per_gpu"), sim::dims::bytes, 4),
      sim::format_quantity(r.metric("weights_per_gpu"), sim::dims::bytes, 4));
}

}  // namespace models
