#include "op_schema.h"

#include "ops/op_families.h"

namespace kiln::ir {

const std::vector<OpSchema>& allOpSchemas() {
    // The one explicit table of op families; each family file lists its ops.
    static const std::vector<OpSchema> table = [] {
        std::vector<OpSchema> t;
        registerConvolutionOps(t);
        registerPoolingOps(t);
        registerMatMulOps(t);
        registerPointwiseOps(t);
        registerReductionOps(t);
        registerDataMovementOps(t);
        registerGeneratorOps(t);
        registerNonZero(t);
        registerUnique(t);
        registerNms(t);
        registerControlFlowOps(t);
        registerQuantizeOps(t);
        registerFusedConvolutionOps(t);
        registerFusedAttentionOp(t);
        registerNNOps(t);
        registerGridSampleOp(t);
        registerRNNOp(t);
        registerDFTOp(t);
        registerSTFTOp(t);
        registerWindowOp(t);
        registerMelWeightMatrixOp(t);
        registerRoiAlignOp(t);
        registerCol2ImOp(t);
        registerMaxUnpoolOp(t);
        registerAffineGridOp(t);
        registerDeformConvOp(t);
        registerTfIdfVectorizerOp(t);
        registerImageDecoderOp(t);
        registerTreeEnsembleOp(t);
        registerPluginOp(t);
        return t;
    }();
    return table;
}

const OpSchema* findOpSchema(std::string_view op) {
    for (const auto& s : allOpSchemas())
        if (s.op == op) return &s;
    return nullptr;
}

Status inferNode(const Node& node, const std::vector<TensorDesc>& in, std::vector<TensorDesc>& out) {
    const std::string ctx = "layer '" + node.name + "' (" + node.op + "): ";
    const OpSchema* s = findOpSchema(node.op);
    if (!s) return Status::Error(ctx + "unknown op type");
    const int nin = int(in.size());
    if (nin < s->minInputs || (s->maxInputs >= 0 && nin > s->maxInputs))
        return Status::Error(ctx + "takes " + std::to_string(s->minInputs) + ".." +
                             (s->maxInputs < 0 ? std::string("any") : std::to_string(s->maxInputs)) +
                             " inputs, got " + std::to_string(nin));
    const int nout = int(node.outputs.size());
    if (nout < s->minOutputs || nout > s->maxOutputs)
        return Status::Error(ctx + "wrong number of outputs: " + std::to_string(nout));
    out.assign(nout, TensorDesc{});
    return s->infer(node, in, out).withContext(ctx);
}

std::vector<TensorDesc> describeInputs(const Graph& g, const Node& n) {
    std::vector<TensorDesc> in;
    in.reserve(n.inputs.size());
    for (int v : n.inputs) {
        if (v < 0) {
            in.push_back({});
            continue;
        }
        const Value& val = g.values[size_t(v)];
        in.push_back({val.dtype, val.shape, val.data ? val.data->data() : nullptr});
    }
    return in;
}

std::vector<TensorDesc> describeOutputs(const Graph& g, const Node& n) {
    std::vector<TensorDesc> out;
    out.reserve(n.outputs.size());
    for (int v : n.outputs) out.push_back({g.values[size_t(v)].dtype, g.values[size_t(v)].shape, nullptr});
    return out;
}

Status inferGraph(Graph& g) {
    // A loop's recurrence reads its next value before that is inferred: repeat
    // until the shapes settle (each round can only turn extents into -1).
    bool recurrent = false;
    for (const auto& n : g.nodes) recurrent = recurrent || n.op == "LoopRecurrence";
    for (int round = 0; round < (recurrent ? 2 * kMaxRank + 2 : 1); ++round) {
        bool changed = false;
        for (const auto& n : g.nodes) {
            if (n.dead) continue;
            std::vector<TensorDesc> out;
            KILN_RETURN_IF_ERROR(inferNode(n, describeInputs(g, n), out));
            for (size_t i = 0; i < n.outputs.size(); ++i) {
                Value& v = g.values[n.outputs[i]];
                changed = changed || v.dtype != out[i].dtype || v.shape != out[i].shape;
                v.dtype = out[i].dtype;
                v.shape = out[i].shape;
            }
        }
        if (!changed && round > 0) break;
    }
    return Status::Ok();
}

}  // namespace kiln::ir
