// `firstwall validate collectives --vidur FILE.csv --server NAME`: every row of a Vidur-format
// all_reduce.csv or send_recv.csv (columns size, num_workers, devices_per_node,
// time_stats.<op>.median in ms) simulated as flows on that catalog server (networks.yaml):
// num_workers / devices_per_node servers, devices_per_node GPUs of each, joined by a
// full-bisection rail-optimized fabric of their NICs when there are several
// (models/network/collective.hpp, collective_protocol.hpp). Prints the error per size band and
// per worker count; the last line is median_abs_pct_error=X.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/network/collective_protocol.hpp"
#include "models/network/flow_collectives.hpp"
#include "models/scenario/catalog.hpp"
#include "sim/config.hpp"
#include "sim/data_dir.hpp"
#include "tools/cli/validate_collectives_command.hpp"

namespace cli {

namespace {

namespace net = models::network;

struct Options {
  std::string vidur;
  std::string server;
  std::string calibration;
  std::string catalog_dir;
};

struct Row {
  int line = 0;
  double size = 0;  // bytes
  int workers = 0;
  int per_node = 0;
  double measured_s = 0;
};

double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

// The whole file, every problem reported at once: `file:line: column: message`.
std::pair<net::CollectiveOp, std::vector<Row>> read_vidur(const std::string& path,
                                                          int server_gpus) {
  std::ifstream in(path);
  if (!in) throw sim::config::InputError({path, 0, 0}, "", "cannot open file");
  sim::config::Diagnostics diags;
  auto at = [&](int line) { return sim::config::Location{fmt::format("{}:{}", path, line), 0, 0}; };
  std::string header_line;
  if (!std::getline(in, header_line))
    throw sim::config::InputError(at(1), "", "empty file (no header)");
  if (!header_line.empty() && header_line.back() == '\r') header_line.pop_back();
  const std::vector<std::string> header = split_csv(header_line);
  auto column = [&](std::string_view name) -> std::optional<std::size_t> {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) return std::nullopt;
    return static_cast<std::size_t>(it - header.begin());
  };
  std::optional<net::CollectiveOp> op;
  std::optional<std::size_t> time_col;
  for (const auto& [name, o] :
       {std::pair{"time_stats.all_reduce.median", net::CollectiveOp::all_reduce},
        std::pair{"time_stats.send_recv.median", net::CollectiveOp::send_recv}})
    if (auto c = column(name)) op = o, time_col = c;
  const auto size_col = column("size"), workers_col = column("num_workers"),
             per_node_col = column("devices_per_node");
  if (!op)
    diags.add(at(1), "time_stats.all_reduce.median",
              "missing column (or time_stats.send_recv.median): the measured median time in ms");
  for (const auto& [name, c] : {std::pair{"size", size_col}, std::pair{"num_workers", workers_col},
                                std::pair{"devices_per_node", per_node_col}})
    if (!c) diags.add(at(1), name, "missing column");
  if (!diags.empty()) throw sim::config::InputError(diags);

  std::vector<Row> rows;
  std::string text;
  for (int line = 2; std::getline(in, text); ++line) {
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (text.empty()) continue;
    const std::vector<std::string> cells = split_csv(text);
    if (cells.size() != header.size()) {
      diags.add(at(line), "",
                fmt::format("{} cells, the header has {}", cells.size(), header.size()));
      continue;
    }
    const std::size_t before = diags.size();
    auto number = [&](std::size_t c) -> std::optional<double> {
      const std::string& s = cells[c];
      char* end = nullptr;
      const double v = std::strtod(s.c_str(), &end);
      if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v)) {
        diags.add(at(line), header[c], fmt::format("not a number (got \"{}\")", s));
        return std::nullopt;
      }
      return v;
    };
    auto count = [&](std::size_t c, double min) -> int {
      const auto v = number(c);
      if (!v) return 0;
      if (*v != std::floor(*v) || *v < min || *v > 1e6) {
        diags.add(at(line), header[c],
                  fmt::format("must be a whole number >= {} (got \"{}\")", min, cells[c]));
        return 0;
      }
      return static_cast<int>(*v);
    };
    Row r;
    r.line = line;
    r.workers = count(*workers_col, 2);
    r.per_node = count(*per_node_col, 1);
    const auto size = number(*size_col);
    if (size && !(*size > 0))
      diags.add(at(line), "size", fmt::format("must be > 0 bytes (got \"{}\")", cells[*size_col]));
    const auto t = number(*time_col);
    if (t && !(*t > 0))
      diags.add(at(line), header[*time_col],
                fmt::format("must be > 0 ms (got \"{}\")", cells[*time_col]));
    if (diags.size() != before) continue;
    if (*op == net::CollectiveOp::send_recv && r.workers != 2)
      diags.add(at(line), "num_workers",
                fmt::format("send/recv is between 2 GPUs (got {})", r.workers));
    else if (r.per_node > server_gpus)
      diags.add(at(line), "devices_per_node",
                fmt::format("the server has {} GPUs (got {})", server_gpus, r.per_node));
    else if (r.workers % r.per_node != 0)
      diags.add(at(line), "devices_per_node",
                fmt::format("must divide num_workers {} (got {})", r.workers, r.per_node));
    if (diags.size() != before) continue;
    r.size = *size;
    r.measured_s = *t * 1e-3;
    rows.push_back(r);
  }
  if (!diags.empty()) throw sim::config::InputError(diags);
  if (rows.empty()) throw sim::config::InputError(at(2), "", "no rows");
  return {*op, rows};
}

// Size bands for the report: powers of 4 from 4 KiB to 64 MiB (Vidur's range).
std::pair<double, std::string> size_band(double bytes) {
  static constexpr double kBands[] = {4096, 65536, 1048576, 4194304, 16777216, 67108864};
  auto label = [](double b) {
    return b >= 1048576 ? fmt::format("{:g}MiB", b / 1048576) : fmt::format("{:g}KiB", b / 1024);
  };
  double lo = 0;
  for (double hi : kBands) {
    if (bytes < hi) return {lo, lo == 0 ? "<" + label(hi) : label(lo) + "-" + label(hi)};
    lo = hi;
  }
  return {lo, ">=" + label(lo)};
}

void validate_collectives(const Options& o) {
  const std::filesystem::path catalog_dir = o.catalog_dir.empty()
                                                ? sim::data_path("scenarios/catalog")
                                                : std::filesystem::path(o.catalog_dir);
  const std::string networks_path = (catalog_dir / "networks.yaml").string();
  const auto [catalog, reducing] = sim::config::read_file(
      networks_path, [](const sim::config::Node& root, sim::config::Diagnostics& diags) {
        return std::pair{net::read_network_catalog(root, diags),
                         net::read_in_network_reduction(root, diags)};
      });
  const models::Catalog servers = models::load_catalog_files(
      {(catalog_dir / "gpus.yaml").string(), (catalog_dir / "servers.yaml").string()});
  const sim::config::Location server_flag{"--server", 1, 1};
  const auto spec = servers.servers.find(o.server);
  if (spec == servers.servers.end())
    throw sim::config::InputError(server_flag, "server",
                                  fmt::format("no server named \"{}\" in servers.yaml", o.server));
  const net::ServerNetwork server =
      net::server_network(catalog, reducing, o.server, spec->second.scale_up_domain, server_flag);
  const net::CollectiveCalibration calibration = net::read_collective_calibration(
      o.calibration.empty() ? net::default_collective_calibration_path() : o.calibration);
  const auto [op, rows] = read_vidur(o.vidur, server.gpus);

  const net::FlowCollectives collectives(server, calibration);
  std::map<int, std::pair<net::Cluster, std::unique_ptr<net::Router>>> clusters;  // by servers
  std::map<std::pair<double, std::string>, std::vector<double>> per_band;         // by lower bound
  std::map<std::pair<int, int>, std::vector<double>> per_workers;
  std::map<std::pair<int, int>, std::vector<double>> signed_per_workers;
  std::map<std::pair<double, std::string>, std::map<std::string, int>> protocols_per_band;
  std::vector<double> all;
  for (const Row& r : rows) {
    const models::training::CommGroup group{r.workers, r.per_node};
    const int row_servers = r.workers / r.per_node;
    auto it = clusters.find(row_servers);
    if (it == clusters.end()) {
      // The router points at the topology: make it once the cluster has its place.
      it =
          clusters.emplace(row_servers, std::pair{net::build_cluster(server, row_servers), nullptr})
              .first;
      it->second.second = std::make_unique<net::Router>(it->second.first.topology);
    }
    const net::Cluster& cluster = it->second.first;
    const net::Collective c = collectives.collective(op, sim::Bytes(r.size), group, cluster);
    // NCCL's tuner picks a protocol per call; so does the model, by the least simulated time.
    const net::ProtocolChoice choice = net::choose_protocol(
        cluster.topology, *it->second.second, c, calibration.protocols, cluster.reducing_switches);
    const double predicted = choice.time.value();
    const double err = (predicted / r.measured_s - 1) * 100;
    ++protocols_per_band[size_band(r.size)][std::string(net::to_string(choice.protocol))];
    per_band[size_band(r.size)].push_back(std::fabs(err));
    per_workers[{r.workers, r.per_node}].push_back(std::fabs(err));
    signed_per_workers[{r.workers, r.per_node}].push_back(err);
    all.push_back(std::fabs(err));
  }
  std::cout << fmt::format(
      "{} on {} ({} rows; {} per direction NVLink, {:.0f} Gb/s NIC per GPU; "
      "err = simulated / measured - 1)\n",
      net::to_string(op), o.server, rows.size(),
      fmt::format("{:.0f} GB/s", server.scale_up.gpu_bandwidth.value() / 1e9),
      server.nic.bandwidth.value() * 8 / 1e9);
  std::cout << "per size band:\n";
  for (const auto& [band, errs] : per_band) {
    std::string picked;
    for (const auto& [name, count] : protocols_per_band[band])
      picked += fmt::format("{}{} {}", picked.empty() ? "" : ", ", name, count);
    std::cout << fmt::format("  size={:<14} rows={:<5} median_abs_pct_error={:.2f}  protocol: {}\n",
                             band.second, errs.size(), median(errs), picked);
  }
  std::cout << "per worker count (num_workers/devices_per_node):\n";
  for (const auto& [key, errs] : per_workers)
    std::cout << fmt::format(
        "workers={}/{} servers={} rows={} median_pct_error={:+.2f} "
        "median_abs_pct_error={:.2f}\n",
        key.first, key.second, key.first / key.second, errs.size(), median(signed_per_workers[key]),
        median(errs));
  std::cout << fmt::format("median_abs_pct_error={:.2f}\n", median(all));
}

}  // namespace

void add_validate_collectives_command(CLI::App& validate) {
  auto opts = std::make_shared<Options>();
  auto* cmd = validate.add_subcommand(
      "collectives",
      "Simulated collectives (flows on a catalog server) against Vidur-format NCCL measurements");
  cmd->add_option("--vidur", opts->vidur,
                  "all_reduce.csv or send_recv.csv (columns size, num_workers, devices_per_node, "
                  "time_stats.<op>.median in ms)")
      ->required();
  cmd->add_option("--server", opts->server,
                  "catalog server (networks.yaml), e.g. dgx-a100, dgx-h100")
      ->required();
  cmd->add_option(
      "--calibration", opts->calibration,
      "protocol calibration YAML (default: models/network/calibration/nccl_protocol.yaml)");
  cmd->add_option("--catalog-dir", opts->catalog_dir,
                  "folder with networks.yaml, servers.yaml, gpus.yaml (default: scenarios/catalog "
                  "of the data directory)");
  cmd->callback([opts] { validate_collectives(*opts); });
}

}  // namespace cli
