// Bad input anywhere (issue 11): flags, STRATA_PLUGIN_PATH, empty/binary/huge/odd files,
// output folders that cannot be written. The promise: a clear message, a non-zero exit
// status, no crash (signal, sanitizer report, std::terminate), and no result that looks
// complete (run.json with "status": "ok") unless the run really completed.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "cli.hpp"

namespace fs = std::filesystem;

namespace {

using strata::testing::build_dir;
using strata::testing::source_dir;
using Result = strata::testing::CommandResult;

// Runs strata through the shell, under a time limit (a hang is a failure: rc 124).
Result cli(const std::string& args, const std::string& env = "") {
  return strata::testing::run_strata(args, env, 120);
}

// No signal, no sanitizer report, no uncaught exception, no hang.
bool crashed(const Result& r) {
  for (const char* s : {"Sanitizer", "runtime error:", "terminate called", "Segmentation fault", "Aborted",
                        "core dumped", "what():"})
    if (r.out.find(s) != std::string::npos) return true;
  return r.rc >= 124;
}

#define CHECK_CLEAN_FAILURE(r, expected_rc)   \
  do {                                        \
    INFO("output: " << (r).out);              \
    CHECK(!crashed(r));                       \
    CHECK((r).rc == (expected_rc));           \
    CHECK(!(r).out.empty());                  \
  } while (0)

struct TempDir : strata::testing::TempDir {
  TempDir() : strata::testing::TempDir("strata-hard") {}
};

// 4 LPs in a ring (i -> i + 1), 2 initial events each.
const std::string kRing = strata::testing::phold_ring(4, 2, "1");

bool complete(const fs::path& out) {
  if (!fs::exists(out / "run.json")) return false;
  auto j = nlohmann::json::parse(std::ifstream(out / "run.json"), nullptr, false);
  return !j.is_discarded() && j.value("status", "") == "ok";
}

}  // namespace

TEST_CASE("bad input: flags") {
  TempDir t;
  auto ring = t.write("ring.toml", kRing).string();
  CHECK_CLEAN_FAILURE(cli(""), 2);
  CHECK_CLEAN_FAILURE(cli("frobnicate"), 2);
  CHECK_CLEAN_FAILURE(cli("run"), 2);
  CHECK_CLEAN_FAILURE(cli("check"), 2);
  CHECK_CLEAN_FAILURE(cli("run " + ring + " --threads 0"), 2);
  CHECK_CLEAN_FAILURE(cli("run " + ring + " --threads -3"), 2);
  CHECK_CLEAN_FAILURE(cli("run " + ring + " --threads 100000"), 2);
  CHECK_CLEAN_FAILURE(cli("run " + ring + " --threads two"), 2);
  CHECK_CLEAN_FAILURE(cli("run " + ring + " --seed -1"), 2);
  CHECK_CLEAN_FAILURE(cli("run " + ring + " --seed 99999999999999999999999999"), 2);
  CHECK_CLEAN_FAILURE(cli("run " + ring + " --bogus-flag"), 2);
  CHECK_CLEAN_FAILURE(cli("run " + ring + " --set"), 2);
  CHECK_CLEAN_FAILURE(cli("run " + ring + " --set nothing"), 2);
  CHECK_CLEAN_FAILURE(cli("run " + ring + " --set =3"), 2);
  CHECK_CLEAN_FAILURE(cli("run " + ring + " --set lp.init.x=3"), 2);
  CHECK_CLEAN_FAILURE(cli("run " + ring + " --set stop.max_events=-1"), 2);
  CHECK_CLEAN_FAILURE(cli("run " + ring + " --set stop.max_events=lots"), 2);
  CHECK_CLEAN_FAILURE(cli("run " + ring + " --set stop.end_time=-1ns"), 2);
  CHECK_CLEAN_FAILURE(cli("run " + ring + " --set 'lp.init=[1,'"), 2);
  CHECK_CLEAN_FAILURE(cli("run " + ring + " --set seed=1e400"), 2);
  CHECK_CLEAN_FAILURE(cli("sweep " + ring + " -j 0"), 2);
  CHECK_CLEAN_FAILURE(cli("sweep " + ring), 2);  // no [sweep] table
  CHECK_CLEAN_FAILURE(cli("info no.such_type"), 2);
  CHECK_CLEAN_FAILURE(cli("graph no-such-model"), 2);
  // a file name far longer than any path limit
  CHECK_CLEAN_FAILURE(cli("check " + std::string(20000, 'x') + ".toml"), 2);
  // nothing at all was written by any of the above
  CHECK(!fs::exists("out/ring"));
}

TEST_CASE("bad input: STRATA_PLUGIN_PATH") {
  TempDir t;
  auto ring = t.write("ring.toml", kRing).string();
  auto text = t.write("notadir", "x").string();
  fs::create_directories(t.path / "junk");
  t.write("junk/empty.so", "");
  t.write("junk/text.so", "not an ELF file\n");
  {
    std::ofstream f(t.path / "junk" / "random.so", std::ios::binary);
    std::mt19937 g(1);
    for (int i = 0; i < 4096; ++i) f.put(static_cast<char>(g()));
  }
  for (const std::string& env : std::vector<std::string>{"/no/such/folder", text, "::::", ":" + std::string(5000, 'a') + ":", (t.path / "junk").string(),
                          std::string("'") + "\x01\x7f\xff" + "'", "'  '", "/dev/null", "/proc/self"}) {
    INFO("STRATA_PLUGIN_PATH=" << env);
    auto r = cli("plugins", "STRATA_PLUGIN_PATH=" + env);
    INFO(r.out);
    CHECK(!crashed(r));
    CHECK((r.rc == 0 || r.rc == 2));
    if (env != "::::" && env != "/proc/self") {  // /proc/self is a folder (without plugins)
      CHECK(r.rc == 2);  // a folder that is not one, or unloadable libraries, are named
    }
    // runs with the shipped plugins still work; the bad folder is only a warning there
    auto out = t.path / "o";
    fs::remove_all(out);
    auto run = cli("run " + ring + " -q --set stop.end_time=100ns --out " + out.string(), "STRATA_PLUGIN_PATH=" + env);
    INFO(run.out);
    CHECK(!crashed(run));
    CHECK(run.rc == 0);
    CHECK(complete(out));
  }
  auto r = cli("plugins", "STRATA_PLUGIN_PATH=" + (t.path / "junk").string());
  CHECK_THAT(r.out, Catch::Contains("empty.so") && Catch::Contains("text.so") && Catch::Contains("random.so"));
  r = cli("plugins", "STRATA_PLUGIN_PATH=/no/such/folder");
  CHECK_THAT(r.out, Catch::Contains("/no/such/folder"));
  // --plugin-path with the same kinds of folders
  for (const std::string& dir : std::vector<std::string>{"/no/such/folder", text, (t.path / "junk").string()}) {
    auto p = cli("--plugin-path " + dir + " plugins");
    INFO(p.out);
    CHECK(!crashed(p));
  }
}

TEST_CASE("bad input: empty, binary, odd and huge files") {
  TempDir t;
  auto out = t.path / "o";
  auto run = [&](const fs::path& f) { return cli("run " + f.string() + " -q --out " + out.string()); };

  // empty: a topology with nothing in it is refused by check and run alike, naming the
  // file, and nothing is written
  auto empty = t.write("empty.toml", "");
  auto r = cli("check " + empty.string());
  CHECK_CLEAN_FAILURE(r, 2);
  CHECK_THAT(r.out, Catch::Contains("empty.toml: error: nothing to simulate"));
  r = run(t.write("settings_only.toml", "[experiment]\nseed = 3\n[stop]\nend_time = \"1us\"\n"));
  CHECK_CLEAN_FAILURE(r, 2);
  CHECK_THAT(r.out, Catch::Contains("settings_only.toml: error: nothing to simulate"));
  CHECK(!fs::exists(out));

  // binary: random bytes, NULs, invalid UTF-8
  std::string bin;
  std::mt19937 g(7);
  for (int i = 0; i < 65536; ++i) bin += static_cast<char>(g());
  auto binary = t.write("binary.toml", bin);
  r = run(binary);
  CHECK_CLEAN_FAILURE(r, 2);
  CHECK_THAT(r.out, Catch::Contains("binary.toml:"));
  CHECK(!fs::exists(out));
  r = cli("check " + t.write("nul.toml", std::string("name = \"a\0b\"\n", 12)).string());
  CHECK_CLEAN_FAILURE(r, 2);
  r = cli("check " + t.write("utf8.toml", "description = \"\xc3\x28\xff\"\n").string());
  CHECK_CLEAN_FAILURE(r, 2);

  // deep nesting: arrays and inline tables a few thousand levels deep
  r = cli("check " + t.write("deep.toml", "a = " + std::string(5000, '[') + std::string(5000, ']') + "\n").string());
  CHECK_CLEAN_FAILURE(r, 2);
  std::string tables = "a = ";
  for (int i = 0; i < 3000; ++i) tables += "{ b = ";
  tables += "1" + std::string(3000, '}') + "\n";
  r = cli("check " + t.write("deep2.toml", tables).string());
  CHECK_CLEAN_FAILURE(r, 2);

  // huge: 32 MiB of comments around a valid ring; a 16 MiB string value; 20k components
  {
    std::ofstream f(t.path / "huge.toml", std::ios::binary);
    std::string line = "# " + std::string(1022, 'c') + "\n";
    for (int i = 0; i < 32 * 1024; ++i) f << line;
    f << kRing;
  }
  r = cli("run " + (t.path / "huge.toml").string() + " -q --set stop.end_time=100ns --out " + out.string());
  INFO(r.out);
  CHECK(!crashed(r));
  CHECK(r.rc == 0);
  CHECK(complete(out));
  fs::remove_all(out);
  r = cli("check " + t.write("bigstr.toml", "description = \"" + std::string(16 << 20, 'x') + "\"\n" + kRing).string());
  CHECK(!crashed(r));
  CHECK(r.rc == 0);
  {
    std::ofstream f(t.path / "many.toml");
    for (int i = 0; i < 20000; ++i) f << "[[component]]\nname = \"c" << i << "\"\ntype = \"no.such\"\n";
  }
  r = cli("check " + (t.path / "many.toml").string());
  CHECK(!crashed(r));
  CHECK(r.rc == 2);

  // a grid far too large to build: refused or reported, never a crash
  r = cli("check " + t.write("grid.toml", "[[component]]\nname = \"g\"\ntype = \"bench.phold_lp\"\n"
                                             "grid = [1048576, 1048576, 1048576, 1048576]\n").string(),
             "ASAN_OPTIONS=allocator_may_return_null=1");
  INFO(r.out);
  CHECK(!crashed(r));
  CHECK(r.rc == 2);

  // not files: a folder, a missing file, a file in a missing folder, /dev/null
  fs::create_directories(t.path / "dir.toml");
  CHECK_CLEAN_FAILURE(cli("check " + (t.path / "dir.toml").string()), 2);
  CHECK_CLEAN_FAILURE(cli("check " + (t.path / "missing.toml").string()), 2);
  CHECK_CLEAN_FAILURE(cli("check " + (t.path / "no" / "such" / "x.toml").string()), 2);
  r = cli("check /dev/null");
  CHECK(!crashed(r));
  // includes of the same: a binary file, a folder, itself
  auto inc = t.write("inc.toml", "include = [\"binary.toml\", \"dir.toml\", \"inc.toml\", \"\"]\n");
  r = cli("check " + inc.string());
  CHECK_CLEAN_FAILURE(r, 2);
  CHECK_THAT(r.out, Catch::Contains("binary.toml:"));

  // unreadable (only meaningful when not running as root: root reads anything)
  if (geteuid() != 0) {
    auto locked = t.write("locked.toml", kRing);
    fs::permissions(locked, fs::perms::none);
    CHECK_CLEAN_FAILURE(cli("check " + locked.string()), 2);
  }
}

TEST_CASE("bad input: output folders that cannot be written leave no complete-looking result") {
  TempDir t;
  auto ring = t.write("ring.toml", kRing).string();
  const std::string args = " -q --set stop.end_time=100ns";

  // the output folder is a file; its parent is a file; it is under /proc (not writable, even by root)
  auto file = t.write("file", "x");
  for (auto out : {file, file / "sub", fs::path("/proc/strata-hardening-test")}) {
    auto r = cli("run " + ring + args + " --out " + out.string());
    INFO(out);
    CHECK(!crashed(r));
    CHECK(r.rc != 0);
    CHECK(!r.out.empty());
  }
  // a write that fails half-way (a full disk): stats.json's temporary name points at
  // /dev/full. A run.json from an earlier complete run must not survive it.
  auto out = t.path / "full";
  auto r = cli("run " + ring + args + " --out " + out.string());
  REQUIRE(r.rc == 0);
  REQUIRE(complete(out));
  fs::create_symlink("/dev/full", out / "stats.json.partial");
  r = cli("run " + ring + args + " --out " + out.string());
  INFO(r.out);
  CHECK(!crashed(r));
  CHECK(r.rc != 0);
  CHECK_THAT(r.out, Catch::Contains("stats.json"));
  CHECK(!complete(out));

  // not writable by permission (as root every folder is writable: skip)
  if (geteuid() != 0) {
    auto ro = t.path / "ro";
    fs::create_directories(ro);
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
    r = cli("run " + ring + args + " --out " + (ro / "o").string());
    CHECK(!crashed(r));
    CHECK(r.rc != 0);
    r = cli("run " + ring + args + " --out " + ro.string());
    CHECK(!crashed(r));
    CHECK(r.rc != 0);
    CHECK(!complete(ro));
  }
  // info --markdown and sweep --out into places that cannot be written
  r = cli("info --markdown /proc/strata-hardening-md");
  CHECK(!crashed(r));
  CHECK(r.rc != 0);
  auto sw = t.write("sw.toml", "[experiment]\nname = \"sw\"\ntopology = \"ring.toml\"\n[stop]\nend_time = \"50ns\"\n"
                               "[sweep.axes]\n\"lp.init\" = [1, 2]\n");
  r = cli("sweep " + sw.string() + " -q --out " + file.string());
  INFO(r.out);
  CHECK(!crashed(r));
  CHECK(r.rc != 0);
  r = cli("graph bert-base --out /proc/strata-hardening.json");
  CHECK(!crashed(r));
  CHECK(r.rc != 0);
}

TEST_CASE("bad input: graph files of other tools (Chakra, PyTorch, ONNX) are located errors, exit 2") {
  TempDir t;
  auto graph = [&](const fs::path& f) { return cli("graph " + f.string()); };
  std::string et;
  {
    std::ifstream f(source_dir() / "experiments" / "imports" / "bert_tiny_lora.et", std::ios::binary);
    et.assign(std::istreambuf_iterator<char>(f), {});
  }
  REQUIRE(et.size() > 1000);
  // Chakra: empty; cut in the middle of a node; a random byte string; a length prefix of 10+ bytes
  auto r = graph(t.write("empty.et", ""));
  CHECK_CLEAN_FAILURE(r, 2);
  CHECK_THAT(r.out, Catch::Contains("empty.et: error: byte 0"));
  r = graph(t.write("cut.et", et.substr(0, et.size() - 7)));
  CHECK_CLEAN_FAILURE(r, 2);
  CHECK_THAT(r.out, Catch::Contains("cut.et: error: byte ") && Catch::Contains("bytes are left"));
  std::string bin;
  std::mt19937 g(11);
  for (int i = 0; i < 4096; ++i) bin += static_cast<char>(g());
  r = graph(t.write("random.et", bin));
  CHECK_CLEAN_FAILURE(r, 2);
  CHECK_THAT(r.out, Catch::Contains("random.et: error: byte "));
  r = graph(t.write("prefix.et", std::string(12, '\xff')));
  CHECK_CLEAN_FAILURE(r, 2);
  // ONNX: empty; random bytes; the fixture cut short
  r = graph(t.write("empty.onnx", ""));
  CHECK_CLEAN_FAILURE(r, 2);
  r = graph(t.write("random.onnx", bin));
  CHECK_CLEAN_FAILURE(r, 2);
  CHECK_THAT(r.out, Catch::Contains("random.onnx: error: byte "));
  std::string onnx;
  {
    std::ifstream f(source_dir() / "workloads" / "pytorch" / "fixtures" / "bert_tiny.onnx", std::ios::binary);
    onnx.assign(std::istreambuf_iterator<char>(f), {});
  }
  r = graph(t.write("cut.onnx", onnx.substr(0, onnx.size() / 2)));
  CHECK_CLEAN_FAILURE(r, 2);
  CHECK_THAT(r.out, Catch::Contains("cut.onnx: error: byte "));
  // PyTorch traces: not JSON; nodes not a list; a node without an id; a duplicate id
  r = graph(t.write("bad.json", "{\"schema\": \"1.0.1\", \"nodes\": [ {\"id\": 1,"));
  CHECK_CLEAN_FAILURE(r, 2);
  r = graph(t.write("nodes.json", "{\"schema\": \"1.0.1\", \"nodes\": 7}"));
  CHECK_CLEAN_FAILURE(r, 2);
  CHECK_THAT(r.out, Catch::Contains("nodes.json: error:"));
  r = graph(t.write("noid.json", "{\"schema\": \"1.0.1\", \"nodes\": [{\"name\": \"aten::mm\", \"parent\": 0}]}"));
  CHECK_CLEAN_FAILURE(r, 2);
  CHECK_THAT(r.out, Catch::Contains("/nodes/0/id"));
  r = graph(t.write("dup.json", "{\"schema\": \"1.0.1\", \"nodes\": [{\"id\": 3, \"name\": \"a\", \"parent\": 0}, "
                                "{\"id\": 3, \"name\": \"b\", \"parent\": 0}]}"));
  CHECK_CLEAN_FAILURE(r, 2);
  CHECK_THAT(r.out, Catch::Contains("duplicate node id 3"));
}
