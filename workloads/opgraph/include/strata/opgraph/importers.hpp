// Graphs from other tools, and graphs for them (FORMAT.md, "Chakra execution traces",
// "PyTorch execution traces", "ONNX models"):
//  - read_chakra / write_chakra: MLCommons Chakra execution traces (.et), the format
//    ASTRA-sim and its users exchange;
//  - read_pytorch_et: the JSON execution trace PyTorch's ExecutionTraceObserver (1.13:
//    ExecutionGraphObserver) records of a real step;
//  - read_onnx: ONNX models (shapes from the graph's value infos);
//  - read_any_graph: picks the reader by extension and content.
// Every reader returns a graph that passes Graph::validate() and fills an ImportReport:
// what became ops, and what did not (counted, never silently dropped). A malformed file
// throws GraphFormatError located by byte offset and node (Chakra, ONNX) or JSON pointer
// (PyTorch).
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "strata/opgraph/graph_io.hpp"
#include "strata/opgraph/op_graph.hpp"

namespace strata::opgraph {

enum class GraphFileFormat : std::uint8_t { strata_json, chakra_et, pytorch_et, onnx };
std::string_view to_string(GraphFileFormat f);
// "strata", "chakra", "pytorch", "onnx"
std::optional<GraphFileFormat> parse_graph_file_format(std::string_view name);

struct ImportOptions {
  // Foreign formats carry no Strata precision (or carry fp32, which no accelerator tier
  // here runs): operands get these widths. workload.transformer passes its `precision`.
  std::uint32_t weight_bits = 8;
  std::uint32_t act_bits = 8;
  std::uint32_t acc_bits = 32;
};

// What an import made of a file. Keys of the maps are the foreign names (a Chakra node
// type, an ONNX op_type, a PyTorch operator name).
struct ImportReport {
  struct Tally {
    std::uint64_t count = 0;
    std::uint64_t flops = 0;  // the file's own operation count where it gives one, else Strata's estimate
    std::uint64_t bytes = 0;  // bytes the file says the node moves (tensor_size, comm_size), when known
  };
  GraphFileFormat format = GraphFileFormat::strata_json;
  std::string source;
  std::uint64_t nodes = 0;                  // nodes / operators read
  std::map<std::string, Tally> imported;    // foreign name -> became ops ("COMP_NODE -> gemm")
  std::map<std::string, Tally> skipped;     // foreign name -> not modelled (kept as ordering)
  std::map<std::string, std::uint64_t> unknown_attributes;  // attribute name -> nodes carrying it
  std::uint64_t unknown_node_types = 0;     // nodes of a type this reader does not know
  std::uint64_t recovered_gemms = 0;        // GEMM shapes recovered from operand shapes
  std::uint64_t opaque_ops = 0;             // ops replayed by operation and byte counts only
  std::uint64_t imported_flops() const;
  std::uint64_t skipped_flops() const;
  std::uint64_t skipped_count() const;
  // A few lines for people: the file, counts, what was imported and what was skipped.
  std::string render_text() const;
};

// ---- Chakra ET --------------------------------------------------------------------------
Graph read_chakra(const std::filesystem::path& path, const ImportOptions& options = {},
                  ImportReport* report = nullptr);
Graph read_chakra_bytes(std::string_view data, std::string_view source_name = "<bytes>",
                        const ImportOptions& options = {}, ImportReport* report = nullptr);
// One GlobalMetadata, then one COMP node per op (in id order): Chakra's num_ops and
// tensor_size attributes for other tools, and strata.* attributes that make read_chakra
// give back an identical graph. Validates the graph first (GraphError).
void write_chakra(const Graph& graph, std::ostream& out);
void write_chakra(const Graph& graph, const std::filesystem::path& path);

// ---- PyTorch execution trace (JSON) -----------------------------------------------------
Graph read_pytorch_et(const std::filesystem::path& path, const ImportOptions& options = {},
                      ImportReport* report = nullptr);
Graph read_pytorch_et_string(std::string_view text, std::string_view source_name = "<string>",
                             const ImportOptions& options = {}, ImportReport* report = nullptr);
// True when `text` looks like a PyTorch execution trace (a JSON object with "schema"
// and "nodes"); only the first few KiB are looked at.
bool looks_like_pytorch_et(std::string_view text);

// ---- ONNX --------------------------------------------------------------------------------
Graph read_onnx(const std::filesystem::path& path, const ImportOptions& options = {},
                ImportReport* report = nullptr);
Graph read_onnx_bytes(std::string_view data, std::string_view source_name = "<bytes>",
                      const ImportOptions& options = {}, ImportReport* report = nullptr);

// ---- any ----------------------------------------------------------------------------------
// By extension (.et -> Chakra, .onnx -> ONNX, .json -> strata-opgraph or PyTorch ET by
// content), else by content. Throws GraphFormatError if the file cannot be opened.
GraphFileFormat detect_graph_format(const std::filesystem::path& path);
// format = nullopt: detect_graph_format. The report's format and source are always set
// (a strata-opgraph file: every op imported as itself).
Graph read_any_graph(const std::filesystem::path& path, std::optional<GraphFileFormat> format = std::nullopt,
                     const ImportOptions& options = {}, ImportReport* report = nullptr);

}  // namespace strata::opgraph
