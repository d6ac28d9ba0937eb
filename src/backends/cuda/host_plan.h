// Which work of a CUDA engine happens on the host, decided once from the graph
// (by the builder, which records it in the plan, and again by the loader,
// which checks the record): TensorRT's split between shape tensors, computed
// on the host before any launch, and execution tensors, computed on the device.
//
// The rule (docs/cuda.md, "Shapes computed at run time"):
//  - a node is *eligible* for the host when the CPU backend's reference kernel
//    supports it, every input it reads is a host value (a constant, or an
//    output of an eligible node; Shape reads only its input's shape) and every
//    output is small (at most kHostTensorMaxElements at the bound shapes);
//  - a value is *needed on the host* when a layer's output shape depends on it
//    (found by running the layer's shape inference with and without its
//    values), when a host node reads it, or when control flow reads it (an If
//    condition, a loop's trip limits, a loop output's length), or when it
//    feeds a layer that is host work by nature (ImageDecoder);
//  - an eligible node runs on the host ("host" tactic) exactly when one of its
//    outputs is needed on the host; loop boundary nodes, and conditional
//    boundary nodes that do not run on the host, are run by the runtime itself
//    ("control"); everything else runs a CUDA tactic;
//  - a needed value that no host node makes is read back from the device
//    after it is computed (a synchronization); NonZero, Unique and NMS on the
//    device report their output extent, which is read back the same way.
// Values on the host that device work reads are copied to the device.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "ir/op_schema.h"

namespace kiln::cuda {

inline constexpr std::string_view kHostTactic = "host";
inline constexpr std::string_view kControlTactic = "control";
// The largest tensor (in elements) a host node may produce, or a layer's
// shape inference may read back from the device.
inline constexpr int64_t kHostTensorMaxElements = 1024;

enum class NodeKind : uint8_t { kDevice, kHost, kControl };

struct HostPlan {
    std::vector<NodeKind> kind;  // per node
    // Per node: a device layer whose output extent depends on its input values
    // (NonZero, Unique, NMS): its kernel writes the extent, which is read back.
    std::vector<char> counted;
    std::vector<char> hostValue;  // per value: known on the host in every run (constants, host outputs)
    std::vector<char> readback;   // per value: computed on the device, copied to the host once computed
    std::vector<char> upload;     // per value: computed on the host and read by device work or the user
    // Per value: the largest shape it can take (the profile's max shapes
    // through shape inference, data-dependent extents at their upper bound);
    // -1 where no bound is known before the run.
    std::vector<ir::Shape> bound;
    // Per value: its values at the bound shapes where the host knows them at
    // build time (constants and host outputs); zeros for read-back values,
    // whose values are known only at run time (tactics' supports() may only
    // test that they are present); hasData says where data holds something.
    std::vector<std::vector<uint8_t>> data;
    std::vector<char> hasData;
    bool controlFlow = false;
    // Why an enqueue must wait for the device or follow the schedule on the
    // host (empty: launches only, as a CUDA graph can capture).
    std::string dynamicReason;
    bool dynamic() const { return !dynamicReason.empty(); }

    // A node's inputs and outputs at the bound shapes, with the host data
    // above: what tactics' supports() and workspace() see (kernels read host
    // values from DeviceTensor::hostData at enqueue, where they are the run's).
    std::vector<ir::TensorDesc> inputs(const ir::Graph& g, const ir::Node& n) const;
    // The same with data for the constants only: what create() sees, so that
    // no kernel bakes in a host value computed at the bound shapes.
    std::vector<ir::TensorDesc> createInputs(const ir::Graph& g, const ir::Node& n) const;
    std::vector<ir::TensorDesc> outputs(const ir::Graph& g, const ir::Node& n) const;
    // True when the node's shapes at the bounds are all known (tactics can be
    // timed and their workspace sized before the run).
    bool bounded(const ir::Graph& g, const ir::Node& n) const;
    // True when the node reads a value read back from the device (its tactic's
    // parameters are known only at run time).
    bool readsBack(const ir::Node& n) const;
};

// Decides the above for a graph at its build-time (max) shapes; fails, naming
// the layer, when a layer's output shape needs values nothing can provide.
Status planHostWork(const ir::Graph& g, HostPlan& plan);

// NonZero, Unique, NMS: output extents that depend on the input values.
bool isDataDependentOp(std::string_view op);
// Ops whose work is on the host by nature (ImageDecoder: a CPU codec).
bool isHostOp(std::string_view op);
// The upper bound of a data-dependent op's output extent (every -1 of its
// inferred outputs) for these inputs; -1 when it cannot be bounded.
int64_t extentBound(const ir::Node& n, const std::vector<ir::TensorDesc>& in);

}  // namespace kiln::cuda
