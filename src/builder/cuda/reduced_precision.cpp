// Reduced precision for CUDA engines (BuilderFlag kFP16 / kBF16): every
// float32 layer that a CUDA tactic supports in the 16-bit type (and whose
// precision the user did not pin to float32) computes in it; its float32
// weights are converted once at build time, and Cast layers are inserted
// where a 16-bit tensor meets a float32 one, so network inputs and outputs
// keep the types the user declared. The kernels themselves accumulate
// reductions, softmax and normalizations in float32.
#include <map>

#include "backends/cpu/shape_eval.h"
#include "backends/cuda/tactic.h"
#include "cuda_build.h"
#include "ir/op_schema.h"

namespace kiln::builder {

namespace {

// Ops whose float inputs and outputs can all move to the 16-bit type together.
bool lowerable(const std::string& op) {
    static const char* const kOps[] = {
        "Convolution", "Deconvolution", "MatMul", "FullyConnected", "ElementWise", "Activation",
        "Unary",       "Softmax",       "Reduce", "Normalization",  "Pooling",     "Concat",
        "Shuffle",     "Slice",         "Pad",    "Resize",         "Scale",       "PRelu",
        "LRN",         "Identity",      "Select", "Gather",         "TopK",        "FusedConvolution"};
    for (const char* o : kOps)
        if (op == o) return true;
    return false;
}

ir::ConstData convertConstant(const ir::Value& v, ir::DType to) {
    const int64_t n = std::max<int64_t>(ir::volume(v.shape), 0);
    auto bytes = std::make_shared<ir::Bytes>(size_t(n) * ir::dtypeSize(to));
    for (int64_t i = 0; i < n; ++i)
        ir::storeFromDouble(bytes->data(), to, i, ir::loadAsDouble(v.data->data(), v.dtype, i));
    return bytes;
}

}  // namespace

bool anyCudaTactic(const ir::Node& n, const std::vector<ir::TensorDesc>& in, const std::vector<ir::TensorDesc>& out) {
    for (const auto& t : cuda::cudaTactics())
        if (t.op == n.op && t.supports(n, in, out)) return true;
    return false;
}

Status applyReducedPrecision(ir::Graph& g, const BuildOptions& opt, const LogFn& log) {
    const ir::DType low = opt.fp16 ? ir::DType::kF16 : ir::DType::kBF16;
    const size_t nodeCount = g.nodes.size();
    // 1. Which layers go to the 16-bit type.
    std::vector<bool> isLow(nodeCount, false);
    int lowered = 0;
    // Shape tensors computed at run time (a Reshape's dims from an input's
    // shape) have values here, at the shapes the graph holds (the profile's
    // max): tactics that need them on the host support the layer in 16 bits too.
    std::vector<ir::Shape> inputShapes;
    for (int v : g.inputs) inputShapes.push_back(g.values[size_t(v)].shape);
    const cpu::HostValues host = cpu::evaluateHostValues(g, inputShapes);
    for (size_t i = 0; i < nodeCount; ++i) {
        const ir::Node& n = g.nodes[i];
        if (!lowerable(n.op) || (n.precision >= 0 && ir::DType(n.precision) != low)) continue;
        auto in = ir::describeInputs(g, n), out = ir::describeOutputs(g, n);
        bool anyFloat = false;
        for (auto* list : {&in, &out})
            for (auto& d : *list)
                // Scalars too: a float32 scalar constant (GELU's 0.5, 1/sqrt(2) ...) would
                // otherwise keep its layer, and every layer around it, in float32.
                if (d.dtype == ir::DType::kF32) {
                    d.dtype = low;
                    d.data = nullptr;  // converted values are not known yet; shape inputs are never float
                    anyFloat = true;
                }
        // Keep constant data for non-float inputs (shape tensors, indices).
        const auto orig = ir::describeInputs(g, n);
        for (size_t k = 0; k < in.size(); ++k) {
            if (orig[k].dtype == ir::DType::kF32) continue;
            in[k].data = orig[k].data;
            const int v = n.inputs[k];
            if (!in[k].data && v >= 0 && host.data[size_t(v)]) {
                in[k].data = host.data[size_t(v)];
                in[k].shape = host.shapes[size_t(v)];
            }
        }
        if (anyFloat && anyCudaTactic(n, in, out)) {
            isLow[i] = true;
            ++lowered;
        }
    }
    if (!lowered) return Status::Ok();
    // 2. Rewire: 16-bit twins of values, constants converted, Casts at the boundaries.
    std::map<int, int> lowTwin;  // float32 value -> its 16-bit twin
    const size_t valueCount = g.values.size();
    std::vector<int> producerLow(valueCount, 0);
    for (size_t i = 0; i < nodeCount; ++i)
        if (isLow[i])
            for (int v : g.nodes[i].outputs)
                if (g.values[size_t(v)].dtype == ir::DType::kF32) producerLow[size_t(v)] = 1;
    // Outputs of low layers get a 16-bit value; the float32 original (bindings
    // and float32 consumers read it) is made by a Cast.
    std::vector<std::pair<int, int>> castsUp;  // (16-bit value, float32 value)
    for (size_t i = 0; i < nodeCount; ++i) {
        if (!isLow[i]) continue;
        for (int& v : g.nodes[i].outputs) {
            if (!producerLow[size_t(v)]) continue;
            const int orig = v;
            const int twin =
                g.addValue(g.uniqueName(g.values[size_t(orig)].name + "_" + std::string(ir::dtypeName(low))), low,
                           g.values[size_t(orig)].shape);
            g.values[size_t(twin)].producer = int(i);
            v = twin;
            lowTwin[orig] = twin;
            castsUp.push_back({twin, orig});
        }
    }
    for (size_t i = 0; i < nodeCount; ++i) {
        if (!isLow[i]) continue;
        for (size_t k = 0; k < g.nodes[i].inputs.size(); ++k) {
            const int v = g.nodes[i].inputs[k];  // g.nodes may grow below: no references into it
            if (v < 0 || g.values[size_t(v)].dtype != ir::DType::kF32) continue;
            auto it = lowTwin.find(v);
            if (it == lowTwin.end()) {
                const ir::Value& val = g.values[size_t(v)];
                const std::string name = g.uniqueName(val.name + "_" + std::string(ir::dtypeName(low)));
                int twin;
                if (val.isConstant()) {
                    twin = g.addConstant(name, low, val.shape, convertConstant(val, low));
                } else {  // a float32 network input or a float32 layer's output: cast down
                    twin = g.addValue(name, low, val.shape);
                    ir::Attrs a;
                    a.set("to", int64_t(low));
                    const int cast = g.addNode("Cast", g.uniqueName(name + "_cast"), {v}, 0);
                    g.nodes[size_t(cast)].attrs = a;
                    g.nodes[size_t(cast)].outputs = {twin};
                    g.values[size_t(twin)].producer = cast;
                }
                it = lowTwin.emplace(v, twin).first;
            }
            g.nodes[i].inputs[k] = it->second;
        }
    }
    // Shape reads only its input's extents, which the 16-bit twin shares: it
    // reads the twin, so the float32 original is not kept alive just for it
    // (dynamic BERT: 100 Casts, a third of its FP16 time, fed Shape layers).
    for (size_t i = 0; i < nodeCount; ++i) {
        if (g.nodes[i].op != "Shape" || g.nodes[i].inputs.empty()) continue;
        const int v = g.nodes[i].inputs[0];
        auto it = v >= 0 ? lowTwin.find(v) : lowTwin.end();
        if (it != lowTwin.end()) g.nodes[i].inputs[0] = it->second;
    }
    // The float32 original is needed only where a float32 layer reads it or the
    // network outputs it; elsewhere its Cast would be a wasted pass over the
    // tensor (one per lowered layer, seen doubling the layer count of FP16
    // engines). compact() then drops the unread originals, float32 weights too.
    std::vector<char> needed(g.values.size(), 0);
    for (const auto& n : g.nodes)
        for (int v : n.inputs)
            if (v >= 0) needed[size_t(v)] = 1;
    for (int v : g.outputs) needed[size_t(v)] = 1;
    for (const auto& [twin, orig] : castsUp) {
        if (!needed[size_t(orig)]) continue;
        ir::Attrs a;
        a.set("to", int64_t(ir::DType::kF32));
        const int cast = g.addNode("Cast", g.uniqueName(g.values[size_t(orig)].name + "_cast"), {twin}, 0);
        g.nodes[size_t(cast)].attrs = a;
        g.nodes[size_t(cast)].outputs = {orig};
        g.values[size_t(orig)].producer = cast;
    }
    g.compact();
    log(kLogInfo, "reduced precision: " + std::to_string(lowered) + " of " + std::to_string(nodeCount) +
                      " layers run in " + std::string(ir::dtypeName(low)));
    return Status::Ok();
}

}  // namespace kiln::builder
