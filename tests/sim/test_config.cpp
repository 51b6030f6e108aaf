// Typed reading of the located tree (Reader), --set overrides, YAML output and the exact
// text of every message. Loading files and their errors: test_config_loader.cpp.
#include <gtest/gtest.h>
#include <fstream>
#include <iterator>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "sim/config.hpp"

namespace sim::config {
namespace {

std::vector<std::string> lines(const Diagnostics& d) {
  std::vector<std::string> out;
  for (const Diagnostic& x : d.sorted()) out.push_back(x.str());
  return out;
}

using Lines = std::vector<std::string>;

Node load(std::string_view text, Diagnostics& d) {
  return load_string(text, "s.yaml", d);
}

// ---------------------------------------------------------------- diagnostics

TEST(Diagnostic, Format) {
  EXPECT_EQ((Diagnostic{{"scenarios/x.yaml", 42, 7}, "cooling.cdu.capacity", "must be > 0"}.str()),
            "scenarios/x.yaml:42:7: cooling.cdu.capacity: must be > 0");
  EXPECT_EQ((Diagnostic{{"x.yaml", 3, 5}, "", "syntax error: illegal map value"}.str()),
            "x.yaml:3:5: syntax error: illegal map value");
  EXPECT_EQ((Diagnostic{{"--set", 2, 1}, "a.b", "cannot set"}.str()), "--set:2:1: a.b: cannot set");
}

TEST(Diagnostics, SortedByFileLineColumnAndStable) {
  Diagnostics d;
  d.add({"b.yaml", 1, 1}, "z", "fourth");
  d.add({"a.yaml", 9, 2}, "y", "third");
  d.add({"a.yaml", 9, 1}, "x", "first");
  d.add({"a.yaml", 9, 1}, "w", "second");
  EXPECT_EQ(d.size(), 4u);
  EXPECT_EQ(d.str(),
            "a.yaml:9:1: x: first\n"
            "a.yaml:9:1: w: second\n"
            "a.yaml:9:2: y: third\n"
            "b.yaml:1:1: z: fourth\n");
}

TEST(InputError, CarriesEveryDiagnosticSorted) {
  Diagnostics d;
  d.add({"a.yaml", 2, 1}, "b", "second");
  d.add({"a.yaml", 1, 1}, "a", "first");
  const InputError e(d);
  ASSERT_EQ(e.diagnostics().size(), 2u);
  EXPECT_EQ(e.diagnostics()[0].message, "first");
  EXPECT_STREQ(e.what(), "a.yaml:1:1: a: first\na.yaml:2:1: b: second");
  const InputError one({"x.yaml", 1, 1}, "", "file is empty: a scenario must be a mapping");
  EXPECT_STREQ(one.what(), "x.yaml:1:1: file is empty: a scenario must be a mapping");
}

// ---------------------------------------------------------------- nodes

TEST(Node, KeepsLocationsAndRawText) {
  Diagnostics d;
  const Node root = load(
      "serving:\n"
      "  gpu: h100\n"
      "  enabled: yes\n"
      "  ratio: 1.50\n"
      "  name: \"null\"\n"
      "  empty:\n"
      "  tilde: ~\n"
      "  list: [a, b]\n",
      d);
  ASSERT_TRUE(d.empty()) << d.str();
  const Node* serving = root.find("serving");
  ASSERT_NE(serving, nullptr);
  EXPECT_EQ(serving->location().line, 2);
  EXPECT_EQ(serving->location().column, 3);
  const Node* gpu = serving->find("gpu");
  EXPECT_EQ(gpu->scalar(), "h100");
  EXPECT_EQ(gpu->location().file, "s.yaml");
  EXPECT_EQ(gpu->location().line, 2);
  EXPECT_EQ(gpu->location().column, 8);
  EXPECT_EQ(serving->key_location("gpu")->column, 3);
  EXPECT_EQ(serving->find("enabled")->scalar(), "yes");
  EXPECT_EQ(serving->find("ratio")->scalar(), "1.50");
  EXPECT_TRUE(serving->find("name")->is_scalar());
  EXPECT_EQ(serving->find("name")->scalar(), "null");
  EXPECT_TRUE(serving->find("empty")->is_null());
  EXPECT_EQ(serving->find("empty")->location().line, 6);  // the key's line, not the next one
  EXPECT_TRUE(serving->find("tilde")->is_null());
  EXPECT_TRUE(serving->find("list")->is_sequence());
  EXPECT_EQ(serving->find("list")->items()[1].scalar(), "b");
  EXPECT_EQ(serving->find("nope"), nullptr);
  EXPECT_EQ(serving->key_location("nope"), nullptr);
  std::vector<std::string> keys;
  for (const auto& e : serving->entries()) keys.push_back(e.first);
  EXPECT_EQ(keys, (Lines{"gpu", "enabled", "ratio", "name", "empty", "tilde", "list"}));
}

TEST(Node, ColumnsCountCharactersNotBytes) {
  Diagnostics d;
  const Node root = load(
      "\xEF\xBB\xBF"
      "a: {x: \"\u00b5s\", y: bad}\n",
      d);  // BOM, then "µ"
  ASSERT_TRUE(d.empty()) << d.str();
  EXPECT_EQ(root.find("a")->location().column, 4);
  EXPECT_EQ(root.find("a")->find("y")->location().column, 17);
}

TEST(Node, AnchorsAndMergeKeysResolveAsCopies) {
  Diagnostics d;
  const Node root = load(
      "defaults: &gpu\n"
      "  tdp: 700 W\n"
      "  hbm: 80 GB\n"
      "a: *gpu\n"
      "b:\n"
      "  <<: *gpu\n"
      "  tdp: 1 kW\n",
      d);
  ASSERT_TRUE(d.empty()) << d.str();
  EXPECT_EQ(root.find("a")->find("tdp")->scalar(), "700 W");
  EXPECT_EQ(root.find("a")->find("tdp")->location().line, 2);  // where it was written
  const Node* b = root.find("b");
  EXPECT_EQ(b->find("tdp")->scalar(), "1 kW");
  EXPECT_EQ(b->find("hbm")->scalar(), "80 GB");
  EXPECT_EQ(b->find("<<"), nullptr);
}

TEST(Node, BuildingKeepsKeysUnique) {
  Node m = Node::make_mapping({"f", 1, 1});
  m.set("a", Node::make_scalar("1", {"f", 1, 4}), {"f", 1, 1});
  m.set("b", Node::make_scalar("2", {"f", 2, 4}), {"f", 2, 1});
  m.set("a", Node::make_scalar("3", {"f", 3, 4}), {"f", 3, 1});
  ASSERT_EQ(m.entries().size(), 2u);
  EXPECT_EQ(m.entries()[0].first, "a");
  EXPECT_EQ(m.find("a")->scalar(), "3");
  EXPECT_EQ(m.key_location("a")->line, 3);
  Node s = Node::make_sequence({"f", 1, 1});
  s.push_back(Node::make_null({"f", 1, 3}));
  EXPECT_EQ(s.items().size(), 1u);
  EXPECT_TRUE(s.items()[0].is_null());
}

TEST(Node, KindNames) {
  EXPECT_EQ(kind_name(Node::Kind::mapping), "a mapping");
  EXPECT_EQ(kind_name(Node::Kind::sequence), "a list");
  EXPECT_EQ(kind_name(Node::Kind::scalar), "a scalar");
  EXPECT_EQ(kind_name(Node::Kind::null), "null");
}

// ---------------------------------------------------------------- did you mean

TEST(DidYouMean, TyposWithinAThirdOfTheLength) {
  const std::vector<std::string> keys{"model", "replicas", "gpu", "max_batch_tokens"};
  EXPECT_EQ(did_you_mean("modle", keys), "model");  // a transposition is one edit
  EXPECT_EQ(did_you_mean("Model", keys), "model");  // case is not an edit
  EXPECT_EQ(did_you_mean("replica", keys), "replicas");
  EXPECT_EQ(did_you_mean("gpus", keys), "gpu");
  EXPECT_EQ(did_you_mean("max_batch_tokns", keys), "max_batch_tokens");
  EXPECT_EQ(did_you_mean("cooling", keys), std::nullopt);
  EXPECT_EQ(did_you_mean("mdl", keys), std::nullopt);  // two edits in three letters
  EXPECT_EQ(did_you_mean("x", std::vector<std::string>{}), std::nullopt);
}

// ---------------------------------------------------------------- reader

TEST(Reader, ReadsTypedValues) {
  Diagnostics d;
  const Node root = load(
      "serving:\n"
      "  gpu: h100\n"
      "  replicas: 4\n"
      "  requests: 1e6\n"
      "  ratio: 0.75\n"
      "  streaming: yes\n"
      "  arrivals: poisson\n"
      "  power: 1.2 kW\n"
      "  supply: 30 degC\n"
      "  share: 95 %\n",
      d);
  Reader top(&root, "", d);
  Reader s = top.section("serving", Need::required);
  EXPECT_EQ(s.path(), "serving");
  EXPECT_EQ(s.path_of("gpu"), "serving.gpu");
  EXPECT_EQ(s.string("gpu", Need::required), "h100");
  EXPECT_EQ(s.integer("replicas", Need::required, Bounds::at_least(1)), 4);
  EXPECT_EQ(s.integer("requests", Need::required), 1000000);
  EXPECT_EQ(s.number("ratio", Need::required, Bounds::fraction()), 0.75);
  EXPECT_EQ(s.boolean("streaming", Need::required), true);
  constexpr std::array<std::string_view, 2> kinds{"poisson", "trace"};
  EXPECT_EQ(s.choice("arrivals", kinds, Need::required), "poisson");
  EXPECT_DOUBLE_EQ(s.quantity<dims::power>("power", Need::required, Bounds::positive())->value(),
                   1200.0);
  EXPECT_DOUBLE_EQ(*s.quantity("supply", dims::temperature, Need::required), 303.15);
  EXPECT_DOUBLE_EQ(*s.quantity("share", dims::none, Need::required, Bounds::fraction()), 0.95);
  EXPECT_EQ(s.string("absent", Need::optional), std::nullopt);
  EXPECT_TRUE(s.has("gpu"));
  EXPECT_FALSE(s.has("absent"));
  s.finish();
  top.finish();
  EXPECT_TRUE(d.empty()) << d.str();
}

TEST(Reader, MissingRequiredKeyAtTheMappingsLocation) {
  Diagnostics d;
  const Node root = load(
      "# comment\n"
      "serving:\n"
      "  replicas: 4\n",
      d);
  Reader top(&root, "", d);
  Reader s = top.section("serving", Need::required);
  EXPECT_EQ(s.string("gpu", Need::required), std::nullopt);
  EXPECT_EQ(s.integer("replicas", Need::required), 4);
  Reader cooling = top.section("cooling", Need::optional);  // absent: keys at where_absent
  EXPECT_EQ(cooling.quantity("capacity", dims::power, Need::required), std::nullopt);
  Reader power = top.section("power", Need::required);  // reported once, not key by key
  EXPECT_EQ(power.quantity("limit", dims::power, Need::required), std::nullopt);
  EXPECT_EQ(lines(d), (Lines{
                          "s.yaml:2:1: cooling.capacity: missing required key",
                          "s.yaml:2:1: power: missing required key",
                          "s.yaml:3:3: serving.gpu: missing required key",
                      }));
}

TEST(Reader, AbsentNodeReportsAtWhereAbsent) {
  Diagnostics d;
  Reader r(nullptr, "workload.arrivals", d, {"s.yaml", 7, 3});
  EXPECT_EQ(r.number("rate", Need::required), std::nullopt);
  EXPECT_EQ(r.number("burst", Need::optional), std::nullopt);
  r.finish();
  EXPECT_EQ(lines(d), (Lines{"s.yaml:7:3: workload.arrivals.rate: missing required key"}));
}

TEST(Reader, EmptyValueOfRequiredKey) {
  Diagnostics d;
  const Node root = load("gpu:\nreplicas: ~\nname:\n", d);
  Reader r(&root, "", d);
  EXPECT_EQ(r.string("gpu", Need::required), std::nullopt);
  EXPECT_EQ(r.integer("replicas", Need::required), std::nullopt);
  EXPECT_EQ(r.string("name", Need::optional), std::nullopt);  // empty optional = absent
  r.finish();
  EXPECT_EQ(lines(d), (Lines{
                          "s.yaml:1:1: gpu: required key has no value",
                          "s.yaml:2:1: replicas: required key has no value",
                      }));
}

TEST(Reader, UnknownKeysWithAndWithoutSuggestion) {
  Diagnostics d;
  const Node root = load(
      "serving:\n"
      "  modle: llama-70b\n"
      "  replicas: 2\n"
      "  colour: blue\n"
      "coolng:\n"
      "  supply: 30 degC\n",
      d);
  Reader top(&root, "", d);
  Reader s = top.section("serving", Need::required);
  (void)s.string("model", Need::optional);
  (void)s.integer("replicas", Need::required);
  s.finish();
  (void)top.section("cooling", Need::optional);
  top.finish();
  EXPECT_EQ(lines(d),
            (Lines{
                R"(s.yaml:2:3: serving.modle: unknown key "modle" (did you mean "model"?))",
                R"(s.yaml:4:3: serving.colour: unknown key "colour")",
                R"(s.yaml:5:1: coolng: unknown key "coolng" (did you mean "cooling"?))",
            }));
}

TEST(Reader, WrongNodeKind) {
  Diagnostics d;
  const Node root = load(
      "serving:\n"
      "  - gpu\n"
      "cooling:\n"
      "  supply:\n"
      "    value: 30 degC\n"
      "power: 5\n",
      d);
  Reader top(&root, "", d);
  Reader s = top.section("serving", Need::required);
  EXPECT_EQ(s.string("gpu", Need::required), std::nullopt);  // silent: already reported
  s.finish();
  Reader c = top.section("cooling", Need::required);
  EXPECT_EQ(c.quantity("supply", dims::temperature, Need::required), std::nullopt);
  c.finish();
  (void)top.section("power", Need::required);
  top.finish();
  EXPECT_EQ(lines(d), (Lines{
                          "s.yaml:2:3: serving: must be a mapping (got a list)",
                          "s.yaml:5:5: cooling.supply: must be a scalar (got a mapping)",
                          "s.yaml:6:8: power: must be a mapping (got a scalar)",
                      }));
}

TEST(Reader, NumbersIntegersBooleans) {
  Diagnostics d;
  const Node root = load(
      "a: 4.5\n"
      "b: abc\n"
      "c: maybe\n"
      "d: 99999999999999999999\n"
      "e: +-3\n"
      "f: .nan\n"
      "g: -2.5e-3\n"
      "h: No\n"
      "i: +7\n",
      d);
  Reader r(&root, "x", d);
  EXPECT_EQ(r.integer("a", Need::required), std::nullopt);
  EXPECT_EQ(r.number("b", Need::required), std::nullopt);
  EXPECT_EQ(r.boolean("c", Need::required), std::nullopt);
  EXPECT_EQ(r.integer("d", Need::required), std::nullopt);
  EXPECT_EQ(r.integer("e", Need::required), std::nullopt);
  EXPECT_EQ(r.number("f", Need::required), std::nullopt);
  EXPECT_EQ(r.number("g", Need::required), -2.5e-3);
  EXPECT_EQ(r.boolean("h", Need::required), false);
  EXPECT_EQ(r.integer("i", Need::required), 7);
  r.finish();
  EXPECT_EQ(lines(d), (Lines{
                          R"(s.yaml:1:4: x.a: must be an integer (got "4.5"))",
                          R"(s.yaml:2:4: x.b: must be a number (got "abc"))",
                          R"(s.yaml:3:4: x.c: must be true or false (got "maybe"))",
                          R"(s.yaml:4:4: x.d: integer out of range (got "99999999999999999999"))",
                          R"(s.yaml:5:4: x.e: must be an integer (got "+-3"))",
                          R"(s.yaml:6:4: x.f: must be a number (got ".nan"))",
                      }));
}

TEST(Reader, Bounds) {
  Diagnostics d;
  const Node root = load(
      "capacity: -5 kW\n"
      "replicas: 0\n"
      "share: 120 %\n"
      "layers: 100\n"
      "ratio: 1.5\n"
      "supply: -300 degC\n"
      "window: 0 s\n"
      "zero_ok: 0 W\n"
      "half: 0.5\n",
      d);
  Reader r(&root, "", d);
  EXPECT_EQ(r.quantity("capacity", dims::power, Need::required, Bounds::positive()), std::nullopt);
  EXPECT_EQ(r.integer("replicas", Need::required, Bounds::at_least(1)), std::nullopt);
  EXPECT_EQ(r.quantity("share", dims::none, Need::required, Bounds::fraction()), std::nullopt);
  EXPECT_EQ(r.integer("layers", Need::required, Bounds::between(1, 64)), std::nullopt);
  EXPECT_EQ(r.number("ratio", Need::required, Bounds{0.0, false, 1.0, false}), std::nullopt);
  EXPECT_EQ(r.quantity("supply", dims::temperature, Need::required, Bounds::at_least(273.15)),
            std::nullopt);
  EXPECT_EQ(r.quantity("window", dims::time, Need::required, Bounds::positive()), std::nullopt);
  EXPECT_EQ(r.quantity("zero_ok", dims::power, Need::required, Bounds::non_negative()), 0.0);
  EXPECT_EQ(r.number("half", Need::required, Bounds{std::nullopt, true, 0.25, true}), std::nullopt);
  r.finish();
  EXPECT_EQ(lines(d), (Lines{
                          R"(s.yaml:1:11: capacity: must be > 0 (got "-5 kW"))",
                          R"(s.yaml:2:11: replicas: must be >= 1 (got "0"))",
                          R"(s.yaml:3:8: share: must be between 0 and 100 % (got "120 %"))",
                          R"(s.yaml:4:9: layers: must be between 1 and 64 (got "100"))",
                          R"(s.yaml:5:8: ratio: must be > 0 and < 1 (got "1.5"))",
                          R"(s.yaml:6:9: supply: must be >= 0 degC (got "-300 degC"))",
                          R"(s.yaml:7:9: window: must be > 0 (got "0 s"))",
                          R"(s.yaml:9:7: half: must be <= 0.25 (got "0.5"))",
                      }));
}

TEST(Reader, UpperBoundOfAPercentage) {
  Diagnostics d;
  const Node root = load("share: 120 %\n", d);
  Reader r(&root, "cooling", d);
  EXPECT_EQ(r.quantity("share", dims::none, Need::required, Bounds{std::nullopt, true, 1.0, true}),
            std::nullopt);
  EXPECT_EQ(lines(d), (Lines{R"(s.yaml:1:8: cooling.share: must be <= 100 % (got "120 %"))"}));
}

TEST(Reader, Choice) {
  Diagnostics d;
  const Node root = load("a: poison\nb: zipf\nc: Trace\n", d);
  Reader r(&root, "arrivals", d);
  constexpr std::array<std::string_view, 2> kinds{"poisson", "trace"};
  EXPECT_EQ(r.choice("a", kinds, Need::required), std::nullopt);
  EXPECT_EQ(r.choice("b", kinds, Need::required), std::nullopt);
  EXPECT_EQ(r.choice("c", kinds, Need::required), std::nullopt);  // choices are case-sensitive
  EXPECT_EQ(lines(d), (Lines{
                          "s.yaml:1:4: arrivals.a: must be one of: poisson, trace (got \"poison\")"
                          " \u2014 did you mean \"poisson\"?",
                          "s.yaml:2:4: arrivals.b: must be one of: poisson, trace (got \"zipf\")",
                          "s.yaml:3:4: arrivals.c: must be one of: poisson, trace (got \"Trace\")"
                          " \u2014 did you mean \"trace\"?",
                      }));
}

TEST(Reader, QuantityMessagesPassThrough) {
  Diagnostics d;
  const Node root = load(
      "gpu:\n"
      "  tdp: 700\n"
      "  hbm_bandwidth: 5 kW\n"
      "  hbm: 80 GiB\n"
      "  clock: fast\n",
      d);
  Reader r(&root, "", d);
  Reader g = r.section("gpu", Need::required);
  EXPECT_EQ(g.quantity("tdp", dims::power, Need::required), std::nullopt);
  EXPECT_EQ(g.quantity("hbm_bandwidth", dims::byte_rate, Need::required), std::nullopt);
  EXPECT_EQ(g.quantity<dims::bytes>("hbm", Need::required)->value(), 80.0 * 1024 * 1024 * 1024);
  EXPECT_EQ(g.quantity("clock", dims::frequency, Need::required), std::nullopt);
  g.finish();
  EXPECT_EQ(
      lines(d),
      (Lines{
          R"(s.yaml:2:8: gpu.tdp: expected a power (e.g. "700 W"), got a bare number "700")",
          R"(s.yaml:3:18: gpu.hbm_bandwidth: expected a byte rate (e.g. "3.35 TB/s"), got a power "5 kW")",
          R"(s.yaml:5:10: gpu.clock: expected a frequency or rate (e.g. "10 /s"), got "fast")",
      }));
}

TEST(Reader, SeveralErrorsAtOnceSortedByLocation) {
  Diagnostics d;
  const Node root = load(
      "workload:\n"
      "  arrivals:\n"
      "    kind: poison\n"
      "    rate: -3\n"
      "serving:\n"
      "  replicas: 0\n"
      "  gpu: [h100]\n"
      "  modle: x\n",
      d);
  Reader top(&root, "", d);
  // Read in an order unrelated to the file; the report is still in file order.
  Reader s = top.section("serving", Need::required);
  (void)s.integer("replicas", Need::required, Bounds::at_least(1));
  (void)s.string("gpu", Need::required);
  (void)s.string("model", Need::required);
  s.finish();
  Reader w = top.section("workload", Need::required);
  Reader a = w.section("arrivals", Need::required);
  constexpr std::array<std::string_view, 2> kinds{"poisson", "trace"};
  (void)a.choice("kind", kinds, Need::required);
  (void)a.number("rate", Need::required, Bounds::positive());
  a.finish();
  w.finish();
  top.finish();
  (void)top.section("cooling", Need::required);
  EXPECT_EQ(d.str(),
            "s.yaml:1:1: cooling: missing required key\n"
            "s.yaml:3:11: workload.arrivals.kind: must be one of: poisson, trace (got \"poison\")"
            " \u2014 did you mean \"poisson\"?\n"
            "s.yaml:4:11: workload.arrivals.rate: must be > 0 (got \"-3\")\n"
            "s.yaml:6:3: serving.model: missing required key\n"
            "s.yaml:6:13: serving.replicas: must be >= 1 (got \"0\")\n"
            "s.yaml:7:8: serving.gpu: must be a scalar (got a list)\n"
            "s.yaml:8:3: serving.modle: unknown key \"modle\" (did you mean \"model\"?)\n");
}

TEST(Reader, NodeAndNestedSections) {
  Diagnostics d;
  const Node root = load(
      "racks:\n"
      "  - name: r0\n"
      "    gpus: 8\n"
      "  - name: r1\n"
      "    gpu: 8\n",
      d);
  Reader top(&root, "", d);
  const Node* racks = top.node("racks", Need::required);
  ASSERT_NE(racks, nullptr);
  ASSERT_TRUE(racks->is_sequence());
  for (std::size_t i = 0; i < racks->items().size(); ++i) {
    Reader rack(&racks->items()[i], "racks[" + std::to_string(i) + "]", d);
    (void)rack.string("name", Need::required);
    (void)rack.integer("gpus", Need::required, Bounds::at_least(1));
    rack.finish();
  }
  EXPECT_EQ(top.node("absent", Need::optional), nullptr);
  top.finish();
  EXPECT_EQ(lines(d), (Lines{
                          "s.yaml:4:5: racks[1].gpus: missing required key",
                          R"(s.yaml:5:5: racks[1].gpu: unknown key "gpu" (did you mean "gpus"?))",
                      }));
}

TEST(Reader, TopLevelTypoOfIncludeSuggestsInclude) {
  // The loader consumes `include` (and merges what it names) before any reader sees the tree;
  // a misspelt one stays an ordinary key, reported once, by the root reader, with the hint.
  // Nested readers do not suggest it: includes are read at a file's top level only.
  Diagnostics d;
  const Node root = load(
      "inclued:\n"
      "  - catalog/llms.yaml\n"
      "name: x\n"
      "serving:\n"
      "  includ: y\n",
      d);
  ASSERT_TRUE(d.empty()) << d.str();
  Reader top(&root, "", d);
  (void)top.string("name", Need::required);
  Reader s = top.section("serving", Need::optional);
  (void)s.string("gpu", Need::optional);
  s.finish();
  top.finish();
  EXPECT_EQ(lines(d), (Lines{
                          R"(s.yaml:1:1: inclued: unknown key "inclued" (did you mean "include"?))",
                          R"(s.yaml:5:3: serving.includ: unknown key "includ")",
                      }));
}

TEST(Reader, IncludeIsNotReportedAndAReadersOwnKeyWinsATie) {
  // A consumed `include` is gone from the tree; a key as close to a read key as to `include`
  // gets the read key.
  Diagnostics d;
  const Node root = load(
      "include: []\n"
      "inclide: 1\n",
      d);
  ASSERT_TRUE(d.empty()) << d.str();
  Reader top(&root, "", d);
  (void)top.integer("incline", Need::optional);
  top.finish();
  EXPECT_EQ(lines(d), (Lines{
                          R"(s.yaml:2:1: inclide: unknown key "inclide" (did you mean "incline"?))",
                      }));
}

TEST(Reader, TemperatureDifferenceIsInKelvinWithBounds) {
  Diagnostics d;
  const Node root = load_string(
      "cdu:\n"
      "  approach: 5 degC\n"
      "  rise: 0 K\n"
      "  margin: 40 K\n"
      "  delta: 5 W\n"
      "  range: 12 K\n",
      "x.yaml", d);
  ASSERT_TRUE(d.empty()) << d.str();
  Reader top(&root, "", d);
  Reader cdu = top.section("cdu", Need::required);
  EXPECT_EQ(cdu.temperature_difference("approach", Need::required), std::nullopt);
  EXPECT_EQ(cdu.temperature_difference("rise", Need::required, Bounds::positive()), std::nullopt);
  EXPECT_EQ(cdu.temperature_difference("margin", Need::required, Bounds::between(0.5, 30)),
            std::nullopt);
  EXPECT_EQ(cdu.temperature_difference("delta", Need::required), std::nullopt);
  EXPECT_EQ(cdu.temperature_difference("range", Need::required, Bounds::between(0.5, 30)), 12.0);
  EXPECT_EQ(cdu.temperature_difference("absent", Need::optional), std::nullopt);
  cdu.finish();
  top.finish();
  EXPECT_EQ(
      lines(d),
      (Lines{
          R"(x.yaml:2:13: cdu.approach: a temperature difference is written in K (e.g. "5 K"): "5 degC" is an absolute temperature (278.15 K))",
          R"(x.yaml:3:9: cdu.rise: must be > 0 (got "0 K"))",
          R"(x.yaml:4:11: cdu.margin: must be between 0.5 K and 30 K (got "40 K"))",
          R"(x.yaml:5:10: cdu.delta: expected a temperature difference (e.g. "5 K"), got a power "5 W")",
      }));
}

// ---------------------------------------------------------------- overrides

TEST(Override, SetsAndCreatesMappings) {
  Diagnostics d;
  Node root = load("serving:\n  replicas: 2\n  gpu: h100\n", d);
  apply_override(root, "serving.replicas=4", 1, d);
  apply_override(root, "cooling.cdu.supply=30 degC", 2, d);
  apply_override(root, "serving.name=\"null\"", 3, d);
  apply_override(root, "serving.note=a: b # not a comment", 4, d);
  apply_override(root, "serving.gpus=[h100, b200]", 5, d);
  apply_override(root, "serving.gpu=", 6, d);
  ASSERT_TRUE(d.empty()) << d.str();
  const Node* s = root.find("serving");
  EXPECT_EQ(s->find("replicas")->scalar(), "4");
  const Location& at = s->find("replicas")->location();
  EXPECT_EQ(at.file, "--set");
  EXPECT_EQ(at.line, 1);
  EXPECT_EQ(at.column, 1);
  EXPECT_EQ(root.find("cooling")->find("cdu")->find("supply")->scalar(), "30 degC");
  EXPECT_EQ(root.find("cooling")->find("cdu")->find("supply")->location().line, 2);
  EXPECT_TRUE(s->find("name")->is_scalar());
  EXPECT_EQ(s->find("name")->scalar(), "null");
  EXPECT_EQ(s->find("note")->scalar(), "a: b # not a comment");
  ASSERT_TRUE(s->find("gpus")->is_sequence());
  EXPECT_EQ(s->find("gpus")->items()[1].scalar(), "b200");
  EXPECT_EQ(s->find("gpus")->items()[1].location().file, "--set");
  EXPECT_TRUE(s->find("gpu")->is_null());
}

TEST(Override, ValuesAreReadLikeFileValues) {
  Diagnostics d;
  Node root = load("serving:\n  replicas: 2\n", d);
  apply_override(root, "serving.replicas=0", 3, d);
  apply_override(root, "serving.replcas=5", 4, d);
  Reader top(&root, "", d);
  Reader s = top.section("serving", Need::required);
  (void)s.integer("replicas", Need::required, Bounds::at_least(1));
  s.finish();
  top.finish();
  EXPECT_EQ(lines(d),
            (Lines{
                R"(--set:3:1: serving.replicas: must be >= 1 (got "0"))",
                R"(--set:4:1: serving.replcas: unknown key "replcas" (did you mean "replicas"?))",
            }));
}

TEST(Override, BadAssignments) {
  Diagnostics d;
  Node root = load("serving:\n  replicas: 2\n  gpus: [a]\n", d);
  apply_override(root, "serving.replicas", 1, d);
  apply_override(root, "=4", 2, d);
  apply_override(root, "serving..replicas=4", 3, d);
  apply_override(root, "serving.replicas.x=4", 4, d);
  apply_override(root, "serving.gpus.first=4", 5, d);
  apply_override(root, "serving.gpus=[a, b", 6, d);
  EXPECT_EQ(
      lines(d),
      (Lines{
          R"(--set:1:1: --set expects path=value (got "serving.replicas"))",
          R"(--set:2:1: --set expects path=value (got "=4"))",
          R"(--set:3:1: --set expects path=value (got "serving..replicas=4"))",
          R"(--set:4:1: serving.replicas.x: cannot set "serving.replicas.x": "serving.replicas" is not a mapping)",
          R"(--set:5:1: serving.gpus.first: cannot set "serving.gpus.first": "serving.gpus" is not a mapping)",
          R"(--set:6:1: serving.gpus: cannot read value "[a, b": syntax error: end of sequence flow not found)",
      }));
  EXPECT_EQ(root.find("serving")->find("replicas")->scalar(), "2");  // unchanged
}

TEST(Override, OnAnEmptyTree) {
  Diagnostics d;
  Node root;
  apply_override(root, "a.b=1", 1, d);
  ASSERT_TRUE(d.empty()) << d.str();
  EXPECT_EQ(root.find("a")->find("b")->scalar(), "1");
}

// ---------------------------------------------------------------- output

void expect_same_tree(const Node& a, const Node& b) {
  ASSERT_EQ(a.kind(), b.kind());
  switch (a.kind()) {
    case Node::Kind::null:
      break;
    case Node::Kind::scalar:
      EXPECT_EQ(a.scalar(), b.scalar());
      break;
    case Node::Kind::sequence:
      ASSERT_EQ(a.items().size(), b.items().size());
      for (std::size_t i = 0; i < a.items().size(); ++i)
        expect_same_tree(a.items()[i], b.items()[i]);
      break;
    case Node::Kind::mapping:
      ASSERT_EQ(a.entries().size(), b.entries().size());
      for (std::size_t i = 0; i < a.entries().size(); ++i) {
        EXPECT_EQ(a.entries()[i].first, b.entries()[i].first);
        expect_same_tree(a.entries()[i].second, b.entries()[i].second);
      }
      break;
  }
}

// `root` written by to_yaml and read back: the same tree (returned for further checks).
Node round_trip(const Node& root) {
  const std::string text = to_yaml(root);
  Diagnostics d;
  Node again = load_string(text, "out.yaml", d);
  EXPECT_TRUE(d.empty()) << d.str() << text;
  expect_same_tree(root, again);
  return again;
}

TEST(ToYaml, BlockStyleInFileOrder) {
  Diagnostics d;
  const Node root = load(
      "serving:\n"
      "  gpu: h100\n"
      "  replicas: 4\n"
      "  models: [llama, mixtral]\n"
      "cooling:\n"
      "  supply: 30 degC\n"
      "  spare:\n",
      d);
  ASSERT_TRUE(d.empty()) << d.str();
  EXPECT_EQ(to_yaml(root),
            "serving:\n"
            "  gpu: h100\n"
            "  replicas: 4\n"
            "  models:\n"
            "    - llama\n"
            "    - mixtral\n"
            "cooling:\n"
            "  supply: 30 degC\n"
            "  spare: ~\n");
}

TEST(ToYaml, RoundTripsScalarsThatNeedQuotes) {
  Diagnostics d;
  const Node root = load(
      "a: \"null\"\n"
      "b: \"~\"\n"
      "c: \"\"\n"
      "d: yes\n"
      "e: \"a: b\"\n"
      "f: \"- x\"\n"
      "g: \"#x\"\n"
      "h: \" lead\"\n"
      "i: \"two\\nlines\"\n"
      "j: \"ctl\\x01c\"\n"
      "k: h\u00e9llo \u00b5s\n"
      "l: \"[1]\"\n"
      "m: '*x'\n"
      "n: 1.50\n"
      "\"null\": key\n"
      "\"\": empty key\n"
      "o: []\n"
      "p: {}\n"
      "q:\n"
      "  - [1, {x: ~}]\n"
      "  - |\n"
      "    block\n"
      "    text\n",
      d);
  ASSERT_TRUE(d.empty()) << d.str();
  const Node again = round_trip(root);
  ASSERT_NE(again.find("j"), nullptr);
  EXPECT_EQ(again.find("j")->scalar(),
            "ctl\x01"
            "c");
  ASSERT_NE(again.find("q"), nullptr);
  ASSERT_EQ(again.find("q")->items().size(), 2u);
  EXPECT_EQ(again.find("q")->items()[1].scalar(), "block\ntext\n");
}

// Found by fuzz_config (tools/fuzz): a key holding carriage returns was written as a plain
// scalar, which YAML reads as line breaks ("illegal map value"); now double-quoted.
TEST(ConfigYaml, CarriageReturnsRoundTrip) {
  std::ifstream in(std::string(FIRSTWALL_FIXTURES_DIR) + "/fuzz/carriage_return_key.yaml",
                   std::ios::binary);
  const std::string input((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_NE(input.find('\r'), std::string::npos);
  Diagnostics d;
  const Node root = load_string(input, "in.yaml", d);
  ASSERT_TRUE(d.empty()) << d.str();
  round_trip(root);
}

}  // namespace
}  // namespace sim::config
