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

Status inferGraph(Graph& g) {
    for (const auto& n : g.nodes) {
        if (n.dead) continue;
        std::vector<TensorDesc> in;
        in.reserve(n.inputs.size());
        for (int v : n.inputs) {
            TensorDesc d;
            if (v >= 0) {
                const Value& val = g.values[v];
                d.dtype = val.dtype;
                d.shape = val.shape;
                d.data = val.data ? val.data->data() : nullptr;
            } else {
                d.shape = {};
                d.dtype = DType::kF32;
                d.data = nullptr;
            }
            in.push_back(std::move(d));
        }
        std::vector<TensorDesc> out;
        KILN_RETURN_IF_ERROR(inferNode(n, in, out));
        for (size_t i = 0; i < n.outputs.size(); ++i) {
            Value& v = g.values[n.outputs[i]];
            v.dtype = out[i].dtype;
            v.shape = out[i].shape;
        }
    }
    return Status::Ok();
}

}  // namespace kiln::ir
