// Loading scenario files: every bad-input fixture in tests/fixtures/bad/ with its exact
// message, and includes merged from tests/fixtures/good/.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/config.hpp"

namespace sim::config {
namespace {

using Lines = std::vector<std::string>;

const std::string kBad = std::string(FIRSTWALL_FIXTURES_DIR) + "/bad/";
const std::string kGood = std::string(FIRSTWALL_FIXTURES_DIR) + "/good/";

Lines lines(const Diagnostics& d) {
  Lines out;
  for (const Diagnostic& x : d.sorted()) out.push_back(x.str());
  return out;
}

Lines load_bad(const std::string& name) {
  Diagnostics d;
  (void)load_file(kBad + name, d);
  return lines(d);
}

Lines load_text(std::string_view text) {
  Diagnostics d;
  (void)load_string(text, "s.yaml", d);
  return lines(d);
}

// ---------------------------------------------------------------- bad fixtures

TEST(LoadBad, SyntaxError) {
  EXPECT_EQ(load_bad("syntax_error.yaml"),
            (Lines{kBad + "syntax_error.yaml:4:6: syntax error: end of sequence flow not found"}));
}

TEST(LoadBad, TabInIndentation) {
  EXPECT_EQ(load_bad("tab_indent.yaml"),
            (Lines{kBad + "tab_indent.yaml:4:1: tab character in indentation (use spaces)"}));
}

TEST(LoadBad, DuplicateKeysInAnyMapping) {
  EXPECT_EQ(
      load_bad("duplicate_key.yaml"),
      (Lines{
          kBad + R"(duplicate_key.yaml:4:3: serving.gpu: duplicate key "gpu" (first at line 2))",
          kBad + R"(duplicate_key.yaml:7:1: cooling: duplicate key "cooling" (first at line 5))",
      }));
}

TEST(LoadBad, EmptyFile) {
  EXPECT_EQ(load_bad("empty.yaml"),
            (Lines{kBad + "empty.yaml:1:1: file is empty: a scenario must be a mapping"}));
}

TEST(LoadBad, TopLevelNotAMapping) {
  EXPECT_EQ(load_bad("not_mapping.yaml"),
            (Lines{kBad + "not_mapping.yaml:2:1: top level must be a mapping (got a list)"}));
}

TEST(LoadBad, BinaryGarbage) {
  EXPECT_EQ(load_bad("binary_garbage.bin"),
            (Lines{kBad + "binary_garbage.bin:1:1: not a text file (NUL at byte 18)"}));
}

TEST(LoadBad, InvalidUtf8) {
  EXPECT_EQ(load_bad("invalid_utf8.yaml"),
            (Lines{kBad + "invalid_utf8.yaml:1:1: not a text file (invalid UTF-8 at byte 18)"}));
}

TEST(LoadBad, MissingInclude) {
  EXPECT_EQ(
      load_bad("bad_include.yaml"),
      (Lines{
          kBad +
          R"(bad_include.yaml:3:5: include[1]: cannot read included file "catalog/nope.yaml": No such file or directory)"}));
  EXPECT_EQ(
      load_bad("bad_include_single.yaml"),
      (Lines{
          kBad +
          R"(bad_include_single.yaml:1:10: include: cannot read included file "catalog/nope.yaml": No such file or directory)"}));
}

TEST(LoadBad, IncludeCycle) {
  const std::string a = kBad + "include_cycle_a.yaml";
  const std::string b = kBad + "include_cycle_b.yaml";
  EXPECT_EQ(load_bad("include_cycle_a.yaml"),
            (Lines{b + ":3:5: include[0]: include cycle: " + a + " -> " + b + " -> " + a}));
}

TEST(LoadBad, IncludedFileWithErrorsReportsInThatFile) {
  EXPECT_EQ(load_bad("included_not_mapping.yaml"),
            (Lines{kBad + "not_mapping.yaml:2:1: top level must be a mapping (got a list)"}));
}

TEST(LoadBad, KeysMustBeStrings) {
  EXPECT_EQ(load_bad("non_scalar_key.yaml"),
            (Lines{kBad + "non_scalar_key.yaml:2:3: serving: keys must be plain strings"}));
}

TEST(LoadBad, OneDocumentPerFile) {
  EXPECT_EQ(load_bad("two_documents.yaml"),
            (Lines{kBad + "two_documents.yaml:3:1: a second YAML document starts here (a scenario "
                          "file holds one)"}));
}

TEST(LoadBad, MissingFile) {
  EXPECT_EQ(load_bad("no_such_file.yaml"),
            (Lines{kBad + "no_such_file.yaml:1:1: cannot read file: No such file or directory"}));
  Diagnostics d;
  (void)load_file(std::string(FIRSTWALL_FIXTURES_DIR) + "/bad", d);
  EXPECT_EQ(lines(d), (Lines{std::string(FIRSTWALL_FIXTURES_DIR) +
                             "/bad:1:1: cannot read file: Is a directory"}));
}

TEST(LoadBad, FileNameIsShownAsGiven) {
  Diagnostics d;
  (void)load_file("no/such/dir/x.yaml", d);
  EXPECT_EQ(lines(d),
            (Lines{"no/such/dir/x.yaml:1:1: cannot read file: No such file or directory"}));
}

// ---------------------------------------------------------------- bad text

TEST(LoadText, EmptyAndNullDocuments) {
  const Lines empty{"s.yaml:1:1: file is empty: a scenario must be a mapping"};
  EXPECT_EQ(load_text(""), empty);
  EXPECT_EQ(load_text("# nothing\n"), empty);
  EXPECT_EQ(load_text("---\n"), empty);
  EXPECT_EQ(load_text("~\n"), empty);
}

TEST(LoadText, TopLevelScalar) {
  EXPECT_EQ(load_text("\nhello\n"),
            (Lines{"s.yaml:2:1: top level must be a mapping (got a scalar)"}));
}

TEST(LoadText, ControlCharacters) {
  EXPECT_EQ(load_text("a: \x1b[1mbold\n"),
            (Lines{"s.yaml:1:1: not a text file (control character 0x1B at byte 4)"}));
  EXPECT_EQ(load_text("a: \xed\xa0\x80\n"),  // a UTF-16 surrogate written as UTF-8
            (Lines{"s.yaml:1:1: not a text file (invalid UTF-8 at byte 4)"}));
  EXPECT_EQ(load_text("a: \xc0\xafx\n"),  // overlong "/"
            (Lines{"s.yaml:1:1: not a text file (invalid UTF-8 at byte 4)"}));
  EXPECT_EQ(load_text("a: caf\xc3"),
            (Lines{"s.yaml:1:1: not a text file (invalid UTF-8 at byte 7)"}));
}

TEST(LoadText, TextThatIsFine) {
  EXPECT_EQ(load_text("\xef\xbb\xbf"
                      "a: 1\r\nb: caf\xc3\xa9 \xf0\x9f\x94\xa5\r\n"),
            Lines{});
  EXPECT_EQ(load_text("a:\tb\n"), Lines{});  // a tab after the colon is no indentation
  EXPECT_EQ(load_text("a: |\n  keeps\n  \ttabs\n  inside\nb: 1\n"), Lines{});
}

TEST(LoadText, EveryTabIsReported) {
  // yaml-cpp rejects a tab before a comment too, so it is reported the same way.
  EXPECT_EQ(load_text("a:\n  b: 1\n  \tc: 2\nd: |\n  x\n\te: 3\n\t# comment\n"),
            (Lines{
                "s.yaml:3:3: tab character in indentation (use spaces)",
                "s.yaml:6:1: tab character in indentation (use spaces)",
                "s.yaml:7:1: tab character in indentation (use spaces)",
            }));
}

TEST(LoadText, SyntaxErrors) {
  EXPECT_EQ(load_text("a: b: c\n"), (Lines{"s.yaml:1:5: syntax error: illegal map value"}));
  EXPECT_EQ(load_text("\xEF\xBB\xBF"
                      "a: b: c\n"),
            (Lines{"s.yaml:1:5: syntax error: illegal map value"}));
  EXPECT_EQ(load_text("\u00b5: b: c\n"), (Lines{"s.yaml:1:5: syntax error: illegal map value"}));
  EXPECT_EQ(load_text("a: *nope\n"),
            (Lines{"s.yaml:1:4: syntax error: the referenced anchor is not defined"}));
}

TEST(LoadText, DeepNesting) {
  const std::string deep = "a: " + std::string(5000, '[') + std::string(5000, ']') + "\n";
  EXPECT_EQ(load_text(deep), (Lines{"s.yaml:1:501: syntax error: nested too deeply"}));
}

TEST(LoadText, SelfReferenceAndMergeErrors) {
  EXPECT_EQ(load_text("a: &x [1, *x]\n"),
            (Lines{"s.yaml:1:11: a[1]: alias refers to a node that contains it"}));
  EXPECT_EQ(
      load_text("a:\n  <<: 5\n  b: 1\n"),
      (Lines{"s.yaml:2:7: a.<<: merge key needs a mapping or a list of mappings (got a scalar)"}));
}

TEST(LoadText, AliasExpansionIsCapped) {
  // Each level doubles: 2^25 leaves from a few lines ("billion laughs").
  std::string text = "l0: &l0 [x, x]\n";
  for (int i = 1; i <= 25; ++i) {
    text += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [*l" + std::to_string(i - 1) +
            ", *l" + std::to_string(i - 1) + "]\n";
  }
  const Lines got = load_text(text);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].find("aliases expand to more than 100000 nodes"), std::string::npos) << got[0];
}

TEST(LoadText, DuplicateInNestedListOfMappings) {
  EXPECT_EQ(load_text("racks:\n  - name: a\n    name: b\n"),
            (Lines{R"(s.yaml:3:5: racks[0].name: duplicate key "name" (first at line 2))"}));
}

// ---------------------------------------------------------------- includes

TEST(Include, DeepMergesWithTheIncludingFileWinning) {
  Diagnostics d;
  const Node root = load_file(kGood + "include_main.yaml", d);
  ASSERT_TRUE(d.empty()) << d.str();
  // The including file's keys first, then what only the includes have; later includes win
  // over earlier ones; the include keys themselves are gone.
  EXPECT_EQ(to_yaml(root),
            "serving:\n"
            "  replicas: 4\n"
            "  gpu: h100\n"
            "cooling:\n"
            "  cdu:\n"
            "    supply: 30 degC\n"
            "    capacity: 1.2 MW\n"
            "gpus:\n"
            "  h100:\n"
            "    hbm: 80 GiB\n"
            "    tdp: 700 W\n"
            "site:\n"
            "  name: test hall\n");
  // Every node keeps the file and line it came from.
  const Location& replicas = root.find("serving")->find("replicas")->location();
  EXPECT_EQ(replicas.file, kGood + "include_main.yaml");
  EXPECT_EQ(replicas.line, 6);
  const Location& gpu = root.find("serving")->find("gpu")->location();
  EXPECT_EQ(gpu.file, kGood + "catalog/gpus.yaml");
  EXPECT_EQ(gpu.line, 6);
  EXPECT_EQ(gpu.column, 8);
  const Location& hbm = root.find("gpus")->find("h100")->find("hbm")->location();
  EXPECT_EQ(hbm.file, kGood + "catalog/site.yaml");
  EXPECT_EQ(hbm.line, 4);
  EXPECT_EQ(root.find("site")->find("name")->location().file, kGood + "catalog/common.yaml");
  EXPECT_EQ(root.find("gpus")->key_location("h100")->file, kGood + "catalog/site.yaml");
}

TEST(Include, FromStringResolvesAgainstItsName) {
  Diagnostics d;
  const Node root =
      load_string("include: catalog/common.yaml\nextra: 1\n", kGood + "virtual.yaml", d);
  ASSERT_TRUE(d.empty()) << d.str();
  EXPECT_EQ(root.find("site")->find("name")->scalar(), "test hall");
  EXPECT_EQ(root.find("include"), nullptr);
}

TEST(Include, BadIncludeValues) {
  Diagnostics d;
  (void)load_string("include:\n  - [a]\nx: 1\n", "s.yaml", d);
  (void)load_string("include:\n  a: b\n", "t.yaml", d);
  EXPECT_EQ(lines(d),
            (Lines{
                "s.yaml:2:5: include[0]: must be a file path (got a list)",
                "t.yaml:2:3: include: must be a file path or a list of file paths (got a mapping)",
            }));
}

TEST(Include, SelfInclude) {
  Diagnostics d;
  (void)load_string("include: self.yaml\n", kBad + "self.yaml", d);
  EXPECT_EQ(lines(d), (Lines{kBad + "self.yaml:1:10: include: include cycle: " + kBad +
                             "self.yaml -> " + kBad + "self.yaml"}));
}

}  // namespace
}  // namespace sim::config
